"""Exercise 6 — adaptive learning rates: the items, their cases and their known mistakes.

As in Exercise 5, each item is one step of a method, written as a pure function that returns
the new parameters and the new state (arrays shaped like ``theta``) and leaves its inputs
alone:

- 6.1 ``rmsprop_step(theta, grad, square_avg, lr, alpha, eps)``, PyTorch's RMSprop;
- 6.2 ``adam_step(theta, grad, m, v, step, lr, beta1, beta2, eps)``, Adam with bias
  correction, where ``step`` counts the steps taken *before* this one (0 on the first call),
  like PyTorch's ``state["step"]`` before its update.

Every known mistake is a module-level function that never raises.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .core import Case, Item, Mistake

_rng = np.random.default_rng  # every case draws from its own seeded generator


def _safe(answer: Callable) -> Callable:
    """A mistake's answer, or NaN where the mistaken formula does not even run."""

    def wrapped(*args):
        try:
            with np.errstate(all="ignore"):
                return np.asarray(answer(*args), dtype=np.float64)
        except (ValueError, IndexError, TypeError, ZeroDivisionError):
            return np.nan

    return wrapped


# --- 6.1 rmsprop_step(theta, grad, square_avg, lr, alpha, eps) --------------------------------


def _rmsprop_cases() -> list[Case]:
    r = _rng(61)
    return [
        Case(
            "the first step: square_avg = 0, lr = 0.01, alpha = 0.99, eps = 1e-8",
            (
                np.array([1.0, -1.0, 0.5]),
                np.array([3.0, -0.2, 0.05]),
                np.zeros(3),
                0.01,
                0.99,
                1e-8,
            ),
        ),
        Case(
            "a later step with gradients of very different sizes (1e3 and 1e-3)",
            (
                np.array([0.2, 0.4]),
                np.array([1e3, -1e-3]),
                np.array([4e5, 2e-6]),
                0.001,
                0.9,
                1e-8,
            ),
        ),
        Case(
            "a weight matrix of shape (3, 2), alpha = 0.9, lr = 0.05",
            (
                r.standard_normal((3, 2)),
                r.standard_normal((3, 2)),
                r.uniform(0.1, 2.0, (3, 2)),
                0.05,
                0.9,
                1e-8,
            ),
        ),
        Case(
            "tiny gradients with a large eps = 0.01 (where eps matters)",
            (
                np.array([1.0, 2.0]),
                np.array([1e-3, -2e-3]),
                np.array([1e-6, 1e-6]),
                0.1,
                0.99,
                0.01,
            ),
        ),
    ]


def _rmsprop(theta, grad, square_avg, lr, alpha, eps):
    v = alpha * square_avg + (1 - alpha) * grad**2
    return theta - lr * grad / (np.sqrt(v) + eps), v


def _rmsprop_variant(theta, grad, square_avg, lr, alpha, eps, *, average=None, denom=None):
    v = (
        (alpha * square_avg + (1 - alpha) * grad**2)
        if average is None
        else average(square_avg, grad, alpha)
    )
    d = (np.sqrt(v) + eps) if denom is None else denom(v, square_avg, eps)
    return theta - lr * grad / d, v


ITEM_6_1 = Item(
    id="6.1",
    function="rmsprop_step",
    references=("companion.optim.RMSprop",),
    points=3,
    arg_names=("theta", "grad", "square_avg", "lr", "alpha", "eps"),
    cases=_rmsprop_cases,
    reference=_rmsprop,
    mistakes=(
        Mistake(
            "puts eps inside the square root: PyTorch's RMSprop divides by √v + ε, not √(v + ε)",
            _safe(lambda *a: _rmsprop_variant(*a, denom=lambda v, old, eps: np.sqrt(v + eps))),
        ),
        Mistake(
            "forgets the square root: divide by √v + ε — √v is the root mean square of the "
            "gradients, in the gradients' units",
            _safe(lambda *a: _rmsprop_variant(*a, denom=lambda v, old, eps: v + eps)),
        ),
        Mistake(
            "swaps alpha and 1 − alpha: v ← α v + (1 − α) g² keeps most of the old average "
            "(alpha = 0.99 means a long memory)",
            _safe(
                lambda *a: _rmsprop_variant(
                    *a, average=lambda v, g, alpha: (1 - alpha) * v + alpha * g**2
                )
            ),
        ),
        Mistake(
            "sums the squared gradients (s ← s + g²): that is AdaGrad; RMSProp averages them, "
            "v ← α v + (1 − α) g²",
            _safe(lambda *a: _rmsprop_variant(*a, average=lambda v, g, alpha: v + g**2)),
        ),
        Mistake(
            "divides by the old average: update v with this gradient first, then divide by √v + ε",
            _safe(lambda *a: _rmsprop_variant(*a, denom=lambda v, old, eps: np.sqrt(old) + eps)),
        ),
        Mistake(
            "averages |g| instead of g²: v ← α v + (1 − α) g²",
            _safe(
                lambda *a: _rmsprop_variant(
                    *a, average=lambda v, g, alpha: alpha * v + (1 - alpha) * np.abs(g)
                )
            ),
        ),
        Mistake(
            "returns the old square_avg: return the updated v together with θ — the next "
            "step needs it",
            _safe(lambda t, g, s, lr, alpha, eps: (_rmsprop(t, g, s, lr, alpha, eps)[0], s)),
        ),
    ),
    hints={
        "shape": "Return two arrays shaped like theta: the new theta and the new square_avg, "
        "`return theta, square_avg`.",
        "mutated": "square_avg *= alpha changes the caller's array; compute a new one",
        "nonfinite": "Did you divide by √v without adding eps? On the first step v can be 0.",
    },
)


# --- 6.2 adam_step(theta, grad, m, v, step, lr, beta1, beta2, eps) ----------------------------


def _adam_cases() -> list[Case]:
    r = _rng(62)
    return [
        Case(
            "the first step: step = 0, m = v = 0, lr = 0.1, betas (0.9, 0.999)",
            (
                np.array([1.0, -0.5, 2.0]),
                np.array([0.3, -2.0, 0.01]),
                np.zeros(3),
                np.zeros(3),
                0,
                0.1,
                0.9,
                0.999,
                1e-8,
            ),
        ),
        Case(
            "the fifth step: step = 4, m and v from four earlier steps",
            (
                np.array([0.5, 0.5]),
                np.array([1.0, -0.5]),
                np.array([0.2, -0.1]),
                np.array([0.003, 0.001]),
                4,
                0.01,
                0.9,
                0.999,
                1e-8,
            ),
        ),
        Case(
            "a late step: step = 2000, a weight matrix of shape (2, 3)",
            (
                r.standard_normal((2, 3)),
                r.standard_normal((2, 3)),
                0.1 * r.standard_normal((2, 3)),
                r.uniform(0.5, 1.5, (2, 3)),
                2000,
                1e-3,
                0.9,
                0.999,
                1e-8,
            ),
        ),
        Case(
            "the second step with betas (0.5, 0.9) and tiny gradients, eps = 1e-3",
            (
                np.array([1.0, 1.0]),
                np.array([1e-4, -2e-4]),
                np.array([5e-5, -1e-4]),
                np.array([1e-9, 4e-9]),
                1,
                0.05,
                0.5,
                0.9,
                1e-3,
            ),
        ),
    ]


def _adam(
    theta,
    grad,
    m,
    v,
    step,
    lr,
    beta1,
    beta2,
    eps,
    *,
    t=None,
    correct=(True, True),
    store_corrected=False,
    eps_inside=False,
    eps_before=False,
    numerator=None,
):
    """The reference step, with switches that reproduce each known mistake."""
    t = step + 1 if t is None else t
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    m_hat = m / (1 - beta1**t) if correct[0] else m
    v_hat = v / (1 - beta2**t) if correct[1] else v
    if eps_inside:
        denom = np.sqrt(v_hat + eps)
    elif eps_before:
        denom = (np.sqrt(v) + eps) / np.sqrt(1 - beta2**t)
    else:
        denom = np.sqrt(v_hat) + eps
    top = m_hat if numerator is None else numerator(grad, m_hat)
    theta = theta - lr * top / denom
    return (theta, m_hat, v_hat) if store_corrected else (theta, m, v)


def _adam_swapped(theta, grad, m, v, step, lr, beta1, beta2, eps):
    return _adam(theta, grad, m, v, step, lr, beta2, beta1, eps)


ITEM_6_2 = Item(
    id="6.2",
    kind="debug",
    function="adam_step",
    references=("companion.optim.Adam",),
    points=4,
    arg_names=("theta", "grad", "m", "v", "step", "lr", "beta1", "beta2", "eps"),
    cases=_adam_cases,
    reference=_adam,
    mistakes=(
        Mistake(
            "the bias correction uses the step count from before this step: this is step "
            "number t = step + 1, so correct with 1 − β₁ᵗ and 1 − β₂ᵗ for that t",
            _safe(lambda th, g, m, v, s, *rest: _adam(th, g, m, v, s, *rest, t=s)),
        ),
        Mistake(
            "has no bias correction: m and v start at 0, so divide them by 1 − β₁ᵗ and "
            "1 − β₂ᵗ (t = step + 1) before the update",
            _safe(lambda *a: _adam(*a, correct=(False, False))),
        ),
        Mistake(
            "corrects m but not v: v̂ = v / (1 − β₂ᵗ) too (it matters most, β₂ = 0.999 makes v "
            "tiny at first)",
            _safe(lambda *a: _adam(*a, correct=(True, False))),
        ),
        Mistake(
            "corrects v but not m: m̂ = m / (1 − β₁ᵗ) too",
            _safe(lambda *a: _adam(*a, correct=(False, True))),
        ),
        Mistake(
            "returns the corrected moments: keep m and v *uncorrected* in the state (return "
            "them) and compute m̂ and v̂ afresh at every step from t",
            _safe(lambda *a: _adam(*a, store_corrected=True)),
        ),
        Mistake(
            "puts eps inside the square root: the denominator is √v̂ + ε",
            _safe(lambda *a: _adam(*a, eps_inside=True)),
        ),
        Mistake(
            "adds eps before the bias correction ((√v + ε) / √(1 − β₂ᵗ)): correct v first, "
            "then add ε, √v̂ + ε",
            _safe(lambda *a: _adam(*a, eps_before=True)),
        ),
        Mistake(
            "steps along the gradient instead of m̂: the numerator is the corrected average "
            "m̂, that is Adam's momentum",
            _safe(lambda *a: _adam(*a, numerator=lambda g, m_hat: g)),
        ),
        Mistake(
            "swaps beta1 and beta2: m ← β₁ m + (1 − β₁) g and v ← β₂ v + (1 − β₂) g²",
            _safe(_adam_swapped),
        ),
    ),
    hints={
        "shape": "Return three arrays shaped like theta: `return theta, m, v` (m and v "
        "without the bias correction).",
        "mutated": "m *= beta1 changes the caller's array; compute new arrays, "
        "m = beta1 * m + (1 - beta1) * grad",
        "nonfinite": "On the first step (step = 0), did you divide by 1 − β**0 = 0? This step "
        "is step number t = step + 1: the bias correction uses 1 − β₁ᵗ and 1 − β₂ᵗ for that t.",
    },
)


# --- 6.3 correction_fades(beta, tol) ----------------------------------------------------------


def _fades(beta, tol):
    """The first step t = 1, 2, ... whose bias-correction factor 1/(1 − βᵗ) is at most 1 + tol:
    βᵗ ≤ tol/(1 + tol), so t = ⌈log(tol/(1 + tol)) / log β⌉."""
    return int(np.ceil(np.log(tol / (1 + tol)) / np.log(beta) - 1e-9))


def _fades_cases() -> list[Case]:
    return [
        Case("beta = 0.9 (Adam's β₁), tol = 0.01", (0.9, 0.01)),
        Case("beta = 0.999 (Adam's β₂), tol = 0.01", (0.999, 0.01)),
        Case("beta = 0.99, tol = 0.05", (0.99, 0.05)),
        Case("beta = 0.8, tol = 0.2", (0.8, 0.2)),
    ]


ITEM_6_3 = Item(
    id="6.3",
    kind="derive",
    function="correction_fades",
    points=2,
    arg_names=("beta", "tol"),
    cases=_fades_cases,
    reference=_fades,
    mistakes=(
        Mistake(
            "solves βᵗ ≤ tol: close, but the factor is 1/(1 − βᵗ) ≤ 1 + tol, which means "
            "βᵗ ≤ tol/(1 + tol)",
            _safe(lambda beta, tol: int(np.ceil(np.log(tol) / np.log(beta)))),
        ),
        Mistake(
            "rounds down: the first step at which the factor is small enough is the ceiling "
            "of log(tol/(1 + tol)) / log β (steps are whole numbers, and one step earlier the "
            "factor is still too large)",
            _safe(lambda beta, tol: int(np.floor(np.log(tol / (1 + tol)) / np.log(beta)))),
        ),
        Mistake(
            "uses the square root, as for v̂ inside Adam's √: the question is about the "
            "factor 1/(1 − βᵗ) itself",
            _safe(
                lambda beta, tol: int(np.ceil(np.log(1 - 1 / (1 + tol) ** 2) / np.log(beta) - 1e-9))
            ),
        ),
        Mistake(
            "uses 1/(1 − β) steps, the EMA's memory: a rule of thumb for how far back the "
            "average looks, not for when its bias is gone",
            _safe(lambda beta, tol: int(round(1 / (1 - beta)))),
        ),
    ),
    rtol=0.0,
    atol=0.0,
    hints={"shape": "Return one whole number: the step t."},
)


ITEMS = (ITEM_6_1, ITEM_6_2, ITEM_6_3)
