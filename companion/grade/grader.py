"""Grade one submission: run it in a sandboxed process, judge what its functions return.

For each submission the grader

1. reads the notebook (invalid JSON, a missing exercise number → zero, with the reason);
2. starts a fresh sandboxed process (:class:`~companion.grade.sandbox.Child`) and runs the
   notebook's code cells there in order, each under the per-cell time limit. A cell that
   raises — a syntax error, an exception, ``sys.exit()`` — ends only itself, as in Jupyter;
3. for each item of the exercise, sends the item's cases to the process one call at a time,
   under the per-call time limit, and gets back what the function returned;
4. judges those observations here, in the grader's own process, with
   :func:`companion.exercises.judge` — the same judge as the learner's ``check``, so the
   feedback is the same — against expected values computed here and nowhere else.

If the process dies, stops answering or prints too much, it is killed (with everything it
started). The cell or item it was busy with gets the reason; a fresh process then re-runs
the notebook, skipping that cell, and grading goes on with the remaining items. The whole
submission also has a wall-clock limit.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from typing import Any

from ..exercises import ITEMS, Item, judge
from . import protocol
from ._replies import _cell_error, _missing, _observation
from .sandbox import Child, ChildFailure, Limits, reap_orphans
from .submissions import (
    Notebook,
    NotebookError,
    Submission,
    exercise_from_content,
    exercise_from_name,
    parse_notebook,
    student_of,
)

__all__ = ["exercises", "grade_submission", "transform_cell"]

# Code that reaches into the exercises' answer key (the items, their reference answers, the
# private helpers of an exNN module or of a private _exNN_... module beside it): a learner
# never needs it. Flagged for a human to look at, never penalised automatically. Importing a
# public test function (``ex05.bowl_gradient``) for an experiment is fine and not flagged.
_ANSWER_KEY = re.compile(
    r"\bITEMS\b|\.reference\b|\.mistakes\b|\b(?:ex\d+|_ex\d+_\w+)\._\w+"
    r"|companion\.exercises\.(?:ex\d+|_ex\d+_\w+)\s+import\s+[^\n#]*\b_\w+"
)


def _names_reference(cells: Sequence[str], item: Item) -> str | None:
    """A reference implementation of ``item`` that a cell binding the item's function names:
    ``from companion.gradients import numerical_gradient``, or a ``def numerical_gradient``
    whose cell mentions ``….numerical_gradient``. A flag for a human only: names can be built
    in ways no pattern sees (``getattr(module, "numer" + "ical_gradient")``), and other cells
    may use the companion's functions freely (an experiment does)."""
    function = re.escape(item.function)
    binds = re.compile(
        rf"^\s*{function}\s*=|^\s*(?:async\s+)?def\s+{function}\s*\("
        rf"|import\s+[^\n#]*\b{function}\b(?!\s+as\b)|\bas\s+{function}\b",
        re.M,
    )
    for source in cells:
        if not binds.search(source):
            continue
        for reference in item.references:
            name = reference.rpartition(".")[2]
            if not name[:1].islower():  # a class: experiments use companion's optimizers
                continue
            if re.search(
                rf"\.\s*{re.escape(name)}\b|import\s+[^\n#]*\b{re.escape(name)}\b", source
            ):
                return f"`{reference}`"
    return None


def exercises() -> dict[int, list[Item]]:
    """Every exercise's items, in order, from :data:`companion.exercises.ITEMS`."""
    grouped: dict[int, list[Item]] = {}
    for item in sorted(ITEMS.values(), key=lambda i: tuple(int(p) for p in i.id.split("."))):
        grouped.setdefault(int(item.id.split(".")[0]), []).append(item)
    return grouped


_transformer = None


def transform_cell(source: str) -> str:
    """A cell's IPython syntax (``%magic``, ``!shell``) as plain Python, like Jupyter does."""
    global _transformer
    if _transformer is None:
        from IPython.core.inputtransformer2 import TransformerManager

        _transformer = TransformerManager()
    try:
        return _transformer.transform_cell(source)
    except Exception:  # leave it to the child to report the syntax error
        return source


# --- results ----------------------------------------------------------------------------------


def _item_result(item: Item, score: float, message: str, cases: Sequence[str] = ()) -> dict:
    earned = score * item.points
    result = {
        "id": item.id,
        "function": item.function,
        "points": item.points,
        "earned": earned,
        "score": score,
        "passed": score == 1.0,
        "feedback": message,
        "cases": list(cases),
    }
    if earned == 0:
        result["reason"] = message
    return result


def _zero(item: Item, message: str) -> dict:
    return _item_result(item, 0.0, message)


class _Restart(Exception):
    """The process failed; start a fresh one for what is left."""


class _ItemFailed(Exception):
    """The process failed while an item was being graded: the item gets ``result``."""

    def __init__(self, result: dict) -> None:
        super().__init__(result["feedback"])
        self.result = result


# --- one submission ---------------------------------------------------------------------------


class _Session:
    """The state of grading one submission across (possibly several) processes."""

    def __init__(self, notebook: Notebook, items: list[Item], limits: Limits, cache: str | None):
        self.notebook, self.items, self.limits, self.cache = notebook, items, limits, cache
        self.code = [(number, transform_cell(source)) for number, source in notebook.code_cells]
        self.cells: dict[int, dict] = {}
        self.bad: set[int] = set()
        self.results: dict[str, dict] = {}
        self.output = {"stdout": "", "stderr": ""}
        self.output_bytes = 0
        self.timing = {"startup_s": 0.0, "cells_s": 0.0, "calls_s": 0.0, "judge_s": 0.0}
        self.processes = 0
        self.start = time.perf_counter()
        self.deadline = self.start + limits.notebook_timeout

    def _until(self, seconds: float) -> tuple[float, bool]:
        """The deadline for a step of ``seconds`` and whether the notebook's limit is nearer."""
        step = time.perf_counter() + seconds
        return min(step, self.deadline), self.deadline <= step

    def run(self) -> None:
        pending = list(self.items)
        while pending and time.perf_counter() < self.deadline:
            self.processes += 1
            child = None
            try:
                child = Child(self.limits, self.cache)
                self._one_process(child, pending)
            except _Restart:
                continue
            except ChildFailure as failure:  # the interpreter itself did not start
                if time.perf_counter() >= self.deadline:
                    break  # out of time: the items left say so below
                for item in pending:
                    self.results[item.id] = _zero(
                        item, f"the grader could not run the notebook: {failure}"
                    )
                pending.clear()
            finally:
                if child is not None:
                    self._keep_output(child)
                    child.kill()
                reap_orphans()
        for item in pending:
            self.results[item.id] = _zero(
                item,
                f"not graded: the notebook used up its time limit "
                f"({self.limits.notebook_timeout:g} s) before this item",
            )

    def _keep_output(self, child: Child) -> None:
        for name, text in child.text_output().items():
            if len(self.output[name]) < 20_000:
                self.output[name] = (self.output[name] + text)[:20_000]
        self.output_bytes += child.output_total

    def _one_process(self, child: Child, pending: list[Item]) -> None:
        deadline, _ = self._until(max(30.0, self.limits.cell_timeout))
        self.timing["startup_s"] += child.wait_ready(deadline)
        cells_started = time.perf_counter()
        for number, code in self.code:
            if number in self.bad:
                continue
            deadline, notebook_limit = self._until(self.limits.cell_timeout)
            try:
                reply = child.request(
                    {"op": "cell", "index": number, "code": code},
                    deadline,
                    f"running cell {number}",
                )
            except ChildFailure as failure:
                if failure.kind == "timeout" and notebook_limit:
                    self.cells[number] = {
                        "status": "timeout",
                        "error": "the notebook's time limit ran out while this cell ran",
                    }
                    raise _Restart from None  # the loop in run() ends: no time left
                self.bad.add(number)
                message = str(failure)
                if failure.kind == "timeout":
                    message = (
                        f"did not finish within {self.limits.cell_timeout:g} s (an infinite "
                        "loop?); skipped when grading"
                    )
                self.cells[number] = {"status": failure.kind, "error": message}
                raise _Restart from None
            finally:
                self.timing["cells_s"] += time.perf_counter() - cells_started
                cells_started = time.perf_counter()
            status = reply.get("status")
            if status not in ("ok", "skipped", "error"):
                status = "error"
            self.cells[number] = {"status": status, "error": _cell_error(reply.get("error"))}
        while pending:
            item = pending[0]
            try:
                self.results[item.id] = self._grade_item(child, item)
            except _ItemFailed as failed:
                self.results[item.id] = failed.result
                pending.pop(0)
                raise _Restart from None
            pending.pop(0)

    def _grade_item(self, child: Child, item: Item) -> dict:
        cases = item.cases()
        try:
            encoded = [[protocol.encode_arg(a) for a in case.args] for case in cases]
        except TypeError as error:
            return _zero(item, f"the grader cannot run this item ({error}); tell the instructor")
        observations = []
        calls_started = time.perf_counter()
        for case, args in zip(cases, encoded, strict=True):
            deadline, notebook_limit = self._until(self.limits.call_timeout)
            doing = f"calling {item.function} on {case.label}"
            try:
                request = {"op": "call", "function": item.function, "args": args}
                if item.references:
                    request["watch"] = list(item.references)
                reply = child.request(request, deadline, doing)
                if reply.get("status") == "missing":
                    return _zero(item, _missing(item, reply, self.notebook, self.cells))
                if reply.get("status") != "done":
                    raise protocol.ProtocolError("unexpected reply to a call")
                observations.append(_observation(reply, item, case.args))
            except (ChildFailure, protocol.ProtocolError) as failure:
                if isinstance(failure, ChildFailure) and failure.kind == "timeout":
                    if notebook_limit:
                        message = (
                            f"{item.function} was still running on {case.label} when the "
                            f"notebook's time limit ({self.limits.notebook_timeout:g} s) ran out"
                        )
                    else:
                        message = (
                            f"{item.function} did not return within "
                            f"{self.limits.call_timeout:g} s on {case.label} (an infinite loop?)"
                        )
                else:
                    message = f"{item.function}: {failure}"
                raise _ItemFailed(_zero(item, message)) from None
            finally:
                self.timing["calls_s"] += time.perf_counter() - calls_started
                calls_started = time.perf_counter()
        judged = time.perf_counter()
        try:
            feedback = judge(item, cases, observations)
        except Exception as error:  # a bug in the course's own checks, not the learner's
            return _zero(
                item, f"the grader failed to judge this item ({error!r}); tell the instructor"
            )
        finally:
            self.timing["judge_s"] += time.perf_counter() - judged
        result = _item_result(item, feedback.score, feedback.message, feedback.case_messages)
        if feedback.flag:
            result["flag"] = feedback.flag
        return result


def empty_report(
    name: str, student: str, status: str = "graded", problem: str | None = None
) -> dict[str, Any]:
    """A report with every field and nothing graded yet: what :func:`grade_submission` fills
    in, and what a submission the grader could not handle is recorded as."""
    return {
        "submission": name,
        "student": student,
        "exercise": None,
        "status": status,
        "problem": problem,
        "total": 0.0,
        "max": 0,
        "items": [],
        "cells": [],
        "flags": [],
        "output": {"stdout": "", "stderr": "", "bytes": 0},
        "timing": {},
    }


def grade_submission(
    submission: Submission,
    limits: Limits | None = None,
    exercise: int | None = None,
    shared_cache: str | None = None,
) -> dict:
    """Grade one submission; return its report (plain data, ready for JSON).

    The report has the submission's name, student and exercise, a ``status`` ("graded",
    or why it could not be), every item's points, score, feedback and — for every zero —
    its ``reason``, what each code cell did, the start of what the notebook printed, flags
    for a human to look at, and timings.
    """
    limits = limits or Limits()
    started = time.perf_counter()
    known = exercises()
    numbers = set(known)
    report = empty_report(submission.name, student_of(submission.relative, numbers))
    number = exercise or exercise_from_name(submission.relative, numbers)
    notebook = None
    problem = None
    if not submission.data:
        problem = (
            f"the notebook is {submission.size / 2**20:.1f} MB, larger than the "
            f"{limits.max_notebook_mb:g} MB limit"
            if submission.size
            else "the notebook file is empty"
        )
        report["status"] = "too-large" if submission.size else "invalid-notebook"
    else:
        try:
            notebook = parse_notebook(submission.data)
        except NotebookError as error:
            problem = f"invalid notebook: {error}"
            report["status"] = "invalid-notebook"
    if number is None and notebook is not None:
        number = exercise_from_content(notebook, numbers)
    if number is None:
        report["status"] = "unknown-exercise" if problem is None else report["status"]
        report["problem"] = problem or (
            "cannot tell which exercise this is: name the file NN_... (e.g. 01_gradients.ipynb)"
            " or pass --exercise N"
        )
        report["timing"] = {"total_s": time.perf_counter() - started}
        return report
    if number not in known:
        report["status"] = "unknown-exercise"
        report["problem"] = f"there is no exercise {number}"
        return report
    items = known[number]
    report["exercise"] = number
    report["max"] = sum(item.points for item in items)
    if problem is not None:
        report["problem"] = problem
        report["items"] = [_zero(item, problem) for item in items]
        report["timing"] = {"total_s": time.perf_counter() - started}
        return report
    assert notebook is not None
    session = _Session(notebook, items, limits, shared_cache)
    session.run()
    report["items"] = [session.results[item.id] for item in items]
    report["total"] = sum(result["earned"] for result in report["items"])
    report["cells"] = [
        {
            "cell": number,
            "first_line": (source.strip().splitlines() or [""])[0][:80],
            **session.cells.get(number, {"status": "not-run", "error": None}),
        }
        for number, source in notebook.code_cells
    ]
    code = "\n".join(source for _, source in notebook.code_cells)
    for result in report["items"]:
        if result.get("flag"):
            report["flags"].append(f"item {result['id']} `{result['function']}` {result['flag']}")
    for item in items:
        if item.id not in {r["id"] for r in report["items"] if r.get("flag")}:
            named = _names_reference([source for _, source in notebook.code_cells], item)
            if named:
                report["flags"].append(
                    f"item {item.id}: the code names the course's own {named}; the grader did "
                    "not see it called while grading, but read it to be sure"
                )
    if _ANSWER_KEY.search(code):
        report["flags"].append(
            "the code refers to the exercises' answer key (ITEMS, .reference, .mistakes or a "
            "private name of an exNN module): read it to check it does not copy the answers"
        )
    report["output"] = {**session.output, "bytes": session.output_bytes}
    report["timing"] = {
        **{k: round(v, 4) for k, v in session.timing.items()},
        "total_s": round(time.perf_counter() - started, 4),
        "processes": session.processes,
    }
    return report
