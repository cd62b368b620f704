r"""What every optimizer shares: parameter groups, per-parameter state, ``step`` and checkpoints.

An optimizer is an update rule of :mod:`companion.optim.rules` (or of
:mod:`~companion.optim.rules_modern`) plus this machinery. A subclass names its rule,
``rule = staticmethod(rules.adam)``; its hyperparameters, their order and their PyTorch
defaults are the rule's keyword arguments, and each is checked by the function ``CHECKS``
(or the class's own ``checks``) gives for its name. That is all a new optimizer needs: its
steps then run the rule itself. A class may also write the rule in place,
``_update(param, grad, state, group, work)``, with ``work`` a few parameter-sized scratch
arrays made on the first step and reused after, so that nothing parameter-sized is allocated
per step; tests pin such an ``_update`` equal to its rule.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from typing import Any, ClassVar

import numpy as np

from .._validate import (
    finite_nonnegative_number,
    flag,
    in_unit_interval,
    pair_in_unit_interval,
    positive_number,
)
from . import checkpoints

__all__ = ["Optimizer"]

#: How each hyperparameter is checked, by its name: ``check(value, name)`` returns the value
#: (normalized) or raises a TypeError/ValueError naming it.
CHECKS: dict[str, Callable[[Any, str], Any]] = {
    "lr": finite_nonnegative_number,
    "lr_decay": finite_nonnegative_number,
    "weight_decay": finite_nonnegative_number,
    "initial_accumulator_value": finite_nonnegative_number,
    "eps": positive_number,
    "momentum": in_unit_interval,
    "alpha": in_unit_interval,
    "dampening": partial(in_unit_interval, include_one=True),
    "rho": partial(in_unit_interval, include_one=True),
    "betas": pair_in_unit_interval,
    "nesterov": flag,
    "centered": flag,
    "amsgrad": flag,
    "decoupled_weight_decay": flag,
    "maximize": flag,
}


class _Scratch:
    """Parameter-sized work arrays for one parameter: made on first use, then reused."""

    def __init__(self, like: np.ndarray) -> None:
        self._like = like
        self._arrays: list[np.ndarray] = []
        self._negated: np.ndarray | None = None

    def __getitem__(self, k: int) -> np.ndarray:
        while len(self._arrays) <= k:
            self._arrays.append(np.empty_like(self._like))
        return self._arrays[k]

    def negative(self, grad: np.ndarray) -> np.ndarray:
        """``-grad``, in an array of its own (the update rule may use all the others)."""
        if self._negated is None:
            self._negated = np.empty_like(self._like)
        return np.negative(grad, out=self._negated)


def _hyperparameters(rule: Callable[..., Any]) -> list[inspect.Parameter]:
    """The rule's keyword arguments: its hyperparameters, in order, with their defaults."""
    return [p for p in inspect.signature(rule).parameters.values() if p.kind is p.KEYWORD_ONLY]


def _as_list(values: object, name: str) -> list[Any]:
    """``values`` (a list, a tuple, a generator such as ``model.parameters()``) as a list."""
    if isinstance(values, str | bytes | dict) or not isinstance(values, Iterable):
        raise TypeError(f"{name} must be a list of arrays; got {type(values).__name__}")
    return list(values)


class Optimizer:
    r"""The interface of every optimizer, modelled on ``torch.optim.Optimizer``.

    Unlike ``torch.optim``, there is no ``zero_grad``: the gradients are passed to
    :meth:`step` as arguments (the layers of :mod:`companion.layers` overwrite their ``grads``
    on every backward pass), so there is nothing to clear.

    Parameters
    ----------
    params : list of numpy.ndarray, or list of dict
        The arrays to optimize (float32 or float64, updated in place), or parameter groups:
        dicts with a ``"params"`` list and any hyperparameters that differ from the defaults
        (as in PyTorch).
    *args, **kwargs
        The hyperparameters of the subclass's rule, by position or by name.
    maximize : bool, default False
        Keyword only: climb :math:`J` instead of descending, i.e. apply the rule to
        :math:`-\nabla J` (as PyTorch's ``maximize=True`` does). Every optimizer takes it
        whose PyTorch namesake does (all but :class:`~companion.optim.Muon`; and
        :class:`~companion.optim.Lion`, which has none); see ``takes_maximize``.

    Attributes
    ----------
    param_groups : list of dict
        Each group's ``"params"`` (the arrays themselves) and hyperparameters. Change a group's
        ``"lr"`` between steps to follow a learning-rate schedule.
    state : dict of int to dict
        Each parameter's buffers, keyed by its index in the order the parameters were given
        (across groups), named as the rule names them. Empty until the parameter's first
        step, except for :class:`~companion.optim.Adagrad`.
    defaults : dict
        The hyperparameters of every group that does not set its own.

    Raises
    ------
    TypeError
        If a parameter is not a floating-point NumPy array, or a hyperparameter not of its type.
    ValueError
        If there are no parameters, one is given twice (or overlaps another), one is read-only
        or not finite, or a hyperparameter is out of range.
    """

    #: The update rule, a function of :mod:`companion.optim.rules` (or of chapter 9's
    #: :mod:`companion.optim.rules_modern`).
    rule: ClassVar[Callable[..., tuple[np.ndarray, dict[str, Any]]]]
    #: Checks for hyperparameter names that ``CHECKS`` does not know.
    checks: ClassVar[dict[str, Callable[[Any, str], Any]]] = {}
    #: Hyperparameters the class fixes (AdamW: decoupled weight decay), kept in every group.
    fixed: ClassVar[dict[str, Any]] = {}
    #: Buffers that are never negative, besides those in
    #: :data:`~companion.optim.checkpoints.NONNEGATIVE_STATE`.
    nonnegative_state: ClassVar[tuple[str, ...]] = ()
    #: Whether the optimizer takes ``maximize`` (and its groups hold it), as its PyTorch
    #: namesake does; PyTorch's Muon does not, and its state dicts then load here as they are.
    takes_maximize: ClassVar[bool] = True
    #: Whether the rule squares the gradient: then a gradient whose square overflows the
    #: dtype is refused (it would make the state inf and freeze the parameters for good).
    squares_gradients: ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        hyper = _hyperparameters(cls.rule)
        unchecked = [p.name for p in hyper if p.name not in {**CHECKS, **cls.checks}]
        if unchecked:
            raise TypeError(f"{cls.__name__}: no check for hyperparameter(s) {unchecked}")
        params = inspect.Parameter("params", inspect.Parameter.POSITIONAL_OR_KEYWORD)
        maximize = inspect.Parameter("maximize", inspect.Parameter.KEYWORD_ONLY, default=False)
        cls.__signature__ = inspect.Signature(
            [
                params,
                *(p.replace(kind=p.POSITIONAL_OR_KEYWORD) for p in hyper),
                *([maximize] if cls.takes_maximize else []),
            ]
        )

    def __init__(self, params: Iterable[Any], *args: Any, **kwargs: Any) -> None:
        if type(self) is Optimizer:
            raise TypeError("Optimizer is the base class; use SGD, Adam, ... instead")
        try:
            bound = self.__signature__.bind(params, *args, **kwargs)
        except TypeError as error:
            raise TypeError(f"{self._name}: {error}") from None
        bound.apply_defaults()
        self.defaults = {**dict(list(bound.arguments.items())[1:]), **self.fixed}
        self.param_groups: list[dict[str, Any]] = []
        self.state: dict[int, dict[str, Any]] = {}
        self._params: list[np.ndarray] = []
        self._work: list[_Scratch] = []
        self._limits: list[float] = []  # the largest gradient entry each parameter may take
        self._rule_names = [p.name for p in _hyperparameters(self.rule)]
        if isinstance(params, np.ndarray):
            raise TypeError(
                f"{self._name}: params must be a list of arrays, e.g. [theta] or model.params; "
                "got a single array"
            )
        params = _as_list(params, f"{self._name}: params")
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
        arrays = (
            [arrays]
            if isinstance(arrays, np.ndarray)
            else _as_list(arrays, f"{self._name}: a group's 'params'")
        )
        start = len(self._params)
        for array in arrays:
            self._check_param(array, len(self._params))
            self._params.append(array)
            self._work.append(_Scratch(array))
            finite = float(np.finfo(array.dtype).max)
            self._limits.append(math.sqrt(finite) if self.squares_gradients else finite)
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
        for index, array in enumerate(arrays, start):
            initial = self._initial_state(array, full)
            if initial is not None:
                self.state[index] = initial

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
        """Check (and normalize) one group's hyperparameters; a subclass may add checks that
        tie several together."""
        checks = {**CHECKS, **self.checks}
        for name in group:
            group[name] = checks[name](group[name], f"{self._name}: {name}")
        for name, value in self.fixed.items():
            if group[name] != value:
                raise ValueError(f"{self._name}: {name} must be {value!r}; got {group[name]!r}")
        return group

    def _initial_state(self, param: np.ndarray, group: dict[str, Any]) -> dict[str, Any] | None:
        """The state a parameter has before its first step, if any (PyTorch's Adagrad makes
        it at construction)."""
        return None

    # -- one step ---------------------------------------------------------------------------

    def step(self, grads: Sequence[np.ndarray]) -> None:
        """Update every parameter in place, given one gradient array per parameter.

        With ``maximize`` (where the optimizer takes it), the rule is applied to the negated
        gradients.

        Parameters
        ----------
        grads : list of numpy.ndarray
            In the order of the parameters (``model.grads`` for ``model.params``); each has
            its parameter's shape and dtype and is finite. They are only read.

        Raises
        ------
        TypeError, ValueError
            If ``grads`` is not a list of that many arrays, or one has the wrong shape or
            dtype or is not finite, or (for a rule that squares it) so large that its square
            overflows the dtype (above 1.8e19 in float32, 1.3e154 in float64; PyTorch's order of
            operations lets a little more through). Nothing is changed then: neither a parameter
            nor the state.
            (PyTorch takes a step with a nan or inf gradient; it reaches the parameters. With an
            overflowing square it takes the step too, and the parameter stops moving for good.)
        """
        grads = self._check_grads(grads)
        index = 0
        for group in self.param_groups:
            for param in group["params"]:
                state = self.state.setdefault(index, {})
                work, grad = self._work[index], grads[index]
                if self.takes_maximize and group["maximize"]:
                    grad = work.negative(grad)
                self._update(param, grad, state, group, work)
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
            if grad.size:
                # min and max propagate nan and inf, without a temporary array of flags; one
                # comparison refuses nan (it compares false), inf, and a square that overflows
                low, high = grad.min(), grad.max()
                limit = self._limits[i]
                if not (-limit <= low and high <= limit):
                    if not (np.isfinite(low) and np.isfinite(high)):
                        raise ValueError(
                            f"{self._name}.step: grads[{i}] contains nan or inf; the step was "
                            "not taken (one would poison the optimizer's state for good)"
                        )
                    raise ValueError(
                        f"{self._name}.step: grads[{i}] has an entry of size "
                        f"{max(-low, high):.3g}, whose square overflows {grad.dtype}; the step "
                        "was not taken (the state would become inf and the parameter stop "
                        "moving). Scale the loss down or clip the gradient"
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
        """One step of the rule for one parameter, in place. This one calls the rule itself;
        a subclass may write it faster (tests then pin the two equal)."""
        new_param, new_state = self.rule(
            param, grad, state, **{name: group[name] for name in self._rule_names}
        )
        param[...] = new_param
        state.clear()
        state.update(new_state)

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

    @staticmethod
    def _average(buf: np.ndarray, x: np.ndarray, decay: float, out: np.ndarray) -> None:
        """``buf`` ← decay · buf + (1 − decay) · x, in place (``out``: scratch)."""
        buf *= decay
        buf += np.multiply(x, 1 - decay, out=out)

    @staticmethod
    def _average_square(buf: np.ndarray, x: np.ndarray, decay: float, out: np.ndarray) -> None:
        """``buf`` ← decay · buf + (1 − decay) · x², in place (``out``: scratch)."""
        buf *= decay
        buf += np.multiply(np.multiply(x, 1 - decay, out=out), x, out=out)

    # -- checkpoints ------------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """A snapshot of the optimizer, laid out as PyTorch lays it out.

        ``{"state": {index: {name: buffer, ...}}, "param_groups": [{hyperparameters...,
        "params": [indices]}]}``. Unlike PyTorch, whose state dict refers to the live
        buffers, every array here is a copy: the snapshot does not change as training goes on.
        """
        return checkpoints.snapshot(self)

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a snapshot from :meth:`state_dict` (or PyTorch's): hyperparameters and
        buffers, copied.

        Everything is checked before anything changes: the number of groups and of
        parameters in each, the hyperparameters, and every buffer against what the rule itself
        keeps (run once on a copy): its name, its shape (not always the parameter's: Adafactor
        keeps a row and a column), whether it is an array, a count or a number (NAdam's
        ``mu_product``), and its values (finite; sums and averages of squares not negative).
        PyTorch's implementation switches at their defaults and its ``param_names`` (an
        optimizer made from ``named_parameters()``) are accepted and dropped.

        Raises
        ------
        TypeError
            If the snapshot, a group or a buffer is not of its type (a dict, an array).
        ValueError
            If the snapshot does not fit this optimizer and its parameters.
        """
        groups, state = checkpoints.restore(self, state_dict)
        for group, new in zip(self.param_groups, groups, strict=True):
            group.clear()
            group.update(new)
        self.state = state

    def _state_template(self, param: np.ndarray, group: dict[str, Any]) -> dict[str, Any]:
        """One parameter's state after its first step, with these settings: what the rule
        keeps, found by running it once on a copy. Its names are the buffers' names, its
        arrays' shapes their shapes (Adafactor's factored moments are smaller than the
        parameter), and its numbers say which buffers are numbers (NAdam's ``mu_product``, a
        float; ``step``, an int). A loaded checkpoint is checked against it."""
        ones = np.ones_like(param)
        with np.errstate(all="ignore"):
            _, state = self.rule(ones, ones, {}, **{name: group[name] for name in self._rule_names})
        return state

    def __repr__(self) -> str:
        lines = [f"{self._name} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(k for k in group if k != "params"):
                lines.append(f"    {key}: {group[key]}")
        return "\n".join(lines) + "\n)"
