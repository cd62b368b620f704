"""What the sandboxed child's replies mean: the grader's side of a call or a cell.

Everything here reads a reply from an untrusted process (:mod:`companion.grade.protocol`)
and checks every part: a returned value becomes an :class:`~companion.exercises.Observation`
for the judge, a missing function or a failed cell a message for the learner.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from ..exercises import Item, Observation
from ..exercises.core import UNWATCHED
from . import protocol
from .submissions import Notebook


class _Opaque:
    """Stands for a returned object the judge may only know by its type's name."""


def _opaque(type_name: Any) -> object:
    name = re.sub(r"\W", "_", str(type_name))[:60] or "object"
    if name[0].isdigit():
        name = "_" + name
    return type(name, (_Opaque,), {})()


def _delegated(reply: dict, item: Item) -> tuple[str, ...]:
    """The reference implementations the child says ran: only names the grader asked about."""
    uses = reply.get("uses", [])
    if not isinstance(uses, list):
        raise protocol.ProtocolError("malformed list of references used")
    known = {*item.references, UNWATCHED}
    return tuple(sorted({u for u in uses if isinstance(u, str) and u in known}))


def _observation(reply: dict, item: Item, args: tuple) -> Observation:
    """Rebuild an Observation from the child's reply, checking every part (untrusted)."""
    delegated = _delegated(reply, item)
    error = reply.get("error")
    if error is not None:
        if not isinstance(error, dict):
            raise protocol.ProtocolError("malformed error report")
        kind = re.sub(r"\W", "_", str(error.get("type", "Exception")))[:100] or "Exception"
        return Observation(
            error_type=kind, error=str(error.get("message", ""))[:2000], delegated=delegated
        )
    returned = reply.get("returned")
    if not isinstance(returned, dict):
        raise protocol.ProtocolError("a call's reply has no returned value")
    if returned.get("kind") == "none":
        value: Any = None
    elif returned.get("kind") == "object":
        value = _opaque(returned.get("type"))
    else:
        value = protocol.decode_array(returned)
    after = reply.get("after")
    if not isinstance(after, list) or len(after) != len(args):
        raise protocol.ProtocolError("a call's reply does not describe its arguments")
    mutated = []
    for name, original, now in zip(item.arg_names, args, after, strict=False):
        if isinstance(original, np.ndarray):
            changed = now is None or not np.array_equal(
                original, protocol.decode_array(now), equal_nan=True
            )
            if changed:
                mutated.append(name)
    return Observation(returned=value, mutated=tuple(mutated), delegated=delegated)


def _defining_cells(notebook: Notebook, function: str) -> list[int]:
    pattern = re.compile(
        rf"^\s*(?:async\s+)?def\s+{re.escape(function)}\s*\(|^{function}\s*=", re.M
    )
    return [number for number, source in notebook.code_cells if pattern.search(source)]


def _missing(item: Item, reply: dict, notebook: Notebook, cells: dict[int, dict]) -> str:
    name = f"`{item.function}`"
    if reply.get("what") == "not_callable":
        kind = re.sub(r"\W", "_", str(reply.get("type", "object")))[:60]
        return f"{name} is a {kind}, not a function: did a later cell reuse the name?"
    defining = _defining_cells(notebook, item.function)
    for number in reversed(defining):
        status = cells.get(number, {})
        if status.get("status") not in ("ok", "skipped"):
            return f"{name} is not defined: its cell (cell {number}) failed: {status.get('error')}"
    if defining:
        return (
            f"{name} is not defined after running the notebook, although cell {defining[-1]} "
            "mentions it"
        )
    return f"{name} is not defined: no cell of the notebook defines it (deleted or renamed?)"


def _cell_error(error: Any) -> str | None:
    if not isinstance(error, dict):
        return None
    kind = re.sub(r"\W", "_", str(error.get("type", "Error")))[:100]
    text = f"{kind}: {str(error.get('message', ''))[:300]}"
    line = error.get("line")
    if isinstance(line, int) and not isinstance(line, bool):
        text += f" (line {line})"
    return text
