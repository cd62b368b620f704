"""The driver inside the sandboxed process: run a submission's cells, call its functions.

Started by the grader as ``python -m companion.grade.runner CMD_FD REPLY_FD`` in an empty
working directory, with resource limits already set. It reads requests on ``CMD_FD`` and
answers on ``REPLY_FD`` (see :mod:`companion.grade.protocol`):

- ``{"op": "cell", "index": i, "code": ...}``: execute one code cell (already translated
  from IPython syntax) in the notebook's namespace, as Jupyter would: an exception — even
  ``SystemExit`` — ends that cell only. A cell that only calls ``check(...)`` or
  ``summary(...)`` is skipped.
- ``{"op": "call", "function": name, "args": [...]}``: call the notebook's function on the
  arguments and describe what happened: the returned value, or the exception, and the
  array arguments as they are afterwards (the grader compares them with the originals),
  and which of the course's reference implementations named in ``watch`` ran during the
  call (``companion.exercises.core.watched_call``).

This process holds no expected value, no reference answer and no score, so nothing a
submission does here — patching NumPy, replacing ``check``, inspecting the caller's frames,
rewriting this driver — can tell it the answers or change how the grader judges. In here
``check`` and ``summary`` do nothing (a cell like ``if check(...).passed: experiment()``
skips its experiment) and IPython magics and shell commands (``%pip``, ``!ls``) are ignored:
nothing is ever installed.
"""

from __future__ import annotations

import ast
import builtins
import os
import sys
import traceback
from typing import Any

#: Cell magics whose body still runs (once): they time or capture code, the code matters.
_RUN_BODY = frozenset({"time", "capture"})
#: Names whose calls make up a cell the grader skips.
_CHECKS = frozenset({"check", "summary"})


class _InertShell:
    """Stands in for ``get_ipython()``: magics and shell commands do nothing, except that
    ``%time stmt`` and ``%%time`` / ``%%capture`` cells still run their code once."""

    def __init__(self, namespace: dict) -> None:
        self._namespace = namespace

    def run_line_magic(self, name: str, line: str, *args: Any) -> None:
        if name == "time" and line.strip():
            exec(compile(line, "<magic>", "exec"), self._namespace)  # noqa: S102

    def run_cell_magic(self, name: str, line: str, body: str) -> None:
        if name in _RUN_BODY:
            exec(compile(body, "<magic>", "exec"), self._namespace)  # noqa: S102

    def system(self, *args: Any, **kwargs: Any) -> None:
        return None

    def getoutput(self, *args: Any, **kwargs: Any) -> list:
        return []

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: None


def _display(*objects: Any, **kwargs: Any) -> None:
    for obj in objects:
        print(repr(obj))


def _only_checks(code: str) -> bool:
    """True if every statement of the cell is a bare call of ``check`` or ``summary``."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    if not tree.body:
        return False
    for statement in tree.body:
        if not (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call)):
            return False
        function = statement.value.func
        name = function.id if isinstance(function, ast.Name) else getattr(function, "attr", "")
        if name not in _CHECKS:
            return False
    return True


def _error(error: BaseException, filename: str | None = None) -> dict:
    """An exception as plain data: its type, its message and the line of the cell."""
    line = None
    if isinstance(error, SyntaxError) and error.filename == filename:
        line = error.lineno
    else:
        for frame_summary in traceback.extract_tb(error.__traceback__):
            if frame_summary.filename == filename:
                line = frame_summary.lineno
    try:
        message = error.msg if isinstance(error, SyntaxError) else str(error)
    except BaseException:  # a learner's exception class may even break str()
        message = "<unprintable>"
    return {"type": type(error).__name__[:100], "message": message[:2000], "line": line}


def _inert_checks() -> None:
    """Make ``companion.exercises.check`` and ``summary`` do nothing in this process."""
    import companion.exercises as exercises
    from companion.exercises.core import Feedback

    def check(item_id: Any = "", function: Any = None, *args: Any, **kwargs: Any) -> Feedback:
        return Feedback(
            item=str(item_id),
            function=getattr(function, "__name__", "?"),
            passed=False,
            score=0.0,
            points=0,
            message="checks do not run in the batch grader",
        )

    def summary(*args: Any, **kwargs: Any) -> None:
        return None

    exercises.check = check
    exercises.summary = summary


class Driver:
    """Reads requests, runs them, writes replies. One per sandboxed process."""

    def __init__(self, cmd_fd: int, reply_fd: int) -> None:
        from companion.exercises.core import watched_call

        from . import protocol

        self.protocol = protocol
        # bound before any cell runs: a cell that replaces the module's function changes nothing
        self.watched_call = watched_call
        self.cmd_fd, self.reply_fd = cmd_fd, reply_fd
        self.buffer = bytearray()
        self.namespace: dict = {"__name__": "__main__", "__builtins__": builtins}
        self.namespace["get_ipython"] = lambda: self.shell
        self.namespace["display"] = _display
        self.shell = _InertShell(self.namespace)

    def send(self, message: dict) -> None:
        data = memoryview(self.protocol.frame(message))
        while data:
            written = os.write(self.reply_fd, data)
            data = data[written:]

    def receive(self) -> dict | None:
        while True:
            message = self.protocol.parse_frame(self.buffer)
            if message is not None:
                return message
            chunk = os.read(self.cmd_fd, 1 << 16)
            if not chunk:
                return None
            self.buffer.extend(chunk)

    def run_cell(self, index: int, code: str) -> dict:
        if _only_checks(code):
            return {"status": "skipped"}
        filename = f"<cell {index}>"
        try:
            compiled = compile(code, filename, "exec")
            exec(compiled, self.namespace)  # noqa: S102 -- running the submission is the point
        except BaseException as error:  # SystemExit too: in Jupyter it ends the cell only
            return {"status": "error", "error": _error(error, filename)}
        finally:
            _flush()
        return {"status": "ok"}

    def call(self, name: str, encoded_args: list, watch: list | None = None) -> dict:
        function = self.namespace.get(name, _MISSING)
        if function is _MISSING:
            return {"status": "missing", "what": "undefined"}
        if not callable(function):
            return {"status": "missing", "what": "not_callable", "type": type(function).__name__}
        args = [self.protocol.decode_arg(a) for a in encoded_args]
        references = [str(w) for w in watch or []]
        try:
            returned, error, used = self.watched_call(function, args, references)
        except BaseException as raised:  # SystemExit and the like: data too
            returned, error, used = None, raised, ()
        _flush()
        if error is not None:
            return {"status": "done", "error": _error(error), "uses": list(used)}
        import numpy as np

        after = [self.protocol.encode_array(a) if isinstance(a, np.ndarray) else None for a in args]
        return {
            "status": "done",
            "returned": self.protocol.describe_value(returned),
            "after": after,
            "uses": list(used),
        }

    def serve(self) -> None:
        self.send({"op": "ready", "pid": os.getpid()})
        while True:
            message = self.receive()
            if message is None:  # the grader closed the pipe: we are done
                return
            if message.get("op") == "cell":
                reply = self.run_cell(message["index"], message["code"])
            elif message.get("op") == "call":
                reply = self.call(message["function"], message["args"], message.get("watch"))
            else:
                reply = {"status": "unknown-op"}
            reply["seq"] = message.get("seq")
            self.send(reply)


_MISSING = object()


def _flush() -> None:
    for stream in (sys.__stdout__, sys.__stderr__, sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:  # a learner may have replaced or closed the streams
            pass


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    cmd_fd, reply_fd = int(argv[0]), int(argv[1])
    for fd in (cmd_fd, reply_fd):
        os.set_inheritable(fd, False)  # processes a submission starts don't get the channel
    # The working directory is the submission's own: never import from it.
    here = os.getcwd()
    sys.path[:] = [p for p in sys.path if p not in ("", ".", here)]
    import numpy  # noqa: F401 -- imported before any cell, as the notebooks all use it

    _inert_checks()
    Driver(cmd_fd, reply_fd).serve()


if __name__ == "__main__":
    main()
