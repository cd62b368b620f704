"""Exports of the gradebook: nbgrader's grades.csv and a Canvas gradebook import.

Sample files in ``tests/export_samples/``: a Canvas export as Canvas writes it (byte-order
mark, CRLF line ends, a ``Points Possible`` row, computed read-only columns, a test student),
a gradebook of exercise 1 (one student with no Canvas row, one row with no student), a
mapping file and nbgrader's student list. The nbgrader export also reads the grading corpus'
real gradebook (three exercises).
"""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import pytest
from _nbtools import ROOT

from companion.grade.export import NBGRADER_COLUMNS, main

SAMPLES = ROOT / "tests" / "export_samples"
CANVAS = SAMPLES / "canvas_export.csv"
GRADEBOOK = SAMPLES / "gradebook.csv"
CORPUS_GRADEBOOK = ROOT / "tests" / "grading_corpus" / "expected.csv"


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def table(path: Path) -> list[list[str]]:
    with open(path, newline="", encoding="utf-8-sig") as handle:
        return list(csv.reader(handle))


def digest(*paths: Path) -> list[str]:
    return [hashlib.sha256(p.read_bytes()).hexdigest() for p in paths]


@pytest.fixture(autouse=True)
def inputs_stay_as_they_were():
    files = sorted(SAMPLES.iterdir()) + [CORPUS_GRADEBOOK]
    before = digest(*files)
    yield
    assert digest(*files) == before


def canvas(tmp_path, *extra: str, source: Path = CANVAS, gradebook: Path = GRADEBOOK):
    out = tmp_path / "import.csv"
    code = main(
        ["canvas", "--canvas", str(source), "--column", "Exercise 1", "--gradebook",
         str(gradebook), "-o", str(out), *extra]
    )  # fmt: skip
    return code, out


# --- nbgrader ---------------------------------------------------------------------------------


def test_nbgrader_export_has_nbgraders_columns_and_one_row_per_student_and_exercise(
    tmp_path, capsys
):
    out = tmp_path / "grades.csv"
    assert main(["nbgrader", "--gradebook", str(CORPUS_GRADEBOOK), "-o", str(out)]) == 0
    assert table(out)[0] == list(NBGRADER_COLUMNS)
    ours = [r for r in read_csv(CORPUS_GRADEBOOK) if r["student"] and r["exercise"]]
    exported = read_csv(out)
    assert len(exported) == len(ours)
    by_key = {(r["assignment"], r["student_id"]): r for r in exported}
    for row in ours:
        got = by_key[(f"ex{int(row['exercise']):02d}", row["student"])]
        assert float(got["score"]) == float(got["raw_score"]) == float(row["total"])
        assert float(got["max_score"]) == float(row["max"])
        assert got["late_submission_penalty"] == "0"
    left_out = [r["submission"] for r in read_csv(CORPUS_GRADEBOOK) if not r["exercise"]]
    assert left_out and all(name in capsys.readouterr().err for name in left_out)


def test_nbgrader_export_takes_names_from_nbgraders_student_list(tmp_path, capsys):
    out = tmp_path / "grades.csv"
    students = SAMPLES / "students.csv"
    assert (
        main(
            [
                "nbgrader",
                "--gradebook",
                str(GRADEBOOK),
                "-o",
                str(out),
                "--students",
                str(students),
                "--assignment",
                "week1",
            ]
        )  # fmt: skip
        == 0
    )
    rows = {r["student_id"]: r for r in read_csv(out)}
    assert {r["assignment"] for r in rows.values()} == {"week1"}
    for person in read_csv(students):
        got = rows[person["id"]]
        assert (got["first_name"], got["last_name"], got["email"]) == (
            person["first_name"],
            person["last_name"],
            person["email"],
        )
    assert "'carol' is not in the student list" in capsys.readouterr().err


def test_nbgrader_export_refuses_two_grades_for_one_student(tmp_path, capsys):
    doubled = tmp_path / "gradebook.csv"
    lines = GRADEBOOK.read_text().splitlines()
    doubled.write_text("\n".join([*lines, lines[1].replace("alice/", "alice/again/")]) + "\n")
    out = tmp_path / "grades.csv"
    assert main(["nbgrader", "--gradebook", str(doubled), "-o", str(out)]) == 1
    assert "'alice' has two grades for ex01" in capsys.readouterr().err
    assert not out.exists()


def test_nbgrader_export_of_several_exercises_needs_their_number_in_the_name(tmp_path, capsys):
    out = tmp_path / "grades.csv"
    args = ["nbgrader", "--gradebook", str(CORPUS_GRADEBOOK), "-o", str(out)]
    assert main([*args, "--assignment", "homework"]) == 1
    assert "several exercises" in capsys.readouterr().err and not out.exists()


# --- Canvas -----------------------------------------------------------------------------------


def test_canvas_import_fills_the_column_and_keeps_every_row_and_cell(tmp_path, capsys):
    code, out = canvas(tmp_path)
    before, after = table(CANVAS), table(out)
    assert len(after) == len(before) and after[0] == before[0]
    column = before[0].index("Exercise 1 (1001)")
    ours = {r["student"]: r["total"] for r in read_csv(GRADEBOOK) if r["exercise"] == "1"}
    login = before[0].index("SIS Login ID")
    for old, new in zip(before, after, strict=True):
        others = [c for i, c in enumerate(old) if i != column]
        assert [c for i, c in enumerate(new) if i != column] == others
        student = old[login].lower()
        if student in ours and old[1]:
            assert float(new[column]) == float(ours[student])  # 'BOB' is bob
        else:
            assert new[column] == old[column]
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and raw.count(b"\r\n") == len(before)
    report = capsys.readouterr().out
    assert "filled 2 grade(s)" in report
    assert "Builder, Bob (3.00 -> 4.667)" in report  # an earlier, different grade replaced
    assert "Nobody, Erin" in report and "Student, Test" in report  # Canvas: no grade
    assert "NOT in the output: carol" in report  # ours: no Canvas row
    assert code == 1  # a gradebook student matched nobody: the instructor must look


def test_canvas_import_matches_through_a_mapping_file(tmp_path, capsys):
    code, out = canvas(tmp_path, "--mapping", str(SAMPLES / "mapping.csv"))
    by_id = {r["SIS User ID"]: r["Exercise 1 (1001)"] for r in read_csv(out)}
    assert (by_id["S0001"], by_id["S0002"]) == ("10", "4.667")
    assert code == 1 and "carol" in capsys.readouterr().out  # mapped to S0003: not in Canvas


def test_canvas_import_rescales_only_when_asked(tmp_path, capsys):
    worth_20 = tmp_path / "canvas.csv"
    worth_20.write_bytes(CANVAS.read_bytes().replace(b",10.00,10.00,", b",20.00,10.00,"))
    code, out = canvas(tmp_path, source=worth_20)
    assert code == 1 and not out.exists()
    assert "--scale" in capsys.readouterr().err
    canvas(tmp_path, "--scale", source=worth_20)
    assert {r["SIS Login ID"]: r["Exercise 1 (1001)"] for r in read_csv(out)}["alice"] == "20"


MALFORMED = {
    "no-points-possible-row": (
        lambda t: "\r\n".join(line for line in t.split("\r\n") if "Points Possible" not in line),
        "'Points Possible' rows",
    ),
    "ragged-row": (lambda t: t.replace("Section B,,,", "Section B,,"), "has 10 cells"),
    "no-login-column": (lambda t: t.replace("SIS Login ID", "Login"), "no column 'SIS Login ID'"),
    "one-login-twice": (lambda t: t.replace(",erin,", ",alice,"), "several rows have SIS Login"),
    "not-utf8": (lambda t: t.replace("Liddell", "Lidd\udcffell"), "not UTF-8"),
    "empty": (lambda t: "", "is empty"),
    "not-a-gradebook": (lambda t: "\x00" * 10, "no column 'Student'"),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_a_malformed_canvas_export_is_a_clear_error_and_nothing_is_written(case, tmp_path, capsys):
    edit, message = MALFORMED[case]
    broken = tmp_path / "broken.csv"
    text = CANVAS.read_bytes().decode("utf-8-sig")
    broken.write_bytes(edit(text).encode("utf-8", "surrogateescape"))
    code, out = canvas(tmp_path, source=broken)
    error = capsys.readouterr().err
    assert code == 1 and message in error and str(broken) in error
    assert not out.exists()


@pytest.mark.parametrize(
    ("column", "message"),
    [("Exercise 9", "no column 'Exercise 9'"), ("Current Score", "'(read only)'")],
)
def test_a_column_canvas_cannot_import_into_is_an_error(column, message, tmp_path, capsys):
    out = tmp_path / "import.csv"
    args = ["canvas", "--canvas", str(CANVAS), "--column", column]
    assert main([*args, "--gradebook", str(GRADEBOOK), "-o", str(out)]) == 1
    assert message in capsys.readouterr().err and not out.exists()


def test_a_gradebook_of_several_exercises_needs_the_exercise(tmp_path, capsys):
    code, out = canvas(tmp_path, gradebook=CORPUS_GRADEBOOK)
    assert code == 1 and "--exercise" in capsys.readouterr().err and not out.exists()


def test_a_malformed_gradebook_names_the_line(tmp_path, capsys):
    broken = tmp_path / "gradebook.csv"
    broken.write_text(GRADEBOOK.read_text().replace(",4.667,10", ",lots,10"))
    code, out = canvas(tmp_path, gradebook=broken)
    assert code == 1 and "line 3" in capsys.readouterr().err and not out.exists()


def test_the_output_may_not_be_an_input(tmp_path, capsys):
    copy = tmp_path / "canvas.csv"
    copy.write_bytes(CANVAS.read_bytes())
    with pytest.raises(SystemExit) as stop:
        main(["canvas", "--canvas", str(copy), "--column", "Exercise 1", "--gradebook",
              str(GRADEBOOK), "-o", str(copy)])  # fmt: skip
    assert stop.value.code == 2 and "never overwritten" in capsys.readouterr().err
    assert copy.read_bytes() == CANVAS.read_bytes()


def test_two_students_mapped_to_one_canvas_student_is_an_error(tmp_path, capsys):
    mapping = tmp_path / "mapping.csv"
    mapping.write_text("student,SIS User ID\nalice,S0001\nbob,S0001\n")
    code, out = canvas(tmp_path, "--mapping", str(mapping))
    assert code == 1 and "both match SIS User ID 'S0001'" in capsys.readouterr().err
    assert not out.exists()
