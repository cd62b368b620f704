r"""Optimizers with one small interface, modelled on ``torch.optim`` (Chapters 5 and 6).

Every optimizer is built from the list of parameter arrays it will update and its
hyperparameters — with PyTorch's names and defaults, so that what you learn here transfers —
and has the same three methods:

- ``step(grads)`` updates every parameter **in place**, given one gradient array per parameter
  (for a model from :mod:`companion.layers`: ``opt.step(model.grads)``);
- ``state_dict()`` returns everything needed to resume: the hyperparameters of each group in
  ``param_groups`` and, in ``state``, each parameter's buffers, keyed by the parameter's index
  and named as PyTorch names them (``momentum_buffer``, ``exp_avg``, ``exp_avg_sq``, ``step``,
  ...);
- ``load_state_dict(sd)`` restores it, so a run can be checkpointed and resumed exactly.

Each update rule is a few lines, ``_update(param, grad, state, group, work)``, matching the
formula in its class's docstring. It works in place: buffers are updated with ``*=`` and
``+=`` and NumPy's ``out=`` arguments, and the intermediate results go into ``work``, a few
parameter-sized scratch arrays allocated on the first step and reused ever after. Nothing
parameter-sized is allocated per step.

>>> import numpy as np
>>> theta = np.array([1.0, -2.0])                 # J = ||theta||^2 / 2, so grad J = theta
>>> opt = Adam([theta], lr=0.1)
>>> for _ in range(100):
...     opt.step([theta.copy()])
>>> bool(np.linalg.norm(theta) < 0.05), opt.state[0]["step"], sorted(opt.state[0])
(True, 100, ['exp_avg', 'exp_avg_sq', 'step'])

The module also has what the chapters use to study the optimizers: :func:`minimize` runs any
of them on a loss with a known gradient (the loop of :func:`companion.descent.gradient_descent`,
with its stopping rules and its divergence report), and :func:`momentum_rate` gives the
convergence factor of momentum on a quadratic in closed form.
"""

from __future__ import annotations

import copy
import itertools
import math
import numbers
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from ._validate import as_float_array, positive_number
from .descent import DescentResult, descend
from .schedules import set_lr

__all__ = [
    "SGD",
    "Adadelta",
    "Adagrad",
    "Adam",
    "AdamW",
    "Optimizer",
    "RMSprop",
    "minimize",
    "momentum_rate",
    "optimal_momentum",
]

#: Switches of PyTorch's optimizers that choose an implementation (or maximize), not the
#: algorithm; a PyTorch state dict may carry them, at these values, and still load here.
_TORCH_ONLY = {
    "foreach": None,
    "fused": None,
    "capturable": False,
    "differentiable": False,
    "maximize": False,
}


# --- checks on hyperparameters ------------------------------------------------------------------


def _real(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite real number; got {value!r}")
    return float(value)


def _at_least_zero(value: object, name: str) -> float:
    value = _real(value, name)
    if value < 0:
        raise ValueError(f"{name} must be at least 0; got {value!r}")
    return value


def _in_unit_interval(value: object, name: str, include_one: bool = False) -> float:
    value = _real(value, name)
    if not (0 <= value <= 1 if include_one else 0 <= value < 1):
        interval = "[0, 1]" if include_one else "[0, 1)"
        raise ValueError(f"{name} must be in {interval}; got {value!r}")
    return value


def _positive(value: object, name: str) -> float:
    value = _real(value, name)
    if value <= 0:
        raise ValueError(f"{name} must be positive; got {value!r}")
    return value


def _flag(value: object, name: str) -> bool:
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"{name} must be True or False; got {value!r}")
    return bool(value)


def _betas(value: object) -> tuple[float, float]:
    if not isinstance(value, Sequence) or len(value) != 2:
        raise ValueError(f"betas must be a pair (beta1, beta2); got {value!r}")
    return (
        _in_unit_interval(value[0], "betas[0] (beta1)"),
        _in_unit_interval(value[1], "betas[1] (beta2)"),
    )


# --- the interface ------------------------------------------------------------------------------


class _Scratch:
    """Parameter-sized work arrays for one parameter: made on first use, then reused."""

    def __init__(self, like: np.ndarray) -> None:
        self._like = like
        self._arrays: list[np.ndarray] = []

    def __getitem__(self, k: int) -> np.ndarray:
        while len(self._arrays) <= k:
            self._arrays.append(np.empty_like(self._like))
        return self._arrays[k]


class Optimizer:
    r"""What every optimizer shares: parameter groups, per-parameter state, ``step`` and
    checkpoints.

    A subclass sets its hyperparameters' defaults, checks them in ``_check_group``, and writes
    one method, ``_update(param, grad, state, group, work)``: the update rule for one
    parameter array. :meth:`step` checks the gradients first and only then calls it for
    every parameter, so a bad call changes nothing.

    Unlike ``torch.optim``, there is no ``zero_grad``: PyTorch accumulates gradients into
    ``param.grad`` and must be told to clear them, while here the gradients are passed to
    :meth:`step` as arguments (the layers of :mod:`companion.layers` overwrite their ``grads``
    on every backward pass), so there is nothing to clear.

    Parameters
    ----------
    params : list of numpy.ndarray, or list of dict
        The arrays to optimize (float32 or float64, updated in place), or parameter groups:
        dicts with a ``"params"`` list and any hyperparameters that differ from the defaults
        (as in PyTorch).
    defaults : dict
        The hyperparameters of every group that does not set its own.

    Attributes
    ----------
    param_groups : list of dict
        Each group's ``"params"`` (the arrays themselves) and hyperparameters. Change a group's
        ``"lr"`` between steps to follow a learning-rate schedule.
    state : dict of int to dict
        Each parameter's buffers, keyed by its index in the order the parameters were given
        (across groups). Empty until the parameter's first step, except for :class:`Adagrad`.
    defaults : dict

    Raises
    ------
    TypeError
        If a parameter is not a floating-point NumPy array.
    ValueError
        If there are no parameters, one is given twice (or overlaps another), one is read-only
        or not finite, or a hyperparameter is out of range.
    """

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        self.defaults = dict(defaults)
        self.param_groups: list[dict[str, Any]] = []
        self.state: dict[int, dict[str, Any]] = {}
        self._params: list[np.ndarray] = []
        self._work: list[_Scratch] = []
        if isinstance(params, np.ndarray):
            raise TypeError(
                f"{self._name}: params must be a list of arrays, e.g. [theta] or model.params; "
                "got a single array"
            )
        params = list(params)
        if not params:
            raise ValueError(f"{self._name}: params is empty; there is nothing to optimize")
        groups = params if all(isinstance(p, dict) for p in params) else [{"params": params}]
        for group in groups:
            self.add_param_group(group)

    @property
    def _name(self) -> str:
        return type(self).__name__

    def add_param_group(self, group: dict[str, Any]) -> None:
        """Add a group of parameters, with hyperparameters of its own or the defaults."""
        if not isinstance(group, dict) or "params" not in group:
            raise TypeError(f"{self._name}: a parameter group is a dict with a 'params' list")
        arrays = group["params"]
        arrays = [arrays] if isinstance(arrays, np.ndarray) else list(arrays)
        for array in arrays:
            self._check_param(array, len(self._params))
            self._params.append(array)
            self._work.append(_Scratch(array))
        unknown = set(group) - set(self.defaults) - {"params"}
        if unknown:
            raise ValueError(
                f"{self._name}: unknown hyperparameter(s) {sorted(unknown)}; "
                f"it has {sorted(self.defaults)}"
            )
        full = {**self.defaults, **{k: v for k, v in group.items() if k != "params"}}
        full = self._check_group(full)
        full["params"] = arrays
        self.param_groups.append(full)

    def _check_param(self, array: object, index: int) -> None:
        where = f"{self._name}: params[{index}]"
        if not isinstance(array, np.ndarray):
            raise TypeError(
                f"{where} must be a NumPy array the optimizer can update in place; "
                f"got {type(array).__name__}"
            )
        if array.dtype not in (np.float32, np.float64):
            raise TypeError(f"{where} must be float32 or float64; got dtype {array.dtype}")
        if not array.flags.writeable:
            raise ValueError(f"{where} is read-only; the optimizer updates parameters in place")
        if not np.all(np.isfinite(array)):
            raise ValueError(f"{where} must contain only finite values; got nan or inf")
        for j, other in enumerate(self._params):
            if np.shares_memory(array, other):
                raise ValueError(
                    f"{where} is the same array as params[{j}] (or overlaps it): "
                    "each parameter may appear only once"
                )

    def _check_group(self, group: dict[str, Any]) -> dict[str, Any]:
        """Check (and normalize) one group's hyperparameters; subclasses extend this."""
        group["lr"] = _at_least_zero(group["lr"], f"{self._name}: lr")
        return group

    # -- one step ---------------------------------------------------------------------------

    def step(self, grads: Sequence[np.ndarray]) -> None:
        """Update every parameter in place, given one gradient array per parameter.

        Parameters
        ----------
        grads : list of numpy.ndarray
            In the order of the parameters (``model.grads`` for ``model.params``); each has
            its parameter's shape and dtype and is finite. They are only read.

        Raises
        ------
        TypeError, ValueError
            If ``grads`` is not a list of that many arrays, or one has the wrong shape or
            dtype or is not finite. Nothing is changed then: neither a parameter nor the state.
            (PyTorch takes a step with a nan or inf gradient; it reaches the parameters.)
        """
        grads = self._check_grads(grads)
        index = 0
        for group in self.param_groups:
            for param in group["params"]:
                state = self.state.setdefault(index, {})
                self._update(param, grads[index], state, group, self._work[index])
                index += 1

    def _check_grads(self, grads: object) -> list[np.ndarray]:
        if not isinstance(grads, list | tuple):
            raise TypeError(
                f"{self._name}.step: grads must be a list of arrays, one per parameter "
                f"(e.g. opt.step([g]) or opt.step(model.grads)); got {type(grads).__name__}"
            )
        if len(grads) != len(self._params):
            raise ValueError(
                f"{self._name}.step: got {len(grads)} gradient(s) for {len(self._params)} "
                "parameter(s); pass one gradient per parameter, in the same order"
            )
        checked = []
        for i, (grad, param) in enumerate(zip(grads, self._params, strict=True)):
            grad = np.asarray(grad)
            if grad.shape != param.shape:
                raise ValueError(
                    f"{self._name}.step: grads[{i}] has shape {grad.shape}, but params[{i}] "
                    f"has shape {param.shape}"
                )
            if grad.dtype != param.dtype:
                raise TypeError(
                    f"{self._name}.step: grads[{i}] has dtype {grad.dtype}, but params[{i}] "
                    f"is {param.dtype}; compute the gradient in the parameter's dtype"
                )
            # min and max propagate nan and inf, without a temporary array of flags
            if grad.size and not (np.isfinite(grad.min()) and np.isfinite(grad.max())):
                raise ValueError(
                    f"{self._name}.step: grads[{i}] contains nan or inf; the step was not "
                    "taken (one would poison the optimizer's state for good)"
                )
            checked.append(grad)
        return checked

    def _update(
        self,
        param: np.ndarray,
        grad: np.ndarray,
        state: dict[str, Any],
        group: dict[str, Any],
        work: _Scratch,
    ) -> None:
        raise NotImplementedError

    @staticmethod
    def _with_l2(
        param: np.ndarray, grad: np.ndarray, weight_decay: float, out: np.ndarray
    ) -> np.ndarray:
        r"""The gradient of :math:`J + \tfrac{\lambda}{2}\|\theta\|^2`: ``grad + weight_decay *
        param``, written into ``out`` (or ``grad`` itself when ``weight_decay`` is 0)."""
        if weight_decay == 0:
            return grad
        np.multiply(param, weight_decay, out=out)
        out += grad
        return out

    # -- checkpoints ------------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """A snapshot of the optimizer, laid out as PyTorch lays it out.

        ``{"state": {index: {name: buffer, ...}}, "param_groups": [{hyperparameters...,
        "params": [indices]}]}``. Unlike PyTorch, whose state dict refers to the live
        buffers, every array here is a copy: the snapshot does not change as training goes on.
        """
        groups, index = [], 0
        for group in self.param_groups:
            packed = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
            packed["params"] = list(range(index, index + len(group["params"])))
            index += len(group["params"])
            groups.append(packed)
        state = {
            i: {name: copy.deepcopy(value) for name, value in buffers.items()}
            for i, buffers in self.state.items()
            if buffers
        }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a snapshot from :meth:`state_dict`: hyperparameters and buffers (copied).

        Everything is checked before anything changes: the number of groups and of
        parameters in each, the hyperparameters, and every buffer's name, shape and dtype.

        Raises
        ------
        ValueError
            If the snapshot does not fit this optimizer and its parameters.
        """
        where = f"{self._name}.load_state_dict"
        if not isinstance(state_dict, dict) or set(state_dict) != {"state", "param_groups"}:
            raise ValueError(f"{where}: expected a dict with 'state' and 'param_groups'")
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"{where}: the snapshot has {len(saved_groups)} parameter group(s), "
                f"this optimizer {len(self.param_groups)}"
            )
        new_groups, index = [], 0
        for g, (saved, group) in enumerate(zip(saved_groups, self.param_groups, strict=True)):
            count = len(group["params"])
            if list(saved.get("params", ())) != list(range(index, index + count)):
                raise ValueError(
                    f"{where}: group {g} of the snapshot holds parameters "
                    f"{saved.get('params')}, this optimizer's holds {count} parameter(s) "
                    f"starting at index {index}"
                )
            hyper = {k: v for k, v in saved.items() if k != "params"}
            for name, off in _TORCH_ONLY.items():
                if name in hyper and name not in self.defaults:
                    if hyper.pop(name) != off:
                        raise ValueError(f"{where}: {name}={saved[name]!r} is not supported")
            if set(hyper) != set(self.defaults):
                raise ValueError(
                    f"{where}: group {g} has hyperparameters {sorted(hyper)}; "
                    f"{self._name} has {sorted(self.defaults)} (is it another optimizer's?)"
                )
            checked = self._check_group(dict(hyper))
            checked["params"] = group["params"]
            new_groups.append(checked)
            index += count
        new_state: dict[int, dict[str, Any]] = {}
        saved_state = state_dict["state"]
        unknown = set(saved_state) - set(range(len(self._params)))
        if unknown:
            raise ValueError(f"{where}: state for unknown parameter indices {sorted(unknown)}")
        index = 0
        for group in new_groups:
            for param in group["params"]:
                buffers = saved_state.get(index, {})
                if buffers:
                    expected = set(self._state_names(group))
                    if set(buffers) != expected:
                        raise ValueError(
                            f"{where}: the state of parameter {index} has {sorted(buffers)}; "
                            f"expected {sorted(expected)}"
                        )
                    new_state[index] = {
                        name: self._restore(
                            name, value, param, f"{where}: state[{index}][{name!r}]"
                        )
                        for name, value in buffers.items()
                    }
                elif self._state_at_start(group):
                    raise ValueError(f"{where}: the state of parameter {index} is missing")
                index += 1
        for group, new in zip(self.param_groups, new_groups, strict=True):
            group.clear()
            group.update(new)
        self.state = new_state

    @staticmethod
    def _restore(name: str, value: Any, param: np.ndarray, where: str) -> Any:
        """A saved buffer as this optimizer keeps it: a count as an int, an array as a copy in
        the parameter's dtype (PyTorch, too, casts state to its parameter's dtype)."""
        if name == "step":  # a count; PyTorch saves it as a float tensor
            count = float(np.asarray(value))
            if not (count >= 0 and count.is_integer()):
                raise ValueError(f"{where} must be a non-negative whole number; got {value!r}")
            return int(count)
        array = np.array(value, dtype=param.dtype)
        if array.shape != param.shape:
            raise ValueError(f"{where} has shape {array.shape}; expected {param.shape}")
        return array

    def _state_names(self, group: dict[str, Any]) -> tuple[str, ...]:
        """The names of one parameter's buffers after its first step, with these settings."""
        raise NotImplementedError

    def _state_at_start(self, group: dict[str, Any]) -> bool:
        """Whether the state exists before the first step (PyTorch's Adagrad makes it then)."""
        return False

    def __repr__(self) -> str:
        lines = [f"{self._name} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(k for k in group if k != "params"):
                lines.append(f"    {key}: {group[key]}")
        return "\n".join(lines) + "\n)"


# --- the optimizers -------------------------------------------------------------------------


class SGD(Optimizer):
    r"""Stochastic gradient descent, with optional momentum (heavy ball or Nesterov).

    With the gradient :math:`g = \nabla J(\theta)`, learning rate :math:`\eta`, momentum
    :math:`\beta`, dampening :math:`\tau` and weight decay :math:`\lambda`, one step is

    .. math::

        g &\leftarrow g + \lambda\theta \\
        b &\leftarrow \beta b + (1 - \tau)\, g
            \qquad (b \leftarrow g \text{ on the first step}) \\
        g &\leftarrow g + \beta b \ \text{(Nesterov)} \quad\text{or}\quad g \leftarrow b \\
        \theta &\leftarrow \theta - \eta g

    Without momentum (:math:`\beta = 0`) it is plain gradient descent,
    :math:`\theta \leftarrow \theta - \eta(g + \lambda\theta)`. With it, :math:`b` is the
    *heavy ball* of Polyak (1964): a decaying sum of past gradients. The form above is
    PyTorch's; it is the same method as Polyak's
    :math:`\theta_{k+1} = \theta_k - \eta\nabla J(\theta_k) + \beta(\theta_k - \theta_{k-1})`.
    Nesterov's variant (1983) steps along the gradient plus the *updated* buffer: PyTorch's
    form of the look-ahead, with the parameters standing at the look-ahead point.

    Parameters
    ----------
    params : list of numpy.ndarray or list of dict
        See :class:`Optimizer`.
    lr : float, default 1e-3
        :math:`\eta \ge 0`.
    momentum : float, default 0
        :math:`\beta \in [0, 1)`.
    dampening : float, default 0
        :math:`\tau \in [0, 1]`: scales the new gradient's share of the buffer (not on the first
        step).
    weight_decay : float, default 0
        :math:`\lambda \ge 0`: adds :math:`\lambda\theta` to the gradient (L2 regularization).
    nesterov : bool, default False
        Nesterov momentum; needs momentum > 0 and dampening = 0.

    Notes
    -----
    Each parameter's state, ``opt.state[i]``, holds

    ``momentum_buffer``
        :math:`b`, only when momentum is not 0.

    PyTorch accepts a momentum of 1 or more, with which the iteration cannot converge; here it
    is refused. PyTorch's implementation switches and ``maximize`` are left out.

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

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
        }
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> dict[str, Any]:
        group = super()._check_group(group)
        group["momentum"] = _in_unit_interval(group["momentum"], "SGD: momentum")
        group["dampening"] = _in_unit_interval(group["dampening"], "SGD: dampening", True)
        group["weight_decay"] = _at_least_zero(group["weight_decay"], "SGD: weight_decay")
        group["nesterov"] = _flag(group["nesterov"], "SGD: nesterov")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(
                "SGD: Nesterov momentum requires a momentum and zero dampening; got "
                f"momentum={group['momentum']}, dampening={group['dampening']}"
            )
        return group

    def _state_names(self, group: dict[str, Any]) -> tuple[str, ...]:
        return ("momentum_buffer",) if group["momentum"] != 0 else ()

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
    r"""AdaGrad (Duchi et al., 2011): each coordinate's step is divided by the root of the sum
    of all its squared gradients so far.

    With step number :math:`t = 1, 2, \dots`, learning rate :math:`\eta`, learning-rate decay
    :math:`\delta`, weight decay :math:`\lambda` and every operation element-wise:

    .. math::

        g &\leftarrow \nabla J(\theta) + \lambda\theta \\
        \tilde\eta &= \eta \,/\, \bigl(1 + (t - 1)\,\delta\bigr) \\
        s &\leftarrow s + g^2 \\
        \theta &\leftarrow \theta - \tilde\eta\, \frac{g}{\sqrt{s} + \varepsilon}

    The sum :math:`s` only grows, so the effective learning rate
    :math:`\tilde\eta / (\sqrt{s} + \varepsilon)` only shrinks — like :math:`1/\sqrt t` when
    the gradients keep their size.

    Parameters
    ----------
    params : list of numpy.ndarray or list of dict
    lr : float, default 1e-2
        :math:`\eta \ge 0`.
    lr_decay : float, default 0
        :math:`\delta \ge 0`.
    weight_decay : float, default 0
        :math:`\lambda \ge 0` (L2 regularization, added to the gradient).
    initial_accumulator_value : float, default 0
        The starting value of :math:`s` (at least 0).
    eps : float, default 1e-10
        :math:`\varepsilon > 0`.

    Notes
    -----
    Each parameter's state, ``opt.state[i]``, holds

    ``step``
        :math:`t`, the number of steps taken.
    ``sum``
        :math:`s`. Both exist from the start, as in PyTorch.

    PyTorch allows ``eps = 0``; here it must be positive. A parameter group's own
    ``initial_accumulator_value`` starts its :math:`s`; PyTorch (2.13) starts every group's
    at the value given to the constructor.

    Examples
    --------
    >>> theta = np.array([1.0, 1.0])
    >>> opt = Adagrad([theta], lr=0.5)
    >>> opt.step([np.array([2.0, 0.01])])           # both coordinates move by (almost) lr
    >>> theta
    array([0.5, 0.5])
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
    ) -> None:
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "eps": eps,
        }
        super().__init__(params, defaults)
        index = 0
        for group in self.param_groups:  # PyTorch makes Adagrad's state at construction
            for param in group["params"]:
                value = group["initial_accumulator_value"]
                self.state[index] = {"step": 0, "sum": np.full_like(param, value)}
                index += 1

    def _check_group(self, group: dict[str, Any]) -> dict[str, Any]:
        group = super()._check_group(group)
        group["lr_decay"] = _at_least_zero(group["lr_decay"], "Adagrad: lr_decay")
        group["weight_decay"] = _at_least_zero(group["weight_decay"], "Adagrad: weight_decay")
        group["initial_accumulator_value"] = _at_least_zero(
            group["initial_accumulator_value"], "Adagrad: initial_accumulator_value"
        )
        group["eps"] = _positive(group["eps"], "Adagrad: eps")
        return group

    def _state_names(self, group: dict[str, Any]) -> tuple[str, ...]:
        return ("step", "sum")

    def _state_at_start(self, group: dict[str, Any]) -> bool:
        return True

    def _update(self, param, grad, state, group, work):
        state["step"] += 1
        g = self._with_l2(param, grad, group["weight_decay"], out=work[0])  # g + λθ
        lr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])  # η / (1 + (t−1)δ)
        state["sum"] += np.multiply(g, g, out=work[1])  # s ← s + g²
        denom = np.sqrt(state["sum"], out=work[1])
        denom += group["eps"]  # √s + ε
        param -= np.multiply(np.divide(g, denom, out=denom), lr, out=denom)  # θ ← θ − η̃ g/(√s + ε)


class RMSprop(Optimizer):
    r"""RMSProp (Tieleman & Hinton, 2012): divide each coordinate's step by a running root
    mean square of its recent gradients.

    With smoothing constant :math:`\alpha`, learning rate :math:`\eta`, weight decay
    :math:`\lambda`, momentum :math:`\beta` and every operation element-wise:

    .. math::

        g &\leftarrow \nabla J(\theta) + \lambda\theta \\
        v &\leftarrow \alpha v + (1 - \alpha)\, g^2 \\
        \bar g &\leftarrow \alpha \bar g + (1 - \alpha)\, g
            \quad\text{and}\quad d = \sqrt{v - \bar g^2} + \varepsilon \ \text{(centered)},
            \quad\text{else}\ d = \sqrt{v} + \varepsilon \\
        b &\leftarrow \beta b + g / d \quad\text{and}\quad \theta \leftarrow \theta - \eta b
            \ \text{(momentum)}, \quad\text{else}\ \theta \leftarrow \theta - \eta\, g / d

    Unlike AdaGrad's sum, the average :math:`v` forgets: it follows the gradients' recent
    size (over about :math:`1/(1-\alpha)` steps), so the step does not shrink for good.
    *Centered* divides by an estimate of the gradient's standard deviation instead.

    Parameters
    ----------
    params : list of numpy.ndarray or list of dict
    lr : float, default 1e-2
        :math:`\eta \ge 0`.
    alpha : float, default 0.99
        :math:`\alpha \in [0, 1)`.
    eps : float, default 1e-8
        :math:`\varepsilon > 0`.
    weight_decay : float, default 0
        :math:`\lambda \ge 0` (L2 regularization, added to the gradient).
    momentum : float, default 0
        :math:`\beta \in [0, 1)`.
    centered : bool, default False

    Notes
    -----
    Each parameter's state, ``opt.state[i]``, holds

    ``step``
        The number of steps taken.
    ``square_avg``
        :math:`v`.
    ``momentum_buffer``
        :math:`b`, only when momentum is not 0 (starts at 0).
    ``grad_avg``
        :math:`\bar g`, only when centered.

    PyTorch allows ``eps = 0``, ``alpha >= 1`` and ``momentum >= 1``; here they are refused.

    Examples
    --------
    >>> theta = np.array([1.0])
    >>> opt = RMSprop([theta], lr=0.01, alpha=0.99)
    >>> opt.step([np.array([3.0])])      # v = 0.01 * 9, so the step is 0.01 * 3 / 0.3 = 0.1
    >>> theta.round(6)
    array([0.9])
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "alpha": alpha,
            "eps": eps,
            "weight_decay": weight_decay,
            "momentum": momentum,
            "centered": centered,
        }
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> dict[str, Any]:
        group = super()._check_group(group)
        group["alpha"] = _in_unit_interval(group["alpha"], "RMSprop: alpha")
        group["eps"] = _positive(group["eps"], "RMSprop: eps")
        group["weight_decay"] = _at_least_zero(group["weight_decay"], "RMSprop: weight_decay")
        group["momentum"] = _in_unit_interval(group["momentum"], "RMSprop: momentum")
        group["centered"] = _flag(group["centered"], "RMSprop: centered")
        return group

    def _state_names(self, group: dict[str, Any]) -> tuple[str, ...]:
        names = ("step", "square_avg")
        names += ("momentum_buffer",) if group["momentum"] > 0 else ()
        return names + (("grad_avg",) if group["centered"] else ())

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
        v *= alpha
        v += np.multiply(np.multiply(g, 1 - alpha, out=work[1]), g, out=work[1])  # + (1−α)g²
        if group["centered"]:
            g_avg = state["grad_avg"]
            g_avg *= alpha
            g_avg += np.multiply(g, 1 - alpha, out=work[1])  # ḡ ← αḡ + (1−α)g
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
    r"""Adadelta (Zeiler, 2012): RMSProp whose step has the units of the parameters.

    With decay rate :math:`\rho`, weight decay :math:`\lambda`, learning rate :math:`\eta` and
    every operation element-wise:

    .. math::

        g &\leftarrow \nabla J(\theta) + \lambda\theta \\
        v &\leftarrow \rho v + (1 - \rho)\, g^2 \\
        \Delta &= \frac{\sqrt{u + \varepsilon}}{\sqrt{v + \varepsilon}}\, g \\
        u &\leftarrow \rho u + (1 - \rho)\, \Delta^2 \\
        \theta &\leftarrow \theta - \eta\, \Delta

    :math:`u` is a running average of the squared *steps*: the ratio
    :math:`\sqrt{u}/\sqrt{v}` turns a gradient into a step of the parameters' own units, so
    the method needs no learning rate (Zeiler's paper has none; PyTorch keeps :math:`\eta`,
    default 1, as a multiplier). Because :math:`u` starts at 0, the first steps have the size
    :math:`\sqrt{\varepsilon}`: Adadelta starts slowly.

    Parameters
    ----------
    params : list of numpy.ndarray or list of dict
    lr : float, default 1.0
        :math:`\eta \ge 0`.
    rho : float, default 0.9
        :math:`\rho \in [0, 1]`.
    eps : float, default 1e-6
        :math:`\varepsilon > 0`.
    weight_decay : float, default 0
        :math:`\lambda \ge 0` (L2 regularization, added to the gradient).

    Notes
    -----
    Each parameter's state, ``opt.state[i]``, holds

    ``step``
        The number of steps taken.
    ``square_avg``
        :math:`v`.
    ``acc_delta``
        :math:`u`.

    PyTorch allows ``eps = 0``; here it must be positive.

    Examples
    --------
    >>> theta = np.array([1.0])
    >>> opt = Adadelta([theta])
    >>> opt.step([np.array([2.0])])                  # a first step of about sqrt(eps)
    >>> float(1.0 - theta[0])
    0.0031622...
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0.0,
    ) -> None:
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay}
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> dict[str, Any]:
        group = super()._check_group(group)
        group["rho"] = _in_unit_interval(group["rho"], "Adadelta: rho", include_one=True)
        group["eps"] = _positive(group["eps"], "Adadelta: eps")
        group["weight_decay"] = _at_least_zero(group["weight_decay"], "Adadelta: weight_decay")
        return group

    def _state_names(self, group: dict[str, Any]) -> tuple[str, ...]:
        return ("step", "square_avg", "acc_delta")

    def _update(self, param, grad, state, group, work):
        rho, eps = group["rho"], group["eps"]
        if not state:
            state.update(step=0, square_avg=np.zeros_like(param), acc_delta=np.zeros_like(param))
        state["step"] += 1
        g = self._with_l2(param, grad, group["weight_decay"], out=work[0])  # g + λθ
        v, u = state["square_avg"], state["acc_delta"]
        v *= rho
        v += np.multiply(np.multiply(g, 1 - rho, out=work[1]), g, out=work[1])  # + (1−ρ)g²
        std = np.sqrt(np.add(v, eps, out=work[1]), out=work[1])  # √(v + ε)
        delta = np.sqrt(np.add(u, eps, out=work[2]), out=work[2])  # √(u + ε)
        delta /= std
        delta *= g  # Δ = √(u + ε) / √(v + ε) · g
        u *= rho
        u += np.multiply(np.multiply(delta, 1 - rho, out=work[1]), delta, out=work[1])
        param -= np.multiply(delta, group["lr"], out=work[1])  # θ ← θ − ηΔ


class Adam(Optimizer):
    r"""Adam (Kingma & Ba, 2015): momentum on the gradient, RMSProp's scaling, bias correction.

    With step number :math:`t = 1, 2, \dots`, decay rates :math:`\beta_1, \beta_2`, learning
    rate :math:`\eta`, weight decay :math:`\lambda` and every operation element-wise:

    .. math::

        g &\leftarrow \nabla J(\theta) + \lambda\theta
            \quad\text{(or, decoupled: } \theta \leftarrow (1 - \eta\lambda)\,\theta\text{)} \\
        m &\leftarrow \beta_1 m + (1 - \beta_1)\, g \\
        v &\leftarrow \beta_2 v + (1 - \beta_2)\, g^2 \\
        \hat m &= m / (1 - \beta_1^t), \qquad \hat v = v / (1 - \beta_2^t) \\
        \theta &\leftarrow \theta - \eta\, \frac{\hat m}{\sqrt{\hat v} + \varepsilon}

    :math:`m` and :math:`v` start at 0, so early on they underestimate the gradient's mean
    and mean square: by the factors :math:`1 - \beta_1^t` and :math:`1 - \beta_2^t` exactly
    when the gradient is constant. The *bias correction* divides these out. With ``amsgrad``
    the denominator uses the largest :math:`v` so far, :math:`v_{\max} \leftarrow
    \max(v_{\max}, v)`, so that the effective step never grows.

    Parameters
    ----------
    params : list of numpy.ndarray or list of dict
    lr : float, default 1e-3
        :math:`\eta \ge 0`.
    betas : (float, float), default (0.9, 0.999)
        :math:`(\beta_1, \beta_2)`, each in [0, 1).
    eps : float, default 1e-8
        :math:`\varepsilon > 0`.
    weight_decay : float, default 0
        :math:`\lambda \ge 0`. Added to the gradient (L2 regularization), or with
        ``decoupled_weight_decay`` applied to the parameters directly (see :class:`AdamW`).
    amsgrad : bool, default False
    decoupled_weight_decay : bool, default False
        As in PyTorch 2.6 and later, ``Adam(..., decoupled_weight_decay=True)`` is AdamW.

    Notes
    -----
    Each parameter's state, ``opt.state[i]``, holds

    ``step``
        :math:`t`, the number of steps taken (PyTorch keeps it as a float tensor; here it is
        an int).
    ``exp_avg``, ``exp_avg_sq``
        :math:`m` and :math:`v`, without bias correction.
    ``max_exp_avg_sq``
        :math:`v_{\max}`, only with ``amsgrad``.

    PyTorch allows ``eps = 0``; here it must be positive.

    Examples
    --------
    >>> theta = np.array([1.0, 1.0])
    >>> opt = Adam([theta], lr=0.1)
    >>> opt.step([np.array([1e3, 1e-2])])  # corrected, the first step is lr for any gradient
    >>> theta.round(6)
    array([0.9, 0.9])
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        *,
        decoupled_weight_decay: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> dict[str, Any]:
        name = self._name
        group = super()._check_group(group)
        try:
            group["betas"] = _betas(group["betas"])
        except ValueError as error:
            raise ValueError(f"{name}: {error}") from None
        group["eps"] = _positive(group["eps"], f"{name}: eps")
        group["weight_decay"] = _at_least_zero(group["weight_decay"], f"{name}: weight_decay")
        group["amsgrad"] = _flag(group["amsgrad"], f"{name}: amsgrad")
        group["decoupled_weight_decay"] = _flag(
            group["decoupled_weight_decay"], f"{name}: decoupled_weight_decay"
        )
        return group

    def _state_names(self, group: dict[str, Any]) -> tuple[str, ...]:
        names = ("step", "exp_avg", "exp_avg_sq")
        return names + (("max_exp_avg_sq",) if group["amsgrad"] else ())

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
        m *= beta1
        m += np.multiply(g, 1 - beta1, out=work[1])  # m ← β₁m + (1 − β₁)g
        v *= beta2
        v += np.multiply(np.multiply(g, 1 - beta2, out=work[1]), g, out=work[1])  # + (1 − β₂)g²
        if group["amsgrad"]:
            v = np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
        bias1, bias2 = 1 - beta1**t, 1 - beta2**t  # the bias corrections, with this step's t
        # η m̂/(√v̂ + ε) = α m/(√v + ε̂), with α = η √bias2 / bias1 and ε̂ = ε √bias2: the
        # paper's order, which corrects two numbers instead of dividing all of v by bias2
        step_size, eps_hat = lr * math.sqrt(bias2) / bias1, group["eps"] * math.sqrt(bias2)
        denom = np.sqrt(v, out=work[1])
        denom += eps_hat  # √v + ε̂
        step = np.divide(m, denom, out=denom)
        param -= np.multiply(step, step_size, out=step)  # θ ← θ − α m / (√v + ε̂)


class AdamW(Adam):
    r"""AdamW (Loshchilov & Hutter, 2019): Adam with decoupled weight decay.

    Before Adam's step, every parameter shrinks by the same factor,

    .. math::

        \theta \leftarrow (1 - \eta\lambda)\, \theta,

    instead of :math:`\lambda\theta` being added to the gradient. In :class:`Adam` that term
    passes through the division by :math:`\sqrt{\hat v}`, so how strongly a weight is decayed
    depends on the size of its gradients; decoupled, it depends only on :math:`\eta\lambda`.
    The rest is :class:`Adam` exactly.

    Parameters
    ----------
    params : list of numpy.ndarray or list of dict
    lr : float, default 1e-3
    betas : (float, float), default (0.9, 0.999)
    eps : float, default 1e-8
    weight_decay : float, default 1e-2
        :math:`\lambda \ge 0`.
    amsgrad : bool, default False

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

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, decoupled_weight_decay=True)


# --- running an optimizer on a loss ------------------------------------------------------------


def minimize(
    f: Callable[[np.ndarray], float],
    grad: Callable[[np.ndarray], np.ndarray],
    x0: np.ndarray,
    optimizer: Callable[[list[np.ndarray]], Optimizer],
    steps: int,
    tol: float = 1e-6,
    blowup: float = 1e6,
    schedule: Callable[[int], float] | None = None,
) -> DescentResult:
    r"""Minimise :math:`J` from ``x0`` with any optimizer; stop and report as gradient descent does.

    The loop of :func:`companion.descent.gradient_descent` — the same stopping rules, the same
    divergence report, the same result — with the update done by an optimizer of this module.

    Parameters
    ----------
    f, grad : callable
        :math:`J` and :math:`\nabla J`, functions of an array shaped like ``x0``.
    x0 : array_like of float
        The start. Never modified.
    optimizer : callable
        Makes the optimizer from the list of parameters, e.g.
        ``lambda params: SGD(params, lr=0.1, momentum=0.9)`` or
        ``functools.partial(Adam, lr=0.1)``.
    steps : int
        The step budget.
    tol : float, default 1e-6
        Stop when :math:`\|\nabla J\| \le` ``tol``.
    blowup : float, default 1e6
        The loss may rise to :math:`J(\theta_0) + \text{blowup}\,(1 + |J(\theta_0)|)` before the
        run counts as diverged.
    schedule : callable, optional
        A learning-rate schedule: before step :math:`k = 0, 1, \dots` every group's ``lr`` is
        set to ``schedule(k)`` (see :mod:`companion.schedules`).

    Returns
    -------
    companion.descent.DescentResult
        Its ``lr`` is the first group's learning rate at the start.

    Examples
    --------
    >>> J = lambda t: float(np.sum(t**2))
    >>> dJ = lambda t: 2 * t
    >>> run = minimize(J, dJ, [1.0, -2.0], lambda p: SGD(p, lr=0.25), steps=100)
    >>> run.status, run.steps                 # as gradient_descent(J, dJ, ..., lr=0.25) does
    ('converged', 23)
    """
    theta = as_float_array(x0, "x0", allow_int=True).copy()  # the array the optimizer owns
    opt = optimizer([theta])
    if not isinstance(opt, Optimizer):
        raise TypeError(f"optimizer must make an Optimizer from [theta]; got {opt!r}")
    lr0 = float(opt.param_groups[0]["lr"] if schedule is None else schedule(0))
    step_numbers = itertools.count()

    def update(_: np.ndarray, g: np.ndarray) -> np.ndarray:
        k = next(step_numbers)
        if schedule is not None:
            set_lr(opt, schedule(k))
        opt.step([g])  # the update, in place
        return theta.copy()

    return descend(f, grad, theta, update, steps, tol=tol, blowup=blowup, lr=lr0)


# --- momentum on a quadratic, in closed form --------------------------------------------------


def momentum_rate(
    eigenvalues: np.ndarray,
    lr: float | np.ndarray,
    momentum: float | np.ndarray,
    nesterov: bool = False,
) -> float | np.ndarray:
    r"""The factor :math:`\rho(\eta, \beta)` by which SGD with momentum shrinks the error per
    step on a quadratic whose Hessian has these eigenvalues.

    Along an eigenvector with eigenvalue :math:`\lambda`, the error :math:`e` and the momentum
    buffer :math:`b` of :class:`SGD` evolve by a 2-by-2 linear map; its eigenvalues :math:`z`
    solve

    .. math::

        z^2 - (1 + \beta - \eta\lambda)\, z + \beta = 0
            \qquad \text{(heavy ball)}, \\
        z^2 - (1 + \beta)(1 - \eta\lambda)\, z + \beta (1 - \eta\lambda) = 0
            \qquad \text{(Nesterov)},

    and the error shrinks like :math:`|z|^k` for the larger root. :math:`\rho` is the largest
    :math:`|z|` over all eigenvalues: below 1 the method converges (at that rate), above 1 it
    diverges. When the roots are complex, :math:`|z| = \sqrt\beta` (heavy ball): the error
    spirals, *under-damped*; at a double root the mode is *critically damped*. With
    :math:`\beta = 0` both reduce to gradient descent's :math:`\max_i |1 - \eta\lambda_i|`.

    Parameters
    ----------
    eigenvalues : array_like of float, shape (n,)
        The Hessian's eigenvalues :math:`\lambda_i > 0`.
    lr, momentum : float or array_like
        :math:`\eta` and :math:`\beta`; arrays broadcast against each other (a whole map at
        once).
    nesterov : bool, default False

    Returns
    -------
    float or numpy.ndarray
        :math:`\rho`, with the broadcast shape of ``lr`` and ``momentum``.

    Examples
    --------
    >>> round(momentum_rate([1.0, 0.01], lr=1.0, momentum=0.0), 6)      # 1 - lr * 0.01
    0.99
    >>> lr, beta, rate = optimal_momentum(mu=0.01, L=1.0)
    >>> round(momentum_rate([1.0, 0.01], lr, beta), 6), round(rate, 6)   # (10 - 1)/(10 + 1)
    (0.818182, 0.818182)
    """
    lam = as_float_array(eigenvalues, "eigenvalues", allow_int=True).reshape(-1)
    if lam.size == 0 or np.any(lam <= 0):
        raise ValueError("eigenvalues must be positive (a positive definite Hessian)")
    lr_arr = np.asarray(lr, dtype=np.float64)[..., None]
    beta = np.asarray(momentum, dtype=np.float64)[..., None]
    shrink = 1.0 - lr_arr * lam
    if nesterov:
        trace, det = (1.0 + beta) * shrink, beta * shrink
    else:
        trace, det = 1.0 + beta - lr_arr * lam, beta + 0.0 * lam
    root = np.sqrt((trace**2 - 4.0 * det).astype(np.complex128))
    radius = np.maximum(np.abs(trace + root), np.abs(trace - root)) / 2.0
    rate = radius.max(axis=-1)
    return float(rate) if rate.ndim == 0 else rate


def optimal_momentum(mu: float, L: float) -> tuple[float, float, float]:
    r"""Polyak's best heavy-ball setting for a quadratic with curvatures in :math:`[\mu, L]`.

    .. math::

        \eta^* = \frac{4}{(\sqrt L + \sqrt\mu)^2}, \qquad
        \beta^* = \left(\frac{\sqrt\kappa - 1}{\sqrt\kappa + 1}\right)^2, \qquad
        \rho^* = \frac{\sqrt\kappa - 1}{\sqrt\kappa + 1},

    with :math:`\kappa = L/\mu`: the rate of gradient descent at its best,
    :math:`(\kappa - 1)/(\kappa + 1)`, with :math:`\kappa` replaced by :math:`\sqrt\kappa`.

    Returns
    -------
    lr, momentum, rate : float

    Examples
    --------
    >>> optimal_momentum(mu=1.0, L=100.0)
    (0.0330578..., 0.6694214..., 0.8181818...)
    """
    mu, L = positive_number(mu, "mu"), positive_number(L, "L")
    if mu > L:
        raise ValueError(f"mu must be at most L; got mu = {mu!r}, L = {L!r}")
    root = math.sqrt(L / mu)
    rate = (root - 1.0) / (root + 1.0)
    return 4.0 / (math.sqrt(L) + math.sqrt(mu)) ** 2, rate**2, rate
