"""Reading the CSV files the exports take, and our own gradebook among them.

The shared ground of :mod:`companion.grade.export` (where these names are public): every
problem with an input is an :class:`ExportError` naming the file, the line and what was found.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


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


# --- writing CSV ---------------------------------------------------------------------------


def _csv_text(header: Sequence[str], records: Sequence[Sequence[str]], newline: str = "\n") -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=newline)
    writer.writerow(header)
    writer.writerows(records)
    return out.getvalue()
