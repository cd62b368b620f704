"""The batch grader: score a pile of submitted exercise notebooks into a gradebook.

From the command line (see ``book/appendix/grading.md`` for the instructor's guide)::

    python -m companion.grade submissions/ -o graded/          # or: course-grade ...

grades every notebook under ``submissions/`` (a folder, a notebook or a zip), in parallel,
and writes ``graded/gradebook.csv`` and one JSON report per submission in
``graded/reports/``. From Python, :func:`grade` does the same and returns the reports.

How the pieces fit:

- :mod:`.submissions` finds and reads the notebooks and tells exercise and student apart;
- :mod:`.sandbox` runs one fresh, resource-limited process per submission;
- :mod:`.runner` is the driver inside that process (it runs the cells, calls functions);
- :mod:`.protocol` is what the two exchange: data only, never code or pickles back;
- :mod:`.grader` judges, in the grader's process, with the same judge as ``check``;
- :mod:`.gradebook` writes the results atomically.

It covers every exercise module ``companion.exercises.exNN`` there is — items, cases and
points come from the module's ``ITEMS`` — with no code per exercise.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from .grader import empty_report, exercises, grade_submission, transform_cell
from .sandbox import Limits, become_subreaper
from .submissions import Submission, collect

__all__ = [
    "Limits",
    "collect",
    "exercises",
    "grade",
    "grade_paths",
    "grade_submission",
    "transform_cell",
]


def _start_worker() -> None:
    become_subreaper()


def _failed(submission: Submission, why: str) -> dict:
    return empty_report(submission.name, "", status="grader-error", problem=why)


def grade(
    submissions: Sequence[Submission],
    limits: Limits | None = None,
    jobs: int | None = None,
    exercise: int | None = None,
    progress: Callable[[dict], None] | None = None,
) -> list[dict]:
    """Grade submissions in parallel; return their reports in the submissions' order.

    Parameters
    ----------
    submissions : sequence of Submission
        From :func:`collect`.
    limits : Limits, optional
        Time, memory and output limits (the defaults are the command line's).
    jobs : int, optional
        Worker processes, each grading one submission at a time; default: one per CPU core.
    exercise : int, optional
        Grade every submission as this exercise instead of recognising it.
    progress : callable, optional
        Called with each report as soon as it is ready (in completion order).
    """
    limits = limits or Limits()
    jobs = max(1, jobs or os.cpu_count() or 1)
    # Import everything the judging needs before any submission runs, so no submission can
    # change the grader's code on disk before a worker reads it (workers are forked).
    exercises()
    transform_cell("")
    context = multiprocessing.get_context("fork") if sys.platform.startswith("linux") else None
    cache = tempfile.mkdtemp(prefix="course-grade-cache-")
    if limits.user is not None:
        import pwd

        entry = pwd.getpwnam(limits.user)
        os.chown(cache, entry.pw_uid, entry.pw_gid)
    reports: dict[str, dict] = {}

    def run(batch: list[Submission], workers: int) -> None:
        """Grade ``batch`` in one pool; leave out those a broken pool could not finish."""
        with ProcessPoolExecutor(
            max_workers=min(workers, len(batch)), mp_context=context, initializer=_start_worker
        ) as pool:
            futures = {pool.submit(grade_submission, s, limits, exercise, cache): s for s in batch}
            for future in as_completed(futures):
                submission = futures[future]
                try:
                    report = future.result()
                except BrokenProcessPool:
                    continue
                except Exception as error:  # a bug in the grader: say so, go on
                    report = _failed(submission, f"the grader failed: {error!r}")
                reports[submission.name] = report
                if progress is not None:
                    progress(report)

    try:
        # A worker that dies (a submission running as the grader's own user can kill it)
        # breaks the whole pool, and every unfinished submission with it. Retry those once
        # in a fresh pool; then grade what is still left one pool each, so that only the
        # submission that kills its worker fails.
        todo = list(submissions)
        for _attempt in range(2):
            if todo:
                run(todo, jobs)
                todo = [s for s in todo if s.name not in reports]
        for submission in todo:
            run([submission], 1)
            if submission.name not in reports:
                reports[submission.name] = _failed(
                    submission, "the grading worker died while grading this submission"
                )
                if progress is not None:
                    progress(reports[submission.name])
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    return [reports[s.name] for s in submissions]


def grade_paths(
    paths: Sequence[str | Path],
    limits: Limits | None = None,
    jobs: int | None = None,
    exercise: int | None = None,
) -> tuple[list[dict], list[str]]:
    """:func:`collect` then :func:`grade`; returns the reports and the input problems."""
    limits = limits or Limits()
    found, problems = collect(list(paths), int(limits.max_notebook_mb * 2**20))
    return grade(found, limits, jobs, exercise), problems
