r"""The optimizers: each a rule of :mod:`companion.optim.rules` with ``torch.optim``'s interface.

Each class takes its rule's hyperparameters (PyTorch's names and defaults) and keeps its
state under the rule's (PyTorch's) names. Its ``_update`` is the rule written in place —
``*=``, ``+=`` and NumPy's ``out=`` into scratch arrays made once — so that a step allocates
nothing parameter-sized; the tests pin every one equal to its rule, and to PyTorch.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._validate import finite_real, nonnegative_number
from . import rules
from .base import Optimizer

__all__ = [
    "SGD",
    "Adadelta",
    "Adafactor",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "Lion",
    "Muon",
    "NAdam",
    "RAdam",
    "RMSprop",
]


class SGD(Optimizer):
    r"""Stochastic gradient descent, with optional momentum (heavy ball or Nesterov):
    :func:`~companion.optim.rules.sgd`.

    Parameters
    ----------
    params : list of numpy.ndarray or list of dict
        See :class:`~companion.optim.Optimizer`.
    lr, momentum, dampening, weight_decay, nesterov
        As in :func:`~companion.optim.rules.sgd`: default 1e-3, 0, 0, 0, False.

    Notes
    -----
    The state, ``opt.state[i]``, holds ``momentum_buffer`` when momentum is not 0. PyTorch
    accepts a momentum of 1 or more, with which the iteration cannot converge; here it is
    refused.

    Examples
    --------
    >>> theta = np.array([1.0])                     # J = theta^2 / 2, grad J = theta
    >>> opt = SGD([theta], lr=0.1, momentum=0.9)
    >>> opt.step([np.array([1.0])])                 # b = g = 1 on the first step
    >>> theta, opt.state[0]["momentum_buffer"]
    (array([0.9]), array([1.]))
    >>> opt.step([np.array([1.0])])                 # b = 0.9 * 1 + 1 = 1.9
    >>> theta
    array([0.71])
    """

    rule = staticmethod(rules.sgd)
    squares_gradients = False

    def _check_group(self, group: dict[str, Any]) -> dict[str, Any]:
        group = super()._check_group(group)
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(
                "SGD: Nesterov momentum requires a momentum and zero dampening; got "
                f"momentum={group['momentum']}, dampening={group['dampening']}"
            )
        return group

    def _update(self, param, grad, state, group, work):
        lr, momentum = group["lr"], group["momentum"]
        g = self._with_l2(param, grad, group["weight_decay"], out=work[0])  # g + λθ
        if momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:  # the first step: the buffer starts as the gradient itself
                buf = state["momentum_buffer"] = g.copy()
            else:  # b ← βb + (1 − τ)g
                buf *= momentum
                buf += np.multiply(g, 1 - group["dampening"], out=work[1])
            if group["nesterov"]:  # g ← g + βb
                g = np.add(g, np.multiply(buf, momentum, out=work[1]), out=work[1])
            else:  # g ← b
                g = buf
        param -= np.multiply(g, lr, out=work[1])  # θ ← θ − ηg


class Adagrad(Optimizer):
    r"""AdaGrad: :func:`~companion.optim.rules.adagrad`.

    Parameters
    ----------
    params : list of numpy.ndarray or list of dict
    lr, lr_decay, weight_decay, initial_accumulator_value, eps
        As in :func:`~companion.optim.rules.adagrad`: default 1e-2, 0, 0, 0, 1e-10.

    Notes
    -----
    The state, ``opt.state[i]``, holds ``step`` and ``sum``; both exist from the start, as in
    PyTorch. PyTorch allows ``eps = 0``; here it must be positive. A parameter group's own
    ``initial_accumulator_value`` starts its sum; PyTorch (2.13) starts every group's at the
    value given to the constructor.

    Examples
    --------
    >>> theta = np.array([1.0, 1.0])
    >>> opt = Adagrad([theta], lr=0.5)
    >>> opt.step([np.array([2.0, 0.01])])           # both coordinates move by (almost) lr
    >>> theta
    array([0.5, 0.5])
    """

    rule = staticmethod(rules.adagrad)

    def _initial_state(self, param: np.ndarray, group: dict[str, Any]) -> dict[str, Any]:
        return {"step": 0, "sum": np.full_like(param, group["initial_accumulator_value"])}

    def _update(self, param, grad, state, group, work):
        state["step"] += 1
        g = self._with_l2(param, grad, group["weight_decay"], out=work[0])  # g + λθ
        lr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])  # η / (1 + (t−1)δ)
        state["sum"] += np.multiply(g, g, out=work[1])  # s ← s + g²
        denom = np.sqrt(state["sum"], out=work[1])
        denom += group["eps"]  # √s + ε
        param -= np.multiply(np.divide(g, denom, out=denom), lr, out=denom)  # θ ← θ − η̃ g/(√s + ε)


class RMSprop(Optimizer):
    r"""RMSProp, plain, centered or with momentum: :func:`~companion.optim.rules.rmsprop`.

    Parameters
    ----------
    params : list of numpy.ndarray or list of dict
    lr, alpha, eps, weight_decay, momentum, centered
        As in :func:`~companion.optim.rules.rmsprop`: default 1e-2, 0.99, 1e-8, 0, 0, False.

    Notes
    -----
    The state, ``opt.state[i]``, holds ``step`` and ``square_avg``; ``momentum_buffer`` when
    momentum is not 0; ``grad_avg`` when centered. PyTorch allows ``eps = 0``,
    ``alpha >= 1`` and ``momentum >= 1``; here they are refused.

    Examples
    --------
    >>> theta = np.array([1.0])
    >>> opt = RMSprop([theta], lr=0.01, alpha=0.99)
    >>> opt.step([np.array([3.0])])      # v = 0.01 * 9, so the step is 0.01 * 3 / 0.3 = 0.1
    >>> theta.round(6)
    array([0.9])
    """

    rule = staticmethod(rules.rmsprop)

    def _update(self, param, grad, state, group, work):
        alpha = group["alpha"]
        if not state:
            state.update(step=0, square_avg=np.zeros_like(param))
            if group["momentum"] > 0:
                state["momentum_buffer"] = np.zeros_like(param)
            if group["centered"]:
                state["grad_avg"] = np.zeros_like(param)
        state["step"] += 1
        g = self._with_l2(param, grad, group["weight_decay"], out=work[0])  # g + λθ
        v = state["square_avg"]
        self._average_square(v, g, alpha, out=work[1])  # v ← αv + (1−α)g²
        if group["centered"]:
            g_avg = state["grad_avg"]
            self._average(g_avg, g, alpha, out=work[1])  # ḡ ← αḡ + (1−α)g
            d = np.subtract(v, np.multiply(g_avg, g_avg, out=work[1]), out=work[1])
            np.sqrt(d, out=d)  # √(v − ḡ²)
        else:
            d = np.sqrt(v, out=work[1])  # √v
        d += group["eps"]
        step = np.divide(g, d, out=d)  # g / d
        if group["momentum"] > 0:
            buf = state["momentum_buffer"]
            buf *= group["momentum"]
            buf += step  # b ← βb + g/d
            step = buf
        param -= np.multiply(step, group["lr"], out=work[1])  # θ ← θ − η · step


class Adadelta(Optimizer):
    r"""Adadelta: :func:`~companion.optim.rules.adadelta`.

    Parameters
    ----------
    params : list of numpy.ndarray or list of dict
    lr, rho, eps, weight_decay
        As in :func:`~companion.optim.rules.adadelta`: default 1.0, 0.9, 1e-6, 0.

    Notes
    -----
    The state, ``opt.state[i]``, holds ``step``, ``square_avg`` and ``acc_delta``. PyTorch
    allows ``eps = 0``; here it must be positive.

    Examples
    --------
    >>> theta = np.array([1.0])
    >>> opt = Adadelta([theta])
    >>> opt.step([np.array([2.0])])                  # a first step of about sqrt(eps)
    >>> float(1.0 - theta[0])
    0.0031622...
    """

    rule = staticmethod(rules.adadelta)

    def _update(self, param, grad, state, group, work):
        rho, eps = group["rho"], group["eps"]
        if not state:
            state.update(step=0, square_avg=np.zeros_like(param), acc_delta=np.zeros_like(param))
        state["step"] += 1
        g = self._with_l2(param, grad, group["weight_decay"], out=work[0])  # g + λθ
        v, u = state["square_avg"], state["acc_delta"]
        self._average_square(v, g, rho, out=work[1])  # v ← ρv + (1−ρ)g²
        std = np.sqrt(np.add(v, eps, out=work[1]), out=work[1])  # √(v + ε)
        delta = np.sqrt(np.add(u, eps, out=work[2]), out=work[2])  # √(u + ε)
        delta /= std
        delta *= g  # Δ = √(u + ε) / √(v + ε) · g
        self._average_square(u, delta, rho, out=work[1])  # u ← ρu + (1−ρ)Δ²
        param -= np.multiply(delta, group["lr"], out=work[1])  # θ ← θ − ηΔ


class Adam(Optimizer):
    r"""Adam, with AMSGrad and decoupled weight decay as options:
    :func:`~companion.optim.rules.adam`.

    Parameters
    ----------
    params : list of numpy.ndarray or list of dict
    lr, betas, eps, weight_decay, amsgrad, decoupled_weight_decay
        As in :func:`~companion.optim.rules.adam`: default 1e-3, (0.9, 0.999), 1e-8, 0, False,
        False. As in PyTorch 2.6 and later, ``decoupled_weight_decay=True`` is AdamW.

    Notes
    -----
    The state, ``opt.state[i]``, holds ``step`` (PyTorch keeps it as a float tensor; here it
    is an int), ``exp_avg`` and ``exp_avg_sq`` (uncorrected), and ``max_exp_avg_sq`` with
    ``amsgrad``.
    PyTorch allows ``eps = 0``; here it must be positive.

    The step is computed in the paper's order: instead of dividing all of :math:`m` and
    :math:`v` by their bias corrections, it folds them into two numbers, the step size and
    :math:`\varepsilon` — the same step, with fewer passes over the arrays.

    Examples
    --------
    >>> theta = np.array([1.0, 1.0])
    >>> opt = Adam([theta], lr=0.1)
    >>> opt.step([np.array([1e3, 1e-2])])  # corrected, the first step is lr for any gradient
    >>> theta.round(6)
    array([0.9, 0.9])
    """

    rule = staticmethod(rules.adam)

    def _update(self, param, grad, state, group, work):
        (beta1, beta2), lr, weight_decay = group["betas"], group["lr"], group["weight_decay"]
        if not state:
            state.update(step=0, exp_avg=np.zeros_like(param), exp_avg_sq=np.zeros_like(param))
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = np.zeros_like(param)
        state["step"] += 1
        t = state["step"]
        if group["decoupled_weight_decay"]:
            if weight_decay != 0:
                param *= 1 - lr * weight_decay  # θ ← (1 − ηλ)θ
            g = grad
        else:
            g = self._with_l2(param, grad, weight_decay, out=work[0])  # g + λθ
        m, v = state["exp_avg"], state["exp_avg_sq"]
        self._average(m, g, beta1, out=work[1])  # m ← β₁m + (1 − β₁)g
        self._average_square(v, g, beta2, out=work[1])  # v ← β₂v + (1 − β₂)g²
        if group["amsgrad"]:
            v = np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
        bias1, bias2 = 1 - beta1**t, 1 - beta2**t  # the bias corrections, with this step's t
        # η m̂/(√v̂ + ε) = α m/(√v + ε̂), with α = η √bias2 / bias1 and ε̂ = ε √bias2
        step_size, eps_hat = lr * math.sqrt(bias2) / bias1, group["eps"] * math.sqrt(bias2)
        denom = np.sqrt(v, out=work[1])
        denom += eps_hat  # √v + ε̂
        step = np.divide(m, denom, out=denom)
        param -= np.multiply(step, step_size, out=step)  # θ ← θ − α m / (√v + ε̂)


class AdamW(Adam):
    r"""AdamW, Adam with decoupled weight decay: :func:`~companion.optim.rules.adamw`.

    Parameters
    ----------
    params : list of numpy.ndarray or list of dict
    lr, betas, eps, weight_decay, amsgrad
        As in :func:`~companion.optim.rules.adamw`: default 1e-3, (0.9, 0.999), 1e-8, 1e-2,
        False.

    Notes
    -----
    The state is :class:`Adam`'s. Its ``param_groups`` say ``decoupled_weight_decay: True``,
    as PyTorch's AdamW does since it became a subclass of Adam. PyTorch allows ``eps = 0``;
    here it must be positive.

    Examples
    --------
    >>> theta = np.array([2.0])
    >>> opt = AdamW([theta], lr=0.1, weight_decay=0.5)
    >>> opt.step([np.array([0.0])])                  # no gradient: only the decay acts
    >>> theta                                        # 2 * (1 - 0.1 * 0.5)
    array([1.9])
    """

    rule = staticmethod(rules.adamw)
    fixed = {"decoupled_weight_decay": True}


# --- Chapter 9: the optimizers of today -------------------------------------------------------
# Each class below names its rule and checks what CHECKS does not know; its step is the rule
# itself (the base class's _update), so there is no second copy of any rule to test.


def _at_most_zero(value: object, name: str) -> float:
    value = finite_real(value, name)
    if value > 0:
        raise ValueError(f"{name} must be at most 0; got {value!r}")
    return value


def _at_least_one(value: object, name: str) -> float:
    value = finite_real(value, name)
    if value < 1:
        raise ValueError(f"{name} must be at least 1; got {value!r}")
    return value


def _adafactor_eps(value: object, name: str) -> tuple[float | None, float]:
    if isinstance(value, str) or not isinstance(value, Sequence) or len(value) != 2:
        raise ValueError(f"{name} must be a pair (eps1 or None, eps2); got {value!r}")
    eps1 = None if value[0] is None else nonnegative_number(value[0], f"{name}[0]")
    return eps1, nonnegative_number(value[1], f"{name}[1]")


def _ns_coefficients(value: object, name: str) -> tuple[float, float, float]:
    if isinstance(value, str) or not isinstance(value, Sequence) or len(value) != 3:
        raise ValueError(f"{name} must be three numbers (a, b, c); got {value!r}")
    return tuple(finite_real(c, f"{name}[{i}]") for i, c in enumerate(value))


def _ns_steps(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 100:
        raise ValueError(f"{name} must be an int in [0, 100); got {value!r}")
    return value


def _adjust_lr_fn(value: object, name: str) -> str | None:
    if value not in (None, "original", "match_rms_adamw"):
        raise ValueError(f"{name} must be None, 'original' or 'match_rms_adamw'; got {value!r}")
    return value


class NAdam(Optimizer):
    r"""NAdam, Adam with Nesterov momentum: :func:`~companion.optim.rules.nadam`.

    Parameters
    ----------
    params : list of numpy.ndarray or list of dict
    lr, betas, eps, weight_decay, momentum_decay, decoupled_weight_decay
        As in :func:`~companion.optim.rules.nadam`: default 2e-3, (0.9, 0.999), 1e-8, 0,
        4e-3, False.

    Notes
    -----
    The state, ``opt.state[i]``, holds ``step`` (an int), ``mu_product`` (a float: PyTorch
    keeps a tensor of its *default* dtype, float32 unless changed, whose rounding moves a
    200-step float64 run by about 1e-10), ``exp_avg`` and ``exp_avg_sq``. PyTorch allows
    ``eps = 0``; here it must be positive.
    """

    rule = staticmethod(rules.nadam)
    #: NAdam's own hyperparameter, ``momentum_decay``: at least 0.
    checks = {"momentum_decay": nonnegative_number}
    #: ``mu_product``, a product of momentum coefficients in (0, 1].
    nonnegative_state = ("mu_product",)


class RAdam(Optimizer):
    r"""RAdam, Adam with a rectified, self-warming adaptive step:
    :func:`~companion.optim.rules.radam`.

    Parameters
    ----------
    params : list of numpy.ndarray or list of dict
    lr, betas, eps, weight_decay, decoupled_weight_decay
        As in :func:`~companion.optim.rules.radam`: default 1e-3, (0.9, 0.999), 1e-8, 0, False.

    Notes
    -----
    The state holds ``step`` (an int), ``exp_avg`` and ``exp_avg_sq``. PyTorch allows
    ``eps = 0``; here it must be positive.
    """

    rule = staticmethod(rules.radam)


class Adamax(Optimizer):
    r"""Adamax, Adam with the infinity norm: :func:`~companion.optim.rules.adamax`.

    Parameters
    ----------
    params : list of numpy.ndarray or list of dict
    lr, betas, eps, weight_decay
        As in :func:`~companion.optim.rules.adamax`: default 2e-3, (0.9, 0.999), 1e-8, 0.

    Notes
    -----
    The state holds ``step`` (an int), ``exp_avg`` and ``exp_inf``. PyTorch allows
    ``eps = 0``; here it must be positive.
    """

    rule = staticmethod(rules.adamax)
    #: ``exp_inf``, a running maximum of :math:`|g| + \varepsilon`.
    nonnegative_state = ("exp_inf",)
    squares_gradients = False  # |g|, not g²: any finite gradient is taken


class Adafactor(Optimizer):
    r"""Adafactor, PyTorch's version: :func:`~companion.optim.rules.adafactor`.

    Parameters
    ----------
    params : list of numpy.ndarray or list of dict
    lr, beta2_decay, eps, d, weight_decay
        As in :func:`~companion.optim.rules.adafactor`: default 1e-2, -0.8, (None, 1e-3), 1.0,
        0. ``beta2_decay`` is at most 0, ``d`` at least 1.

    Notes
    -----
    The state holds ``step`` (an int) and, for an array of two or more axes, ``row_var`` and
    ``col_var`` (shaped like the parameter with its last, respectively second-to-last, axis
    of length 1); for a vector, ``variance``.
    """

    rule = staticmethod(rules.adafactor)
    #: Adafactor's own hyperparameters: ``beta2_decay`` at most 0, ``eps`` a pair, ``d`` at least 1.
    checks = {"beta2_decay": _at_most_zero, "eps": _adafactor_eps, "d": _at_least_one}
    #: The factored second moment: averages of squares. (A checkpoint's buffers are checked
    #: against the shapes the rule gives them, so the row and column need nothing more.)
    nonnegative_state = ("row_var", "col_var", "variance")


class Lion(Optimizer):
    r"""Lion, sign momentum: :func:`~companion.optim.rules.lion`.

    Not in ``torch.optim``; the signature is Chen et al.'s (PyTorch's names).

    Parameters
    ----------
    params : list of numpy.ndarray or list of dict
    lr, betas, weight_decay
        As in :func:`~companion.optim.rules.lion`: default 1e-4, (0.9, 0.99), 0.

    Notes
    -----
    The state holds ``exp_avg``: one buffer, where Adam keeps two. ``maximize`` is taken, as
    by every optimizer of ``torch.optim`` that has a ``maximize``.
    """

    rule = staticmethod(rules.lion)
    squares_gradients = False  # only the sign of a momentum: any finite gradient is taken


class Muon(Optimizer):
    r"""Muon, orthogonalized momentum for weight matrices: :func:`~companion.optim.rules.muon`.

    Every parameter must be a matrix (2-D), as in PyTorch: build Muon on the hidden layers'
    weights and another optimizer (usually AdamW) on the rest —
    :func:`~companion.optim.combined.muon_with_adamw` does both.

    Parameters
    ----------
    params : list of numpy.ndarray or list of dict
    lr, weight_decay, momentum, nesterov, ns_coefficients, eps, ns_steps, adjust_lr_fn
        As in :func:`~companion.optim.rules.muon`: default 1e-3, 0.1, 0.95, True,
        (3.4445, -4.7750, 2.0315), 1e-7, 5, None.

    Notes
    -----
    PyTorch runs the Newton–Schulz iteration in bfloat16 (8 bits of mantissa), which NumPy
    lacks; here it runs in the parameters' own precision. Against PyTorch's algorithm with the
    cast removed, 200 float64 steps agree to about 1e-15; with the cast, one update differs
    by a few percent of its size. The state holds ``momentum_buffer``. Like PyTorch's Muon,
    it takes no ``maximize``.

    Raises
    ------
    ValueError
        If a parameter is not 2-D.
    """

    rule = staticmethod(rules.muon)
    #: PyTorch's Muon has no ``maximize``; nor has this one, so that state dicts move both ways.
    takes_maximize = False
    #: Newton–Schulz divides the momentum by its Frobenius norm, computed without squaring an
    #: entry that would overflow: any finite gradient is taken.
    squares_gradients = False
    #: Muon's own hyperparameters: the Newton–Schulz coefficients and steps, ``adjust_lr_fn``.
    checks = {
        "ns_coefficients": _ns_coefficients,
        "ns_steps": _ns_steps,
        "adjust_lr_fn": _adjust_lr_fn,
    }

    def _check_param(self, array: object, index: int) -> None:
        super()._check_param(array, index)
        if array.ndim != 2:  # type: ignore[union-attr]
            raise ValueError(
                f"Muon: params[{index}] has shape {array.shape}; Muon updates matrices (2-D) "  # type: ignore[union-attr]
                "only: give biases and other parameters to another optimizer, e.g. AdamW"
            )
