"""Find the submissions, read them, and tell which exercise and which student each one is.

**Inputs.** Each ``PATH`` is a notebook, a folder (every ``*.ipynb`` below it, except in
hidden folders and ``.ipynb_checkpoints``) or a ``.zip`` of notebooks (read in memory, never
extracted). All submissions are read into memory before any of them runs, so no submission
can alter another one on disk.

**Names.** A submission in a folder or a zip is named by the folder's or zip's own name plus
its path inside it, e.g. ``batch/alice/01_gradients.ipynb`` or
``batch.zip/bob_01_gradients.ipynb``, so the same inputs give the same names wherever the
grader runs. A notebook given on its own is named by the path as given.

**Exercise.** The exercise number comes from, in order:

1. ``--exercise N`` on the command line;
2. the file name: the last two-digit token ``NN_`` that starts the name or follows a
   non-alphanumeric character (``01_gradients.ipynb``, ``alice_01_gradients.ipynb``,
   ``alice-01_gradients (2).ipynb``) and names an existing exercise;
3. the notebook's contents: the nbgrader ``grade_id`` of its solution cells (``ex1-...``)
   or else the item ids in its ``check("1.1", ...)`` calls.

**Student.** The first folder below the input when the notebook sits in a sub-folder
(``batch/alice/01_gradients.ipynb`` → ``alice``); otherwise what precedes the exercise token
in the file name (``alice_01_gradients.ipynb`` → ``alice``); otherwise empty.
"""

from __future__ import annotations

import json
import re
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

__all__ = [
    "InputError",
    "Notebook",
    "NotebookError",
    "Submission",
    "collect",
    "exercise_from_content",
    "exercise_from_name",
    "parse_notebook",
    "student_of",
]

_TOKEN = re.compile(r"(?:^|[^0-9A-Za-z])(\d{2})_")
_GRADE_ID = re.compile(r"^ex(\d+)-")
_CHECK_CALL = re.compile(r"""check\(\s*["'](\d+)\.\d+["']""")


class InputError(ValueError):
    """An input path that cannot be read (missing, not a notebook, a broken zip)."""


class NotebookError(ValueError):
    """A submission that is not a notebook the grader can run; the message says why."""


@dataclass(frozen=True)
class Submission:
    """One submitted notebook, read into memory."""

    name: str  # unique, stable: input name + path inside it
    relative: str  # the path inside the input (the file name for a single notebook)
    data: bytes  # the file's bytes, or b"" if it was too large to read
    size: int


@dataclass(frozen=True)
class Notebook:
    """The parts of a notebook the grader uses."""

    cells: tuple[tuple[int, str, str], ...]  # (1-based cell number, cell type, source)
    metadata_grade_ids: tuple[str, ...]

    @property
    def code_cells(self) -> list[tuple[int, str]]:
        return [(number, source) for number, kind, source in self.cells if kind == "code"]


def _is_notebook_path(parts: tuple[str, ...]) -> bool:
    if not parts or not parts[-1].endswith(".ipynb"):
        return False
    return not any(p.startswith(".") or p == "__MACOSX" for p in parts)


def _read_zip(path: Path, limit: int) -> list[Submission]:
    found = []
    try:
        with zipfile.ZipFile(path) as archive:
            for info in sorted(archive.infolist(), key=lambda i: i.filename):
                member = PurePosixPath(info.filename)
                if info.is_dir() or not _is_notebook_path(member.parts):
                    continue
                if ".." in member.parts or member.is_absolute():
                    continue
                if info.file_size > limit:
                    data = b""
                else:
                    with archive.open(info) as handle:
                        data = handle.read(limit + 1)  # the declared size may lie
                size = max(info.file_size, len(data))
                if len(data) > limit:
                    data = b""
                found.append(Submission(f"{path.name}/{member}", str(member), data, size))
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError) as error:
        raise InputError(f"{path}: not a readable zip file ({error})") from None
    return found


def _read_file(path: Path, name: str, relative: str, limit: int) -> Submission:
    size = path.stat().st_size
    if size > limit:
        return Submission(name, relative, b"", size)
    with open(path, "rb") as handle:
        data = handle.read(limit + 1)
    return Submission(name, relative, data if len(data) <= limit else b"", max(size, len(data)))


def collect(paths: list[Path | str], max_bytes: int) -> tuple[list[Submission], list[str]]:
    """Every submission in ``paths``, sorted by name, and a list of problems with inputs.

    Notebooks larger than ``max_bytes`` are kept with empty ``data`` (graded zero, with the
    reason). A broken input (missing path, unreadable zip) is reported, not fatal: the
    other inputs are still graded.
    """
    submissions: dict[str, Submission] = {}
    problems: list[str] = []
    for raw in paths:
        path = Path(raw)
        found: list[Submission] = []
        try:
            if path.is_dir():
                for file in sorted(path.rglob("*.ipynb")):
                    relative = file.relative_to(path)
                    if _is_notebook_path(relative.parts) and file.is_file():
                        posix = relative.as_posix()
                        found.append(_read_file(file, f"{path.name}/{posix}", posix, max_bytes))
            elif path.suffix == ".zip" and path.is_file():
                found = _read_zip(path, max_bytes)
            elif path.suffix == ".ipynb" and path.is_file():
                name = PurePosixPath(*path.parts).as_posix() if path.parts else path.name
                found = [_read_file(path, name, path.name, max_bytes)]
            elif not path.exists():
                raise InputError(f"{path}: no such file or folder")
            else:
                raise InputError(f"{path}: not a notebook, a folder or a .zip")
        except InputError as error:
            problems.append(str(error))
            continue
        except OSError as error:
            problems.append(f"{path}: {error}")
            continue
        for submission in found:
            if submission.name in submissions:
                problems.append(f"{submission.name}: given twice; graded once")
            submissions[submission.name] = submission
    return [submissions[name] for name in sorted(submissions)], problems


# --- what is in a notebook --------------------------------------------------------------------


def parse_notebook(data: bytes) -> Notebook:
    """The cells of a notebook file (nbformat 4), leniently, as Jupyter would open it.

    Raises :class:`NotebookError` with the reason if the bytes are not such a notebook.
    """
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise NotebookError("the file is not UTF-8 text, so not a notebook") from None
    except RecursionError:
        raise NotebookError("the notebook's JSON is nested too deeply") from None
    except ValueError as error:
        raise NotebookError(f"the notebook is not valid JSON ({error})") from None
    if not isinstance(document, dict) or not isinstance(document.get("cells"), list):
        if isinstance(document, dict) and "worksheets" in document:
            raise NotebookError(
                "the notebook is in the old nbformat 3: open and save it in Jupyter"
            )
        raise NotebookError("the file is JSON but not a notebook (no list of cells)")
    cells = []
    grade_ids = []
    for number, cell in enumerate(document["cells"], start=1):
        if not isinstance(cell, dict):
            raise NotebookError(f"cell {number} is not a JSON object")
        source = cell.get("source", "")
        if isinstance(source, list) and all(isinstance(s, str) for s in source):
            source = "".join(source)
        if not isinstance(source, str):
            raise NotebookError(f"cell {number} has no readable source")
        kind = cell.get("cell_type")
        cells.append((number, kind if isinstance(kind, str) else "unknown", source))
        metadata = cell.get("metadata")
        nbgrader = metadata.get("nbgrader") if isinstance(metadata, dict) else None
        if isinstance(nbgrader, dict) and isinstance(nbgrader.get("grade_id"), str):
            grade_ids.append(nbgrader["grade_id"])
    return Notebook(tuple(cells), tuple(grade_ids))


def _token(stem: str, exercises: set[int]) -> re.Match | None:
    matches = [m for m in _TOKEN.finditer(stem) if int(m.group(1)) in exercises]
    return matches[-1] if matches else None


def exercise_from_name(relative: str, exercises: set[int]) -> int | None:
    """The exercise named by the file name's ``NN_`` token, if any (see the module doc)."""
    match = _token(PurePosixPath(relative).stem, exercises)
    return int(match.group(1)) if match else None


def exercise_from_content(notebook: Notebook, exercises: set[int]) -> int | None:
    """The exercise the notebook's nbgrader ids, or else its check calls, point to."""
    votes = Counter(
        int(m.group(1)) for g in notebook.metadata_grade_ids if (m := _GRADE_ID.match(g))
    )
    if not votes:
        code = "\n".join(source for _, kind, source in notebook.cells if kind == "code")
        votes = Counter(int(n) for n in _CHECK_CALL.findall(code))
    votes = Counter({n: v for n, v in votes.items() if n in exercises})
    if not votes:
        return None
    ranked = votes.most_common()
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        return None  # a tie: don't guess
    return ranked[0][0]


def student_of(relative: str, exercises: set[int]) -> str:
    """The student a submission belongs to (see the module doc)."""
    path = PurePosixPath(relative)
    if len(path.parts) > 1:
        return path.parts[0]
    match = _token(path.stem, exercises)
    if match is None:
        return ""
    return path.stem[: match.start(1)].rstrip(" _-.")
