"""How the reference suite compares companion with PyTorch, and what it has seen.

An array is compared *normwise*: the error is the largest absolute difference divided by the
largest absolute entry of PyTorch's array,

    error = max |ours - torch| / max |torch|,

and must be at most the tolerance (1e-10 in float64, 1e-5 in float32). This is "relative
error" as floating-point arithmetic can promise it: an entry that is tiny because of
cancellation (a saturated tanh's derivative, a gradient that is zero in exact arithmetic) is
computed to about one rounding error of the array's scale by either library, not to 1e-10 of
itself. For a scalar the error is the ordinary relative error, unless a ``scale`` is given: the
size of the largest number the computation went through (see test_autodiff_torch.py).

Every comparison records its error under a name; the largest ones are printed at the end of
the run (conftest.py), so the margins below the tolerances are visible in every CI log.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from companion.layers import Linear, ReLU, Sequential, Sigmoid, Tanh

F64, F32 = 1e-10, 1e-5  # the tolerances of the issue: float64 and float32
TOLERANCE = {np.dtype(np.float64): F64, np.dtype(np.float32): F32}
TORCH_DTYPE = {np.dtype(np.float64): torch.float64, np.dtype(np.float32): torch.float32}

#: The largest error seen so far for each kind of comparison: name -> (error, tolerance).
WORST: dict[str, tuple[float, float]] = {}


def to_numpy(x: object) -> np.ndarray:
    """A tensor (detached), an array or a number as a NumPy array, with its dtype."""
    if isinstance(x, torch.Tensor):
        return x.detach().cpu().numpy()
    return np.asarray(x)


def tensor(array: np.ndarray, requires_grad: bool = False) -> torch.Tensor:
    """A PyTorch copy of a NumPy array, of the same dtype."""
    return torch.tensor(np.array(array), requires_grad=requires_grad)


#: companion's activation layers and their torch.nn twins.
TWINS = {ReLU: nn.ReLU, Sigmoid: nn.Sigmoid, Tanh: nn.Tanh}


def torch_twin(layer) -> nn.Module:
    """The torch.nn module that computes what a companion layer (or model) computes, with
    copies of its parameters: ``nn.Linear`` keeps ``weight = W.T``, of shape (out, in)."""
    if isinstance(layer, Sequential):
        return nn.Sequential(*map(torch_twin, layer.layers))
    if isinstance(layer, Linear):
        twin = nn.Linear(layer.in_features, layer.out_features, dtype=TORCH_DTYPE[layer.W.dtype])
        with torch.no_grad():
            twin.weight.copy_(torch.from_numpy(layer.W.T.copy()))
            twin.bias.copy_(torch.from_numpy(layer.b.copy()))
        return twin
    return TWINS[type(layer)]()


def error(actual: object, expected: object, scale: float = 0.0) -> float:
    """max |actual - expected| / max(max |expected|, scale); 0 when they are equal."""
    a = to_numpy(actual).astype(np.float64)
    e = to_numpy(expected).astype(np.float64)
    assert a.shape == e.shape, f"shapes differ: companion {a.shape}, torch {e.shape}"
    if a.size == 0 or np.array_equal(a, e):
        return 0.0
    diff = float(np.max(np.abs(a - e)))
    if not math.isfinite(diff):
        return math.inf
    size = max(float(np.max(np.abs(e))), scale)
    return diff / size if size > 0 else math.inf


def assert_close(
    actual: object, expected: object, tol: float, kind: str, scale: float = 0.0
) -> float:
    """Fail unless ``error(actual, expected, scale) <= tol``; record the error under ``kind``."""
    err = error(actual, expected, scale)
    seen, _ = WORST.get(kind, (0.0, tol))
    WORST[kind] = (max(seen, err), tol)
    assert err <= tol, f"{kind}: companion differs from torch by {err:.3g} (tolerance {tol:g})"
    return err


def assert_same_dtype(ours: np.ndarray, theirs: torch.Tensor) -> None:
    """companion keeps the dtype PyTorch keeps (float32 stays float32)."""
    assert TORCH_DTYPE[np.asarray(ours).dtype] == theirs.dtype, (ours.dtype, theirs.dtype)


def assert_close_each(
    actual: object, expected: object, tol: float, kind: str, scale: float = 0.0
) -> float:
    """Like :func:`assert_close`, but every entry relative to itself (or to ``scale``, if
    larger): for a curve of positive numbers such as a learning-rate schedule."""
    a = to_numpy(actual).astype(np.float64)
    e = to_numpy(expected).astype(np.float64)
    assert a.shape == e.shape, f"shapes differ: companion {a.shape}, torch {e.shape}"
    with np.errstate(divide="ignore", invalid="ignore"):
        each = np.where(a == e, 0.0, np.abs(a - e) / np.maximum(np.abs(e), scale))
    err = float(np.max(each, initial=0.0))
    seen, _ = WORST.get(kind, (0.0, tol))
    WORST[kind] = (max(seen, err), tol)
    assert err <= tol, f"{kind}: companion differs from torch by {err:.3g} (tolerance {tol:g})"
    return err
