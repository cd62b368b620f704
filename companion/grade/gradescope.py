"""Gradescope autograders: the batch grader, run by Gradescope once per submission.

Build one autograder zip per exercise, from a checkout of the course::

    python -m companion.grade.gradescope --exercise 1 -o dist/     # dist/autograder-ex01.zip
    python -m companion.grade.gradescope --exercise all -o dist/   # one zip per exercise

and upload it as a programming assignment's autograder (on a base image whose ``python3`` is
3.11 or newer, as the pins need: Ubuntu 24.04's is 3.12). The zip holds, at its root,

- ``setup.sh``: run once when Gradescope builds the image; installs Python, then the pinned
  packages grading needs (``requirements.txt``, from :func:`.distribution.grading_requirements`)
  and the companion package from its wheel (also in the zip) into a virtual environment
  ``/autograder/venv``, and adds the unprivileged user submissions run as;
- ``run_autograder``: run for every submission; grades the notebook in
  ``/autograder/submission/`` with the batch grader, under the limits given when the zip was
  built, and writes ``/autograder/results/results.json``;
- the wheel and ``requirements.txt``.

``run_autograder`` calls this module with ``--autograde``: it picks the submitted notebook,
grades it as the zip's exercise with :func:`companion.grade.grade` — the same code, limits
and sandbox as ``course-grade`` — and turns the report into Gradescope's results format
(:func:`results_from_report`): one test per item, whose output is the item's feedback. A
submission that cannot be graded (no notebook, several, invalid JSON) scores 0 with an
``output`` that says why. The full report goes to ``run_autograder``'s standard output, which
Gradescope shows to instructors only.

Three environment variables change how it runs: ``GRADESCOPE_ROOT`` (default
``/autograder``), ``COURSE_GRADE_PYTHON``, the interpreter ``run_autograder`` uses
(default: ``$GRADESCOPE_ROOT/venv/bin/python3`` if ``setup.sh`` made it, else ``python3`` on
``PATH``). ``COURSE_GRADE_USER`` names the user submissions run as when the autograder runs as
root (default ``course-grade-student``, which ``setup.sh`` creates; empty: the autograder's own
user).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time
import zipfile
from collections.abc import Sequence
from pathlib import Path

from . import Limits, collect, grade
from .distribution import build_wheel, grading_requirements
from .gradebook import format_points, printable, write_atomic
from .grader import exercises
from .sandbox import limits_from_options
from .submissions import Submission, exercise_from_name

__all__ = [
    "VISIBILITIES",
    "autograde",
    "build_bundle",
    "build_bundles",
    "results_from_report",
    "ungradable_results",
]

#: Gradescope's visibility settings for a test (and for the whole result).
VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")

DEFAULT_USER = "course-grade-student"

# Zip members get this time stamp, so building twice from the same sources gives the same
# scripts; the wheel has fixed time stamps of its own.
_EPOCH = (1980, 1, 1, 0, 0, 0)


# --- results.json ---------------------------------------------------------------------------


def _points(value: float) -> float:
    """Points as Gradescope gets them: the gradebook's three decimals, as a number."""
    return float(format_points(value))


def _item_output(item: dict) -> str:
    """An item's feedback, and what each case did when only some of them pass."""
    output = item["feedback"]
    cases = item.get("cases") or []
    if 0 < item["score"] < 1 and len(cases) > 1:
        output += "\n\nCases:\n" + "\n".join(f"{n}. {m}" for n, m in enumerate(cases, 1))
    return output


def results_from_report(report: dict, visibility: str = "visible") -> dict:
    """Gradescope's ``results.json`` for a grader's report on one submission.

    Parameters
    ----------
    report : dict
        A report of :func:`companion.grade.grade`, for one exercise.
    visibility : str
        When students see each item's result: one of :data:`VISIBILITIES`.

    Returns
    -------
    dict
        ``score`` (the total, as in the gradebook), ``execution_time`` (whole seconds),
        ``output`` (a summary: the total, and why the notebook could not be graded or which
        of its cells failed), ``stdout_visibility`` ``"hidden"`` and ``tests``: one per item
        with ``name``, ``number``, ``score``, ``max_score``, ``status``, ``output`` (the
        item's feedback) and ``visibility``.

    Raises
    ------
    ValueError
        If ``visibility`` is not one of :data:`VISIBILITIES`, or ``report`` has no exercise.
    """
    if visibility not in VISIBILITIES:
        raise ValueError(f"visibility must be one of {VISIBILITIES}; got {visibility!r}")
    if report.get("exercise") is None:
        raise ValueError(f"the report names no exercise: {report.get('problem')!r}")
    tests = [
        {
            "name": f"{item['id']} {item['function']}",
            "number": item["id"],
            "score": _points(item["earned"]),
            "max_score": item["points"],
            "status": "passed" if item["passed"] else "failed",
            "output": printable(_item_output(item)),
            "visibility": visibility,
        }
        for item in report["items"]
    ]
    lines = [
        f"Exercise {report['exercise']}: {format_points(report['total'])} of {report['max']} "
        "points."
    ]
    if report.get("problem"):
        lines.append(f"Your notebook could not be graded: {report['problem']}")
    for cell in report.get("cells", []):
        if cell["status"] not in ("ok", "skipped", "not-run"):
            lines.append(
                f"Cell {cell['cell']} ({cell['first_line']}): {cell['status']}: {cell['error']}"
            )
    total_s = report.get("timing", {}).get("total_s", 0.0)
    return {
        "score": _points(report["total"]),
        "execution_time": max(0, round(total_s)),
        "output": printable("\n".join(lines)),
        "stdout_visibility": "hidden",
        "tests": tests,
    }


def ungradable_results(exercise: int, why: str, visibility: str = "visible") -> dict:
    """``results.json`` for a submission the grader cannot grade: 0 on every item, and why."""
    items = exercises()[exercise]
    tests = [
        {
            "name": f"{item.id} {item.function}",
            "number": item.id,
            "score": 0.0,
            "max_score": item.points,
            "status": "failed",
            "output": printable(f"not graded: {why}"),
            "visibility": visibility,
        }
        for item in items
    ]
    return {
        "score": 0.0,
        "execution_time": 0,
        "output": printable(f"Your submission could not be graded: {why}"),
        "stdout_visibility": "hidden",
        "tests": tests,
    }


# --- inside Gradescope's container ----------------------------------------------------------


def _choose(submissions: list[Submission], exercise: int) -> tuple[Submission | None, str | None]:
    """The one notebook to grade, or ``None`` and the reason."""
    if not submissions:
        return None, (
            "there is no notebook (.ipynb file) in it; upload your exercise notebook, e.g. "
            f"{exercise:02d}_....ipynb"
        )
    if len(submissions) == 1:
        return submissions[0], None
    named = [s for s in submissions if exercise_from_name(s.relative, {exercise}) == exercise]
    if len(named) == 1:
        return named[0], None
    names = ", ".join(s.relative for s in submissions)
    return None, (
        f"it has {len(submissions)} notebooks ({names}) and the grader cannot tell which one "
        f"is exercise {exercise}; upload only your exercise notebook"
    )


def autograde(
    root: Path,
    exercise: int,
    limits: Limits | None = None,
    visibility: str = "visible",
) -> dict:
    """Grade the notebook in ``root/submission`` and write ``root/results/results.json``.

    Returns the results written. Prints the grader's report (or why there is none) for the
    instructor. Whatever the submission is, a ``results.json`` is written.
    """
    limits = limits or Limits()
    if exercise not in exercises():
        raise ValueError(f"exercise must be one of {sorted(exercises())}; got {exercise!r}")
    root = Path(root)
    started = time.perf_counter()
    found, problems = collect([root / "submission"], int(limits.max_notebook_mb * 2**20))
    submission, why = _choose(found, exercise)
    if submission is None:
        why = "; ".join([*problems, why]) if problems else why
        results = ungradable_results(exercise, why, visibility)
        print(f"not graded: {why}")
    else:
        report = grade([submission], limits, jobs=1, exercise=exercise)[0]
        if report.get("exercise") is None:  # the grader itself failed
            results = ungradable_results(exercise, report["problem"], visibility)
        else:
            results = results_from_report(report, visibility)
        named = exercise_from_name(submission.relative, set(exercises()))
        if named not in (None, exercise):
            results["output"] = (
                f"Note: {submission.relative} is named like exercise {named}'s notebook, but "
                f"this assignment is exercise {exercise}.\n" + results["output"]
            )
        print(printable(json.dumps(report, indent=2, ensure_ascii=False)))
        for flag in report.get("flags", []):
            print(f"FLAGGED for review: {flag}")
    results["execution_time"] = max(results["execution_time"], round(time.perf_counter() - started))
    text = json.dumps(results, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    write_atomic(root / "results" / "results.json", printable(text))
    print(f"score {format_points(results['score'])}; wrote {root / 'results' / 'results.json'}")
    return results


# --- building the zip -----------------------------------------------------------------------

_SETUP = """\
#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image.
# It installs the course's grader for exercise {exercise} from this bundle: no download
# of the course itself, and exactly the versions pinned in requirements.txt.
set -euo pipefail
HERE="$(cd "$(dirname "${{BASH_SOURCE[0]}}")" && pwd)"
ROOT="${{GRADESCOPE_ROOT:-/autograder}}"
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends python3 python3-venv
python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {{
    echo "The pinned packages need Python 3.11 or newer: choose a newer base image." >&2
    exit 1
}}
python3 -m venv "$ROOT/venv"
"$ROOT/venv/bin/python3" -m pip install --no-cache-dir --upgrade pip
"$ROOT/venv/bin/python3" -m pip install --no-cache-dir -r "$HERE/requirements.txt"
"$ROOT/venv/bin/python3" -m pip install --no-cache-dir --no-deps "$HERE/{wheel}"
"$ROOT/venv/bin/python3" -c 'import companion.grade'
# Submissions run as this unprivileged user, so they cannot touch the grader or its results;
# it only needs to read and run the virtual environment's Python.
id -u {user} >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin {user}
chmod a+x "$ROOT"
chmod -R a+rX "$ROOT/venv"
"""

_RUN = """\
#!/usr/bin/env bash
# Gradescope runs this for every submission of exercise {exercise}. It grades the notebook in
# $GRADESCOPE_ROOT/submission/ (default /autograder) with the course's batch grader and writes
# $GRADESCOPE_ROOT/results/results.json.
#   COURSE_GRADE_PYTHON  the interpreter to use (default: the venv setup.sh made, or python3)
#   COURSE_GRADE_USER    the user submissions run as when this runs as root
#                        (default {user}; empty: this script's own user)
ROOT="${{GRADESCOPE_ROOT:-/autograder}}"
if [ -n "${{COURSE_GRADE_PYTHON:-}}" ]; then
    PYTHON="$COURSE_GRADE_PYTHON"
elif [ -x "$ROOT/venv/bin/python3" ]; then
    PYTHON="$ROOT/venv/bin/python3"
else
    PYTHON=python3
fi
USER_ARGS=()
RUN_AS="${{COURSE_GRADE_USER-{user}}}"
if [ "$(id -u)" = 0 ] && [ -n "$RUN_AS" ] && id -u "$RUN_AS" >/dev/null 2>&1; then
    USER_ARGS=(--user "$RUN_AS")
fi
mkdir -p "$ROOT/results"
rm -f "$ROOT/results/results.json"
cd "$ROOT" || exit 1
# -P: never import from the working folder (Python 3.11+, which the pins need anyway).
"$PYTHON" -P -m companion.grade.gradescope --autograde --root "$ROOT" \
    {arguments} "${{USER_ARGS[@]}}"
status=$?
if [ "$status" -ne 0 ]; then
    # The grader itself failed (not the submission): score 0, and say so.
    MESSAGE="The autograder failed (exit status $status), so this submission was not graded."
    printf '{{"score": 0.0, "output": "%s", "stdout_visibility": "hidden", "tests": []}}\n' \
        "$MESSAGE Please tell your instructor." > "$ROOT/results/results.json"
fi
exit 0
"""


def _limit_arguments(limits: Limits) -> list[str]:
    return [
        "--cell-timeout", f"{limits.cell_timeout:g}",
        "--call-timeout", f"{limits.call_timeout:g}",
        "--timeout", f"{limits.notebook_timeout:g}",
        "--memory", str(limits.memory_mb),
        "--max-output", f"{limits.max_output_mb:g}",
        "--max-notebook", f"{limits.max_notebook_mb:g}",
    ]  # fmt: skip


def _add(archive: zipfile.ZipFile, name: str, data: bytes, executable: bool = False) -> None:
    info = zipfile.ZipInfo(name, date_time=_EPOCH)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = ((0o100755 if executable else 0o100644) & 0xFFFF) << 16
    archive.writestr(info, data)


def build_bundle(
    exercise: int,
    outdir: Path,
    wheel: Path,
    requirements: Sequence[str],
    limits: Limits | None = None,
    visibility: str = "visible",
) -> Path:
    """Write ``outdir/autograder-exNN.zip`` for ``exercise``; return its path.

    ``wheel`` is the companion package's wheel and ``requirements`` the pins to install
    (see :mod:`.distribution`); ``limits`` and ``visibility`` are baked into
    ``run_autograder``.
    """
    limits = limits or Limits()
    if exercise not in exercises():
        raise ValueError(f"exercise must be one of {sorted(exercises())}; got {exercise!r}")
    if visibility not in VISIBILITIES:
        raise ValueError(f"visibility must be one of {VISIBILITIES}; got {visibility!r}")
    wheel = Path(wheel)
    arguments = ["--exercise", str(exercise), "--visibility", visibility, *_limit_arguments(limits)]
    fields = {"exercise": exercise, "user": DEFAULT_USER, "wheel": wheel.name}
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    path = outdir / f"autograder-ex{exercise:02d}.zip"
    temporary = path.with_name(f".{path.name}.tmp")
    with zipfile.ZipFile(temporary, "w") as archive:
        _add(archive, "setup.sh", _SETUP.format(**fields).encode(), executable=True)
        run = _RUN.format(**fields, arguments=shlex.join(arguments))
        _add(archive, "run_autograder", run.encode(), executable=True)
        _add(archive, "requirements.txt", ("\n".join(requirements) + "\n").encode())
        _add(archive, wheel.name, wheel.read_bytes())
    os.replace(temporary, path)
    return path


def build_bundles(
    numbers: Sequence[int] | None,
    outdir: Path,
    limits: Limits | None = None,
    visibility: str = "visible",
) -> list[Path]:
    """Build the wheel once and one bundle per exercise (every exercise if ``numbers`` is
    ``None``); return the zips' paths."""
    known = sorted(exercises())
    numbers = known if numbers is None else list(numbers)
    unknown = [n for n in numbers if n not in known]
    if unknown:
        raise ValueError(f"no exercise {unknown}; the exercises are {known}")
    outdir = Path(outdir)
    wheel = build_wheel(outdir / ".wheel")
    try:
        requirements = grading_requirements(wheel)
        return [build_bundle(n, outdir, wheel, requirements, limits, visibility) for n in numbers]
    finally:
        wheel.unlink()
        wheel.parent.rmdir()


# --- command line ---------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    defaults = Limits()
    parser = argparse.ArgumentParser(
        prog="python -m companion.grade.gradescope",
        description="Build Gradescope autograder zips (one per exercise), or, with "
        "--autograde, grade a submission inside Gradescope's container.",
    )
    parser.add_argument(
        "--exercise", required=True, help="an exercise number, or 'all' (to build only)"
    )
    parser.add_argument("-o", "--outdir", type=Path, help="where to write the zips")
    parser.add_argument(
        "--visibility",
        choices=VISIBILITIES,
        default="visible",
        help="when students see each item's result (default %(default)s)",
    )
    parser.add_argument(
        "--autograde", action="store_true", help="grade ROOT/submission (run_autograder does)"
    )
    parser.add_argument(
        "--root",
        type=Path,
        default=Path(os.environ.get("GRADESCOPE_ROOT", "/autograder")),
        help="Gradescope's folder (default: $GRADESCOPE_ROOT or /autograder)",
    )
    limits = parser.add_argument_group("limits per submission (as for course-grade)")
    limits.add_argument("--cell-timeout", type=float, default=defaults.cell_timeout)
    limits.add_argument("--call-timeout", type=float, default=defaults.call_timeout)
    limits.add_argument("--timeout", type=float, default=defaults.notebook_timeout)
    limits.add_argument("--memory", type=int, default=defaults.memory_mb)
    limits.add_argument("--max-output", type=float, default=defaults.max_output_mb)
    limits.add_argument("--max-notebook", type=float, default=defaults.max_notebook_mb)
    limits.add_argument("--user", default=None, help="run the submission as this user")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    limits = limits_from_options(parser, args)
    known = sorted(exercises())
    if args.exercise == "all":
        numbers = None
    elif args.exercise.isdigit() and int(args.exercise) in known:
        numbers = [int(args.exercise)]
    else:
        parser.error(f"--exercise must be 'all' or one of {known}; got {args.exercise!r}")
    if args.autograde:
        if numbers is None:
            parser.error("--autograde grades one exercise: give its number")
        autograde(args.root, numbers[0], limits, args.visibility)
        return 0
    if args.outdir is None:
        parser.error("give -o DIR (where to write the zips) or --autograde")
    if args.user is not None:
        parser.error("--user is for --autograde; run_autograder chooses the user itself")
    for path in build_bundles(numbers, args.outdir, limits, args.visibility):
        print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
