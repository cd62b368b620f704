"""Chapter 9's optimizers without PyTorch: they minimize, keep their dtype, check their
hyperparameters, resume from their own checkpoints; Combined and muon_with_adamw."""

from __future__ import annotations

import numpy as np
import pytest

from companion.layers import mlp
from companion.optim import (
    SGD,
    Adafactor,
    Adamax,
    Combined,
    Lion,
    Muon,
    NAdam,
    RAdam,
    muon_with_adamw,
    optimizers,
)
from companion.optim.rules_modern import newton_schulz

MAKERS = {
    "NAdam": lambda p: NAdam(p, lr=0.05),
    "RAdam": lambda p: RAdam(p, lr=0.05),
    "Adamax": lambda p: Adamax(p, lr=0.05),
    "Adafactor": lambda p: Adafactor(p, lr=0.05),
    "Lion": lambda p: Lion(p, lr=0.01),
    "Muon": lambda p: Muon(p, lr=0.02, weight_decay=0.0),
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", MAKERS)
def test_each_optimizer_shrinks_a_badly_scaled_quadratic_and_keeps_the_dtype(name, dtype):
    rng = np.random.default_rng(0)
    theta = rng.normal(size=(4, 3)).astype(dtype)
    scales = np.logspace(-1, 1, 12).reshape(4, 3).astype(dtype)  # J = sum(s θ²) / 2
    start = float(np.sum(scales * theta**2))
    opt = MAKERS[name]([theta])
    for _ in range(300):
        opt.step([scales * theta])
    assert theta.dtype == dtype
    assert float(np.sum(scales * theta**2)) < 0.05 * start


@pytest.mark.parametrize("name", MAKERS)
def test_a_checkpoint_resumes_the_same_run(name):
    rng = np.random.default_rng(1)
    grads = [[rng.normal(size=(3, 4)), rng.normal(size=(2, 2))] for _ in range(20)]
    params = [rng.normal(size=(3, 4)), rng.normal(size=(2, 2))]
    a = [p.copy() for p in params]
    opt = MAKERS[name](a)
    for g in grads[:10]:
        opt.step(g)
    b = [p.copy() for p in a]
    resumed = MAKERS[name](b)
    resumed.load_state_dict(opt.state_dict())
    for g in grads[10:]:
        opt.step(g)
        resumed.step(g)
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: NAdam(p, betas=(0.9, 1.0)), r"betas\[1\]"),
        (lambda p: NAdam(p, momentum_decay=-1.0), "momentum_decay"),
        (lambda p: RAdam(p, eps=0.0), "eps"),
        (lambda p: Adamax(p, weight_decay=-0.1), "weight_decay"),
        (lambda p: Adafactor(p, beta2_decay=0.5), "beta2_decay"),
        (lambda p: Adafactor(p, d=0.5), "d must be at least 1"),
        (lambda p: Adafactor(p, eps=1e-3), "eps must be a pair"),
        (lambda p: Lion(p, lr=-1.0), "lr"),
        (lambda p: Muon(p, momentum=1.0), "momentum"),
        (lambda p: Muon(p, ns_steps=100), "ns_steps"),
        (lambda p: Muon(p, adjust_lr_fn="other"), "adjust_lr_fn"),
        (lambda p: Muon(p, ns_coefficients=(1.0, 2.0)), "ns_coefficients"),
    ],
)
def test_bad_hyperparameters_name_themselves(make, message):
    with pytest.raises(ValueError, match=message):
        make([np.zeros((2, 2))])


def test_muon_refuses_a_vector_and_says_what_to_do():
    with pytest.raises(ValueError, match="AdamW"):
        Muon([np.zeros(3)])


def test_newton_schulz_makes_the_singular_values_close_to_one_and_keeps_the_vectors():
    rng = np.random.default_rng(0)
    U, _ = np.linalg.qr(rng.normal(size=(8, 5)))
    V, _ = np.linalg.qr(rng.normal(size=(5, 5)))
    G = U @ np.diag([3.0, 1.0, 0.3, 0.1, 0.05]) @ V.T
    for matrix in (G, G.T):  # wide and tall
        O = newton_schulz(matrix)  # noqa: E741
        s = np.linalg.svd(O, compute_uv=False)
        assert O.shape == matrix.shape and 0.65 < s.min() and s.max() < 1.25
    np.testing.assert_allclose(
        U.T @ newton_schulz(G) @ V, np.diag(np.diag(U.T @ newton_schulz(G) @ V)), atol=1e-12
    )


def test_muon_with_adamw_gives_the_hidden_matrices_to_muon_and_the_rest_to_adamw():
    model = mlp([4, 8, 8, 8, 3], seed=0)
    opt = muon_with_adamw(model.params, lr=0.02, adamw_lr=1e-3)
    (hidden, muon_opt), (rest, adamw_opt) = opt.shares
    assert [model.param_names[i] for i in hidden] == ["2.W", "4.W"]
    assert type(muon_opt).__name__ == "Muon" and type(adamw_opt).__name__ == "AdamW"
    assert sorted(hidden + rest) == list(range(len(model.params)))
    before = [p.copy() for p in model.params]
    opt.step([np.ones_like(p) for p in model.params])
    assert all(not np.array_equal(p, q) for p, q in zip(model.params, before, strict=True))
    with pytest.raises(ValueError, match="hidden weight matrices"):
        muon_with_adamw(mlp([4, 8, 3], seed=0).params)


def test_combined_needs_every_parameter_exactly_once():
    a, b = np.ones(2), np.ones(2)
    with pytest.raises(ValueError, match="exactly one share"):
        Combined([a, b], [([0], lambda p: SGD(p, lr=0.1))])
    with pytest.raises(ValueError, match="exactly one share"):
        Combined([a, b], [([0, 1], lambda p: SGD(p, lr=0.1)), ([1], lambda p: SGD(p, lr=0.1))])
    opt = Combined([a, b], [([1], lambda p: SGD(p, lr=1.0)), ([0], lambda p: SGD(p, lr=0.5))])
    opt.step([np.ones(2), np.ones(2)])
    np.testing.assert_array_equal(a, [0.5, 0.5])
    np.testing.assert_array_equal(b, [0.0, 0.0])
    with pytest.raises(ValueError, match="gradient"):
        opt.step([np.ones(2)])


# --- what the base class asks of each: maximize, overflow, the checkpoint's buffers -----------

ALL = [getattr(optimizers, name) for name in optimizers.__all__]


def test_muon_takes_no_maximize_as_pytorchs_muon_takes_none():
    """The other optimizers take maximize: tested with the first six in test_optim.py."""
    with pytest.raises(TypeError, match="maximize"):
        Muon([np.zeros((2, 2))], maximize=True)
    assert "maximize" not in Muon([np.zeros((2, 2))]).param_groups[0]


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_squares_gradients_says_whether_the_rule_overflows_on_a_finite_gradient(cls, dtype):
    """The rule itself, on an entry just past sqrt(max) (and a momentum already that large):
    it overflows exactly when the class says it squares the gradient, so the step refuses
    such a gradient exactly when taking it would put inf into the state."""
    huge = np.sqrt(np.finfo(dtype).max) * 2
    theta, grad = np.ones((3, 4), dtype=dtype), np.ones((3, 4), dtype=dtype)
    grad[1, 2] = -huge
    opt = cls([theta.copy()])
    state = {"momentum_buffer": grad.copy()} if cls is Muon else {}  # Muon: B ≈ g
    hyper = {name: opt.param_groups[0][name] for name in opt._rule_names}
    try:
        with np.errstate(over="raise"):
            cls.rule(theta, grad, state, **hyper)
        overflows = False
    except FloatingPointError:
        overflows = True
    assert overflows == cls.squares_gradients
    if not cls.squares_gradients:  # taken, and everything stays finite
        for _ in range(3):
            opt.step([grad])
        assert np.all(np.isfinite(opt._params[0]))
        assert all(np.all(np.isfinite(v)) for v in opt.state[0].values())


@pytest.mark.parametrize(
    ("name", "shape", "buffer"),
    [
        ("NAdam", (3, 4), "mu_product"),
        ("NAdam", (3, 4), "exp_avg_sq"),
        ("RAdam", (3, 4), "exp_avg_sq"),
        ("Adamax", (3, 4), "exp_inf"),
        ("Adafactor", (3, 4), "row_var"),
        ("Adafactor", (3, 4), "col_var"),
        ("Adafactor", (5,), "variance"),
    ],
)
def test_a_checkpoint_with_a_negative_second_moment_is_refused(name, shape, buffer):
    opt = MAKERS[name]([np.ones(shape)])
    opt.step([np.full(shape, 0.5)])
    saved = opt.state_dict()
    saved["state"][0][buffer] = -np.abs(saved["state"][0][buffer])
    before = opt.state_dict()
    with pytest.raises(ValueError, match=rf"\['{buffer}'\].* cannot be negative"):
        opt.load_state_dict(saved)
    assert opt.state_dict()["state"][0][buffer] == pytest.approx(before["state"][0][buffer])


@pytest.mark.parametrize(
    ("name", "shape", "buffer", "value", "message"),
    [  # each buffer has the shape the rule gives it, not always the parameter's
        ("Adafactor", (3, 4), "row_var", np.ones((3, 4)), r"shape \(3, 4\); expected \(3, 1\)"),
        ("Adafactor", (3, 4), "col_var", np.ones((3, 1)), r"shape \(3, 1\); expected \(1, 4\)"),
        ("Adafactor", (5,), "variance", np.ones((5, 1)), r"expected \(5,\)"),
        ("NAdam", (3, 4), "mu_product", np.ones((3, 4)), "a single number"),
        ("NAdam", (3, 4), "mu_product", np.nan, "must be finite"),
        ("NAdam", (3, 4), "exp_avg", np.ones((3, 1)), r"expected \(3, 4\)"),
        ("Lion", (3, 4), "exp_avg", np.ones(4), r"expected \(3, 4\)"),
        ("Muon", (3, 4), "momentum_buffer", np.ones((4, 3)), r"expected \(3, 4\)"),
    ],
)
def test_a_checkpoint_buffer_of_the_wrong_shape_is_refused(name, shape, buffer, value, message):
    opt = MAKERS[name]([np.ones(shape)])
    opt.step([np.full(shape, 0.5)])
    saved = opt.state_dict()
    saved["state"][0][buffer] = value
    with pytest.raises(ValueError, match=message):
        opt.load_state_dict(saved)
