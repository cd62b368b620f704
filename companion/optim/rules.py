r"""The update rules, each as a small pure function: the lesson of Chapters 5 and 6.

Every rule has the same form, ``theta, state = rule(theta, grad, state, **hyperparameters)``:
given the parameters :math:`\theta`, the gradient :math:`g = \nabla J(\theta)` and the state
the rule keeps between steps (a dict, empty before the first step), it returns the new
parameters and the new state. Nothing is changed in place; each line is a line of the
formula in the docstring. The hyperparameters have PyTorch's names and defaults, and the
state PyTorch's names (``momentum_buffer``, ``exp_avg``, ...), so the classes of
:mod:`companion.optim.optimizers`, which do the same in place and fast, can hand their state
to PyTorch and back; tests pin them equal to these functions.

Chapter 9's rules (NAdam, RAdam, Adamax, Adafactor, Lion, Muon) have the same form and are
in :mod:`companion.optim.rules_modern`.

>>> theta, state = np.array([1.0, -2.0]), {}
>>> for _ in range(3):
...     theta, state = sgd(theta, grad=theta, state=state, lr=0.1, momentum=0.9)
>>> theta, state["momentum_buffer"]
(array([ 0.486, -0.972]), array([ 2.34, -4.68]))
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [  # in the chapters' order
    "sgd",
    "adagrad",
    "rmsprop",
    "adadelta",
    "adam",
    "adamw",
]

Array = np.ndarray
State = dict[str, Any]
Step = tuple[Array, State]  # what a rule returns: the new parameters and state


def sgd(theta: Array, grad: Array, state: State, *, lr: float = 1e-3,
        momentum: float = 0.0, dampening: float = 0.0, weight_decay: float = 0.0,
        nesterov: bool = False) -> Step:  # fmt: skip
    r"""Stochastic gradient descent, with optional momentum (Polyak 1964; Nesterov 1983).

    .. math::

        g &\leftarrow \nabla J(\theta) + \lambda\theta \\
        b &\leftarrow \beta b + (1 - \tau)\, g
            \qquad (b \leftarrow g \text{ on the first step}) \\
        \theta &\leftarrow \theta - \eta\, (g + \beta b) \ \text{(Nesterov)}
            \quad\text{or}\quad \theta \leftarrow \theta - \eta\, b

    Without momentum (:math:`\beta = 0`) it is plain gradient descent,
    :math:`\theta \leftarrow \theta - \eta g`. The buffer :math:`b` is Polyak's heavy ball in
    PyTorch's form, the same method as
    :math:`\theta_{k+1} = \theta_k - \eta\nabla J(\theta_k) + \beta(\theta_k - \theta_{k-1})`;
    Nesterov's look-ahead steps along the gradient plus the *updated* buffer.

    Hyperparameters: ``lr`` :math:`\eta = 10^{-3}`, ``momentum`` :math:`\beta = 0`,
    ``dampening`` :math:`\tau = 0`, ``weight_decay`` :math:`\lambda = 0` (L2), ``nesterov``
    False (needs momentum and no dampening).

    State: ``momentum_buffer`` :math:`b`, only with momentum.
    """
    g = grad + weight_decay * theta
    if momentum == 0:
        return theta - lr * g, {}
    b = state.get("momentum_buffer")
    b = g if b is None else momentum * b + (1 - dampening) * g
    step = g + momentum * b if nesterov else b
    return theta - lr * step, {"momentum_buffer": b}


def adagrad(theta: Array, grad: Array, state: State, *, lr: float = 1e-2,
            lr_decay: float = 0.0, weight_decay: float = 0.0,
            initial_accumulator_value: float = 0.0,
            eps: float = 1e-10) -> Step:  # fmt: skip
    r"""AdaGrad (Duchi et al., 2011): divide each coordinate's step by the root of the sum of
    all its squared gradients so far.

    With step number :math:`t = 1, 2, \dots` and every operation element-wise:

    .. math::

        g &\leftarrow \nabla J(\theta) + \lambda\theta \\
        s &\leftarrow s + g^2 \\
        \theta &\leftarrow \theta - \frac{\eta}{1 + (t - 1)\,\delta}\,
            \frac{g}{\sqrt{s} + \varepsilon}

    The sum :math:`s` only grows, so each coordinate's effective rate only shrinks — like
    :math:`1/\sqrt t` when the gradients keep their size.

    Hyperparameters: ``lr`` :math:`\eta = 10^{-2}`, ``lr_decay`` :math:`\delta = 0`,
    ``weight_decay`` :math:`\lambda = 0` (L2), ``initial_accumulator_value`` (:math:`s` at the
    start) 0, ``eps`` :math:`\varepsilon = 10^{-10}`.

    State: ``step`` :math:`t` and ``sum`` :math:`s`.
    """
    t = state.get("step", 0) + 1
    s = state.get("sum", np.full_like(theta, initial_accumulator_value))
    g = grad + weight_decay * theta
    s = s + g**2
    theta = theta - lr / (1 + (t - 1) * lr_decay) * g / (np.sqrt(s) + eps)
    return theta, {"step": t, "sum": s}


def rmsprop(theta: Array, grad: Array, state: State, *, lr: float = 1e-2,
            alpha: float = 0.99, eps: float = 1e-8, weight_decay: float = 0.0,
            momentum: float = 0.0, centered: bool = False) -> Step:  # fmt: skip
    r"""RMSProp (Tieleman & Hinton, 2012): divide each coordinate's step by a running root
    mean square of its recent gradients.

    .. math::

        g &\leftarrow \nabla J(\theta) + \lambda\theta \\
        v &\leftarrow \alpha v + (1 - \alpha)\, g^2 \\
        d &= \sqrt{v} + \varepsilon
            \quad\text{or, centered,}\quad
            \bar g \leftarrow \alpha \bar g + (1 - \alpha)\, g, \ \
            d = \sqrt{v - \bar g^2} + \varepsilon \\
        \theta &\leftarrow \theta - \eta\, g / d
            \quad\text{or, with momentum,}\quad
            b \leftarrow \beta b + g / d, \ \ \theta \leftarrow \theta - \eta\, b

    Unlike AdaGrad's sum, the average :math:`v` forgets (over about :math:`1/(1-\alpha)`
    steps), so the step does not shrink for good.

    Hyperparameters: ``lr`` :math:`\eta = 10^{-2}`, ``alpha`` :math:`\alpha = 0.99`, ``eps``
    :math:`\varepsilon = 10^{-8}`, ``weight_decay`` :math:`\lambda = 0` (L2), ``momentum``
    :math:`\beta = 0`, ``centered`` False.

    State: ``step``, ``square_avg`` :math:`v`; ``grad_avg`` :math:`\bar g` if centered;
    ``momentum_buffer`` :math:`b` with momentum. All start at 0.
    """
    zeros = np.zeros_like(theta)
    g = grad + weight_decay * theta
    v = alpha * state.get("square_avg", zeros) + (1 - alpha) * g**2
    new = {"step": state.get("step", 0) + 1, "square_avg": v}
    if centered:
        g_avg = alpha * state.get("grad_avg", zeros) + (1 - alpha) * g
        new["grad_avg"] = g_avg
        d = np.sqrt(v - g_avg**2) + eps
    else:
        d = np.sqrt(v) + eps
    step = g / d
    if momentum > 0:
        step = momentum * state.get("momentum_buffer", zeros) + step
        new["momentum_buffer"] = step
    return theta - lr * step, new


def adadelta(theta: Array, grad: Array, state: State, *, lr: float = 1.0,
             rho: float = 0.9, eps: float = 1e-6,
             weight_decay: float = 0.0) -> Step:  # fmt: skip
    r"""Adadelta (Zeiler, 2012): RMSProp whose step has the units of the parameters.

    .. math::

        g &\leftarrow \nabla J(\theta) + \lambda\theta \\
        v &\leftarrow \rho v + (1 - \rho)\, g^2 \\
        \Delta &= \frac{\sqrt{u + \varepsilon}}{\sqrt{v + \varepsilon}}\, g \\
        u &\leftarrow \rho u + (1 - \rho)\, \Delta^2 \\
        \theta &\leftarrow \theta - \eta\, \Delta

    :math:`u` averages the squared *steps*, so :math:`\sqrt{u}/\sqrt{v}` turns a gradient into
    a step in the parameters' units: no learning rate is needed (PyTorch keeps :math:`\eta` as
    a multiplier). :math:`u` starts at 0, so the first steps have the size
    :math:`\sqrt\varepsilon`.

    Hyperparameters: ``lr`` :math:`\eta = 1`, ``rho`` :math:`\rho = 0.9`, ``eps``
    :math:`\varepsilon = 10^{-6}`, ``weight_decay`` :math:`\lambda = 0` (L2).

    State: ``step``, ``square_avg`` :math:`v` and ``acc_delta`` :math:`u`, from 0.
    """
    zeros = np.zeros_like(theta)
    u = state.get("acc_delta", zeros)
    g = grad + weight_decay * theta
    v = rho * state.get("square_avg", zeros) + (1 - rho) * g**2
    delta = np.sqrt(u + eps) / np.sqrt(v + eps) * g
    u = rho * u + (1 - rho) * delta**2
    theta = theta - lr * delta
    return theta, {"step": state.get("step", 0) + 1, "square_avg": v, "acc_delta": u}


def adam(theta: Array, grad: Array, state: State, *, lr: float = 1e-3,
         betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
         weight_decay: float = 0.0, amsgrad: bool = False,
         decoupled_weight_decay: bool = False) -> Step:  # fmt: skip
    r"""Adam (Kingma & Ba, 2015): momentum on the gradient, RMSProp's scaling, bias correction.

    With step number :math:`t = 1, 2, \dots` and every operation element-wise:

    .. math::

        g &\leftarrow \nabla J(\theta) + \lambda\theta
            \quad\text{(or, decoupled: } \theta \leftarrow (1 - \eta\lambda)\,\theta\text{)} \\
        m &\leftarrow \beta_1 m + (1 - \beta_1)\, g \\
        v &\leftarrow \beta_2 v + (1 - \beta_2)\, g^2 \\
        \hat m &= m / (1 - \beta_1^t), \qquad \hat v = v / (1 - \beta_2^t) \\
        \theta &\leftarrow \theta - \eta\, \frac{\hat m}{\sqrt{\hat v} + \varepsilon}

    :math:`m` and :math:`v` start at 0, so early on they underestimate the gradient's mean and
    mean square, by :math:`1 - \beta_1^t` and :math:`1 - \beta_2^t` when the gradient is
    constant; the *bias correction* divides these out. AMSGrad (Reddi, Kale & Kumar, 2018)
    divides by the largest :math:`v` so far, :math:`v_{\max} \leftarrow \max(v_{\max}, v)`.

    Hyperparameters: ``lr`` :math:`\eta = 10^{-3}`, ``betas``
    :math:`(\beta_1, \beta_2) = (0.9, 0.999)`, ``eps`` :math:`\varepsilon = 10^{-8}`,
    ``weight_decay`` :math:`\lambda = 0`, ``amsgrad`` False, ``decoupled_weight_decay`` False
    (True is AdamW).

    State: ``step`` :math:`t`, ``exp_avg`` :math:`m`, ``exp_avg_sq`` :math:`v` (uncorrected,
    from 0); ``max_exp_avg_sq`` :math:`v_{\max}` with ``amsgrad``.
    """
    beta1, beta2 = betas
    t = state.get("step", 0) + 1
    if decoupled_weight_decay:
        theta = theta * (1 - lr * weight_decay)
    else:
        grad = grad + weight_decay * theta
    m = beta1 * state.get("exp_avg", 0.0) + (1 - beta1) * grad
    v = beta2 * state.get("exp_avg_sq", 0.0) + (1 - beta2) * grad**2
    new = {"step": t, "exp_avg": m, "exp_avg_sq": v}
    if amsgrad:
        v = new["max_exp_avg_sq"] = np.maximum(state.get("max_exp_avg_sq", v), v)
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    return theta - lr * m_hat / (np.sqrt(v_hat) + eps), new


def adamw(theta: Array, grad: Array, state: State, *, lr: float = 1e-3,
          betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
          weight_decay: float = 1e-2, amsgrad: bool = False) -> Step:  # fmt: skip
    r"""AdamW (Loshchilov & Hutter, 2019): :func:`adam` with decoupled weight decay.

    Before Adam's step every parameter shrinks by the same factor,
    :math:`\theta \leftarrow (1 - \eta\lambda)\,\theta`, instead of :math:`\lambda\theta` being
    added to the gradient (where it would be divided by :math:`\sqrt{\hat v}`, so that how
    strongly a weight decays would depend on its gradients).

    Hyperparameters: :func:`adam`'s, but ``weight_decay`` :math:`\lambda = 10^{-2}`. State:
    :func:`adam`'s.
    """
    hyper = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay}
    return adam(theta, grad, state, **hyper, amsgrad=amsgrad, decoupled_weight_decay=True)
