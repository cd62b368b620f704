"""Gradescope autograder bundles: built, unzipped and run the way Gradescope runs them.

The bundles are built once (``--exercise all``). Exercise 1's zip is unpacked into a
temporary ``source`` folder and its ``run_autograder`` is run in a temporary
``GRADESCOPE_ROOT`` on corpus submissions — a solution, stubs, hostile ones, an invalid
notebook — and on ones made here for Gradescope (no notebook, two notebooks, a submission
that forges ``results.json``). Scores must equal the batch grader's on the same notebooks, and
every ``results.json`` must follow Gradescope's documented format (the schema below, from
https://gradescope-autograders.readthedocs.io/en/latest/specs/).

``setup.sh``'s pip install is not run (no network). Instead the bundle's own wheel is
unpacked into a fresh virtual environment that sees this test environment's packages (a
``.pth`` file) — so the companion code graded with is the wheel's, as on Gradescope — and
``run_autograder`` is pointed at that interpreter with ``COURSE_GRADE_PYTHON``.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import time
import venv
import zipfile
from pathlib import Path

import jsonschema
import nbformat
import pytest
from _nbtools import ROOT

from companion.grade import Limits, distribution
from companion.grade.grader import exercises
from companion.grade.gradescope import main, results_from_report

SUBMISSIONS = ROOT / "tests" / "grading_corpus" / "submissions"
FAST = Limits(cell_timeout=1.5, call_timeout=1.5, notebook_timeout=60)
FAST_ARGS = ["--cell-timeout", "1.5", "--call-timeout", "1.5", "--timeout", "60"]

# Corpus submissions of exercise 1 run through the autograder (see make_corpus.py).
CORPUS = {
    "solution": "alice/01_gradients.ipynb",
    "stubs": "carol_01_gradients.ipynb",
    "monkeypatches-numpy": "mallory_01_gradients.ipynb",
    "reads-the-checkers-frame": "niaj_01_gradients.ipynb",
    "forks-out-of-its-group": "rupert_01_gradients.ipynb",
    "crashes-its-process": "judy_01_gradients.ipynb",
    "invalid-json": "grace_01_gradients.ipynb",
}

# Gradescope's results.json, as its autograder specification documents it.
_FORMAT = {"enum": ["text", "html", "simple_format", "md", "ansi"]}
_VISIBILITY = {"enum": ["hidden", "after_due_date", "after_published", "visible"]}
_NUMBER = {"type": "number"}
TEST_SCHEMA = {
    "type": "object",
    "properties": {
        "score": _NUMBER,
        "max_score": _NUMBER,
        "status": {"enum": ["passed", "failed"]},
        "name": {"type": "string"},
        "name_format": _FORMAT,
        "number": {"type": "string"},
        "output": {"type": "string"},
        "output_format": _FORMAT,
        "tags": {"type": "array", "items": {"type": "string"}},
        "visibility": _VISIBILITY,
        "extra_data": {"type": "object"},
    },
    "additionalProperties": False,
    # What the course promises on top of the specification's optional fields:
    "required": ["name", "score", "max_score", "output", "visibility"],
}
RESULTS_SCHEMA = {
    "type": "object",
    "properties": {
        "score": _NUMBER,
        "execution_time": {"type": "number", "minimum": 0},
        "output": {"type": "string"},
        "output_format": _FORMAT,
        "test_output_format": _FORMAT,
        "test_name_format": _FORMAT,
        "visibility": _VISIBILITY,
        "stdout_visibility": _VISIBILITY,
        "extra_data": {"type": "object"},
        "tests": {"type": "array", "items": TEST_SCHEMA},
        "leaderboard": {"type": "array"},
    },
    "additionalProperties": False,
    "required": ["score", "tests"],
}


def validate(results: dict) -> None:
    jsonschema.validate(results, RESULTS_SCHEMA)
    assert all(0 <= t["score"] <= t["max_score"] for t in results["tests"])
    if results["tests"]:
        assert results["score"] == pytest.approx(sum(t["score"] for t in results["tests"]))


@pytest.fixture(scope="module")
def bundles(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bundles")
    assert main(["--exercise", "all", "-o", str(out), *FAST_ARGS]) == 0
    return out


@pytest.fixture(scope="module")
def source(bundles, tmp_path_factory) -> Path:
    """Exercise 1's bundle unpacked, keeping the modes the zip records (as Gradescope does)."""
    folder = tmp_path_factory.mktemp("source")
    with zipfile.ZipFile(bundles / "autograder-ex01.zip") as archive:
        for info in archive.infolist():
            target = folder / info.filename
            target.write_bytes(archive.read(info))
            target.chmod((info.external_attr >> 16) & 0o777)
    return folder


@pytest.fixture(scope="module")
def python(source, tmp_path_factory) -> str:
    """An interpreter with the bundle's wheel installed, and this environment's packages."""
    env = tmp_path_factory.mktemp("venv")
    venv.create(env, with_pip=False)
    python = env / "bin" / "python"
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    (wheel,) = source.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:  # a pure-Python wheel installs by unpacking
        archive.extractall(purelib)
    shared = sysconfig.get_paths()["purelib"]
    Path(purelib, "course-test-packages.pth").write_text(shared + "\n", encoding="utf-8")
    return str(python)


def run_autograder(source: Path, root: Path, python: str, **env: str) -> tuple[dict, str, float]:
    """Run ``run_autograder`` as Gradescope would; return results.json, stdout, seconds."""
    environment = {
        **{k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)},
        "GRADESCOPE_ROOT": str(root),
        "COURSE_GRADE_PYTHON": python,
        **env,
    }
    started = time.perf_counter()
    done = subprocess.run(
        [str(source / "run_autograder")],
        cwd=root,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    seconds = time.perf_counter() - started
    assert done.returncode == 0, done.stderr
    results = json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))
    return results, done.stdout, seconds


def gradescope_root(tmp_path: Path, files: dict[str, bytes]) -> Path:
    root = tmp_path / "autograder"
    for name, data in files.items():
        path = root / "submission" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    (root / "submission").mkdir(parents=True, exist_ok=True)
    return root


@pytest.fixture(scope="module")
def batch(python, tmp_path_factory) -> dict[str, dict[str, str]]:
    """The batch grader's gradebook rows for the same notebooks, by label (run with the same
    interpreter and limits)."""
    inputs = tmp_path_factory.mktemp("batch") / "in"
    for label, relative in CORPUS.items():
        (inputs / label).mkdir(parents=True)
        shutil.copy(SUBMISSIONS / relative, inputs / label / Path(relative).name)
    out = inputs.parent / "graded"
    subprocess.run(
        [python, "-m", "companion.grade", str(inputs), "-o", str(out), "-q", *FAST_ARGS],
        capture_output=True,
        check=True,
        timeout=180,
    )
    with open(out / "gradebook.csv", newline="", encoding="utf-8") as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}


# --- the bundle -------------------------------------------------------------------------------


def test_every_exercise_gets_a_bundle(bundles):
    names = sorted(p.name for p in bundles.iterdir())
    assert names == [f"autograder-ex{n:02d}.zip" for n in sorted(exercises())]


def test_setup_and_run_autograder_are_executable_scripts_at_the_zips_root(bundles):
    with zipfile.ZipFile(bundles / "autograder-ex01.zip") as archive:
        modes = {i.filename: (i.external_attr >> 16) & 0o777 for i in archive.infolist()}
        scripts = {n: archive.read(n).decode() for n in ("setup.sh", "run_autograder")}
    assert all("/" not in name for name in modes)
    assert modes["setup.sh"] & 0o111 and modes["run_autograder"] & 0o111
    for name, text in scripts.items():
        assert text.startswith("#!/usr/bin/env bash\n")
        check = subprocess.run(["bash", "-n"], input=text, text=True, capture_output=True)
        assert check.returncode == 0, (name, check.stderr)


def test_setup_installs_the_bundles_own_wheel_and_pins_and_nothing_from_elsewhere(source):
    setup = (source / "setup.sh").read_text()
    (wheel,) = source.glob("*.whl")
    assert f'"$HERE/{wheel.name}"' in setup and '-r "$HERE/requirements.txt"' in setup
    assert "git " not in setup and "http" not in setup
    pins = (source / "requirements.txt").read_text().split()
    pinned = {line.split("==")[0].lower() for line in pins}
    course = {
        line.split("==")[0].lower()
        for line in (ROOT / "requirements.txt").read_text().split()
        if "==" in line
    }
    assert all(line.count("==") == 1 for line in pins) and pinned <= course
    assert {"numpy", "ipython", "matplotlib"} <= pinned  # what the grader and notebooks import
    assert not pinned & {"pytest", "jupyter-book", "sphinx", "playwright", "ruff"}  # tools


def test_the_wheel_holds_every_module_of_the_package(source):
    (wheel,) = source.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        packed = {n for n in archive.namelist() if n.startswith("companion/")}
    modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "companion").rglob("*.py")}
    assert modules <= packed


def test_the_course_environment_for_a_hub_is_the_bundles_wheel_and_pins(source, tmp_path):
    assert distribution.main(["-o", str(tmp_path)]) == 0
    (wheel,) = source.glob("*.whl")
    assert (tmp_path / wheel.name).is_file()
    written = (tmp_path / "requirements.txt").read_text()
    assert written == (source / "requirements.txt").read_text()


# --- run_autograder on submissions ------------------------------------------------------------


@pytest.mark.parametrize("label", list(CORPUS))
def test_run_autograder_scores_each_submission_as_the_batch_grader_does(
    label, source, python, batch, tmp_path
):
    relative = CORPUS[label]
    root = gradescope_root(tmp_path, {Path(relative).name: (SUBMISSIONS / relative).read_bytes()})
    results, stdout, _ = run_autograder(source, root, python)
    validate(results)
    row = batch[label]
    assert results["score"] == float(row["total"])
    assert results["score"] == pytest.approx(sum(t["score"] for t in results["tests"]))
    assert {t["number"]: t["score"] for t in results["tests"]} == {
        item.id: float(row[item.id]) for item in exercises()[1]
    }
    assert [t["max_score"] for t in results["tests"]] == [i.points for i in exercises()[1]]
    report = json.loads(stdout[: stdout.rindex("}") + 1])  # the full report, for instructors
    assert report["status"] == row["status"]
    if row["status"] != "graded":  # cannot be graded: 0, and the output says why
        assert results["score"] == 0 and report["problem"] in results["output"]


def test_partly_right_items_show_their_feedback_and_cases(source, python, tmp_path):
    root = gradescope_root(
        tmp_path, {"bob.ipynb": (SUBMISSIONS / "bob/01_gradients.ipynb").read_bytes()}
    )
    results, _, _ = run_autograder(source, root, python)
    validate(results)
    partial = [t for t in results["tests"] if 0 < t["score"] < t["max_score"]]
    assert partial and all("Cases:" in t["output"] for t in partial)
    failed = [t for t in results["tests"] if t["status"] == "failed"]
    assert failed and all(t["output"] and t["output"] != "all 3 cases pass" for t in failed)


def _stubs() -> nbformat.NotebookNode:
    return nbformat.read(ROOT / "exercises" / "01_gradients.ipynb", as_version=4)


def test_a_submission_cannot_forge_its_results_json(source, python, tmp_path):
    root = tmp_path / "autograder"
    target = root / "results" / "results.json"
    forged = json.dumps({"score": 100.0, "tests": []})
    notebook = _stubs()
    notebook.cells.append(
        nbformat.v4.new_code_cell(
            "import os, time, pathlib\n"
            f"target = pathlib.Path({str(target)!r})\n"
            "target.parent.mkdir(parents=True, exist_ok=True)\n"
            f"target.write_text({forged!r})\n"
            "if os.fork() == 0:  # and again once the grader has written its own\n"
            "    os.setsid()\n"
            "    time.sleep(1.0)\n"
            f"    target.write_text({forged!r})\n"
            "    os._exit(0)"
        )
    )
    root = gradescope_root(tmp_path, {"01_gradients.ipynb": nbformat.writes(notebook).encode()})
    results, _, _ = run_autograder(source, root, python)
    time.sleep(1.5)  # the forked writer would have struck by now
    assert json.loads(target.read_text(encoding="utf-8")) == results
    assert results["score"] == 0
    validate(results)


@pytest.mark.parametrize(
    ("files", "why"),
    [
        ({}, "there is no notebook"),
        ({"notes.txt": b"my answers are in my head"}, "there is no notebook"),
        ({"a.ipynb": b"{}", "b.ipynb": b"{}"}, "cannot tell which one is exercise 1"),
    ],
    ids=["empty", "no-notebook", "two-notebooks"],
)
def test_an_ungradable_submission_scores_zero_and_says_why(files, why, source, python, tmp_path):
    results, _, _ = run_autograder(source, gradescope_root(tmp_path, files), python)
    validate(results)
    assert results["score"] == 0 and why in results["output"]
    assert [t["number"] for t in results["tests"]] == [i.id for i in exercises()[1]]
    assert all(t["score"] == 0 and why in t["output"] for t in results["tests"])


def test_of_two_notebooks_the_one_named_for_the_exercise_is_graded(source, python, tmp_path):
    solution = (SUBMISSIONS / "alice/01_gradients.ipynb").read_bytes()
    files = {"scratch.ipynb": nbformat.writes(_stubs()).encode(), "01_mine.ipynb": solution}
    results, _, _ = run_autograder(source, gradescope_root(tmp_path, files), python)
    assert results["score"] == sum(i.points for i in exercises()[1])


def test_another_exercises_notebook_is_graded_as_this_one_and_the_output_says_so(
    source, python, tmp_path
):
    other = (SUBMISSIONS / "victor/03_backpropagation.ipynb").read_bytes()
    root = gradescope_root(tmp_path, {"03_backpropagation.ipynb": other})
    results, _, _ = run_autograder(source, root, python)
    validate(results)
    assert "named like exercise 3's notebook" in results["output"]
    assert results["score"] == 0 and all("is not defined" in t["output"] for t in results["tests"])


def test_when_the_grader_itself_fails_the_result_is_zero_and_says_so(source, tmp_path):
    root = gradescope_root(tmp_path, {"01_gradients.ipynb": b"{}"})
    (root / "results").mkdir()
    (root / "results" / "results.json").write_text('{"score": 100}')  # a stale one
    results, _, _ = run_autograder(source, root, shutil.which("false") or "/bin/false")
    validate(results)
    assert results["score"] == 0 and "autograder failed" in results["output"]


# --- the results format, directly -------------------------------------------------------------


def _report(**changes) -> dict:
    report = {
        "submission": "s/01_x.ipynb",
        "student": "s",
        "exercise": 1,
        "status": "graded",
        "problem": None,
        "total": 2 / 3 * 2,
        "max": 2,
        "items": [
            {
                "id": "1.2",
                "function": "relative_error",
                "points": 2,
                "earned": 2 / 3 * 2,
                "score": 2 / 3,
                "passed": False,
                "feedback": "wrong value on case b",
                "cases": ["pass", "wrong value on case b", "pass"],
            }
        ],
        "cells": [{"cell": 4, "first_line": "while True:", "status": "timeout", "error": "slow"}],
        "timing": {"total_s": 2.6},
    }
    return {**report, **changes}


def test_results_keep_the_gradebooks_three_decimals_and_name_failing_cells():
    results = results_from_report(_report(), visibility="after_due_date")
    validate(results)
    assert results["score"] == 1.333 and results["tests"][0]["score"] == 1.333
    assert results["tests"][0]["visibility"] == "after_due_date"
    assert "Cell 4 (while True:): timeout: slow" in results["output"]
    assert results["execution_time"] == 3


def test_results_reject_an_unknown_visibility_and_a_report_without_exercise():
    with pytest.raises(ValueError, match="visibility"):
        results_from_report(_report(), visibility="students")
    with pytest.raises(ValueError, match="no exercise"):
        results_from_report(_report(exercise=None, problem="unknown"))


def test_command_line_rejects_an_unknown_exercise(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--exercise", "99", "-o", "out"])
    assert stop.value.code == 2 and "--exercise must be" in capsys.readouterr().err


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))
