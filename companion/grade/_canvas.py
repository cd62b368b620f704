"""Filling one assignment column of a Canvas gradebook export from our gradebook.

Public through :mod:`companion.grade.export`, whose docstring describes the format.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ._tables import ExportError, GradebookRow, _columns, _csv_text, _read_text, _rows
from .gradebook import format_points

# The columns that identify a student (public, and documented, as export.CANVAS_IDENTITY).
CANVAS_IDENTITY = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")

_MATCHABLE = ("SIS Login ID", "SIS User ID", "ID")
_ASSIGNMENT_ID = re.compile(r"\s*\(\d+\)$")


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
