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
import csv
import io
import re
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

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
CANVAS_IDENTITY = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")

_MATCHABLE = ("SIS Login ID", "SIS User ID", "ID")
_ASSIGNMENT_ID = re.compile(r"\s*\(\d+\)$")


class ExportError(ValueError):
    """An input that cannot be exported as it is; the message says where and why."""


# --- reading CSV files ----------------------------------------------------------------------


def _read_text(path: Path, what: str) -> tuple[str, bool]:
    """The file's text and whether it began with a byte-order mark."""
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise ExportError(f"{path}: cannot read the {what} ({error.strerror})") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ExportError(
            f"{path}: the {what} is not UTF-8 text (byte {error.start}); save it as CSV UTF-8"
        ) from None
    if not text.strip():
        raise ExportError(f"{path}: the {what} is empty")
    return text, data.startswith(b"\xef\xbb\xbf")


def _rows(path: Path, text: str, what: str) -> list[list[str]]:
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as error:
        raise ExportError(f"{path}: the {what} is not valid CSV ({error})") from None
    if not rows[0]:
        raise ExportError(f"{path}: the {what}'s first line is empty; it should be the header")
    width = len(rows[0])
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != width and any(cell.strip() for cell in row):
            raise ExportError(
                f"{path}: line {number} of the {what} has {len(row)} cells; its header has {width}"
            )
    return rows  # blank lines stay empty lists: kept, never read


def _columns(path: Path, header: list[str], needed: Sequence[str], what: str) -> dict[str, int]:
    index = {name.strip(): i for i, name in enumerate(header)}
    missing = [name for name in needed if name not in index]
    if missing:
        raise ExportError(
            f"{path}: the {what} has no column {', '.join(map(repr, missing))}; its columns "
            f"are {', '.join(map(repr, header))}"
        )
    return index


# --- our gradebook --------------------------------------------------------------------------


@dataclass(frozen=True)
class GradebookRow:
    """One row of ``gradebook.csv`` (see :mod:`.gradebook`)."""

    line: int
    submission: str
    student: str
    exercise: int | None
    status: str
    total: float
    max: float


def read_gradebook(path: Path) -> list[GradebookRow]:
    """The rows of a ``gradebook.csv`` the grader wrote.

    Raises
    ------
    ExportError
        If the file is missing, not UTF-8 CSV, lacks a column or has a value that is not a
        number where one is due.
    """
    text, _ = _read_text(path, "gradebook")
    rows = _rows(path, text, "gradebook")
    what = "gradebook (a gradebook.csv written by `python -m companion.grade`)"
    index = _columns(
        path, rows[0], ("submission", "student", "exercise", "status", "total", "max"), what
    )
    found = []
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        cell = {name: row[i].strip() for name, i in index.items()}
        try:
            exercise = int(cell["exercise"]) if cell["exercise"] else None
            total, maximum = float(cell["total"]), float(cell["max"])
        except ValueError:
            raise ExportError(
                f"{path}: line {line}: exercise {cell['exercise']!r}, total {cell['total']!r} "
                f"and max {cell['max']!r} must be numbers"
            ) from None
        found.append(
            GradebookRow(
                line, cell["submission"], cell["student"], exercise, cell["status"], total, maximum
            )
        )
    return found


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


def _csv_text(header: Sequence[str], records: Sequence[Sequence[str]], newline: str = "\n") -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=newline)
    writer.writerow(header)
    writer.writerows(records)
    return out.getvalue()


# --- Canvas ---------------------------------------------------------------------------------


@dataclass
class CanvasResult:
    """A filled-in Canvas export (``text``) and what happened to each student."""

    text: str
    column: str
    filled: list[str] = field(default_factory=list)  # Canvas students given a grade
    changed: list[str] = field(default_factory=list)  # ... whose old grade was different
    no_grade: list[str] = field(default_factory=list)  # Canvas students left as they were
    unmatched: list[str] = field(default_factory=list)  # our students with no Canvas row

    def summary(self) -> str:
        lines = [f"filled {len(self.filled)} grade(s) in column {self.column!r}"]
        if self.changed:
            lines.append(f"replaced a different earlier grade for: {'; '.join(self.changed)}")
        if self.no_grade:
            lines.append(
                f"{len(self.no_grade)} Canvas student(s) have no grade in the gradebook and "
                f"keep their old value: {'; '.join(self.no_grade)}"
            )
        if self.unmatched:
            lines.append(
                f"{len(self.unmatched)} gradebook student(s) match no Canvas student, so "
                f"their grades are NOT in the output: {'; '.join(self.unmatched)}"
            )
        return "\n".join(lines)


def _find_column(path: Path, header: list[str], name: str) -> int:
    exact = [i for i, title in enumerate(header) if title.strip() == name.strip()]
    if len(exact) == 1:
        return exact[0]
    loose = [
        i for i, title in enumerate(header) if _ASSIGNMENT_ID.sub("", title.strip()) == name.strip()
    ]
    if len(exact) > 1 or len(loose) > 1:
        raise ExportError(f"{path}: several columns are called {name!r}; give the full title")
    if loose:
        return loose[0]
    assignments = [t for t in header[len(CANVAS_IDENTITY) :] if _ASSIGNMENT_ID.search(t)]
    raise ExportError(
        f"{path}: no column {name!r}; its assignment columns are "
        f"{', '.join(map(repr, assignments)) or 'none'}"
    )


def read_mapping(path: Path) -> tuple[str, dict[str, str]]:
    """A mapping file: columns ``student`` and one Canvas column (``SIS Login ID``,
    ``SIS User ID`` or ``ID``). Returns that column's name and student → its value."""
    text, _ = _read_text(path, "mapping")
    rows = _rows(path, text, "mapping")
    header = [h.strip() for h in rows[0]]
    keys = [name for name in _MATCHABLE if name in header]
    if "student" not in header or len(keys) != 1:
        raise ExportError(
            f"{path}: a mapping needs the column 'student' and one of "
            f"{', '.join(map(repr, _MATCHABLE))}; its columns are {', '.join(map(repr, header))}"
        )
    student, key = header.index("student"), header.index(keys[0])
    mapping: dict[str, str] = {}
    for line, row in enumerate(rows[1:], start=2):
        if not row:
            continue
        ours, theirs = row[student].strip(), row[key].strip()
        if not ours and not theirs:
            continue
        if not ours or not theirs:
            raise ExportError(f"{path}: line {line}: both 'student' and {keys[0]!r} are needed")
        if ours in mapping:
            raise ExportError(f"{path}: line {line}: student {ours!r} is mapped twice")
        mapping[ours] = theirs
    return keys[0], mapping


def _exercise_grades(
    rows: Sequence[GradebookRow], exercise: int | None
) -> tuple[int, float, dict[str, GradebookRow], list[str]]:
    """One exercise's number, maximum, rows by student, and the rows that name no student."""
    numbers = sorted({r.exercise for r in rows if r.exercise is not None})
    if exercise is None:
        if len(numbers) != 1:
            raise ExportError(
                f"the gradebook has exercises {numbers}: say which one with --exercise"
            )
        exercise = numbers[0]
    chosen = [r for r in rows if r.exercise == exercise]
    if not chosen:
        raise ExportError(f"the gradebook has no grades for exercise {exercise}")
    maxima = {r.max for r in chosen}
    if len(maxima) != 1:
        raise ExportError(f"the gradebook's rows for exercise {exercise} disagree on its maximum")
    grades: dict[str, GradebookRow] = {}
    nameless = []
    for row in chosen:
        if not row.student:
            nameless.append(f"{row.submission} (no student)")
            continue
        if row.student in grades:
            raise ExportError(
                f"student {row.student!r} has two grades for exercise {exercise} (lines "
                f"{grades[row.student].line} and {row.line} of the gradebook); keep one"
            )
        grades[row.student] = row
    return exercise, maxima.pop(), grades, nameless


def fill_canvas(
    canvas: Path,
    column: str,
    rows: Sequence[GradebookRow],
    exercise: int | None = None,
    mapping: tuple[str, dict[str, str]] | None = None,
    scale: bool = False,
) -> CanvasResult:
    """Fill the assignment ``column`` of the Canvas export ``canvas`` from gradebook ``rows``.

    Parameters
    ----------
    canvas : Path
        A gradebook exported from Canvas (read only).
    column : str
        The assignment's column: its full title, or the title without Canvas's ``(id)``.
    rows : sequence of GradebookRow
        From :func:`read_gradebook`.
    exercise : int, optional
        Which exercise's grades to use; needed when the gradebook has several.
    mapping : (str, dict), optional
        From :func:`read_mapping`; by default our ``student`` is Canvas's ``SIS Login ID``
        (compared ignoring case).
    scale : bool
        Rescale points when Canvas's points possible differ from the exercise's; without it
        that is an error.

    Returns
    -------
    CanvasResult
        The export's text with the column filled, every row kept, and the report.
    """
    text, bom = _read_text(canvas, "Canvas export")
    table = _rows(canvas, text, "Canvas export")
    header = table[0]
    key_column = mapping[0] if mapping else "SIS Login ID"
    index = _columns(canvas, header, ("Student", "ID", key_column), "Canvas export")
    target = _find_column(canvas, header, column)
    points_rows = [n for n, row in enumerate(table) if row and row[0].strip() == "Points Possible"]
    if len(points_rows) != 1:
        raise ExportError(
            f"{canvas}: found {len(points_rows)} 'Points Possible' rows, not one: is this a "
            "gradebook exported from Canvas?"
        )
    possible_text = table[points_rows[0]][target].strip()
    try:
        possible = float(possible_text)
    except ValueError:
        raise ExportError(
            f"{canvas}: column {header[target]!r} has points possible {possible_text!r}: not "
            "an assignment Canvas can import grades into"
        ) from None

    exercise, maximum, grades, nameless = _exercise_grades(rows, exercise)
    if possible != maximum and not scale:
        raise ExportError(
            f"Canvas's {header[target]!r} is worth {format_points(possible)} points, exercise "
            f"{exercise} {format_points(maximum)}: pass --scale to rescale the grades"
        )
    factor = possible / maximum if scale and maximum else 1.0
    result = CanvasResult(text="", column=header[target], unmatched=nameless)

    # Which Canvas row is which of our students.
    def canvas_key(value: str) -> str:
        return value.strip().casefold() if key_column == "SIS Login ID" else value.strip()

    ours: dict[str, str] = {}
    for student in grades:
        if mapping and student not in mapping[1]:
            continue  # reported as unmatched below
        key = canvas_key(mapping[1][student] if mapping else student)
        if key in ours:
            raise ExportError(
                f"students {ours[key]!r} and {student!r} both match {key_column} {key!r}"
            )
        ours[key] = student
    student_rows = [
        n
        for n in range(1, len(table))
        if table[n] and n != points_rows[0] and table[n][index["ID"]].strip()
    ]
    seen = Counter(canvas_key(table[n][index[key_column]]) for n in student_rows)
    twice = [k for k, count in seen.items() if k and count > 1]
    if twice:
        raise ExportError(f"{canvas}: several rows have {key_column} {', '.join(twice)}")
    matched = set()
    for n in student_rows:
        row = table[n]
        key = canvas_key(row[index[key_column]])
        name = row[index["Student"]].strip() or row[index["ID"]].strip()
        if not key or key not in ours:
            result.no_grade.append(name)
            continue
        student = ours[key]
        matched.add(student)
        value = format_points(grades[student].total * factor)
        old = row[target].strip()
        if old and old != value:
            result.changed.append(f"{name} ({old} -> {value})")
        row[target] = value
        result.filled.append(name)
    result.unmatched += [s for s in grades if s not in matched]
    newline = "\r\n" if "\r\n" in text else "\n"
    result.text = ("\ufeff" if bom else "") + _csv_text(table[0], table[1:], newline)
    return result


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
