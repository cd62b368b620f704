"""Write what the grader found: ``gradebook.csv``, one JSON report per submission, a table.

``gradebook.csv`` has one row per submission, sorted by submission name, and the columns
``submission, student, exercise, status``, one column per exercise item (``1.1``, ``1.2``,
…: the points earned; empty for items of another exercise), ``total`` and ``max``. It holds
no time stamps or timings, so grading the same inputs twice writes the same bytes.

Every file is written atomically: to a temporary file in the same folder, then renamed over
the old one, so a reader never sees half a gradebook.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path

__all__ = [
    "format_points",
    "printable",
    "report_filename",
    "summary_table",
    "write_atomic",
    "write_outputs",
]


def printable(text: str) -> str:
    """``text`` with anything UTF-8 cannot encode (lone surrogates, from odd file names or a
    submission's messages) replaced, so writing or printing it never fails."""
    return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def format_points(value: float) -> str:
    """Points as text: at most 3 decimals, no trailing zeros (``2.667``, ``4``, ``0``)."""
    text = f"{round(value, 3):.3f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text


def write_atomic(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` in one step (temporary file + rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise


def report_filename(name: str, taken: set[str]) -> str:
    """A file name for a submission's JSON report: readable, and unique within ``taken``."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", name.removesuffix(".ipynb")).strip("._") or "report"
    candidate = f"{safe[:150]}.json"
    if candidate in taken:
        digest = hashlib.sha256(name.encode("utf-8")).hexdigest()[:10]
        candidate = f"{safe[:150]}-{digest}.json"
    taken.add(candidate)
    return candidate


def _item_ids(reports: Sequence[dict]) -> list[str]:
    ids = {item["id"] for report in reports for item in report["items"]}
    return sorted(ids, key=lambda i: tuple(int(p) for p in i.split(".")))


def gradebook_csv(reports: Sequence[dict]) -> str:
    """The gradebook's text (one row per report, in the order given)."""
    item_ids = _item_ids(reports)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["submission", "student", "exercise", "status", *item_ids, "total", "max"])
    for report in reports:
        earned = {item["id"]: format_points(item["earned"]) for item in report["items"]}
        writer.writerow(
            [
                report["submission"],
                report["student"],
                "" if report["exercise"] is None else report["exercise"],
                report["status"],
                *(earned.get(i, "") for i in item_ids),
                format_points(report["total"]),
                report["max"],
            ]
        )
    return out.getvalue()


def write_outputs(reports: Sequence[dict], outdir: Path) -> Path:
    """Write every JSON report into ``outdir/reports/`` and then ``outdir/gradebook.csv``.

    Reports an earlier run left in ``outdir/reports/`` are removed, so the folder always
    describes one run.

    Returns the gradebook's path. Each report dict gets the key ``report``: its file's path
    relative to ``outdir``.
    """
    outdir = Path(outdir)
    reports_dir = outdir / "reports"
    taken: set[str] = set()
    for report in reports:
        filename = report_filename(report["submission"], taken)
        report["report"] = f"reports/{filename}"
        text = json.dumps(report, indent=2, ensure_ascii=False, allow_nan=True) + "\n"
        write_atomic(reports_dir / filename, printable(text))
    for stale in reports_dir.glob("*.json"):  # reports of an earlier run into this folder
        if stale.name not in taken:
            stale.unlink()
    gradebook = outdir / "gradebook.csv"
    write_atomic(gradebook, printable(gradebook_csv(reports)))
    return gradebook


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else "…" + text[-(width - 1) :]


def summary_table(reports: Sequence[dict], width: int = 36) -> str:
    """A plain-text table: one line per submission, the points per item, the total."""
    item_ids = _item_ids(reports)
    header = f"{'submission':<{width}}  {'ex':>2}  " + " ".join(f"{i:>5}" for i in item_ids)
    lines = [header + f"  {'total':>11}  status", "-" * (len(header) + 21)]
    for report in reports:
        earned = {item["id"]: format_points(item["earned"]) for item in report["items"]}
        cells = " ".join(f"{earned.get(i, ''):>5}" for i in item_ids)
        exercise = "" if report["exercise"] is None else str(report["exercise"])
        total = f"{format_points(report['total'])}/{report['max']}"
        lines.append(
            f"{_clip(report['submission'], width):<{width}}  {exercise:>2}  {cells}  "
            f"{total:>11}  {report['status']}"
        )
    return printable("\n".join(lines))
