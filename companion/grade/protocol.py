"""The messages between the grader and the process that runs a submission.

The two sides trust each other differently, so the two directions use different formats:

- **grader → child** (trusted data going in): cell code, a function name and a case's
  arguments. Arrays travel as ``.npy`` bytes; the functions a case hands to the learner
  (``ex01.sum_exp``, ...) travel as *names* — module path and attribute — and the child
  imports them from the companion package. No expected value is ever sent.
- **child → grader** (untrusted data coming out): plain JSON only. An array comes back as its
  shape and its raw float64 (or other numeric) bytes, which :func:`decode_array` checks
  strictly; anything else the learner's function returned is described by its type's name.
  The grader never unpickles and never evaluates anything the child sends.

Every message is one *frame*: 4 bytes of big-endian length, then that many bytes of UTF-8
JSON. Frames are carried on two dedicated pipes, not on stdout, so nothing a submission
prints can be mistaken for a reply.
"""

from __future__ import annotations

import base64
import importlib
import io
import json
import math
import re
import struct
from typing import Any

import numpy as np

__all__ = [
    "MAX_ELEMENTS",
    "MAX_FRAME",
    "ProtocolError",
    "decode_arg",
    "decode_array",
    "describe_value",
    "encode_arg",
    "encode_array",
    "frame",
    "parse_frame",
]

#: The largest frame either side accepts (bytes): a reply above it breaks the protocol.
MAX_FRAME = 64 * 1024 * 1024
#: Arrays larger than this come back as their shape only (the judge then reports the shape).
MAX_ELEMENTS = 1_000_000
#: Dtype kinds an array coming back may have: bool, integers, floats, complex.
_NUMERIC_KINDS = frozenset("biufc")
_HEADER = struct.Struct(">I")


class ProtocolError(ValueError):
    """A message that does not follow the protocol (malformed, too large, wrong type)."""


# --- framing ----------------------------------------------------------------------------------


def frame(message: dict) -> bytes:
    """One message as a frame: length prefix + compact JSON."""
    body = json.dumps(message, separators=(",", ":"), allow_nan=True).encode("utf-8")
    if len(body) > MAX_FRAME:
        raise ProtocolError(f"message of {len(body)} bytes is larger than {MAX_FRAME}")
    return _HEADER.pack(len(body)) + body


def parse_frame(buffer: bytearray) -> dict | None:
    """Remove and return the first complete message in ``buffer``, or ``None`` if incomplete.

    Raises :class:`ProtocolError` if the length is absurd or the body is not a JSON object.
    """
    if len(buffer) < _HEADER.size:
        return None
    (length,) = _HEADER.unpack_from(buffer)
    if length > MAX_FRAME:
        raise ProtocolError(f"a reply announced {length} bytes (limit {MAX_FRAME})")
    if len(buffer) < _HEADER.size + length:
        return None
    body = bytes(buffer[_HEADER.size : _HEADER.size + length])
    del buffer[: _HEADER.size + length]
    try:
        message = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise ProtocolError(f"a reply is not valid JSON ({error})") from None
    if not isinstance(message, dict):
        raise ProtocolError("a reply is not a JSON object")
    return message


# --- arguments, grader -> child ---------------------------------------------------------------


def _npy(array: np.ndarray) -> str:
    out = io.BytesIO()
    np.save(out, array, allow_pickle=False)
    return base64.b64encode(out.getvalue()).decode("ascii")


def encode_arg(value: Any) -> dict:
    """Encode one argument of a case for the child.

    Supported: ``None``, bool, int, float, str, NumPy arrays and scalars of numeric dtype,
    tuples, lists, dicts with string keys, NumPy ``Generator`` objects (by their bit
    generator's state) and named module-level functions (by module and qualified name).

    Raises
    ------
    TypeError
        For anything else, e.g. a lambda: a case must pass only data and named functions.
    """
    if value is None or isinstance(value, (bool, str)):
        return {"t": "json", "v": value}
    if isinstance(value, (int, float)) and not isinstance(value, np.generic):
        return {"t": "json", "v": value}
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in _NUMERIC_KINDS:
            raise TypeError(f"cannot send an array of dtype {value.dtype} to a submission")
        return {"t": "ndarray", "npy": _npy(value)}
    if isinstance(value, np.generic):
        return {"t": "scalar", "npy": _npy(np.asarray(value))}
    if isinstance(value, (tuple, list)):
        return {"t": type(value).__name__, "v": [encode_arg(v) for v in value]}
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise TypeError("cannot send a dict with non-string keys to a submission")
        return {"t": "dict", "v": {k: encode_arg(v) for k, v in value.items()}}
    if isinstance(value, np.random.Generator):
        bit_generator = value.bit_generator
        return {
            "t": "generator",
            "bit_generator": type(bit_generator).__name__,
            "state": encode_arg(bit_generator.state),
        }
    module, name = getattr(value, "__module__", None), getattr(value, "__qualname__", None)
    if callable(value) and module and name and "<" not in name:
        target: Any = importlib.import_module(module)
        for part in name.split("."):
            target = getattr(target, part, None)
        if target is value:
            return {"t": "function", "module": module, "name": name}
    raise TypeError(
        f"cannot send {type(value).__name__} {value!r:.60} to a submission: a case may pass "
        "only data and named module-level functions"
    )


def decode_arg(encoded: dict) -> Any:
    """Rebuild an argument in the child (the inverse of :func:`encode_arg`)."""
    kind = encoded["t"]
    if kind == "json":
        return encoded["v"]
    if kind == "ndarray":
        return np.load(io.BytesIO(base64.b64decode(encoded["npy"])), allow_pickle=False)
    if kind == "scalar":
        return np.load(io.BytesIO(base64.b64decode(encoded["npy"])), allow_pickle=False)[()]
    if kind in ("tuple", "list"):
        items = [decode_arg(v) for v in encoded["v"]]
        return tuple(items) if kind == "tuple" else items
    if kind == "dict":
        return {k: decode_arg(v) for k, v in encoded["v"].items()}
    if kind == "generator":
        bit_generator = getattr(np.random, encoded["bit_generator"])()
        bit_generator.state = decode_arg(encoded["state"])
        return np.random.Generator(bit_generator)
    if kind == "function":
        target: Any = importlib.import_module(encoded["module"])
        for part in encoded["name"].split("."):
            target = getattr(target, part)
        return target
    raise ProtocolError(f"unknown argument kind {kind!r}")


# --- values, child -> grader ------------------------------------------------------------------


def encode_array(array: np.ndarray) -> dict:
    """An array's shape, dtype and raw bytes (or, above :data:`MAX_ELEMENTS`, its shape only)."""
    if array.size > MAX_ELEMENTS:
        return {"kind": "large", "shape": list(array.shape)}
    return {
        "kind": "array",
        "shape": list(array.shape),
        "dtype": array.dtype.str,
        "data": base64.b64encode(array.tobytes(order="C")).decode("ascii"),
    }


def describe_value(value: Any) -> dict:
    """What a learner's function returned, as the judge needs it (runs in the child).

    ``None`` stays ``None``; a value NumPy converts to float64 (as the judge would) comes back
    as that float64 array; anything else is described by its type's name only.
    """
    if value is None:
        return {"kind": "none"}
    try:
        array = np.asarray(value, dtype=np.float64)
    except BaseException:  # a learner's __array__ may raise anything
        return {"kind": "object", "type": type(value).__name__}
    return encode_array(array)


def _shape(value: Any) -> tuple[int, ...]:
    if (
        not isinstance(value, list)
        or len(value) > 32
        or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in value)
    ):
        raise ProtocolError(f"bad shape {value!r:.80}")
    if math.prod(value) >= 2**62:
        raise ProtocolError(f"absurd shape {value!r:.80}")
    return tuple(value)


def decode_array(encoded: Any) -> np.ndarray:
    """Strictly rebuild an array sent by the child (in the grader: untrusted input).

    Only numeric dtypes, a byte count that matches the shape, no pickles. A ``"large"``
    array comes back as NaN of the right shape without memory behind it.
    """
    if not isinstance(encoded, dict):
        raise ProtocolError("an array must be a JSON object")
    shape = _shape(encoded.get("shape"))
    if encoded.get("kind") == "large":
        return np.broadcast_to(np.float64(np.nan), shape)
    if encoded.get("kind") != "array":
        raise ProtocolError(f"unknown array kind {encoded.get('kind')!r:.40}")
    dtype_text, data = encoded.get("dtype"), encoded.get("data")
    if not isinstance(dtype_text, str) or not re.fullmatch(r"[<>|=][biufc]\d{1,2}", dtype_text):
        raise ProtocolError(f"bad dtype {dtype_text!r:.40}")
    dtype = np.dtype(dtype_text)
    if not isinstance(data, str):
        raise ProtocolError("array data must be base64 text")
    try:
        raw = base64.b64decode(data, validate=True)
    except ValueError:
        raise ProtocolError("array data is not valid base64") from None
    if len(raw) != math.prod(shape) * dtype.itemsize:
        raise ProtocolError("array data does not match its shape")
    return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()
