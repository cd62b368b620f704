"""The batch grader: exact scores on a corpus of sample submissions, hostile ones included.

``tests/grading_corpus/submissions/`` holds correct, partly correct, wrong and hostile
notebooks (built by ``make_corpus.py``); ``expected.csv`` is the gradebook they must get,
byte for byte. Short time limits keep the corpus fast; no legitimate cell comes near them.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import numpy as np
import pytest
from _adversaries import unwatched
from _nbtools import ROOT, notebook_namespace

from companion.exercises import ITEMS, check, summary
from companion.grade import Limits, collect, grade
from companion.grade import protocol as proto
from companion.grade.__main__ import main
from companion.grade.gradebook import format_points, gradebook_csv, write_atomic, write_outputs
from companion.grade.grader import grade_submission
from companion.grade.submissions import (
    Submission,
    exercise_from_name,
    parse_notebook,
    student_of,
)

CORPUS = ROOT / "tests" / "grading_corpus"
SUBMISSIONS = CORPUS / "submissions"
FAST = ["--cell-timeout", "1.5", "--call-timeout", "1.5", "--timeout", "60"]
EXERCISES = {int(item_id.split(".")[0]) for item_id in ITEMS}


def _grade_folder(out: Path, *extra: str) -> int:
    return main([str(SUBMISSIONS), "-o", str(out), "-q", *FAST, *extra])


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The corpus graded once (two workers, as on CI): its exit code and output folder."""
    out = tmp_path_factory.mktemp("graded")
    return _grade_folder(out), out


@pytest.fixture(scope="module")
def reports(graded):
    _, out = graded
    found = {}
    for path in (out / "reports").glob("*.json"):
        report = json.loads(path.read_text(encoding="utf-8"))
        found[report["submission"].removeprefix("submissions/")] = report
    return found


# --- the corpus -------------------------------------------------------------------------------


def test_corpus_gets_exactly_the_expected_gradebook(graded):
    code, out = graded
    assert code == 0
    expected = (CORPUS / "expected.csv").read_text(encoding="utf-8")
    assert (out / "gradebook.csv").read_text(encoding="utf-8") == expected


def test_grading_the_same_inputs_twice_writes_the_same_bytes(graded, tmp_path):
    _, out = graded
    assert _grade_folder(tmp_path, "-j", "1") == 0
    assert (tmp_path / "gradebook.csv").read_bytes() == (out / "gradebook.csv").read_bytes()
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp files


def test_every_row_has_one_report_and_every_zero_its_reason(reports):
    expected = list(csv.DictReader(io.StringIO((CORPUS / "expected.csv").read_text())))
    assert sorted(reports) == sorted(r["submission"].removeprefix("submissions/") for r in expected)
    for name, report in reports.items():
        for item in report["items"]:
            assert item["earned"] == pytest.approx(item["score"] * item["points"])
            if item["earned"] == 0:
                assert item["reason"], (name, item["id"])


@pytest.mark.parametrize(
    ("submission", "item", "reason"),
    [
        ("carol_01_gradients.ipynb", "1.1", "not implemented yet"),
        ("bob/01_gradients.ipynb", "1.1", "looks like a forward difference"),
        ("dave_01_gradients.ipynb", "1.2", "its cell (cell 8) failed: SyntaxError"),
        ("frank_01_gradients.ipynb", "1.3", "did not return within 1.5 s"),
        ("grace_01_gradients.ipynb", "1.1", "invalid notebook: the notebook is not valid JSON"),
        ("heidi_01_gradients.ipynb", "1.4", "no cell of the notebook defines it"),
        ("ivan_01_gradients.ipynb", "1.2", "printed more than 10 MB of output"),
        ("judy_01_gradients.ipynb", "1.1", "killed by SIGSEGV"),
        ("mallory_01_gradients.ipynb", "1.2", "wrong value"),
        ("niaj_01_gradients.ipynb", "1.1", "returned None"),
        ("sybil_01_gradients.ipynb", "1.2", "raised MemoryError"),
        ("walter_01_gradients.ipynb", "1.1", "changed its argument `x`"),
        ("victor/03_backpropagation.ipynb", "3.3", "you averaged over the batch"),
    ],
)
def test_each_lost_item_says_why(reports, submission, item, reason):
    (result,) = [i for i in reports[submission]["items"] if i["id"] == item]
    assert result["earned"] == 0 and reason in result["reason"], result["reason"]


@pytest.mark.parametrize(
    ("submission", "first_line", "status", "error"),
    [
        ("erin_01_gradients.ipynb", "while True:", "timeout", "did not finish within 1.5 s"),
        ("ivan_01_gradients.ipynb", "print('spam", "output", "more than 10 MB"),
        ("judy_01_gradients.ipynb", "import os", "died", "exited with status 0"),
        ("peggy_01_gradients.ipynb", "import os", "protocol", "grading channel was corrupted"),
        ("peggy_01_gradients.ipynb", "raise RuntimeError", "error", "RuntimeError"),
        ("quentin_01_gradients.ipynb", "import sys", "error", "SystemExit: bye"),
    ],
)
def test_a_failing_cell_is_reported_and_the_rest_still_runs(
    reports, submission, first_line, status, error
):
    report = reports[submission]
    (cell,) = [c for c in report["cells"] if c["first_line"].startswith(first_line)]
    assert cell["status"] == status and error in cell["error"], cell
    assert report["status"] == "graded"


def test_check_cells_are_skipped_and_ordinary_cells_run(reports):
    cells = reports["alice/01_gradients.ipynb"]["cells"]
    skipped = [c["first_line"] for c in cells if c["status"] == "skipped"]
    assert skipped and all(s.startswith(("check(", "summary(")) for s in skipped)
    assert all(c["status"] == "ok" for c in cells if c not in skipped and c["status"] != "skipped")


def test_processes_a_submission_starts_are_ended_even_outside_its_process_group(reports):
    output = reports["rupert_01_gradients.ipynb"]["output"]["stdout"]
    pids = [int(p) for p in re.search(r"forked \[([\d, ]+)\]", output).group(1).split(",")]
    assert len(pids) == 3
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_notebooks_are_recognised_by_name_or_by_their_nbgrader_ids(reports):
    assert reports["trent/homework.ipynb"]["exercise"] == 2  # no NN_ in the name
    assert reports["trent/homework.ipynb"]["student"] == "trent"
    assert reports["bob/01_gradients.ipynb"]["student"] == "bob"
    assert reports["carol_01_gradients.ipynb"]["student"] == "carol"
    assert reports["notes.ipynb"]["status"] == "unknown-exercise"
    assert "--exercise" in reports["notes.ipynb"]["problem"]


def test_code_that_reaches_for_the_answer_key_is_flagged_for_review(reports):
    flagged = sorted(name for name, report in reports.items() if report["flags"])
    assert flagged == ["niaj_01_gradients.ipynb", "yvonne_01_gradients.ipynb"]


def test_re_binding_the_course_s_own_functions_scores_zero_and_is_flagged(reports):
    # numerical_gradient = companion.gradients.numerical_gradient, and a lambda that calls
    # companion's relative_error: both earned full marks (6 of 10) before the grader watched
    report = reports["yvonne_01_gradients.ipynb"]
    items = {item["id"]: item for item in report["items"]}
    for item_id, name in [("1.1", "numerical_gradient"), ("1.2", "relative_error")]:
        assert items[item_id]["earned"] == 0
        assert f"`companion.gradients.{name}`" in items[item_id]["flag"]
        assert any(flag.startswith(f"item {item_id} ") for flag in report["flags"])
    assert report["total"] == 0


def test_a_reference_named_in_the_code_but_not_seen_running_is_flagged_for_review():
    from companion.grade.grader import _names_reference

    item = ITEMS["1.1"]
    imported = "from companion.gradients import relative_error, numerical_gradient"
    assert _names_reference([imported], item)
    assert _names_reference(["numerical_gradient = gradients.numerical_gradient"], item)
    wrapper = "import companion.gradients as g\ndef numerical_gradient(f, x, h):\n"
    assert _names_reference([wrapper + "    return g.numerical_gradient(f, x, h)"], item)
    assert _names_reference(["def numerical_gradient(f, x, h):\n    return 0"], item) is None
    # other cells may use the companion's functions, and an alias is not the item's function
    assert _names_reference(["grad = gradients.numerical_gradient(f, x)"], item) is None
    aliased = "from companion.gradients import numerical_gradient as theirs"
    assert _names_reference([aliased], item) is None
    assert _names_reference(["from companion.optim import Adam"], ITEMS["6.2"]) is None
    # the exercise 8 notebook runs the companion's CG in a cell of its own: not flagged
    notebook = nbformat.read(ROOT / "exercises" / "source" / "08_putting_together.ipynb", 4)
    cells = [c.source for c in notebook.cells if c.cell_type == "code"]
    assert all(_names_reference(cells, i) is None for i in ITEMS.values() if i.id[0] == "8")


def test_a_forged_list_of_references_from_the_child_is_filtered():
    from companion.grade._replies import _delegated

    item = ITEMS["1.1"]
    reply = {"uses": ["companion.gradients.numerical_gradient", "os.system", 3]}
    assert _delegated(reply, item) == ("companion.gradients.numerical_gradient",)
    assert _delegated({}, item) == ()
    with pytest.raises(proto.ProtocolError):
        _delegated({"uses": "everything"}, item)


# --- integrity: the judging happens outside the submission's process ------------------------


def test_reading_the_checkers_frame_fools_check_in_the_kernel_but_not_the_grader(reports):
    notebook = nbformat.read(SUBMISSIONS / "niaj_01_gradients.ipynb", as_version=4)
    code = next(c.source for c in notebook.cells if "sys._getframe" in c.source)
    namespace: dict = {}
    exec(code, namespace)  # noqa: S102 -- the function only reads frames
    with unwatched("1.1"):
        assert check("1.1", namespace["numerical_gradient"]).passed  # in-process: fooled
    # ... unless the check watches for the course's code: this reference answer runs it
    assert check("1.1", namespace["numerical_gradient"]).flag
    assert reports["niaj_01_gradients.ipynb"]["items"][0]["earned"] == 0  # the grader: not


def test_patching_numpy_or_defining_check_in_the_submission_changes_nothing(reports):
    for name in ("mallory_01_gradients.ipynb", "oscar_01_gradients.ipynb"):
        assert reports[name]["total"] == 0


def test_the_grader_gives_the_same_feedback_as_check_in_the_notebook(reports):
    namespace = notebook_namespace(SUBMISSIONS / "bob" / "01_gradients.ipynb")
    for result in reports["bob/01_gradients.ipynb"]["items"]:
        feedback = check(result["id"], namespace[result["function"]])
        assert (result["feedback"], result["score"]) == (feedback.message, feedback.score)


# --- every exercise there is, by construction ---------------------------------------------------


def test_every_exercise_source_gets_full_marks_and_every_stub_zero():
    sources = sorted((ROOT / "exercises" / "source").glob("*.ipynb"))
    stubs = sorted((ROOT / "exercises").glob("*.ipynb"))
    found, problems = collect([*sources, *stubs], 2**24)
    assert not problems and len(found) == len(sources) + len(stubs)
    results = grade(found, Limits(cell_timeout=20, call_timeout=20), jobs=2)
    by_kind: dict[str, set[int]] = {"source": set(), "stub": set()}
    for submission, report in zip(found, results, strict=True):
        assert report["status"] == "graded", report["problem"]
        number = report["exercise"]
        assert [i["id"] for i in report["items"]] == sorted(
            (i for i in ITEMS if int(i.split(".")[0]) == number),
            key=lambda i: int(i.split(".")[1]),
        )
        assert report["max"] == sum(ITEMS[i["id"]].points for i in report["items"])
        if any(submission.data == p.read_bytes() for p in sources):
            assert report["total"] == report["max"], report["items"]
            by_kind["source"].add(number)
        else:
            assert report["total"] == 0
            assert all("not implemented yet" in i["reason"] for i in report["items"])
            by_kind["stub"].add(number)
    assert by_kind["source"] == by_kind["stub"] == EXERCISES


@pytest.mark.parametrize("item_id", sorted(ITEMS))
def test_every_case_of_every_item_can_be_sent_to_a_submission(item_id):
    for case in ITEMS[item_id].cases():
        for arg in case.args:
            decoded = proto.decode_arg(json.loads(json.dumps(proto.encode_arg(arg))))
            if callable(arg):
                assert decoded is arg
            elif isinstance(arg, np.random.Generator):
                assert decoded.random() == arg.random()
            else:
                np.testing.assert_array_equal(decoded, arg)
                assert type(decoded) is type(arg)


def test_points_are_declared_once_and_the_notebooks_tables_agree():
    for source in sorted((ROOT / "exercises" / "source").glob("*.ipynb")):
        text = "\n".join(c.source for c in nbformat.read(source, as_version=4).cells)
        for item_id, points in re.findall(
            r"^\|\s*(\d+\.\d+)\s*\|.*\|\s*(\d+)\s*\|\s*$", text, re.M
        ):
            assert ITEMS[item_id].points == int(points), (source.name, item_id)


# --- inputs, limits and outputs ---------------------------------------------------------------


def test_zips_and_broken_inputs(tmp_path, capsys):
    archive = tmp_path / "batch.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for name in ("alice/01_gradients.ipynb", "bob/01_gradients.ipynb", "notes.ipynb"):
            out.write(SUBMISSIONS / name, name)
        out.writestr("__MACOSX/alice/._01_gradients.ipynb", "junk")
    (tmp_path / "broken.zip").write_bytes(b"not a zip")
    args = [str(archive), str(tmp_path / "broken.zip"), str(tmp_path / "missing"), "-q"]
    code = main([*args, "-o", str(tmp_path / "out"), *FAST])
    captured = capsys.readouterr()
    assert code == 1  # graded what it could, and says an input was unreadable
    assert "broken.zip: not a readable zip" in captured.err and "missing" in captured.err
    rows = list(csv.DictReader(open(tmp_path / "out" / "gradebook.csv", encoding="utf-8")))
    assert [(r["submission"], r["student"], r["total"]) for r in rows] == [
        ("batch.zip/alice/01_gradients.ipynb", "alice", "12"),
        ("batch.zip/bob/01_gradients.ipynb", "bob", "6.667"),
        ("batch.zip/notes.ipynb", "", "0"),
    ]


def test_the_notebook_time_limit_covers_everything_left(tmp_path):
    data = (SUBMISSIONS / "erin_01_gradients.ipynb").read_bytes()
    submission = Submission("erin_01_gradients.ipynb", "erin_01_gradients.ipynb", data, len(data))
    report = grade_submission(submission, Limits(cell_timeout=20, notebook_timeout=1.5))
    assert report["total"] == 0
    assert all("time limit (1.5 s)" in item["reason"] for item in report["items"])


def test_too_large_and_empty_notebooks_are_refused_with_the_reason():
    big = grade_submission(Submission("x/01_gradients.ipynb", "01_gradients.ipynb", b"", 3 << 20))
    assert big["status"] == "too-large" and "larger than" in big["items"][0]["reason"]
    empty = grade_submission(Submission("01_gradients.ipynb", "01_gradients.ipynb", b"", 0))
    assert empty["status"] == "invalid-notebook" and empty["total"] == 0


def test_the_command_line_entry_point_runs(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "companion.grade", str(SUBMISSIONS / "alice"), "-o", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "12/12" in result.stdout and "graded 1 submission(s)" in result.stdout
    assert (tmp_path / "reports" / "alice_01_gradients.json").exists()


def test_the_gradebook_is_replaced_atomically(tmp_path, monkeypatch):
    target = tmp_path / "gradebook.csv"
    write_atomic(target, "old\n")

    def fail(*args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(target, "new\n")
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["gradebook.csv"]


def test_odd_text_from_a_submission_cannot_break_the_reports(tmp_path):
    report = {"submission": "x\udcff.ipynb", "student": "\ud800", "exercise": None}
    report |= {"status": "unknown-exercise", "max": 0, "total": 0.0, "items": []}
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "from_an_earlier_run.json").write_text("{}")
    write_outputs([report], tmp_path)
    assert [p.name for p in (tmp_path / "reports").iterdir()] == ["x.json"]
    assert "\nx\ufffd" in (tmp_path / "gradebook.csv").read_text(encoding="utf-8")


def test_points_are_written_the_same_way_every_time():
    assert [format_points(v) for v in (4.0, 4 * 2 / 3, 0.0, -0.0, 1e-9, 2.5)] == [
        "4",
        "2.667",
        "0",
        "0",
        "0",
        "2.5",
    ]
    report = {"submission": "a", "student": "", "exercise": 1, "status": "graded", "max": 2}
    report |= {"total": 1.0, "items": [{"id": "1.2", "earned": 1.0}]}
    assert gradebook_csv([report]).splitlines()[1] == "a,,1,graded,1,1,2"


@pytest.mark.parametrize(
    ("name", "exercise", "student"),
    [
        ("01_gradients.ipynb", 1, ""),
        ("alice_01_gradients.ipynb", 1, "alice"),
        ("alice-smith_03_backpropagation (2).ipynb", 3, "alice-smith"),
        ("2024_bob_02_gradient_descent.ipynb", 2, "2024_bob"),
        ("bob/homework.ipynb", None, "bob"),
        ("v01_notes.ipynb", None, ""),
        ("99_unknown.ipynb", None, ""),
    ],
)
def test_exercise_and_student_come_from_the_path(name, exercise, student):
    assert exercise_from_name(name, EXERCISES) == exercise
    assert student_of(name, EXERCISES) == student


@pytest.mark.parametrize(
    "data",
    [b"\xff\xfe", b"[1, 2]", b'{"cells": 3}', b'{"worksheets": []}', b"[" * 100_000],
)
def test_files_that_are_not_notebooks_are_refused(data):
    from companion.grade.submissions import NotebookError

    with pytest.raises(NotebookError):
        parse_notebook(data)


# --- the protocol: what comes back from a submission is data, strictly checked ---------------


@pytest.mark.parametrize(
    "encoded",
    [
        {"kind": "array", "shape": [2], "dtype": "|O8", "data": ""},  # objects: never
        {"kind": "array", "shape": [3], "dtype": "<f8", "data": "AAAAAAAAAAA="},  # 1 of 3
        {"kind": "array", "shape": [1], "dtype": "<f8", "data": "not base64!"},
        {"kind": "array", "shape": [-1], "dtype": "<f8", "data": ""},
        {"kind": "large", "shape": [2**40, 2**40]},
        {"kind": "pickle", "shape": [1]},
        ["not", "a", "dict"],
    ],
)
def test_malformed_arrays_from_a_submission_are_rejected(encoded):
    with pytest.raises(proto.ProtocolError):
        proto.decode_array(encoded)


def test_frames_are_length_checked_and_must_be_json_objects():
    buffer = bytearray(proto.frame({"op": "ready"}) + b"\x00\x00")
    assert proto.parse_frame(buffer) == {"op": "ready"} and buffer == b"\x00\x00"
    with pytest.raises(proto.ProtocolError):
        proto.parse_frame(bytearray(b"\xff\xff\xff\xff"))
    with pytest.raises(proto.ProtocolError):
        proto.parse_frame(bytearray(b"\x00\x00\x00\x02[]"))


def test_a_case_may_pass_only_data_and_named_functions():
    with pytest.raises(TypeError, match="named module-level functions"):
        proto.encode_arg(lambda x: x)
    with pytest.raises(TypeError):
        proto.encode_arg(np.array([object()]))


def test_returned_values_are_described_as_the_judge_sees_them():
    assert proto.describe_value(None) == {"kind": "none"}
    assert proto.describe_value("text") == {"kind": "object", "type": "str"}
    scalar = proto.decode_array(proto.describe_value(np.float32(2.5)))
    assert scalar.shape == () and scalar.dtype == np.float64 and scalar == 2.5
    big = proto.decode_array(proto.describe_value(np.zeros(proto.MAX_ELEMENTS + 1)))
    assert big.shape == (proto.MAX_ELEMENTS + 1,) and np.isnan(big[0])


# --- the learner's summary ------------------------------------------------------------------


def test_summary_checks_every_item_of_the_notebooks_exercise():
    namespace = notebook_namespace(SUBMISSIONS / "bob" / "01_gradients.ipynb")
    report = summary(namespace)
    assert report.exercise == 1 and report.passed == 3 and len(report.feedback) == 5
    assert report.earned == pytest.approx(6 + 2 / 3)
    assert report.headline == "3 of 5 items pass (6.67 of 12 points); start with item 1.1"
    assert "[PASS] 1.2 relative_error" in repr(report)
    # each item's message is shown once, on its own line
    for feedback in report.feedback:
        assert str(report).count(f"{feedback.item} {feedback.function}: {feedback.message}") == 1
    assert str(report).count("looks like a forward difference") == 1


def test_summary_counts_an_unwritten_function_as_failing_and_explains_an_empty_namespace():
    report = summary({"standardize": lambda X: (X - X.mean(0)) / X.std(0)})
    assert report.exercise == 2 and report.passed == 1
    assert "`gradient_descent` is not defined yet" in str(report)
    assert report.headline.endswith("start with item 2.1")
    with pytest.raises(LookupError, match="none of the exercises"):
        summary({})
    assert summary({}, exercise=3).passed == 0


# --- running submissions as another user (needs root, and an interpreter that user can run) -


def _can_run_as_nobody() -> bool:
    if os.geteuid() != 0:
        return False
    try:
        result = subprocess.run(
            [sys.executable, "-c", "import companion"],
            user="nobody",
            capture_output=True,
            timeout=60,
            cwd="/",
        )
    except (OSError, KeyError, subprocess.SubprocessError):
        return False
    return result.returncode == 0


@pytest.mark.skipif(not _can_run_as_nobody(), reason="needs root and an interpreter nobody can run")
def test_submissions_can_run_as_an_unprivileged_user(tmp_path):
    data = (SUBMISSIONS / "alice" / "01_gradients.ipynb").read_bytes()
    submission = Submission("01_gradients.ipynb", "01_gradients.ipynb", data, len(data))
    assert grade_submission(submission, Limits(user="nobody"))["total"] == 10
