"""Exercise notebooks and their checks: sources pass, stubs fail, every diagnosis fires."""

from __future__ import annotations

import copy

import nbformat
import numpy as np
import pytest
from _adversaries import unwatched
from _nbtools import ROOT, notebook_namespace

from companion.book import SETUP_CELL
from companion.exercises import ITEMS, check, judge, observe
from companion.exercises.generate import (
    MarkerError,
    learner_notebook,
    learner_source,
    main,
    render,
)
from companion.gradients import numerical_gradient as companion_gradient

SOURCES = sorted((ROOT / "exercises" / "source").glob("*.ipynb"))
EXERCISE_OF = {path.name.split("_")[0].lstrip("0"): path for path in SOURCES}


def items_of(source):
    number = source.name.split("_")[0].lstrip("0")
    return [item for item in ITEMS.values() if item.id.split(".")[0] == number]


def test_every_item_belongs_to_an_exercise_notebook():
    assert SOURCES, "no exercise sources found"
    for item in ITEMS.values():
        assert item.id.split(".")[0] in EXERCISE_OF, item.id


# --- the generator ----------------------------------------------------------------------------


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_committed_learner_notebook_is_exactly_what_the_generator_produces(source):
    expected = render(learner_notebook(nbformat.read(source, as_version=4)))
    committed = (ROOT / "exercises" / source.name).read_text(encoding="utf-8")
    assert committed == expected, "run: python -m companion.exercises.generate"


def test_generator_check_mode_reports_stale_notebooks(tmp_path, capsys):
    (tmp_path / "source").mkdir()
    for source in SOURCES:
        (tmp_path / "source" / source.name).write_bytes(source.read_bytes())
    args = ["--source", str(tmp_path / "source"), "--dest", str(tmp_path)]
    assert main([*args, "--check"]) == 1  # nothing generated yet
    assert main(args) == 0
    first = {p.name: p.read_bytes() for p in tmp_path.glob("*.ipynb")}
    assert main([*args, "--check"]) == 0
    assert main(args) == 0  # deterministic: a second run changes nothing
    assert first == {p.name: p.read_bytes() for p in tmp_path.glob("*.ipynb")}
    assert "up to date" in capsys.readouterr().out


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_learner_version_has_stubs_and_no_solutions_or_outputs(source):
    original = nbformat.read(source, as_version=4)
    learner = learner_notebook(original)
    text = render(learner)
    assert "### BEGIN SOLUTION" not in text and "### END SOLUTION" not in text
    solution_cells = [c for c in original.cells if "### BEGIN SOLUTION" in c.source]
    assert len(solution_cells) == len(items_of(source))
    assert text.count("raise NotImplementedError()") == len(solution_cells)
    for cell in learner.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
    assert original == nbformat.read(source, as_version=4)  # the source is untouched


def test_stub_keeps_the_indentation_and_the_code_around_it():
    source = (
        "def f(x):\n    y = 1\n    ### BEGIN SOLUTION\n    return x + y\n    ### END SOLUTION\n"
    )
    assert learner_source(source) == (
        "def f(x):\n    y = 1\n    # YOUR CODE HERE\n    raise NotImplementedError()\n"
    )
    assert learner_source("### BEGIN SOLUTION\nx\n### END SOLUTION", "markdown") == (
        "YOUR ANSWER HERE"
    )
    hidden = "a = 1\n### BEGIN HIDDEN TESTS\nassert secret\n### END HIDDEN TESTS\nb = 2"
    assert learner_source(hidden) == "a = 1\nb = 2"


@pytest.mark.parametrize(
    "source",
    [
        "### BEGIN SOLUTION\nx = 1",
        "x = 1\n### END SOLUTION",
        "### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION",
    ],
)
def test_unbalanced_markers_are_an_error(source):
    with pytest.raises(MarkerError):
        learner_source(source)


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_sources_are_nbgrader_compatible_and_start_with_the_setup_cell(source):
    notebook = nbformat.read(source, as_version=4)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert code[0].source == SETUP_CELL
    for cell in notebook.cells:
        if "### BEGIN SOLUTION" in cell.source:
            meta = cell.metadata["nbgrader"]
            assert meta["solution"] is True and meta["grade_id"]
    grade_ids = [c.metadata["nbgrader"]["grade_id"] for c in code if "nbgrader" in c.metadata]
    assert len(grade_ids) == len(set(grade_ids))
    for cell in notebook.cells:  # sources are committed clean, like the chapters
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


# --- checks on the sources and on the stubs ----------------------------------------------------


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_every_check_passes_on_the_source_solutions(source):
    namespace = notebook_namespace(source)
    for item in items_of(source):
        feedback = check(item.id, namespace[item.function])
        assert feedback.passed and feedback.score == 1.0 and feedback.flag is None, feedback


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_every_check_fails_on_the_generated_stubs(source):
    namespace = notebook_namespace(ROOT / "exercises" / source.name)
    for item in items_of(source):
        feedback = check(item.id, namespace[item.function])
        assert not feedback.passed and feedback.score == 0.0
        assert "not implemented yet" in feedback.message


@pytest.mark.parametrize("item_id", sorted(ITEMS))
def test_every_known_mistake_is_diagnosed_by_its_own_message(item_id):
    """An implementation that makes exactly one known mistake gets exactly that diagnosis."""
    item = ITEMS[item_id]
    for mistake in item.mistakes:
        with unwatched(item_id):  # a mistake's answer may be built from the companion's
            feedback = check(item_id, lambda *args, m=mistake: m.answer(*args))
        assert not feedback.passed
        assert feedback.message.startswith(mistake.message), (mistake.message, feedback.message)


# --- realistic wrong implementations, written the way learners write them ---------------------


def loop_gradient(f, x, h, formula, restore=True):
    x_work = x if not restore else x.copy()
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x_work[i]
        grad[i] = formula(f, x_work, i, h, old)
        if restore:
            x_work[i] = old
    return grad


def _set(x, i, value):
    x[i] = value
    return x


def forward(f, x, i, h, old):
    fx = f(_set(x, i, old))
    return (f(_set(x, i, old + h)) - fx) / h


def central(f, x, i, h, old):
    return (f(_set(x, i, old + h)) - f(_set(x, i, old - h))) / (2 * h)


WRONG = {
    "1.1": [
        (
            "forward difference",
            lambda f, x, h: loop_gradient(f, x, h, forward),
            "forward difference",
        ),
        (
            "sign flipped",
            lambda f, x, h: loop_gradient(
                f, x, h, lambda f, x, i, h, old: -central(f, x, i, h, old)
            ),
            "wrong sign",
        ),
        (
            "divides by h",
            lambda f, x, h: loop_gradient(
                f, x, h, lambda f, x, i, h, old: 2 * central(f, x, i, h, old)
            ),
            "twice too large",
        ),
        (
            "never restores x",
            lambda f, x, h: loop_gradient(f, x, h, central, restore=False),
            "changed its argument `x`",
        ),
        (
            "returns a flat array",
            lambda f, x, h: loop_gradient(f, x, h, central).ravel(),
            "expected shape (2, 3)",
        ),
        (
            "moves every coordinate at once",
            lambda f, x, h: np.full_like(x, (f(x + h) - f(x - h)) / (2 * h)),
            "one coordinate x[i] at a time",
        ),
        ("forgets to return", lambda f, x, h: None, "did you forget the `return`"),
        ("crashes", lambda f, x, h: x[99], "raised IndexError"),
        ("returns text", lambda f, x, h: "gradient", "not numbers"),
    ],
    "1.2": [
        ("absolute error", lambda a, b: np.max(np.abs(a - b)), "absolute error"),
        (
            "no guard for zeros",
            lambda a, b: np.max(np.abs(a - b) / (np.abs(a) + np.abs(b))),
            "both 0 you divide 0 by 0",
        ),
        (
            "element-wise, no max",
            lambda a, b: np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-300),
            "expected a single number",
        ),
        (
            "one-sided",
            lambda a, b: np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)),
            "divides by |b| only",
        ),
    ],
    "1.3": [
        ("linear space", lambda hs, e: np.polyfit(hs, e, 1)[0], "log-log"),
        (
            "endpoints",
            lambda hs, e: np.log(e[-1] / e[0]) / np.log(hs[-1] / hs[0]),
            "only the first and last points",
        ),
        ("swapped", lambda hs, e: np.polyfit(np.log(e), np.log(hs), 1)[0], "swap the arguments"),
    ],
    "1.4": [
        (
            "unnormalised",
            lambda f, x, v, h: (f(x + h * v) - f(x - h * v)) / (2 * h),
            "|v| times too large",
        ),
        (
            "gradient instead of slope",
            lambda f, x, v, h: companion_gradient(f, x, h),
            "Return one number",
        ),
    ],
}


@pytest.mark.parametrize(
    ("item_id", "implementation", "expected"),
    [(item_id, impl, expected) for item_id, cases in WRONG.items() for _, impl, expected in cases],
    ids=[f"{item_id}-{name}" for item_id, cases in WRONG.items() for name, _, _ in cases],
)
@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the wrong code divides 0 by 0
def test_realistic_wrong_implementation_gets_a_specific_diagnosis(
    item_id, implementation, expected
):
    feedback = check(item_id, implementation)
    assert not feedback.passed
    assert expected in feedback.message, feedback.message


def test_correct_alternative_implementations_pass():
    # the directional derivative via the full gradient is slower but right
    def via_gradient(f, x, v, h):
        return float(np.sum(companion_gradient(f, x, h) * v) / np.linalg.norm(v))

    assert check("1.4", via_gradient).passed
    # float32 work, list output and a vectorised formula are all fine for 1.2
    assert check("1.2", lambda a, b: [np.max(np.abs(a - b) / np.maximum(abs(a) + abs(b), 1e-300))])


def test_partial_credit_counts_the_cases_that_pass():
    item = ITEMS["1.1"]
    cases = item.cases()

    def right_on_1_d_only(f, x, h):
        grad = companion_gradient(f, x, h)
        return grad if x.ndim == 1 else grad * 1.01

    with unwatched("1.1"):
        feedback = check("1.1", right_on_1_d_only)
    one_d = sum(case.args[1].ndim == 1 for case in cases)
    assert feedback.score == pytest.approx(one_d / len(cases))
    assert feedback.earned == pytest.approx(feedback.score * item.points)
    assert "wrong value" in feedback.message and "at index" in feedback.message


def test_observe_and_judge_work_apart_as_a_grader_will_use_them():
    item = ITEMS["1.1"]
    cases = item.cases()
    observations = [observe(companion_gradient, case, item.arg_names) for case in cases]
    # the observations carry only data: the judge needs no access to the function
    assert judge(item, cases, copy.deepcopy(observations)).passed


def test_cases_are_fresh_each_time_so_a_mutating_function_cannot_poison_later_checks():
    def mutate(f, x, h):
        x[...] = 0.0
        return companion_gradient(f, x, h)

    with unwatched("1.1"):
        check("1.1", mutate)
        assert check("1.1", lambda f, x, h: companion_gradient(f, x, h)).passed


def test_check_explains_misuse():
    with pytest.raises(KeyError, match="no exercise item '9.9'"):
        check("9.9", print)
    feedback = check("1.1", np.zeros(3))
    assert not feedback.passed and "pass the function itself" in feedback.message


def test_feedback_reads_as_a_verdict_in_a_notebook():
    good = check("1.2", lambda a, b: np.max(np.abs(a - b) / np.maximum(abs(a) + abs(b), 1e-300)))
    assert repr(good).startswith("[PASS] 1.2 relative_error: all")
    bad = check("1.2", lambda a, b: 0.0)
    assert repr(bad).startswith("[FAIL] 1.2 relative_error:")


# --- guessing earns nothing -------------------------------------------------------------------


@pytest.mark.parametrize("item_id", sorted(ITEMS), ids=str)
def test_constant_and_echo_submissions_score_zero(item_id):
    from _adversaries import constants, echoes

    item = ITEMS[item_id]
    for function in [*constants(item), *echoes(item)]:
        feedback = check(item_id, function)
        assert feedback.score == 0, feedback


@pytest.mark.parametrize("item_id", sorted(ITEMS), ids=str)
def test_cases_have_different_answers_and_one_that_needs_computing(item_id):
    from companion.exercises.core import _expected, _trivial

    item = ITEMS[item_id]
    cases = item.cases()
    answers = [_expected(item, case) for case in cases]
    assert len(cases) >= 2
    assert any(not _trivial(a, case.args) for a, case in zip(answers, cases, strict=True))
    assert any(a.shape != answers[0].shape or not np.allclose(a, answers[0]) for a in answers)


def test_a_lookup_of_one_example_earns_nothing():
    item = ITEMS["1.2"]
    case = item.cases()[0]
    answer = item.reference(*case.args)

    def lookup(a, b):
        if np.array_equal(a, case.args[0]) and np.array_equal(b, case.args[1]):
            return answer
        raise ValueError("no idea")

    feedback = check("1.2", lookup)
    assert feedback.score == 0 and "one case only" in feedback.message
    assert feedback.case_messages[0].startswith("pass, but")


# --- the course's own implementation earns nothing ------------------------------------------

REFERENCED = sorted(i for i, item in ITEMS.items() if item.references)


def _enter(code):
    """Run a reference's code object with dummy arguments: its frame starts, then it fails."""
    import types

    cells = tuple(types.CellType() for _ in code.co_freevars)
    function = types.FunctionType(code, {"__builtins__": __builtins__}, None, None, cells)
    try:
        keywords = code.co_varnames[code.co_argcount : code.co_argcount + code.co_kwonlyargcount]
        function(*([None] * code.co_argcount), **dict.fromkeys(keywords))
    except Exception:
        pass


@pytest.mark.parametrize("item_id", REFERENCED, ids=str)
def test_a_function_that_runs_the_reference_scores_zero_and_is_flagged(item_id):
    from companion.exercises.core import reference_codes

    item = ITEMS[item_id]
    codes = reference_codes(item.references)
    assert set(codes.values()) == set(item.references), "a reference does not resolve"
    for code, name in codes.items():

        def delegate(*args, code=code):
            _enter(code)  # calls the course's code, then answers correctly anyway
            return item.reference(*copy.deepcopy(args))

        feedback = check(item_id, delegate)
        assert feedback.score == 0 and not feedback.passed
        assert feedback.flag and name in feedback.flag and feedback.message == feedback.flag


def test_re_binding_numerical_gradient_in_any_form_is_flagged():
    import functools

    import companion.gradients

    rebound = [
        companion.gradients.numerical_gradient,
        companion_gradient,
        lambda f, x, h: companion_gradient(f, x, h),
        functools.partial(companion.gradients.numerical_gradient),
    ]

    def wrapper(f, x, h):
        helper = companion.gradients.numerical_gradient
        return np.array(helper(f, x.copy(), h))

    for function in [*rebound, wrapper]:
        feedback = check("1.1", function)
        assert feedback.score == 0
        assert "`companion.gradients.numerical_gradient`" in feedback.flag


def test_adam_through_the_companion_optimizer_is_flagged():
    from companion.optim import Adam

    def adam_step(theta, grad, m, v, step, lr, beta1, beta2, eps):
        params = [theta.copy()]
        optimizer = Adam(params, lr=lr, betas=(beta1, beta2), eps=eps)
        optimizer.step([grad])
        return params[0], m, v

    feedback = check("6.2", adam_step)
    assert feedback.score == 0 and "`companion.optim.Adam`" in feedback.flag


def test_switching_the_profiler_off_is_reported():
    import sys

    def sneaky(a, b):
        sys.setprofile(None)
        return np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-300))

    feedback = check("1.2", sneaky)
    assert feedback.score == 0 and "profiler" in feedback.flag
    assert sys.getprofile() is None  # the check put back what was there


# --- 1.5 the best step, measured ------------------------------------------------------------------


def test_the_best_step_in_float32_is_far_larger_than_in_float64():
    item = ITEMS["1.5"]
    best = {case.args[1]: item.reference(*case.args) for case in item.cases()}
    assert best["float32"] > 100 * best["float64"]


def test_a_forward_difference_and_a_float64_only_experiment_are_named():
    from companion.exercises.ex01 import H_GRID

    def forward(x, dtype):
        errors = [abs((np.exp(x + h) - np.exp(x)) / h - np.exp(x)) for h in H_GRID]
        return float(H_GRID[int(np.argmin(errors))])

    def ignores_dtype(x, dtype):
        errors = [abs((np.exp(x + h) - np.exp(x - h)) / (2 * h) - np.exp(x)) for h in H_GRID]
        return float(H_GRID[int(np.argmin(errors))])

    assert "forward difference" in check("1.5", forward).message
    assert "float64 whatever the dtype" in check("1.5", ignores_dtype).message


# --- every notebook asks for several kinds of thinking -----------------------------------------


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_every_exercise_has_three_items_of_at_least_two_kinds(source):
    items = items_of(source)
    assert len(items) >= 3
    assert len({item.kind for item in items}) >= 2
    text = "\n".join(c.source for c in nbformat.read(source, as_version=4).cells)
    for item in items:
        if item.kind != "implement":  # the notebook says which kind it is
            assert f"({item.kind})" in text, item.id
