"""One sandboxed process per submission: start it, talk to it under deadlines, kill it.

The process is a fresh Python interpreter running :mod:`companion.grade.runner`

- in a new, empty temporary working directory (also its ``HOME`` and ``TMPDIR``),
- with a minimal environment (one BLAS thread, a non-interactive matplotlib backend),
- in its own session and process group, so one signal ends it and everything it started,
- under resource limits set before the interpreter starts: address space (``--memory``),
  CPU seconds, file size, open files, no core dumps and, where the kernel enforces it, the
  number of processes,
- optionally as another, unprivileged user (``--user``, when the grader runs as root).

The grader enforces the wall-clock limits itself — per cell, per call and per notebook —
and caps what the process may print, so nothing the submission does can make the grader
wait forever or run out of memory.
"""

from __future__ import annotations

import argparse
import os
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from . import protocol

__all__ = ["Child", "ChildFailure", "Limits", "reap_orphans"]


@dataclass(frozen=True)
class Limits:
    """The resources one submission may use. Every time is wall-clock seconds."""

    cell_timeout: float = 30.0
    call_timeout: float = 10.0
    notebook_timeout: float = 180.0
    memory_mb: int = 2048
    max_output_mb: float = 10.0
    max_notebook_mb: float = 20.0
    user: str | None = None

    def __post_init__(self) -> None:
        for name in ("cell_timeout", "call_timeout", "notebook_timeout", "max_output_mb"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive; got {getattr(self, name)!r}")
        if self.memory_mb < 256:
            raise ValueError(f"memory_mb must be at least 256; got {self.memory_mb!r}")


class ChildFailure(Exception):
    """The process did not answer: it timed out, died, printed too much or broke protocol.

    ``kind`` is one of ``"timeout"``, ``"died"``, ``"output"``, ``"protocol"``; ``str()``
    is a sentence for the learner's report.
    """

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


# Output kept for the report, per stream: the start (where errors usually show) is enough.
_KEEP_OUTPUT = 20_000


def _process_count(uid: int) -> int:
    """How many processes (and threads' tasks don't count here) user ``uid`` runs now."""
    count = 0
    try:
        entries = os.listdir("/proc")
    except OSError:
        return 0
    for entry in entries:
        if entry.isdigit():
            try:
                if os.stat(f"/proc/{entry}").st_uid == uid:
                    count += 1
            except OSError:
                pass
    return count


def _limit_resources(limits: Limits, nproc: int | None) -> None:
    """Runs in the child between fork and exec (so the interpreter starts limited)."""
    import resource

    memory = limits.memory_mb * 1024 * 1024
    cpu = int(limits.notebook_timeout) + 5
    for name, value in (
        ("RLIMIT_AS", memory),
        ("RLIMIT_CPU", cpu),
        ("RLIMIT_CORE", 0),
        ("RLIMIT_FSIZE", 64 * 1024 * 1024),
        ("RLIMIT_NOFILE", 256),
        ("RLIMIT_NPROC", nproc),
    ):
        if value is None or not hasattr(resource, name):
            continue
        kind = getattr(resource, name)
        try:
            _, hard = resource.getrlimit(kind)
            if hard != resource.RLIM_INFINITY:
                value = min(value, hard)
            resource.setrlimit(kind, (value, value))
        except (ValueError, OSError):
            pass


def _environment(workdir: str, shared_cache: str | None) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": workdir,
        "TMPDIR": workdir,
        "LANG": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONNOUSERSITE": "1",
        "PYTHONUNBUFFERED": "1",
        "PYTHONIOENCODING": "utf-8",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "MPLBACKEND": "Agg",
        # The child imports the very companion package this grader judges with (installed or
        # not), so the cases it receives and the functions they name are the same code.
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    }
    if shared_cache:
        env["MPLCONFIGDIR"] = shared_cache
    return env


class Child:
    """A running sandboxed process and the two pipes to its driver."""

    def __init__(self, limits: Limits, shared_cache: str | None = None) -> None:
        self.limits = limits
        self.workdir = tempfile.mkdtemp(prefix="course-grade-")
        self.output = {"stdout": bytearray(), "stderr": bytearray()}
        self.output_total = 0
        self.seq = 0
        self.buffer = bytearray()
        cmd_read, self.cmd_write = os.pipe()
        self.reply_read, reply_write = os.pipe()
        user = None
        if limits.user is not None:
            import pwd

            entry = pwd.getpwnam(limits.user)
            user = entry.pw_uid
            os.chown(self.workdir, entry.pw_uid, entry.pw_gid)
            nproc = 64 + _process_count(entry.pw_uid)
        else:
            nproc = 64 + _process_count(os.getuid())
        command = [sys.executable, "-s", "-B"]
        if sys.version_info >= (3, 11):
            command.append("-P")  # never import from the working directory
        command += ["-m", "companion.grade.runner", str(cmd_read), str(reply_write)]
        self.started = time.perf_counter()
        self.closed = True  # until the process exists
        try:
            self.process = subprocess.Popen(
                command,
                cwd=self.workdir,
                env=_environment(self.workdir, shared_cache),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                pass_fds=(cmd_read, reply_write),
                start_new_session=True,
                preexec_fn=lambda: _limit_resources(limits, nproc),  # noqa: PLW1509
                user=user,
                group=None if user is None else entry.pw_gid,
                extra_groups=None if user is None else [],
            )
        except (OSError, subprocess.SubprocessError) as error:
            for fd in (self.cmd_write, self.reply_read):
                os.close(fd)
            shutil.rmtree(self.workdir, ignore_errors=True)
            raise ChildFailure("died", f"Python could not be started ({error})") from None
        finally:
            os.close(cmd_read)
            os.close(reply_write)
        os.set_blocking(self.cmd_write, False)
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.process.stdout, selectors.EVENT_READ, "stdout")
        self.selector.register(self.process.stderr, selectors.EVENT_READ, "stderr")
        self.selector.register(self.reply_read, selectors.EVENT_READ, "reply")
        self.closed = False

    # --- talking -------------------------------------------------------------------------------

    def wait_ready(self, deadline: float) -> float:
        """Wait for the driver's hello; return the start-up time in seconds."""
        message = self._read_reply(deadline, "starting Python")
        if message.get("op") != "ready":
            raise ChildFailure("protocol", "the process sent something other than its greeting")
        return time.perf_counter() - self.started

    def request(self, message: dict, deadline: float, doing: str) -> dict:
        """Send one request and wait for its reply until ``deadline`` (a perf_counter time).

        Raises :class:`ChildFailure` if no valid reply comes in time; ``doing`` names the
        request in the failure's message ("running cell 5", "calling f on ...").
        """
        self.seq += 1
        message = {**message, "seq": self.seq}
        self._write(protocol.frame(message), deadline, doing)
        reply = self._read_reply(deadline, doing)
        if reply.get("seq") != self.seq:
            raise ChildFailure("protocol", f"the process sent an unexpected message while {doing}")
        return reply

    def _write(self, data: bytes, deadline: float, doing: str) -> None:
        view = memoryview(data)
        self.selector.register(self.cmd_write, selectors.EVENT_WRITE, "cmd")
        try:
            while view:
                try:
                    written = os.write(self.cmd_write, view)
                    view = view[written:]
                    continue
                except BlockingIOError:
                    pass
                except BrokenPipeError:
                    raise self._died(doing) from None
                self._pump(deadline, doing, want_write=True)
        finally:
            self.selector.unregister(self.cmd_write)

    def _read_reply(self, deadline: float, doing: str) -> dict:
        while True:
            try:
                message = protocol.parse_frame(self.buffer)
            except protocol.ProtocolError as error:
                raise ChildFailure(
                    "protocol", f"the grading channel was corrupted while {doing} ({error})"
                ) from None
            if message is not None:
                return message
            self._pump(deadline, doing)

    def _pump(self, deadline: float, doing: str, want_write: bool = False) -> None:
        """Wait for one event: collect output, collect reply bytes; enforce time and size."""
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            raise ChildFailure("timeout", f"timed out while {doing}")
        for key, _ in self.selector.select(timeout=remaining):
            if key.data == "cmd":
                return  # writable: the caller retries its write
            fd = key.fileobj if isinstance(key.fileobj, int) else key.fileobj.fileno()
            try:
                chunk = os.read(fd, 1 << 16)
            except OSError:
                chunk = b""
            if key.data == "reply":
                if not chunk:
                    raise self._died(doing)
                self.buffer.extend(chunk)
                if len(self.buffer) > protocol.MAX_FRAME + 8:
                    raise ChildFailure(
                        "protocol", f"the process flooded the grading channel while {doing}"
                    )
                continue
            if not chunk:
                self.selector.unregister(key.fileobj)
                continue
            kept = self.output[key.data]
            if len(kept) < _KEEP_OUTPUT:
                kept.extend(chunk[: _KEEP_OUTPUT - len(kept)])
            self.output_total += len(chunk)
            if self.output_total > self.limits.max_output_mb * 1024 * 1024:
                raise ChildFailure(
                    "output",
                    f"printed more than {self.limits.max_output_mb:g} MB of output while {doing}",
                )

    def _died(self, doing: str) -> ChildFailure:
        try:
            code = self.process.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            return ChildFailure("died", f"the process closed the grading channel while {doing}")
        if code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = f"signal {-code}"
            why = {
                "SIGSEGV": " (a crash, e.g. a segmentation fault)",
                "SIGKILL": " (killed, e.g. for exceeding a limit)",
                "SIGXCPU": " (the CPU-time limit)",
            }.get(name, "")
            return ChildFailure("died", f"the process was killed by {name}{why} while {doing}")
        return ChildFailure("died", f"the process exited with status {code} while {doing}")

    # --- ending --------------------------------------------------------------------------------

    def kill(self) -> None:
        """End the process and its whole process group; remove the working directory."""
        if self.closed:
            return
        self.closed = True
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.process.wait(timeout=5.0)
        except subprocess.TimeoutExpired:
            pass
        self.selector.close()
        for stream in (self.process.stdout, self.process.stderr):
            stream.close()
        for fd in (self.cmd_write, self.reply_read):
            try:
                os.close(fd)
            except OSError:
                pass
        shutil.rmtree(self.workdir, ignore_errors=True)

    def text_output(self) -> dict[str, str]:
        return {name: bytes(kept).decode("utf-8", "replace") for name, kept in self.output.items()}


# --- processes that escaped the process group -------------------------------------------------

_PR_SET_CHILD_SUBREAPER = 36
_is_subreaper = False


def become_subreaper() -> bool:
    """Make this process adopt its orphaned descendants (Linux), so :func:`reap_orphans`
    can end processes a submission started in a new session. Returns whether it worked."""
    global _is_subreaper
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        _is_subreaper = libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    except (OSError, AttributeError):
        _is_subreaper = False
    return _is_subreaper


def _children() -> list[int]:
    me = str(os.getpid())
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        if fields[1].decode() == me:
            found.append(int(entry))
    return found


def reap_orphans() -> int:
    """Kill and reap every remaining child of this process (only if it is a subreaper).

    A grading worker has no children of its own besides the submission's process, so any
    child left after that process ended is something the submission started. Returns how
    many were killed.
    """
    if not _is_subreaper:
        return 0
    killed = 0
    for _ in range(100):
        children = _children()
        if not children:
            break
        for pid in children:
            try:
                os.kill(pid, signal.SIGKILL)
                killed += 1
            except ProcessLookupError:
                pass
        for pid in children:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
        time.sleep(0.01)
    return killed


def limits_from_options(parser: argparse.ArgumentParser, args: argparse.Namespace) -> Limits:
    """The :class:`Limits` a command line asked for (``--cell-timeout``, ``--call-timeout``,
    ``--timeout``, ``--memory``, ``--max-output``, ``--max-notebook``, ``--user``), shared by
    ``python -m companion.grade`` and the Gradescope bundle; a bad value is a usage error."""
    try:
        return Limits(
            cell_timeout=args.cell_timeout,
            call_timeout=args.call_timeout,
            notebook_timeout=args.timeout,
            memory_mb=args.memory,
            max_output_mb=args.max_output,
            max_notebook_mb=args.max_notebook,
            user=args.user,
        )
    except ValueError as error:
        parser.error(str(error))
