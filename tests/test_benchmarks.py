"""The benchmark runner works: every section runs at tiny sizes and makes a table.

Nothing here is about speed (a test cannot time anything on a shared machine); these tests
prove that ``benchmarks/run.py`` runs, that its PyTorch twin of a training step computes the
companion's loss, and that the flat parameter array and ``input_grad=False`` it relies on
leave the numbers unchanged.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import numpy as np
import pytest

from companion.layers import Linear, ReLU, Sequential, mlp
from companion.losses import softmax_cross_entropy
from companion.optim import Adam

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"

pytest.importorskip("torch")


@pytest.fixture(scope="module")
def run():
    sys.path.insert(0, str(BENCHMARKS))
    try:
        yield importlib.import_module("run")
    finally:
        sys.path.remove(str(BENCHMARKS))


def _filled(section, columns: int) -> None:
    assert section.rows, section.title
    for row in section.rows:
        assert len(row) == columns + 2  # + target, met
        assert all(isinstance(cell, str) for cell in row)


# --- the runner's sections, at tiny sizes ----------------------------------------------------


def test_the_training_step_section_compares_the_same_step_in_both_libraries(run):
    steps, ceiling = run.training_step_sections(
        networks={"digits MLP": [64, 8, 10], "MNIST-size MLP": [12, 6, 5, 3]},
        batches=(1, 4),
        dtypes=(np.float32, np.float64),
        rounds=2,
        block=0.001,
    )
    _filled(steps, len(steps.columns))
    _filled(ceiling, len(ceiling.columns))
    assert len(steps.rows) == 2 * 2 * 2 and len(ceiling.rows) == 2 * 2  # batch 4 is the largest
    assert {met for _, met in steps.targets} <= {True, False}
    assert any("0.8" in row[-2] for row in ceiling.rows)


def test_the_torch_twin_starts_from_the_companions_weights_and_agrees_on_the_loss(run):
    import torch

    step, model, X, y = run.companion_step([5, 7, 3], batch=6, dtype=np.float64)
    twin = run.torch_step(model, X, y, fused=False)
    expected = softmax_cross_entropy(model.forward(X), y)[0]
    assert float(twin().detach()) == pytest.approx(expected, rel=1e-12)
    assert step() == pytest.approx(expected, rel=1e-12)
    assert isinstance(twin(), torch.Tensor)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_bare_numpy_step_takes_the_companions_steps(run, dtype):
    # the floor the table compares with is only a floor if it computes the same thing
    step, model, X, y = run.companion_step([5, 7, 6, 3], batch=9, dtype=dtype)
    bare, params = run.bare_step(model, X, y)
    assert params is not model.flat_params
    tol = 1e-5 if dtype == np.float32 else 1e-12
    for _ in range(4):
        assert bare() == pytest.approx(step(), rel=tol)
        np.testing.assert_allclose(params, model.flat_params, rtol=tol, atol=tol)
    assert params.dtype == dtype


def test_the_bare_step_refuses_a_model_it_cannot_mirror(run):
    _, _, X, y = run.companion_step([5, 7, 3], batch=2, dtype=np.float64)
    for other in (mlp([5, 7, 3], activation="tanh", seed=0), Sequential(Linear(5, 3), ReLU())):
        with pytest.raises(TypeError, match="Linear and ReLU"):
            run.bare_step(other, X, y)
    run.bare_step(Sequential(Linear(5, 3)), X, y)  # one linear layer is an mlp too


def test_step_flops_count_forward_and_backward_but_no_gradient_for_the_data(run):
    # forward 2·B·(4·3 + 3·2); backward twice that, less the first layer's input gradient
    assert run.step_flops([4, 3, 2], batch=5) == 2 * 5 * (3 * (12 + 6) - 12)


def test_the_adam_section_runs_each_dtype_in_a_fresh_process(run):
    section = run.adam_section(n=1000, dtypes=(np.float32,), rounds=2, block=0.001)
    _filled(section, len(section.columns))
    assert "np.sqrt" in section.notes[0]
    cell = dict(zip(section.columns, section.rows[0], strict=False))
    bare, naive = float(cell["bare ms"]), float(cell["naive ms"])
    assert bare > 0
    assert float(cell["naive / bare"]) == pytest.approx(naive / bare, rel=0.02)


def test_naive_adam_is_adam(run):
    param = np.array([1.0, -2.0, 3.0])
    theirs, state = param.copy(), {"t": 0, "m": np.zeros(3), "v": np.zeros(3)}
    opt = Adam([param], lr=0.1)
    for k in range(5):
        grad = np.array([0.5, -1.0, 2.0]) * (k + 1)
        opt.step([grad])
        run.naive_adam(theirs, grad, state, lr=0.1)
    np.testing.assert_allclose(theirs, param, rtol=1e-12)


def test_bare_adam_is_the_companions_adam(run):
    rng = np.random.default_rng(0)
    param = rng.standard_normal(50)
    mine = param.copy()
    m, v, work = np.zeros(50), np.zeros(50), np.empty(50)
    opt = Adam([param], lr=0.01, betas=(0.8, 0.99), eps=1e-6)
    for t in range(1, 6):
        grad = rng.standard_normal(50)
        opt.step([grad])
        run.bare_adam(mine, grad, m, v, work, t, lr=0.01, betas=(0.8, 0.99), eps=1e-6)
        np.testing.assert_allclose(mine, param, rtol=1e-13)
    np.testing.assert_allclose(v, opt.state[0]["exp_avg_sq"], rtol=1e-13)


def test_the_gradient_check_section_checks_all_coordinates_and_a_few(run):
    section = run.gradient_check_section(sizes=(64, 3, 10), batch=4, k=5)
    _filled(section, len(section.columns))
    assert section.rows[0][0].startswith("all (") and section.rows[1][0] == "5 random (5)"


def test_a_check_that_is_not_correct_is_explained_by_its_worst_entry(run):
    section = run.gradient_check_section(k=5)
    verdicts = [row[5] for row in section.rows]
    explained = [note for note in section.notes if note.startswith("Checking")]
    assert len(explained) == sum(v != "correct" for v in verdicts)
    for note in explained:  # on the digits MLP: round-off in a tiny entry, not a wrong gradient
        assert "ε|J|/h" in note and "not a backprop error" in note


def test_the_widget_section_drives_every_explorer(run):
    section = run.widget_section(moves=1, in_kernel=False)
    _filled(section, len(section.columns))
    names = [row[0] for row in section.rows]
    assert any(n.startswith("DescentExplorer") for n in names)
    assert len(names) >= 5


def test_the_grader_section_grades_a_batch(run):
    section = run.grader_section(n=1, starts=1)
    _filled(section, len(section.columns))


def test_the_runner_prints_a_table_and_writes_markdown(run, tmp_path, capsys):
    page = tmp_path / "benchmarks.md"
    assert run.main(["--quick", "--only", "gradcheck", "--cpu", "-1", "--markdown", str(page)]) == 0
    printed = capsys.readouterr().out
    assert "Gradient check" in printed and "targets:" in printed
    text = page.read_text()
    assert text.startswith("# Benchmarks\n") and "| coordinates |" in text
    assert "date:" in text and "machine:" in text and "load average" in text


def test_the_book_section_copies_the_working_tree_without_build_outputs(run, tmp_path):
    run._copy_repository(tmp_path)
    assert (tmp_path / "_toc.yml").is_file() and (tmp_path / "companion" / "layers.py").is_file()
    assert not (tmp_path / "_build").exists() and not (tmp_path / ".venv").exists()
    assert (tmp_path / "node_modules").is_symlink()


def test_outside_a_git_checkout_the_copy_leaves_out_build_outputs(run, tmp_path):
    root, dest = tmp_path / "root", tmp_path / "dest"
    for name in (
        "_toc.yml",
        "book/intro.md",
        "_build/html/index.html",
        ".venv/bin/python",
        "node_modules/mathjax/x.js",
        "pkg.egg-info/PKG-INFO",
        "a/__pycache__/b.pyc",
    ):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(name)
    dest.mkdir()
    run._copy_repository(dest, root=root)
    copied = sorted(str(p.relative_to(dest)) for p in dest.rglob("*") if p.is_file())
    assert copied == ["_toc.yml", "book/intro.md"]
    assert (dest / "node_modules").is_symlink()  # linked, not copied
    assert (dest / "node_modules" / "mathjax" / "x.js").is_file()


# --- what the fast path of the step relies on ---------------------------------------------------


def test_an_mlp_keeps_its_parameters_and_gradients_in_one_flat_array():
    model = mlp([3, 4, 2], seed=0)
    assert model.flat_params.shape == (3 * 4 + 4 + 4 * 2 + 2,)
    for p, g in zip(model.params, model.grads, strict=True):
        assert np.shares_memory(p, model.flat_params) and np.shares_memory(g, model.flat_grads)
    np.testing.assert_array_equal(
        model.flat_params, np.concatenate([p.ravel() for p in model.params])
    )
    model.flat_params[0] = 7.0  # the same numbers, seen two ways
    assert model[0].W[0, 0] == 7.0
    model.forward(np.ones((5, 3)))
    model.backward(np.ones((5, 2)))
    np.testing.assert_array_equal(
        model.flat_grads, np.concatenate([g.ravel() for g in model.grads])
    )


def test_flattening_keeps_the_weights_a_model_was_built_with():
    layers = [Linear(3, 4, seed=1), ReLU(), Linear(4, 2, seed=2)]
    before = [p.copy() for layer in layers for p in layer.params]
    model = Sequential(*layers)
    for p, b in zip(model.params, before, strict=True):
        np.testing.assert_array_equal(p, b)


def test_a_model_that_cannot_share_one_array_has_no_flat_params():
    shared = Linear(3, 3, seed=0)
    mixed = Sequential(Linear(2, 3, dtype=np.float32), Linear(3, 2))
    for model in (Sequential(shared, ReLU(), shared), mixed, Sequential(ReLU())):
        assert model.flat_params is None and model.flat_grads is None


def test_adam_on_the_flat_array_takes_the_same_steps_as_adam_per_array():
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((8, 5)), rng.integers(0, 3, 8)
    flat, per_array = mlp([5, 6, 3], seed=0), mlp([5, 6, 3], seed=0)
    opt_flat = Adam([flat.flat_params], lr=0.01)
    opt_each = Adam(per_array.params, lr=0.01)
    for _ in range(3):
        for model, opt, grads in (
            (flat, opt_flat, [flat.flat_grads]),
            (per_array, opt_each, per_array.grads),
        ):
            _, dlogits = softmax_cross_entropy(model.forward(X), y)
            model.backward(dlogits)
            opt.step(grads)
    for a, b in zip(flat.params, per_array.params, strict=True):
        np.testing.assert_array_equal(a, b)


def test_skipping_the_input_gradient_leaves_the_parameter_gradients_unchanged():
    rng = np.random.default_rng(1)
    X, upstream = rng.standard_normal((4, 5)), rng.standard_normal((4, 2))
    model = mlp([5, 3, 2], seed=0)
    model.forward(X)
    grad_x = model.backward(upstream)
    full = [g.copy() for g in model.grads]
    model.forward(X)
    assert model.backward(upstream, input_grad=False) is None
    for g, f in zip(model.grads, full, strict=True):
        np.testing.assert_array_equal(g, f)
    assert grad_x.shape == X.shape
    activation_only = Sequential(ReLU())
    activation_only.forward(np.ones((1, 2)))
    assert activation_only.backward(np.ones((1, 2)), input_grad=False) is None
