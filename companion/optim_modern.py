r"""The optimizers of today (Chapter 9): NAdam, RAdam, Adamax, Adafactor, Lion and Muon.

Each update rule is a small pure function, ``theta, state = rule(theta, grad, state,
**hyperparameters)``: given the parameters :math:`\theta`, the gradient
:math:`g = \nabla J(\theta)` and the state the rule keeps between steps (a dict, empty before
the first step), it returns the new parameters and the new state, each line a line of the
formula in its docstring. The hyperparameters have PyTorch's names and defaults and the state
PyTorch's names, so the classes below — the rules on the interface of
:class:`companion.optim.Optimizer` — hand their state to ``torch.optim`` and back.

>>> theta, state = np.array([1.0, -2.0]), {}
>>> for _ in range(3):
...     theta, state = lion(theta, grad=theta, state=state, lr=0.1)
>>> theta                                        # Lion moves every coordinate by exactly lr
array([ 0.7, -1.7])
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from .optim import (
    Optimizer,
    _at_least_zero,
    _betas,
    _flag,
    _in_unit_interval,
    _positive,
    _real,
)

__all__ = [
    "Adafactor",
    "Adamax",
    "Combined",
    "Lion",
    "Muon",
    "NAdam",
    "RAdam",
    "adafactor",
    "adamax",
    "lion",
    "muon",
    "muon_with_adamw",
    "nadam",
    "newton_schulz",
    "radam",
]

State = dict[str, Any]

#: Muon's Newton–Schulz coefficients (a, b, c), PyTorch's and Jordan et al.'s.
NS_COEFFICIENTS = (3.4445, -4.7750, 2.0315)


# --- the rules ----------------------------------------------------------------------------


def nadam(
    theta: np.ndarray,
    grad: np.ndarray,
    state: State,
    *,
    lr: float = 2e-3,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    momentum_decay: float = 4e-3,
    decoupled_weight_decay: bool = False,
) -> tuple[np.ndarray, State]:
    r"""NAdam (Dozat, 2016): Adam with Nesterov's look-ahead in the first moment.

    With step :math:`t`, a momentum coefficient that warms up,
    :math:`\mu_t = \beta_1 (1 - \tfrac12 \cdot 0.96^{t\psi})`, and the product
    :math:`\Pi_t = \prod_{i \le t}\mu_i`:

    .. math::

        m &\leftarrow \beta_1 m + (1 - \beta_1)\, g, \qquad
        v \leftarrow \beta_2 v + (1 - \beta_2)\, g^2, \qquad
        d = \sqrt{v / (1 - \beta_2^t)} + \varepsilon \\
        \theta &\leftarrow \theta
            - \eta\,\frac{1 - \mu_t}{1 - \Pi_t}\,\frac{g}{d}
            - \eta\,\frac{\mu_{t+1}}{1 - \Pi_t\,\mu_{t+1}}\,\frac{m}{d}

    The step mixes this gradient with the momentum *as it will be after the next step*: the
    look-ahead of Nesterov momentum, inside Adam.

    Hyperparameters: ``lr`` :math:`\eta = 2\cdot10^{-3}`, ``betas`` (0.9, 0.999), ``eps``
    :math:`10^{-8}`, ``weight_decay`` :math:`\lambda = 0` (L2, or decoupled as in AdamW with
    ``decoupled_weight_decay``), ``momentum_decay`` :math:`\psi = 4\cdot10^{-3}`.

    State: ``step`` :math:`t`, ``mu_product`` :math:`\Pi_t`, ``exp_avg`` :math:`m`,
    ``exp_avg_sq`` :math:`v`.
    """
    beta1, beta2 = betas
    t = state.get("step", 0) + 1
    if decoupled_weight_decay:
        theta = theta * (1 - lr * weight_decay)
    else:
        grad = grad + weight_decay * theta
    mu = beta1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))
    mu_next = beta1 * (1 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))
    mu_product = state.get("mu_product", 1.0) * mu
    m = beta1 * state.get("exp_avg", 0.0) + (1 - beta1) * grad
    v = beta2 * state.get("exp_avg_sq", 0.0) + (1 - beta2) * grad**2
    d = np.sqrt(v / (1 - beta2**t)) + eps
    theta = theta - lr * (1 - mu) / (1 - mu_product) * grad / d
    theta = theta - lr * mu_next / (1 - mu_product * mu_next) * m / d
    return theta, {"step": t, "mu_product": mu_product, "exp_avg": m, "exp_avg_sq": v}


def radam(
    theta: np.ndarray,
    grad: np.ndarray,
    state: State,
    *,
    lr: float = 1e-3,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 0.0,
    decoupled_weight_decay: bool = False,
) -> tuple[np.ndarray, State]:
    r"""RAdam (Liu et al., 2020): Adam whose adaptive step is switched on only once the
    variance estimate can be trusted, and then scaled by a rectification factor.

    With :math:`\rho_\infty = 2/(1 - \beta_2) - 1` and
    :math:`\rho_t = \rho_\infty - 2t\beta_2^t/(1 - \beta_2^t)` (the length of the
    average that :math:`v` is, in effect, at step :math:`t`):

    .. math::

        m &\leftarrow \beta_1 m + (1 - \beta_1)\, g, \qquad
        v \leftarrow \beta_2 v + (1 - \beta_2)\, g^2, \qquad
        \hat m = m / (1 - \beta_1^t) \\
        \theta &\leftarrow \theta - \eta\, r_t\, \hat m\,
            \frac{\sqrt{1 - \beta_2^t}}{\sqrt{v} + \varepsilon}
            \quad\text{if } \rho_t > 5, \qquad
        \theta \leftarrow \theta - \eta\,\hat m \quad\text{otherwise}, \\
        r_t &= \sqrt{\frac{(\rho_t - 4)(\rho_t - 2)\,\rho_\infty}
                          {(\rho_\infty - 4)(\rho_\infty - 2)\,\rho_t}} .

    The first few steps are momentum SGD; :math:`r_t` then rises from near 0 towards 1 — a
    warmup of the adaptive step that comes from the variance of :math:`1/\sqrt{v}`, not from
    a schedule.

    Hyperparameters: ``lr`` :math:`10^{-3}`, ``betas`` (0.9, 0.999), ``eps`` :math:`10^{-8}`,
    ``weight_decay`` 0 (L2, or decoupled), ``decoupled_weight_decay`` False.

    State: ``step``, ``exp_avg`` :math:`m`, ``exp_avg_sq`` :math:`v`.
    """
    beta1, beta2 = betas
    t = state.get("step", 0) + 1
    if decoupled_weight_decay:
        theta = theta * (1 - lr * weight_decay)
    else:
        grad = grad + weight_decay * theta
    m = beta1 * state.get("exp_avg", 0.0) + (1 - beta1) * grad
    v = beta2 * state.get("exp_avg_sq", 0.0) + (1 - beta2) * grad**2
    m_hat = m / (1 - beta1**t)
    rho_inf = 2 / (1 - beta2) - 1
    rho_t = rho_inf - 2 * t * beta2**t / (1 - beta2**t)
    if rho_t > 5:
        r = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
        theta = theta - lr * r * m_hat * math.sqrt(1 - beta2**t) / (np.sqrt(v) + eps)
    else:
        theta = theta - lr * m_hat
    return theta, {"step": t, "exp_avg": m, "exp_avg_sq": v}


def adamax(
    theta: np.ndarray,
    grad: np.ndarray,
    state: State,
    *,
    lr: float = 2e-3,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 0.0,
) -> tuple[np.ndarray, State]:
    r"""Adamax (Kingma & Ba, 2015, section 7.1): Adam with the infinity norm in place of the
    root mean square.

    .. math::

        g &\leftarrow \nabla J(\theta) + \lambda\theta \\
        m &\leftarrow \beta_1 m + (1 - \beta_1)\, g, \qquad
        u \leftarrow \max(\beta_2 u,\ |g| + \varepsilon) \\
        \theta &\leftarrow \theta - \frac{\eta}{1 - \beta_1^t}\,\frac{m}{u}

    :math:`u` is a decaying maximum of :math:`|g|` — the limit of Adam's
    :math:`(\beta_2 v + (1-\beta_2)|g|^p)^{1/p}` as :math:`p \to \infty` — and needs no bias
    correction.

    Hyperparameters: ``lr`` :math:`2\cdot10^{-3}`, ``betas`` (0.9, 0.999), ``eps``
    :math:`10^{-8}`, ``weight_decay`` 0 (L2).

    State: ``step``, ``exp_avg`` :math:`m`, ``exp_inf`` :math:`u`.
    """
    beta1, beta2 = betas
    t = state.get("step", 0) + 1
    g = grad + weight_decay * theta
    m = beta1 * state.get("exp_avg", 0.0) + (1 - beta1) * g
    u = np.maximum(beta2 * state.get("exp_inf", 0.0), np.abs(g) + eps)
    theta = theta - lr / (1 - beta1**t) * m / u
    return theta, {"step": t, "exp_avg": m, "exp_inf": u}


def adafactor(
    theta: np.ndarray,
    grad: np.ndarray,
    state: State,
    *,
    lr: float = 1e-2,
    beta2_decay: float = -0.8,
    eps: tuple[float | None, float] = (None, 1e-3),
    d: float = 1.0,
    weight_decay: float = 0.0,
) -> tuple[np.ndarray, State]:
    r"""Adafactor (Shazeer & Stern, 2018), as PyTorch has it: a second moment stored as
    a row and a column instead of a matrix, a relative step size, and update clipping.

    For a matrix :math:`G` of shape :math:`(n, k)` (the last two axes of a larger array), with
    :math:`\hat\beta_{2,t} = 1 - t^{c}` (:math:`c` = ``beta2_decay``):

    .. math::

        R &\leftarrow \hat\beta_{2,t} R + (1 - \hat\beta_{2,t})\,
            \operatorname{mean}_{\text{cols}}(G^2) \quad (n \times 1) \\
        C &\leftarrow \hat\beta_{2,t} C + (1 - \hat\beta_{2,t})\,
            \operatorname{mean}_{\text{rows}}(G^2) \quad (1 \times k) \\
        \hat V &= R\,C / \max(\operatorname{mean}(R), \varepsilon_1)
            \qquad\text{(rank one: } n + k \text{ numbers, not } nk\text{)} \\
        U &= G / \sqrt{\max(\hat V, \varepsilon_1^2)}, \qquad
        \alpha = \max(\varepsilon_2, \operatorname{RMS}(\theta))\,\min(\eta, 1/\sqrt t) \\
        \theta &\leftarrow (1 - \eta\lambda)\,\theta
            - \frac{\alpha}{\max(1, \operatorname{RMS}(U)/d)}\, U

    A vector keeps its full second moment :math:`\hat V` (``variance``). There is no first
    moment: the state is about :math:`n + k` numbers per matrix where Adam keeps
    :math:`2nk`. :math:`\alpha` is a *relative* step: a fraction of the parameters' own RMS.

    Hyperparameters: ``lr`` :math:`\eta = 10^{-2}`, ``beta2_decay`` :math:`c = -0.8`, ``eps``
    :math:`(\varepsilon_1, \varepsilon_2) = ` (None: the dtype's machine epsilon,
    :math:`10^{-3}`), ``d`` 1 (the clipping threshold), ``weight_decay`` 0 (decoupled).

    State: ``step``; ``row_var`` :math:`R` and ``col_var`` :math:`C` for arrays of two or
    more axes, ``variance`` :math:`\hat V` for vectors.
    """
    eps1 = np.finfo(theta.dtype).eps if eps[0] is None else eps[0]
    eps2 = eps[1]
    t = state.get("step", 0) + 1
    keep = t**beta2_decay  # 1 − β̂₂: the share of the new gradient
    rms_theta = float(np.sqrt(np.mean(theta.astype(np.float64) ** 2))) if theta.size else 0.0
    alpha = max(eps2, rms_theta) * min(lr, 1 / math.sqrt(t))
    theta = theta * (1 - lr * weight_decay)
    g2 = grad**2
    if grad.ndim > 1:
        R = state.get("row_var", 0.0)
        C = state.get("col_var", 0.0)
        R = R + keep * (g2.mean(axis=-1, keepdims=True) - R)
        C = C + keep * (g2.mean(axis=-2, keepdims=True) - C)
        V = (R @ C) / np.maximum(R.mean(axis=-2, keepdims=True), eps1)
        new = {"step": t, "row_var": R, "col_var": C}
    else:
        V = state.get("variance", 0.0)
        V = V + keep * (g2 - V)
        new = {"step": t, "variance": V}
    U = grad / np.sqrt(np.maximum(V, eps1 * eps1))
    rms_u = float(np.sqrt(np.mean(U.astype(np.float64) ** 2))) if U.size else 0.0
    theta = theta - alpha / max(1.0, rms_u / d) * U
    return theta, new


def lion(
    theta: np.ndarray,
    grad: np.ndarray,
    state: State,
    *,
    lr: float = 1e-4,
    betas: tuple[float, float] = (0.9, 0.99),
    weight_decay: float = 0.0,
) -> tuple[np.ndarray, State]:
    r"""Lion (Chen et al., 2023, Algorithm 2): the *sign* of a momentum, with decoupled decay.

    .. math::

        c &= \beta_1 m + (1 - \beta_1)\, g \\
        \theta &\leftarrow \theta - \eta\,\big(\operatorname{sign}(c) + \lambda\theta\big) \\
        m &\leftarrow \beta_2 m + (1 - \beta_2)\, g

    Every coordinate moves by exactly :math:`\eta` (plus the decay): the update has the size
    of a sign vector, :math:`\eta\sqrt n` in norm, however large or small the gradient. The
    step interpolates with :math:`\beta_1`, the momentum is updated with a slower
    :math:`\beta_2`. Its :math:`\eta` is typically 3–10 times smaller than AdamW's.

    Hyperparameters: ``lr`` :math:`\eta = 10^{-4}`, ``betas`` (0.9, 0.99), ``weight_decay``
    :math:`\lambda = 0`.

    State: ``exp_avg`` :math:`m` — one buffer, where Adam keeps two.
    """
    beta1, beta2 = betas
    m = state.get("exp_avg", np.zeros_like(theta))
    c = beta1 * m + (1 - beta1) * grad
    theta = theta - lr * (np.sign(c) + weight_decay * theta)
    m = beta2 * m + (1 - beta2) * grad
    return theta, {"exp_avg": m}


def newton_schulz(
    G: np.ndarray,
    ns_coefficients: tuple[float, float, float] = NS_COEFFICIENTS,
    ns_steps: int = 5,
    eps: float = 1e-7,
) -> np.ndarray:
    r"""Approximately orthogonalize a matrix: :math:`G = U S V^\top \mapsto \approx U V^\top`.

    Scale :math:`X = G/\lVert G\rVert_F` (so every singular value is at most 1), then
    repeat ``ns_steps`` times the odd polynomial

    .. math::

        A = X X^\top, \qquad X \leftarrow a X + (b A + c A^2)\, X ,

    which maps each singular value :math:`\sigma` to :math:`a\sigma + b\sigma^3 + c\sigma^5`
    and leaves the singular vectors alone. With Muon's :math:`(a, b, c)` the small singular
    values grow fast (slope :math:`a \approx 3.4` at 0) and all end up between about 0.7
    and 1.2: not exactly :math:`UV^\top`, which works as well in practice and costs only
    matrix products. A tall matrix is transposed first, so that :math:`A` is the small Gram
    matrix.
    """
    a, b, c = ns_coefficients
    X = G.T if G.shape[0] > G.shape[1] else G
    X = X / max(np.linalg.norm(X), eps)
    for _ in range(ns_steps):
        A = X @ X.T
        X = a * X + (b * A + c * A @ A) @ X
    return X.T if G.shape[0] > G.shape[1] else X


def muon(
    theta: np.ndarray,
    grad: np.ndarray,
    state: State,
    *,
    lr: float = 1e-3,
    weight_decay: float = 0.1,
    momentum: float = 0.95,
    nesterov: bool = True,
    ns_coefficients: tuple[float, float, float] = NS_COEFFICIENTS,
    eps: float = 1e-7,
    ns_steps: int = 5,
    adjust_lr_fn: str | None = None,
) -> tuple[np.ndarray, State]:
    r"""Muon (Jordan et al., 2024): momentum, orthogonalized, for a weight matrix.

    .. math::

        B &\leftarrow \mu B + (1 - \mu)\, G \\
        \tilde B &= (1 - \mu)\, G + \mu B \ \text{(Nesterov)} \quad\text{or}\quad B \\
        O &= \operatorname{NS}(\tilde B) \approx U V^\top \quad
            (\tilde B = U S V^\top,\ :func:`newton_schulz`) \\
        \theta &\leftarrow (1 - \eta\lambda)\,\theta - \eta\,s\, O, \qquad
            s = \sqrt{\max(1, n/k)}

    (``adjust_lr_fn="match_rms_adamw"``: :math:`s = 0.2\sqrt{\max(n, k)}`.) The update keeps
    the momentum's singular *vectors* and sets all its singular *values* to about 1: every
    direction the momentum points along gets a step of the same size, the rare ones as much
    as the dominant one. It is defined for matrices — the hidden layers' weights; biases,
    gains, and the first and last layers go to another optimizer (an AdamW group).

    Hyperparameters (PyTorch's): ``lr`` :math:`10^{-3}`, ``weight_decay`` :math:`\lambda =
    0.1` (decoupled), ``momentum`` :math:`\mu = 0.95`, ``nesterov`` True,
    ``ns_coefficients`` (3.4445, −4.7750, 2.0315), ``eps`` :math:`10^{-7}`, ``ns_steps`` 5,
    ``adjust_lr_fn`` None ("original").

    State: ``momentum_buffer`` :math:`B`.
    """
    B = state.get("momentum_buffer", np.zeros_like(theta))
    B = momentum * B + (1 - momentum) * grad
    update = (1 - momentum) * grad + momentum * B if nesterov else B
    O = newton_schulz(update, ns_coefficients, ns_steps, eps)  # noqa: E741 (the paper's O)
    n, k = theta.shape
    if adjust_lr_fn == "match_rms_adamw":
        scale = 0.2 * math.sqrt(max(n, k))
    else:
        scale = math.sqrt(max(1.0, n / k))
    theta = theta * (1 - lr * weight_decay) - lr * scale * O
    return theta, {"momentum_buffer": B}


# --- the classes: each rule on the optimizer interface ------------------------------------


class _RuleOptimizer(Optimizer):
    """An optimizer whose step for one parameter is its rule, called as it is."""

    rule: Any

    def _update(self, param, grad, state, group, work):
        hyper = {k: v for k, v in group.items() if k != "params"}
        new_param, new_state = type(self).rule(param, grad, state, **hyper)
        param[...] = new_param
        state.clear()
        state.update(new_state)

    def _check_adam_like(self, group: dict[str, Any]) -> dict[str, Any]:
        name = self._name
        group = Optimizer._check_group(self, group)
        try:
            group["betas"] = _betas(group["betas"])
        except ValueError as error:
            raise ValueError(f"{name}: {error}") from None
        if "eps" in group:
            group["eps"] = _positive(group["eps"], f"{name}: eps")
        group["weight_decay"] = _at_least_zero(group["weight_decay"], f"{name}: weight_decay")
        if "decoupled_weight_decay" in group:
            group["decoupled_weight_decay"] = _flag(
                group["decoupled_weight_decay"], f"{name}: decoupled_weight_decay"
            )
        return group


class NAdam(_RuleOptimizer):
    r"""NAdam (Dozat, 2016): Adam with Nesterov momentum; the rule is :func:`nadam`.

    Parameters
    ----------
    params : list of numpy.ndarray or list of dict
    lr : float, default 2e-3
    betas : (float, float), default (0.9, 0.999)
    eps : float, default 1e-8
    weight_decay : float, default 0
    momentum_decay : float, default 4e-3
    decoupled_weight_decay : bool, default False

    Notes
    -----
    State: ``step`` (an int), ``mu_product`` (a float; PyTorch keeps a tensor of its default
    dtype, float32 unless changed), ``exp_avg``, ``exp_avg_sq``.
    """

    rule = staticmethod(nadam)

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum_decay: float = 4e-3,
        decoupled_weight_decay: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            momentum_decay=momentum_decay,
            decoupled_weight_decay=decoupled_weight_decay,
        )
        super().__init__(params, defaults)

    def _check_group(self, group):
        group = self._check_adam_like(group)
        group["momentum_decay"] = _at_least_zero(
            group["momentum_decay"], f"{self._name}: momentum_decay"
        )
        return group

    def _state_names(self, group):
        return ("step", "mu_product", "exp_avg", "exp_avg_sq")

    @staticmethod
    def _restore(name, value, param, where):
        if name == "mu_product":
            return float(np.asarray(value))
        return Optimizer._restore(name, value, param, where)


class RAdam(_RuleOptimizer):
    r"""RAdam (Liu et al., 2020): Adam with a rectified, self-warming adaptive step; the rule
    is :func:`radam`.

    Parameters
    ----------
    params : list of numpy.ndarray or list of dict
    lr : float, default 1e-3
    betas : (float, float), default (0.9, 0.999)
    eps : float, default 1e-8
    weight_decay : float, default 0
    decoupled_weight_decay : bool, default False

    Notes
    -----
    State: ``step`` (an int), ``exp_avg``, ``exp_avg_sq``.
    """

    rule = staticmethod(radam)

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        decoupled_weight_decay: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            decoupled_weight_decay=decoupled_weight_decay,
        )
        super().__init__(params, defaults)

    def _check_group(self, group):
        return self._check_adam_like(group)

    def _state_names(self, group):
        return ("step", "exp_avg", "exp_avg_sq")


class Adamax(_RuleOptimizer):
    r"""Adamax (Kingma & Ba, 2015): Adam with the infinity norm; the rule is :func:`adamax`.

    Parameters
    ----------
    params : list of numpy.ndarray or list of dict
    lr : float, default 2e-3
    betas : (float, float), default (0.9, 0.999)
    eps : float, default 1e-8
    weight_decay : float, default 0

    Notes
    -----
    State: ``step`` (an int), ``exp_avg``, ``exp_inf``.
    """

    rule = staticmethod(adamax)

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)
        super().__init__(params, defaults)

    def _check_group(self, group):
        return self._check_adam_like(group)

    def _state_names(self, group):
        return ("step", "exp_avg", "exp_inf")


class Adafactor(_RuleOptimizer):
    r"""Adafactor (Shazeer & Stern, 2018), PyTorch's version; the rule is :func:`adafactor`.

    Parameters
    ----------
    params : list of numpy.ndarray or list of dict
    lr : float, default 1e-2
    beta2_decay : float, default -0.8
        At most 0.
    eps : (float or None, float), default (None, 1e-3)
        :math:`\varepsilon_1` (None: the parameter dtype's machine epsilon) and
        :math:`\varepsilon_2`.
    d : float, default 1.0
        The update clipping threshold, at least 1.
    weight_decay : float, default 0

    Notes
    -----
    State: ``step`` (an int); ``row_var`` and ``col_var`` (shaped like the parameter with its
    last, respectively second-to-last, axis of length 1) for arrays of two or more axes,
    ``variance`` for vectors.
    """

    rule = staticmethod(adafactor)

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        beta2_decay: float = -0.8,
        eps: tuple[float | None, float] = (None, 1e-3),
        d: float = 1.0,
        weight_decay: float = 0.0,
    ) -> None:
        defaults = dict(lr=lr, beta2_decay=beta2_decay, eps=eps, d=d, weight_decay=weight_decay)
        super().__init__(params, defaults)

    def _check_group(self, group):
        name = self._name
        group = Optimizer._check_group(self, group)
        decay = _real(group["beta2_decay"], f"{name}: beta2_decay")
        if decay > 0:
            raise ValueError(f"{name}: beta2_decay must be at most 0; got {decay!r}")
        group["beta2_decay"] = decay
        eps = group["eps"]
        if not isinstance(eps, Sequence) or len(eps) != 2:
            raise ValueError(f"{name}: eps must be a pair (eps1 or None, eps2); got {eps!r}")
        eps1 = None if eps[0] is None else _at_least_zero(eps[0], f"{name}: eps[0]")
        group["eps"] = (eps1, _at_least_zero(eps[1], f"{name}: eps[1]"))
        d = _real(group["d"], f"{name}: d")
        if d < 1:
            raise ValueError(f"{name}: d must be at least 1; got {d!r}")
        group["d"] = d
        group["weight_decay"] = _at_least_zero(group["weight_decay"], f"{name}: weight_decay")
        return group

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """As :meth:`Optimizer.load_state_dict`; which buffers a parameter has depends on its
        number of axes, and ``row_var`` / ``col_var`` are not shaped like it."""
        where = "Adafactor.load_state_dict"
        restored = {}
        for index, buffers in state_dict["state"].items():
            if index not in range(len(self._params)):
                raise ValueError(f"{where}: state for unknown parameter index {index!r}")
            param = self._params[index]
            shapes = {"variance": param.shape}
            if param.ndim > 1:
                shapes = {
                    "row_var": (*param.shape[:-1], 1),
                    "col_var": (*param.shape[:-2], 1, param.shape[-1]),
                }
            if set(buffers) != {"step", *shapes}:
                raise ValueError(
                    f"{where}: the state of parameter {index} has {sorted(buffers)}; "
                    f"expected {sorted({'step', *shapes})}"
                )
            restored[index] = {"step": Optimizer._restore("step", buffers["step"], param, where)}
            for name, shape in shapes.items():
                array = np.array(buffers[name], dtype=param.dtype)
                if array.shape != shape:
                    raise ValueError(
                        f"{where}: {name} of parameter {index} has shape {array.shape}; "
                        f"expected {shape}"
                    )
                restored[index][name] = array
        Optimizer.load_state_dict(self, {"state": {}, "param_groups": state_dict["param_groups"]})
        self.state = restored


class Lion(_RuleOptimizer):
    r"""Lion (Chen et al., 2023): sign momentum; the rule is :func:`lion`.

    Not in ``torch.optim``; the signature follows the paper's reference code and PyTorch's
    naming.

    Parameters
    ----------
    params : list of numpy.ndarray or list of dict
    lr : float, default 1e-4
    betas : (float, float), default (0.9, 0.99)
    weight_decay : float, default 0

    Notes
    -----
    State: ``exp_avg``.
    """

    rule = staticmethod(lion)

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-4,
        betas: tuple[float, float] = (0.9, 0.99),
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, dict(lr=lr, betas=betas, weight_decay=weight_decay))

    def _check_group(self, group):
        return self._check_adam_like(group)

    def _state_names(self, group):
        return ("exp_avg",)


class Muon(_RuleOptimizer):
    r"""Muon (Jordan et al., 2024): orthogonalized momentum for weight matrices; the rule is
    :func:`muon`.

    Every parameter must be a matrix (2-D), as in PyTorch: build Muon on the hidden layers'
    weights and another optimizer (usually AdamW) on the rest, and step both.

    Parameters
    ----------
    params : list of numpy.ndarray or list of dict
    lr : float, default 1e-3
    weight_decay : float, default 0.1
    momentum : float, default 0.95
    nesterov : bool, default True
    ns_coefficients : (float, float, float), default (3.4445, -4.7750, 2.0315)
    eps : float, default 1e-7
    ns_steps : int, default 5
    adjust_lr_fn : {None, "original", "match_rms_adamw"}, default None

    Notes
    -----
    PyTorch runs the Newton–Schulz iteration in bfloat16 (8 bits of mantissa), which NumPy
    lacks; here it runs in the parameters' own precision. State: ``momentum_buffer``.

    Raises
    ------
    ValueError
        If a parameter is not 2-D.
    """

    rule = staticmethod(muon)

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        weight_decay: float = 0.1,
        momentum: float = 0.95,
        nesterov: bool = True,
        ns_coefficients: tuple[float, float, float] = NS_COEFFICIENTS,
        eps: float = 1e-7,
        ns_steps: int = 5,
        adjust_lr_fn: str | None = None,
    ) -> None:
        defaults = dict(
            lr=lr,
            weight_decay=weight_decay,
            momentum=momentum,
            nesterov=nesterov,
            ns_coefficients=ns_coefficients,
            eps=eps,
            ns_steps=ns_steps,
            adjust_lr_fn=adjust_lr_fn,
        )
        super().__init__(params, defaults)

    def _check_param(self, array, index):
        super()._check_param(array, index)
        if array.ndim != 2:
            raise ValueError(
                f"Muon: params[{index}] has shape {array.shape}; Muon updates matrices (2-D) "
                "only: give biases and other parameters to another optimizer, e.g. AdamW"
            )

    def _check_group(self, group):
        name = self._name
        group = Optimizer._check_group(self, group)
        group["weight_decay"] = _at_least_zero(group["weight_decay"], f"{name}: weight_decay")
        group["momentum"] = _in_unit_interval(group["momentum"], f"{name}: momentum")
        group["nesterov"] = _flag(group["nesterov"], f"{name}: nesterov")
        coefficients = group["ns_coefficients"]
        if not isinstance(coefficients, Sequence) or len(coefficients) != 3:
            raise ValueError(f"{name}: ns_coefficients must be (a, b, c); got {coefficients!r}")
        group["ns_coefficients"] = tuple(
            _real(c, f"{name}: ns_coefficients[{i}]") for i, c in enumerate(coefficients)
        )
        group["eps"] = _positive(group["eps"], f"{name}: eps")
        steps = group["ns_steps"]
        if isinstance(steps, bool) or not isinstance(steps, int) or not 0 <= steps < 100:
            raise ValueError(f"{name}: ns_steps must be an int in [0, 100); got {steps!r}")
        if group["adjust_lr_fn"] not in (None, "original", "match_rms_adamw"):
            raise ValueError(
                f"{name}: adjust_lr_fn must be None, 'original' or 'match_rms_adamw'; "
                f"got {group['adjust_lr_fn']!r}"
            )
        return group

    def _state_names(self, group):
        return ("momentum_buffer",)


# --- Muon and AdamW together --------------------------------------------------------------


class Combined:
    r"""Several optimizers stepped as one, each on its own share of the parameters.

    ``Combined(params, [(indices, make), ...])`` builds ``make([params[i] for i in
    indices])`` for each share; :meth:`step` hands each optimizer its share of ``grads``.
    ``param_groups`` lists every optimizer's groups (so :func:`~companion.training.fit` sees
    that every parameter is optimized); ``optimizers`` the optimizers themselves.

    Examples
    --------
    >>> from companion.optim import SGD
    >>> a, b = np.ones(2), np.ones(2)
    >>> opt = Combined([a, b], [([0], lambda p: SGD(p, lr=0.1)), ([1], lambda p: SGD(p, lr=1.0))])
    >>> opt.step([np.ones(2), np.ones(2)])
    >>> a, b
    (array([0.9, 0.9]), array([0., 0.]))
    """

    def __init__(self, params: Sequence[np.ndarray], shares: Sequence[tuple[Sequence[int], Any]]):
        self.params = list(params)
        taken = sorted(i for indices, _ in shares for i in indices)
        if taken != list(range(len(self.params))):
            raise ValueError(
                "Combined: every parameter must be in exactly one share; the shares hold "
                f"indices {taken} of {len(self.params)} parameters"
            )
        self.shares = [
            (list(indices), make([self.params[i] for i in indices])) for indices, make in shares
        ]
        self.optimizers = [opt for _, opt in self.shares]
        self.param_groups = [group for opt in self.optimizers for group in opt.param_groups]

    def step(self, grads: Sequence[np.ndarray]) -> None:
        """Step every optimizer with its share of ``grads`` (one per parameter, in order)."""
        if len(grads) != len(self.params):
            raise ValueError(
                f"Combined.step: got {len(grads)} gradient(s) for {len(self.params)} parameter(s)"
            )
        for indices, opt in self.shares:
            opt.step([grads[i] for i in indices])

    @property
    def state(self) -> list[dict[int, dict[str, Any]]]:
        """Each optimizer's state, in the order of the shares."""
        return [opt.state for opt in self.optimizers]


def muon_with_adamw(
    params: Sequence[np.ndarray],
    lr: float = 0.02,
    momentum: float = 0.95,
    weight_decay: float = 0.0,
    adamw_lr: float = 1e-3,
    adamw_weight_decay: float = 0.0,
) -> Combined:
    r"""Muon on the hidden layers' weight matrices, AdamW on everything else — the usual way
    to train with Muon (Jordan et al., 2024).

    The *hidden* matrices are the 2-D parameters except the first and the last (for an
    :func:`~companion.layers.mlp`: every ``W`` but the input layer's and the output layer's).
    The input layer maps features of very different meaning, the output layer produces the
    logits, and biases and normalization gains are vectors: none of these is a map between
    hidden representations whose directions should all move at one speed, so they get AdamW.

    Examples
    --------
    >>> from companion.layers import mlp
    >>> model = mlp([4, 8, 8, 3], seed=0)
    >>> opt = muon_with_adamw(model.params)
    >>> [type(o).__name__ for o in opt.optimizers], [len(i) for i, _ in opt.shares]
    (['Muon', 'AdamW'], [1, 5])
    """
    params = list(params)
    matrices = [i for i, p in enumerate(params) if p.ndim == 2]
    hidden = matrices[1:-1]
    if not hidden:
        raise ValueError(
            f"muon_with_adamw: Muon needs hidden weight matrices; the {len(matrices)} matrices "
            "here are only the first and the last layer's"
        )
    rest = [i for i in range(len(params)) if i not in hidden]

    def make_muon(p):
        return Muon(p, lr=lr, momentum=momentum, weight_decay=weight_decay)

    def make_adamw(p):
        from .optim import AdamW

        return AdamW(p, lr=adamw_lr, weight_decay=adamw_weight_decay)

    return Combined(params, [(hidden, make_muon), (rest, make_adamw)])
