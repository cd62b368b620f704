"""An optimizer's checkpoint, laid out as PyTorch lays it out, and its checks on the way in.

:meth:`Optimizer.state_dict <companion.optim.Optimizer.state_dict>` and
:meth:`~companion.optim.Optimizer.load_state_dict` use these. A snapshot is
``{"state": {index: {name: buffer}}, "param_groups": [{hyperparameters..., "params":
[indices]}]}``; everything in one that is loaded is checked before anything changes, so that a
snapshot that does not fit (another optimizer's, another model's, a corrupted one) is refused
with an error naming what is wrong, instead of turning the parameters into nan later.
"""

from __future__ import annotations

import copy
import math
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .base import Optimizer

__all__ = ["NONNEGATIVE_STATE", "restore", "snapshot"]

#: Switches of PyTorch's optimizers that choose an implementation, not the algorithm; a
#: PyTorch state dict may carry them, at these values, and still load here.
TORCH_ONLY = {"foreach": None, "fused": None, "capturable": False, "differentiable": False}

#: Buffers that are never negative, by PyTorch's names: sums and averages of squares. A
#: snapshot with a negative one is refused (the next step would take its square root). An
#: optimizer with other such buffers names them in its ``nonnegative_state``.
NONNEGATIVE_STATE = ("acc_delta", "exp_avg_sq", "max_exp_avg_sq", "square_avg", "sum")


def snapshot(opt: Optimizer) -> dict[str, Any]:
    """The state dict of ``opt``: every array a copy, parameters as indices."""
    groups, index = [], 0
    for group in opt.param_groups:
        packed = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
        packed["params"] = list(range(index, index + len(group["params"])))
        index += len(group["params"])
        groups.append(packed)
    state = {
        i: {name: copy.deepcopy(value) for name, value in buffers.items()}
        for i, buffers in opt.state.items()
        if buffers
    }
    return {"state": state, "param_groups": groups}


def restore(
    opt: Optimizer, state_dict: object
) -> tuple[list[dict[str, Any]], dict[int, dict[str, Any]]]:
    """The groups and the state that loading ``state_dict`` into ``opt`` gives, all checked;
    ``opt`` itself is not changed."""
    where = f"{opt._name}.load_state_dict"
    if not isinstance(state_dict, dict):
        raise TypeError(
            f"{where}: expected a dict (a state_dict()); got {type(state_dict).__name__}"
        )
    if set(state_dict) != {"state", "param_groups"}:
        raise ValueError(
            f"{where}: expected a dict with 'state' and 'param_groups'; "
            f"got keys {sorted(state_dict, key=str)}"
        )
    groups = _groups(opt, state_dict["param_groups"], where)
    saved = state_dict["state"]
    if not isinstance(saved, dict):
        raise TypeError(f"{where}: 'state' must be a dict of buffers; got {type(saved).__name__}")
    unknown = set(saved) - set(range(len(opt._params)))
    if unknown:
        raise ValueError(f"{where}: state for unknown parameter indices {sorted(unknown, key=str)}")
    state: dict[int, dict[str, Any]] = {}
    index = 0
    for group in groups:
        for param in group["params"]:
            buffers = saved.get(index, {})
            if not isinstance(buffers, dict):
                raise TypeError(f"{where}: state[{index}] must be a dict of buffers")
            if buffers:
                template = opt._state_template(param, group)
                expected = set(template)
                if set(buffers) != expected:
                    raise ValueError(
                        f"{where}: the state of parameter {index} has {sorted(buffers)}; "
                        f"expected {sorted(expected)}"
                    )
                nonnegative = {*NONNEGATIVE_STATE, *opt.nonnegative_state}
                state[index] = {
                    name: _restored(
                        value,
                        template[name],
                        param.dtype,
                        name in nonnegative,
                        f"{where}: state[{index}][{name!r}]",
                    )
                    for name, value in buffers.items()
                }
            elif opt._initial_state(param, group) is not None:
                raise ValueError(f"{where}: the state of parameter {index} is missing")
            index += 1
    return groups, state


def _groups(opt: Optimizer, saved_groups: object, where: str) -> list[dict[str, Any]]:
    """The saved groups' hyperparameters, checked, with ``opt``'s parameters."""
    if not isinstance(saved_groups, list | tuple):
        raise TypeError(
            f"{where}: 'param_groups' must be a list; got {type(saved_groups).__name__}"
        )
    if len(saved_groups) != len(opt.param_groups):
        raise ValueError(
            f"{where}: the snapshot has {len(saved_groups)} parameter group(s), "
            f"this optimizer {len(opt.param_groups)}"
        )
    groups, index = [], 0
    for g, (saved, group) in enumerate(zip(saved_groups, opt.param_groups, strict=True)):
        if not isinstance(saved, dict):
            raise TypeError(f"{where}: param_groups[{g}] must be a dict")
        count = len(group["params"])
        indices = saved.get("params", ())
        if not isinstance(indices, list | tuple) or list(indices) != list(
            range(index, index + count)
        ):
            raise ValueError(
                f"{where}: group {g} of the snapshot holds parameters "
                f"{saved.get('params')}, this optimizer's holds {count} parameter(s) "
                f"starting at index {index}"
            )
        hyper = {k: v for k, v in saved.items() if k not in ("params", "param_names")}
        _check_names(saved.get("param_names"), count, f"{where}: param_groups[{g}]['param_names']")
        for name, off in TORCH_ONLY.items():
            if name in hyper and name not in opt.defaults:
                if hyper.pop(name) != off:
                    raise ValueError(f"{where}: {name}={saved[name]!r} is not supported")
        if set(hyper) != set(opt.defaults):
            raise ValueError(
                f"{where}: group {g} has hyperparameters {sorted(hyper)}; "
                f"{opt._name} has {sorted(opt.defaults)} (is it another optimizer's?)"
            )
        checked = opt._check_group(dict(hyper))
        checked["params"] = group["params"]
        groups.append(checked)
        index += count
    return groups


def _check_names(names: object, count: int, where: str) -> None:
    """PyTorch's ``param_names`` (an optimizer made from ``named_parameters()``): one string
    per parameter. They name the parameters only; here the order does, so they are dropped."""
    if names is None:
        return
    if not isinstance(names, list | tuple) or not all(isinstance(n, str) for n in names):
        raise TypeError(f"{where} must be a list of strings; got {names!r}")
    if len(names) != count:
        raise ValueError(f"{where} names {len(names)} parameter(s); the group has {count}")


def _restored(value: object, like: object, dtype: np.dtype, nonnegative: bool, where: str) -> Any:
    """A saved buffer, checked against ``like``, what the rule itself keeps under its name: an
    array of ``like``'s shape, a whole number (a step count), or a number."""
    if isinstance(like, np.ndarray):
        return _buffer(value, like.shape, dtype, nonnegative, where)
    if isinstance(like, int | np.integer):
        return _count(value, where)
    return _number(value, nonnegative, where)


def _number(value: object, nonnegative: bool, where: str) -> float:
    """A number kept as a Python float (PyTorch saves it as a 0-d tensor)."""
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{where} must be a number; got {type(value).__name__}") from None
    if array.shape not in ((), (1,)):
        raise ValueError(f"{where} must be a single number; got shape {array.shape}")
    number = float(array.reshape(()))
    if not math.isfinite(number):
        raise ValueError(f"{where} must be finite; got {number}")
    if nonnegative and number < 0:
        raise ValueError(f"{where} cannot be negative; got {number}")
    return number


def _count(value: object, where: str) -> int:
    """A step count as an int (PyTorch saves it as a float tensor)."""
    try:
        count = float(np.asarray(value))
    except (TypeError, ValueError):
        raise TypeError(f"{where} must be a whole number; got {value!r}") from None
    if not (count >= 0 and count.is_integer()):
        raise ValueError(f"{where} must be a non-negative whole number; got {value!r}")
    return int(count)


def _buffer(
    value: object, shape: tuple[int, ...], dtype: np.dtype, nonnegative: bool, where: str
) -> np.ndarray:
    """A saved buffer as a copy in the parameter's dtype (PyTorch, too, casts state to its
    parameter's dtype), of the shape the rule gives it, finite, and not negative where it is
    a second moment."""
    try:
        with np.errstate(over="ignore"):
            array = np.array(value, dtype=dtype)
    except (TypeError, ValueError):
        raise TypeError(
            f"{where} must be an array of numbers; got {type(value).__name__}"
        ) from None
    if array.shape != shape:
        raise ValueError(f"{where} has shape {array.shape}; expected {shape}")
    if not np.isfinite(array).all():
        raise ValueError(f"{where} contains nan or inf (or a value too large for {dtype})")
    if nonnegative and array.size and array.min() < 0:
        raise ValueError(
            f"{where} holds squares and cannot be negative; got a minimum of {float(array.min())}"
        )
    return array
