r"""The optimizers: each a rule of :mod:`companion.optim.rules` with ``torch.optim``'s interface.

Each class takes its rule's hyperparameters (PyTorch's names and defaults) and keeps its
state under the rule's (PyTorch's) names. Its ``_update`` is the rule written in place —
``*=``, ``+=`` and NumPy's ``out=`` into scratch arrays made once — so that a step allocates
nothing parameter-sized; the tests pin every one equal to its rule, and to PyTorch.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import rules
from .base import Optimizer

__all__ = [
    "SGD",
    "Adadelta",
    "Adagrad",
    "Adam",
    "AdamW",
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
