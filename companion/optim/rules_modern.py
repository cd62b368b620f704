r"""Chapter 9's update rules, the optimizers of today, each as a small pure function.

They have the form of the rules of :mod:`companion.optim.rules` (Chapters 5 and 6),
``theta, state = rule(theta, grad, state, **hyperparameters)``, with PyTorch's names and
defaults; the classes of :mod:`companion.optim.optimizers_modern` step with them.

>>> theta, state = np.array([1.0, -2.0]), {}
>>> for _ in range(3):
...     theta, state = lion(theta, grad=theta, state=state, lr=0.1)
>>> theta                                         # every coordinate moves by lr, whatever |g|
array([ 0.7, -1.7])
"""

from __future__ import annotations

import math

import numpy as np

from .rules import Array, State, Step

__all__ = [  # in the chapter's order
    "nadam",
    "radam",
    "adamax",
    "adafactor",
    "lion",
    "newton_schulz",
    "muon",
]

#: Muon's Newton–Schulz coefficients (a, b, c), PyTorch's and Jordan et al.'s.
NS_COEFFICIENTS = (3.4445, -4.7750, 2.0315)


def nadam(theta: Array, grad: Array, state: State, *, lr: float = 2e-3,
          betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
          weight_decay: float = 0.0, momentum_decay: float = 4e-3,
          decoupled_weight_decay: bool = False) -> Step:  # fmt: skip
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


def radam(theta: Array, grad: Array, state: State, *, lr: float = 1e-3,
          betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
          weight_decay: float = 0.0, decoupled_weight_decay: bool = False) -> Step:  # fmt: skip
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


def adamax(theta: Array, grad: Array, state: State, *, lr: float = 2e-3,
           betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
           weight_decay: float = 0.0) -> Step:  # fmt: skip
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


def adafactor(theta: Array, grad: Array, state: State, *, lr: float = 1e-2,
              beta2_decay: float = -0.8, eps: tuple[float | None, float] = (None, 1e-3),
              d: float = 1.0, weight_decay: float = 0.0) -> Step:  # fmt: skip
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


def lion(theta: Array, grad: Array, state: State, *, lr: float = 1e-4,
         betas: tuple[float, float] = (0.9, 0.99), weight_decay: float = 0.0) -> Step:  # fmt: skip
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
    # ‖X‖ as s · ‖X / s‖, s the largest |entry|: no entry is squared past overflow
    s = float(np.abs(X).max()) if X.size else 0.0
    X = X / max(s * float(np.linalg.norm(X / s)) if s > 0 else 0.0, eps)
    for _ in range(ns_steps):
        A = X @ X.T
        X = a * X + (b * A + c * A @ A) @ X
    return X.T if G.shape[0] > G.shape[1] else X


def muon(theta: Array, grad: Array, state: State, *, lr: float = 1e-3,
         weight_decay: float = 0.1, momentum: float = 0.95, nesterov: bool = True,
         ns_coefficients: tuple[float, float, float] = NS_COEFFICIENTS, eps: float = 1e-7,
         ns_steps: int = 5, adjust_lr_fn: str | None = None) -> Step:  # fmt: skip
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
