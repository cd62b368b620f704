"""Send the gradebook where grades are kept: nbgrader's ``grades.csv`` or a Canvas gradebook.

From the command line::

    python -m companion.grade.export nbgrader --gradebook graded/gradebook.csv -o grades.csv
    python -m companion.grade.export canvas --canvas canvas.csv --column "Exercise 1" \\
        --gradebook graded/gradebook.csv -o canvas-import.csv

**nbgrader.** One row per student and exercise, with the columns of nbgrader's own
``nbgrader export`` (:data:`NBGRADER_COLUMNS`); the assignment is named ``ex01``, ``ex02``,
… (``--assignment`` changes that). Our gradebook has no due dates, time stamps or late
penalties, so those are empty or 0. ``--students`` takes nbgrader's student list (columns
``id, first_name, last_name, email``) to fill in names.

**Canvas.** Canvas exports a course's gradebook as a CSV file: the columns ``Student, ID,
SIS User ID, SIS Login ID, Section``, one column per assignment (``Exercise 1 (12345)``) and
computed ones, and a ``Points Possible`` row under the header. The export is written back
with one assignment column filled in from our gradebook, ready for Canvas's *Import*: every
row and every other cell as they were. Students are matched by their SIS login (our
gradebook's ``student`` is the folder or file-name prefix nbgrader or the instructor gave
each submission) or through a ``--mapping`` file. What cannot be matched is reported, on
both sides; those Canvas rows keep their old value.

Anything that cannot be parsed or matched unambiguously — a missing column, a ragged row, no
``Points Possible`` row, two rows for one student, points that disagree — is an
:class:`ExportError` naming the file, the line and what was found. The inputs are only read.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from . import _canvas
from ._canvas import CanvasResult, fill_canvas, read_mapping
from ._tables import (
    ExportError,
    GradebookRow,
    _columns,
    _csv_text,
    _read_text,
    _rows,
    read_gradebook,
)
from .gradebook import format_points, write_atomic

__all__ = [
    "CANVAS_IDENTITY",
    "NBGRADER_COLUMNS",
    "CanvasResult",
    "ExportError",
    "GradebookRow",
    "fill_canvas",
    "nbgrader_grades",
    "read_gradebook",
    "read_mapping",
    "read_students",
]

#: The columns of nbgrader's ``grades.csv`` (``nbgrader export``), in its order.
NBGRADER_COLUMNS = (
    "assignment",
    "duedate",
    "timestamp",
    "student_id",
    "last_name",
    "first_name",
    "email",
    "raw_score",
    "late_submission_penalty",
    "score",
    "max_score",
)

#: The columns that identify a student in a Canvas gradebook export.
CANVAS_IDENTITY = _canvas.CANVAS_IDENTITY


# --- nbgrader -------------------------------------------------------------------------------


def _assignment(template: str, exercise: int) -> str:
    return template.format(exercise=exercise)


def nbgrader_grades(
    rows: Sequence[GradebookRow],
    assignment: str = "ex{exercise:02d}",
    students: dict[str, dict[str, str]] | None = None,
) -> tuple[list[dict[str, str]], list[str]]:
    """nbgrader's ``grades.csv`` rows for a gradebook, and notes on what was left out.

    Parameters
    ----------
    rows : sequence of GradebookRow
        From :func:`read_gradebook`.
    assignment : str
        The assignment's name; ``{exercise}`` in it is replaced by the exercise number.
    students : dict, optional
        nbgrader's student list by id (``first_name``, ``last_name``, ``email``).

    Raises
    ------
    ExportError
        If two rows give one student two grades for one assignment.
    """
    notes, out = [], {}
    for row in rows:
        if row.exercise is None:
            notes.append(f"left out {row.submission!r}: no exercise ({row.status})")
            continue
        if not row.student:
            notes.append(f"left out {row.submission!r}: the gradebook names no student for it")
            continue
        name = _assignment(assignment, row.exercise)
        key = (name, row.student)
        if key in out:
            raise ExportError(
                f"student {row.student!r} has two grades for {name}: lines "
                f"{out[key][1].line} and {row.line} of the gradebook; keep one submission"
            )
        person = (students or {}).get(row.student, {})
        if students is not None and not person:
            notes.append(f"student {row.student!r} is not in the student list: no name given")
        record = {
            "assignment": name,
            "duedate": "",
            "timestamp": "",
            "student_id": row.student,
            "last_name": person.get("last_name", ""),
            "first_name": person.get("first_name", ""),
            "email": person.get("email", ""),
            "raw_score": format_points(row.total),
            "late_submission_penalty": "0",
            "score": format_points(row.total),
            "max_score": format_points(row.max),
        }
        out[key] = (record, row)
    return [out[key][0] for key in sorted(out)], notes


def read_students(path: Path) -> dict[str, dict[str, str]]:
    """nbgrader's student list (``id, first_name, last_name, email``), by id."""
    text, _ = _read_text(path, "student list")
    rows = _rows(path, text, "student list")
    index = _columns(path, rows[0], ("id",), "student list")
    students = {}
    for line, row in enumerate(rows[1:], start=2):
        ident = row[index["id"]].strip() if row else ""
        if not ident:
            continue
        if ident in students:
            raise ExportError(f"{path}: line {line}: student {ident!r} is listed twice")
        students[ident] = {
            name: row[index[name]].strip()
            for name in ("first_name", "last_name", "email")
            if name in index
        }
    return students


# --- command line ---------------------------------------------------------------------------


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and a.samefile(b))
    except OSError:
        return False


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m companion.grade.export",
        description="Export a gradebook.csv for nbgrader or for a Canvas gradebook import.",
    )
    formats = parser.add_subparsers(dest="format", required=True, metavar="FORMAT")
    nbgrader = formats.add_parser("nbgrader", help="nbgrader's grades.csv")
    canvas = formats.add_parser("canvas", help="a Canvas gradebook export, one column filled")
    for sub in (nbgrader, canvas):
        sub.add_argument("--gradebook", required=True, type=Path, help="our gradebook.csv")
        sub.add_argument("-o", "--output", required=True, type=Path, help="the file to write")
    nbgrader.add_argument(
        "--assignment",
        default="ex{exercise:02d}",
        help="the assignment's name; {exercise} is the exercise number (default %(default)s)",
    )
    nbgrader.add_argument(
        "--students", type=Path, help="nbgrader's student list (id,first_name,last_name,email)"
    )
    canvas.add_argument("--canvas", required=True, type=Path, help="the gradebook Canvas exported")
    canvas.add_argument("--column", required=True, help="the assignment column to fill")
    canvas.add_argument(
        "--exercise", type=int, help="which exercise (if the gradebook has several)"
    )
    canvas.add_argument(
        "--mapping",
        type=Path,
        help="CSV: 'student' and one of 'SIS Login ID', 'SIS User ID', 'ID' (default: match "
        "our student to the SIS Login ID)",
    )
    canvas.add_argument(
        "--scale", action="store_true", help="rescale when Canvas's points possible differ"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Exit status: 0 written; 1 an input cannot be exported (nothing written) or, for
    Canvas, some of the gradebook's students match nobody (the rest is written); 2 usage."""
    parser = _parser()
    args = parser.parse_args(argv)
    inputs = [args.gradebook] + [
        getattr(args, name)
        for name in ("canvas", "mapping", "students")
        if getattr(args, name, None)
    ]
    if any(_same_file(args.output, path) for path in inputs):
        parser.error(f"-o {args.output} is one of the inputs; inputs are never overwritten")
    try:
        rows = read_gradebook(args.gradebook)
        if args.format == "nbgrader":
            if "{" not in args.assignment and len({r.exercise for r in rows if r.exercise}) > 1:
                raise ExportError(
                    "the gradebook has several exercises: put {exercise} in --assignment"
                )
            students = read_students(args.students) if args.students else None
            records, notes = nbgrader_grades(rows, args.assignment, students)
            write_atomic(
                args.output,
                _csv_text(NBGRADER_COLUMNS, [[r[c] for c in NBGRADER_COLUMNS] for r in records]),
            )
            for note in notes:
                print(f"note: {note}", file=sys.stderr)
            print(f"wrote {len(records)} grade(s) to {args.output}")
            return 0
        mapping = read_mapping(args.mapping) if args.mapping else None
        result = fill_canvas(args.canvas, args.column, rows, args.exercise, mapping, args.scale)
    except ExportError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    write_atomic(args.output, result.text)
    print(result.summary())
    print(f"wrote {args.output}: import it in Canvas (Grades > Import)")
    return 1 if result.unmatched else 0


if __name__ == "__main__":
    sys.exit(main())
