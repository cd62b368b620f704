"""companion.optim: every update rule, the shared interface, checkpoints and convergence.

- Each rule is checked against a hand-computed step, and over many random steps against a
  plain reference written straight from PyTorch's algorithm (allocating, not in place).
- One parametrised suite runs every optimizer on the same problems and checks it converges:
  a quadratic bowl, Rosenbrock's valley and Chapter 4's digits MLP (small, a few epochs).
- A checkpoint taken mid-run and resumed in a fresh optimizer gives bit-identical parameters.
- Bad hyperparameters fail at construction; bad gradients fail at ``step`` and change nothing.
"""

from __future__ import annotations

import copy
import inspect
import math
import pickle
import tracemalloc
from functools import partial

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from companion.data import digits
from companion.descent import gradient_descent, linear_rate
from companion.layers import mlp
from companion.losses import softmax_cross_entropy
from companion.optim import (
    SGD,
    Adadelta,
    Adagrad,
    Adam,
    AdamW,
    Optimizer,
    RMSprop,
    minimize,
    momentum_rate,
    optimal_momentum,
    optimizers,
)
from companion.optim.rules import adam as adam_rule
from companion.surfaces import Quadratic, quadratic_bowl, rosenbrock
from companion.toy_data import spirals
from companion.training import evaluate, fit

# --- every class is its rule ----------------------------------------------------------------------


REFERENCE_CASES = [
    (SGD, {"lr": 0.1}),
    (SGD, {"lr": 0.05, "momentum": 0.9}),
    (SGD, {"lr": 0.05, "momentum": 0.8, "dampening": 0.3}),
    (SGD, {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    (SGD, {"lr": 0.1, "weight_decay": 0.2}),
    (SGD, {"lr": 0.05, "momentum": 0.7, "weight_decay": 0.1, "nesterov": True}),
    (Adagrad, {}),
    (
        Adagrad,
        {"lr": 0.3, "lr_decay": 0.1, "weight_decay": 0.05, "initial_accumulator_value": 0.5},
    ),
    (RMSprop, {}),
    (RMSprop, {"momentum": 0.9}),
    (RMSprop, {"centered": True, "alpha": 0.9}),
    (RMSprop, {"centered": True, "momentum": 0.5, "weight_decay": 0.1}),
    (Adadelta, {}),
    (Adadelta, {"lr": 0.5, "rho": 0.8, "eps": 1e-4, "weight_decay": 0.1}),
    (Adam, {}),
    (Adam, {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-6}),
    (Adam, {"amsgrad": True}),
    (Adam, {"weight_decay": 0.1}),
    (Adam, {"weight_decay": 0.1, "decoupled_weight_decay": True}),
    (AdamW, {}),
    (AdamW, {"lr": 0.01, "weight_decay": 0.3, "amsgrad": True}),
]


def case_id(case):
    cls, hyper = case
    return cls.__name__ + "".join(f"-{k}={v}" for k, v in hyper.items())


def run_rule(rule, theta, grads, **hyper):
    """The path of the pure rule of companion.optim.rules from theta, one entry per gradient."""
    state, path = {}, []
    for g in grads:
        theta, state = rule(theta, g, state, **hyper)
        path.append(theta)
    return path, state


@pytest.mark.parametrize("case", REFERENCE_CASES, ids=case_id)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_every_class_follows_its_rule_over_many_random_steps(case, dtype):
    """The fast in-place step against the readable rule, run in float64 from the same start."""
    cls, hyper = case
    rng = np.random.default_rng(0)
    theta0 = rng.normal(size=(3, 4)).astype(dtype)
    grads = [rng.normal(scale=rng.choice([0.01, 1.0, 100.0]), size=(3, 4)).astype(dtype)]
    grads += [rng.normal(size=(3, 4)).astype(dtype) for _ in range(24)]
    expected, state = run_rule(
        cls.rule, theta0.astype(np.float64), [g.astype(np.float64) for g in grads], **hyper
    )
    theta = theta0.copy()
    opt = cls([theta], **hyper)
    tol = 1e-12 if dtype == np.float64 else 2e-5
    for k, g in enumerate(grads):
        opt.step([g])
        assert theta.dtype == dtype
        np.testing.assert_allclose(theta, expected[k], rtol=tol, atol=tol, err_msg=f"step {k}")
    assert sorted(opt.state[0]) == sorted(state)
    for name, value in state.items():
        np.testing.assert_allclose(opt.state[0][name], value, rtol=tol, atol=tol, err_msg=name)


HYPERPARAMETERS = {
    SGD: st.fixed_dictionaries(
        {"lr": st.floats(0.0, 0.5), "weight_decay": st.sampled_from([0.0, 0.1])},
        optional={
            "momentum": st.floats(0.1, 0.95),
            "dampening": st.floats(0.0, 1.0),
        },
    ),
    Adagrad: st.fixed_dictionaries(
        {
            "lr": st.floats(1e-3, 0.5),
            "lr_decay": st.sampled_from([0.0, 0.05]),
            "initial_accumulator_value": st.floats(0.0, 1.0),
            "eps": st.sampled_from([1e-10, 1e-6]),
        }
    ),
    RMSprop: st.fixed_dictionaries(
        {
            "lr": st.floats(1e-3, 0.1),
            "alpha": st.floats(0.5, 0.999),
            "momentum": st.sampled_from([0.0, 0.5, 0.9]),
            "centered": st.booleans(),
            "weight_decay": st.sampled_from([0.0, 0.1]),
        }
    ),
    Adadelta: st.fixed_dictionaries(
        {"lr": st.floats(0.1, 2.0), "rho": st.floats(0.5, 0.99), "eps": st.floats(1e-6, 1e-3)}
    ),
    Adam: st.fixed_dictionaries(
        {
            "lr": st.floats(1e-3, 0.1),
            "betas": st.tuples(st.floats(0.0, 0.99), st.floats(0.5, 0.9999)),
            "amsgrad": st.booleans(),
            "weight_decay": st.sampled_from([0.0, 0.1]),
            "decoupled_weight_decay": st.booleans(),
        }
    ),
    AdamW: st.fixed_dictionaries(
        {"lr": st.floats(1e-3, 0.1), "weight_decay": st.floats(0.0, 0.5), "amsgrad": st.booleans()}
    ),
}


@st.composite
def problems(draw):
    """An optimizer with random hyperparameters, a random start and random gradients, in
    float32 or float64."""
    cls = draw(st.sampled_from(sorted(HYPERPARAMETERS, key=lambda c: c.__name__)))
    hyper = draw(HYPERPARAMETERS[cls])
    if cls is SGD and "momentum" in hyper and "dampening" not in hyper:
        hyper["nesterov"] = draw(st.booleans())
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=0, max_size=3)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    steps = draw(st.integers(1, 12))
    scales = rng.choice([1e-3, 1.0, 1e2], size=steps)
    grads = [(s * rng.normal(size=shape)).astype(dtype) for s in scales]
    return cls, hyper, rng.normal(size=shape).astype(dtype), grads


@settings(max_examples=150, deadline=None)
@given(problems())
def test_on_random_problems_every_class_steps_as_its_rule_in_its_own_dtype(problem):
    """Rule and class in the parameters' own dtype, float32 or float64, step for step."""
    cls, hyper, theta0, grads = problem
    expected, _ = run_rule(cls.rule, theta0.copy(), grads, **hyper)
    theta = theta0.copy()
    opt = cls([theta], **hyper)
    tol = 1e-10 if theta.dtype == np.float64 else 1e-4
    for k, g in enumerate(grads):
        opt.step([g])
        assert expected[k].dtype == theta.dtype
        np.testing.assert_allclose(theta, expected[k], rtol=tol, atol=tol, err_msg=f"step {k}")


class RuleOnly(Optimizer):
    """An optimizer written as a new one would be: its rule, nothing else."""

    rule = staticmethod(adam_rule)


def test_a_class_that_only_names_its_rule_is_a_whole_optimizer():
    """No _update, no state names, no checks of its own: the base class runs the rule, and the
    result is Adam, checkpoints and bad input included."""
    a, b = np.ones(3), np.ones(3)
    ours, adam = RuleOnly([a], lr=0.1, amsgrad=True), Adam([b], lr=0.1, amsgrad=True)
    rng = np.random.default_rng(1)
    for _ in range(5):
        g = rng.normal(size=3)
        ours.step([g])
        adam.step([g])
    np.testing.assert_allclose(a, b, rtol=1e-12)
    snapshot = adam.state_dict()
    fresh = RuleOnly([a.copy()], lr=0.1, amsgrad=True)
    fresh.load_state_dict(snapshot)
    assert sorted(fresh.state[0]) == sorted(snapshot["state"][0])
    with pytest.raises(ValueError, match="RuleOnly: eps must be a positive"):
        RuleOnly([np.ones(2)], eps=0.0)
    signature = inspect.signature(RuleOnly).parameters
    assert list(signature)[:3] == ["params", "lr", "betas"]
    assert signature["betas"].default == (0.9, 0.999)


def test_an_optimizer_whose_hyperparameter_has_no_check_is_refused_when_defined():
    def rule(theta, grad, state, *, lr=0.1, mystery=1.0):
        return theta - lr * grad, {}

    with pytest.raises(TypeError, match=r"no check for hyperparameter\(s\) \['mystery'\]"):
        type("Mystery", (Optimizer,), {"rule": staticmethod(rule)})


# --- one step, by hand -------------------------------------------------------------------------


def two_steps(cls, theta0, g1, g2, **hyper):
    """theta after one and after two steps from theta0 with gradients g1, g2, and the optimizer."""
    theta = np.array([theta0])
    opt = cls([theta], **hyper)
    opt.step([np.array([g1])])
    first = float(theta[0])
    opt.step([np.array([g2])])
    return first, float(theta[0]), opt


def test_sgd_steps_by_hand():
    assert two_steps(SGD, 1.0, 1.0, 1.0, lr=0.1)[:2] == pytest.approx((0.9, 0.8))
    # momentum: b = g on the first step (no dampening then), then b = 0.9 * 1 + 1 = 1.9
    assert two_steps(SGD, 1.0, 1.0, 1.0, lr=0.1, momentum=0.9)[:2] == pytest.approx((0.9, 0.71))
    # dampening 0.5: b = 1, then 0.9 * 1 + 0.5 * 1 = 1.4
    assert two_steps(SGD, 1.0, 1.0, 1.0, lr=0.1, momentum=0.9, dampening=0.5)[:2] == pytest.approx(
        (0.9, 0.76)
    )
    # Nesterov: steps along g + 0.9 b = 1.9, then along 1 + 0.9 * 1.9 = 2.71
    first, second, opt = two_steps(SGD, 1.0, 1.0, 1.0, lr=0.1, momentum=0.9, nesterov=True)
    assert (first, second) == pytest.approx((0.81, 0.539))
    assert opt.state[0]["momentum_buffer"] == pytest.approx([1.9])
    # weight decay: g + 0.1 * theta = 1.1
    assert two_steps(SGD, 1.0, 1.0, 0.0, lr=0.1, weight_decay=0.1)[0] == pytest.approx(0.89)


def test_adagrad_steps_by_hand():
    first, second, opt = two_steps(Adagrad, 1.0, 2.0, 2.0, lr=0.5)
    assert first == pytest.approx(1 - 0.5 * 2 / 2)  # s = 4
    assert second == pytest.approx(first - 0.5 * 2 / math.sqrt(8))  # s = 8
    assert opt.state[0]["step"] == 2 and opt.state[0]["sum"] == pytest.approx([8.0])
    # lr_decay 1: the second step's rate is 0.5 / (1 + 1 * 1)
    _, decayed, _ = two_steps(Adagrad, 1.0, 2.0, 2.0, lr=0.5, lr_decay=1.0)
    assert decayed == pytest.approx(first - 0.25 * 2 / math.sqrt(8))


def test_rmsprop_steps_by_hand():
    first, second, opt = two_steps(RMSprop, 1.0, 3.0, 3.0, lr=0.01)
    assert first == pytest.approx(1 - 0.01 * 3 / math.sqrt(0.01 * 9))
    v2 = 0.99 * 0.09 + 0.01 * 9
    assert second == pytest.approx(first - 0.01 * 3 / math.sqrt(v2))
    assert opt.state[0]["square_avg"] == pytest.approx([v2])
    # centered: divide by sqrt(v - g_avg^2), with g_avg = 0.01 * 3
    centered, _, opt = two_steps(RMSprop, 1.0, 3.0, 3.0, lr=0.01, centered=True)
    assert centered == pytest.approx(1 - 0.01 * 3 / math.sqrt(0.09 - 0.03**2))
    assert opt.state[0]["grad_avg"] == pytest.approx([0.01 * 3 * (0.99 + 1)])


def test_adadelta_steps_by_hand():
    theta = np.array([1.0])
    opt = Adadelta([theta])
    opt.step([np.array([2.0])])
    delta = math.sqrt(1e-6) / math.sqrt(0.1 * 4 + 1e-6) * 2  # sqrt(u + eps) / sqrt(v + eps) g
    assert theta == pytest.approx([1 - delta])
    assert opt.state[0]["square_avg"] == pytest.approx([0.1 * 4])
    assert opt.state[0]["acc_delta"] == pytest.approx([0.1 * delta**2])


def test_adam_steps_by_hand():
    # the first corrected step is lr * g / |g| whatever the size of g
    for g in (1e-3, 1.0, 1e3):
        assert two_steps(Adam, 1.0, g, g, lr=0.1)[0] == pytest.approx(0.9, abs=1e-6)
    # then g = -1: m = 0.9 * 0.1 - 0.1 = -0.01, v = 0.999 * 0.001 + 0.001
    first, second, opt = two_steps(Adam, 1.0, 1.0, -1.0, lr=0.1)
    m_hat = -0.01 / (1 - 0.9**2)
    v_hat = (0.999 * 0.001 + 0.001) / (1 - 0.999**2)
    assert second == pytest.approx(first - 0.1 * m_hat / (math.sqrt(v_hat) + 1e-8))
    assert opt.state[0]["step"] == 2
    assert opt.state[0]["exp_avg"] == pytest.approx([-0.01])  # stored without correction


def test_adamw_decays_the_weights_before_the_adam_step():
    first, _, _ = two_steps(AdamW, 2.0, 1.0, 1.0, lr=0.1, weight_decay=0.5)
    assert first == pytest.approx(2.0 * (1 - 0.1 * 0.5) - 0.1)
    # Adam's L2 term is added to the gradient, then normalised: the first step is lr again
    assert two_steps(Adam, 2.0, 1.0, 1.0, lr=0.1, weight_decay=0.5)[0] == pytest.approx(1.9)


def test_amsgrad_keeps_the_largest_second_moment():
    _, _, opt = two_steps(Adam, 1.0, 10.0, 0.0, lr=0.1, amsgrad=True)
    state = opt.state[0]
    assert state["max_exp_avg_sq"] == pytest.approx([0.001 * 100])
    assert state["exp_avg_sq"] == pytest.approx([0.999 * 0.001 * 100])


# --- equivalences the chapters rely on ---------------------------------------------------------


def test_adamw_is_adam_with_decoupled_weight_decay():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=5), None
    b = a.copy()
    one, two = (
        AdamW([a], lr=0.01, weight_decay=0.1),
        Adam([b], lr=0.01, weight_decay=0.1, decoupled_weight_decay=True),
    )
    for _ in range(10):
        g = rng.normal(size=5)
        one.step([g])
        two.step([g])
    np.testing.assert_array_equal(a, b)
    assert one.param_groups[0]["decoupled_weight_decay"] is True


def test_sgd_weight_decay_is_l2_in_the_loss_but_adams_is_not_adamws():
    bowl = quadratic_bowl(10)
    lam = 0.3

    def l2_grad(t):
        return bowl.grad(t) + lam * t

    for cls, same in ((SGD, True), (AdamW, False)):
        decayed = minimize(
            bowl.f, bowl.grad, bowl.start, partial(cls, lr=0.1, weight_decay=lam), 50
        )
        in_loss = minimize(bowl.f, l2_grad, bowl.start, partial(cls, lr=0.1, weight_decay=0.0), 50)
        assert np.allclose(decayed.path, in_loss.path, rtol=1e-12) == same, cls


def test_heavy_ball_is_polyaks_form_and_nesterov_is_the_look_ahead():
    bowl = quadratic_bowl(30)
    lr, beta, steps, start = 0.5, 0.8, 40, quadratic_bowl(30).start
    heavy_ball, nesterov = (
        minimize(bowl.f, bowl.grad, start, partial(SGD, lr=lr, momentum=beta, nesterov=n), steps)
        for n in (False, True)
    )
    # Polyak: a gradient step plus beta times the previous step
    previous, theta, points = start, start, [start]
    for _ in range(steps):
        previous, theta = theta, theta - lr * bowl.grad(theta) + beta * (theta - previous)
        points.append(theta)
    np.testing.assert_allclose(heavy_ball.path, points, rtol=1e-10, atol=1e-12)
    # Sutskever et al.'s Nesterov: the gradient at the look-ahead point theta + beta v;
    # PyTorch's parameters are those look-ahead points
    theta, velocity, points = start, np.zeros(2), [start]
    for _ in range(steps):
        velocity = beta * velocity - lr * bowl.grad(theta + beta * velocity)
        theta = theta + velocity
        points.append(theta + beta * velocity)
    np.testing.assert_allclose(nesterov.path, points, rtol=1e-10, atol=1e-12)


def test_minimize_with_plain_sgd_is_gradient_descent_exactly():
    bowl = quadratic_bowl(10)
    for lr in (0.5, 1.5, 2.5):
        ours = minimize(bowl.f, bowl.grad, bowl.start, partial(SGD, lr=lr), 300)
        theirs = gradient_descent(bowl.f, bowl.grad, bowl.start, lr=lr, steps=300)
        np.testing.assert_array_equal(ours.path, theirs.path)
        assert (ours.status, ours.message) == (theirs.status, theirs.message)


def test_minimize_reports_divergence_without_nan_and_follows_a_schedule():
    bowl = quadratic_bowl(10)
    run = minimize(bowl.f, bowl.grad, bowl.start, partial(SGD, lr=10.0), 1000)
    assert run.diverged and np.all(np.isfinite(run.path)) and np.all(np.isfinite(run.losses))
    rates = []

    def schedule(k):
        rates.append(k)
        return 1.0 / (k + 1)

    run = minimize(
        bowl.f, bowl.grad, bowl.start, partial(SGD, lr=5.0), 5, tol=0.0, schedule=schedule
    )
    assert rates == [0, 0, 1, 2, 3, 4] and run.lr == 1.0  # schedule(0) twice: lr and step 0
    with pytest.raises(TypeError, match="must make an Optimizer"):
        minimize(bowl.f, bowl.grad, bowl.start, lambda p: None, 5)


# --- the same problems for every optimizer ----------------------------------------------------

#: Settings that work on each problem (tuned once; the point is that each one converges). The
#: digits learning rates are those Chapter 8's sweep picks (RMSProp's a step larger, for speed).
SUITE = {
    "sgd": (partial(SGD, lr=1.0), partial(SGD, lr=1e-3), partial(SGD, lr=0.1)),
    "momentum": (
        partial(SGD, lr=0.5, momentum=0.9),
        partial(SGD, lr=1e-3, momentum=0.9),
        partial(SGD, lr=0.01, momentum=0.9),
    ),
    "nesterov": (
        partial(SGD, lr=0.5, momentum=0.9, nesterov=True),
        partial(SGD, lr=1e-3, momentum=0.9, nesterov=True),
        partial(SGD, lr=0.01, momentum=0.9, nesterov=True),
    ),
    "adagrad": (partial(Adagrad, lr=0.5), partial(Adagrad, lr=0.5), partial(Adagrad, lr=0.03)),
    "rmsprop": (partial(RMSprop, lr=0.01), partial(RMSprop, lr=1e-3), partial(RMSprop, lr=3e-3)),
    "adadelta": (partial(Adadelta), partial(Adadelta, lr=0.1), partial(Adadelta)),
    "adam": (partial(Adam, lr=0.05), partial(Adam, lr=0.02), partial(Adam, lr=3e-3)),
    "adamw": (
        partial(AdamW, lr=0.05, weight_decay=0.0),
        partial(AdamW, lr=0.02, weight_decay=0.0),
        partial(AdamW, lr=3e-3),
    ),
}


@pytest.mark.parametrize("name", sorted(SUITE))
def test_every_optimizer_converges_on_a_quadratic_bowl(name):
    bowl = quadratic_bowl(condition_number=20)
    run = minimize(bowl.f, bowl.grad, bowl.start, SUITE[name][0], steps=3000, tol=1e-8)
    assert run.converged, run
    assert np.linalg.norm(run.x - bowl.center) < 1e-6


@pytest.mark.parametrize("name", sorted(SUITE))
def test_every_optimizer_converges_on_rosenbrock(name):
    valley = rosenbrock()
    run = minimize(valley.f, valley.grad, valley.start, SUITE[name][1], steps=20_000)
    assert not run.diverged
    # Adadelta's step grows again as the gradient vanishes (its numerator remembers the old
    # steps): on this noiseless valley it hovers near the minimum instead of settling.
    tol = 0.1 if name == "adadelta" else 1e-3
    assert np.linalg.norm(run.x - valley.minima[0]) < tol, run


@pytest.fixture(scope="module")
def digits_split():
    return digits(seed=0)


@pytest.mark.parametrize("name", sorted(SUITE))
def test_every_optimizer_trains_the_digits_mlp(name, digits_split):
    # 64-32-10 on the handwritten digits, five epochs of mini-batches of 32 (170 steps)
    data = digits_split
    model = mlp([64, 32, 10], seed=0)
    first, _ = evaluate(model, data.X_train, data.y_train)
    history = fit(
        model,
        data.X_train,
        data.y_train,
        optimizer=SUITE[name][2],
        epochs=5,
        batch_size=32,
        seed=0,
        progress=False,
    )
    val_loss, val_accuracy = evaluate(model, data.X_val, data.y_val)
    assert history.status == "completed"
    assert history.train_loss[-1] < 0.2 < 2.0 < first, (first, history.train_loss[-1])
    assert np.all(np.diff(history.train_loss[:3]) < 0)  # it is learning from the start
    assert val_accuracy >= 0.9 and val_loss < 0.35, (val_loss, val_accuracy)


# --- checkpoints -------------------------------------------------------------------------------

CHECKPOINT_CASES = [
    (SGD, {"lr": 0.1}),
    (SGD, {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 1e-3}),
    (Adagrad, {"lr": 0.1, "lr_decay": 0.01}),
    (RMSprop, {"lr": 0.01, "momentum": 0.5, "centered": True}),
    (Adadelta, {"weight_decay": 1e-3}),
    (Adam, {"lr": 0.01, "amsgrad": True}),
    (AdamW, {"lr": 0.01, "weight_decay": 0.05}),
]


def train(model, opt, x, labels, steps):
    for _ in range(steps):
        _, dlogits = softmax_cross_entropy(model.forward(x), labels)
        model.backward(dlogits)
        opt.step(model.grads)


@pytest.mark.parametrize(
    ("cls", "hyper"), CHECKPOINT_CASES, ids=[case_id((c, h)) for c, h in CHECKPOINT_CASES]
)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_checkpoint_resumes_bit_identically(cls, hyper, dtype):
    x, labels = spirals(40, classes=3, seed=1)
    x = x.astype(dtype)
    model = mlp([2, 16, 3], seed=2, dtype=dtype)
    opt = cls(model.params, **hyper)
    train(model, opt, x, labels, 7)
    saved = pickle.dumps(([p.copy() for p in model.params], opt.state_dict()))
    train(model, opt, x, labels, 5)  # the run that was never interrupted

    params, state = pickle.loads(saved)
    resumed = mlp([2, 16, 3], seed=99, dtype=dtype)  # other weights, overwritten below
    for mine, value in zip(resumed.params, params, strict=True):
        mine[...] = value
    fresh = cls(resumed.params)  # default hyperparameters: the checkpoint restores them
    fresh.load_state_dict(state)
    assert fresh.param_groups[0]["lr"] == opt.param_groups[0]["lr"]
    train(resumed, fresh, x, labels, 5)
    for a, b in zip(model.params, resumed.params, strict=True):
        assert a.dtype == b.dtype == dtype
        np.testing.assert_array_equal(a, b)


def test_state_dict_is_laid_out_as_pytorch_lays_it_out():
    a, b = np.zeros((2, 3)), np.zeros(3)
    opt = Adam([a, b], lr=0.01)
    assert opt.state_dict() == {
        "state": {},
        "param_groups": [
            {
                "lr": 0.01,
                "betas": (0.9, 0.999),
                "eps": 1e-8,
                "weight_decay": 0.0,
                "amsgrad": False,
                "decoupled_weight_decay": False,
                "maximize": False,
                "params": [0, 1],
            }
        ],
    }
    opt.step([np.ones((2, 3)), np.ones(3)])
    state = opt.state_dict()["state"]
    assert sorted(state) == [0, 1]
    assert sorted(state[0]) == ["exp_avg", "exp_avg_sq", "step"] and state[0]["step"] == 1
    names = [
        (SGD([np.zeros(1)], momentum=0.9), ["momentum_buffer"]),
        (SGD([np.zeros(1)]), None),  # plain SGD keeps no state
        (
            RMSprop([np.zeros(1)], momentum=0.9, centered=True),
            ["grad_avg", "momentum_buffer", "square_avg", "step"],
        ),
        (Adadelta([np.zeros(1)]), ["acc_delta", "square_avg", "step"]),
        (Adagrad([np.zeros(1)]), ["step", "sum"]),
    ]
    for optimizer, expected in names:
        optimizer.step([np.ones(1)])
        state = optimizer.state_dict()["state"]
        assert (sorted(state[0]) if state else None) == expected


def test_pytorch_defaults():
    theta = [np.zeros(1)]
    expected = {
        SGD: {
            "lr": 1e-3,
            "momentum": 0.0,
            "dampening": 0.0,
            "weight_decay": 0.0,
            "nesterov": False,
        },
        Adagrad: {
            "lr": 1e-2,
            "lr_decay": 0.0,
            "weight_decay": 0.0,
            "initial_accumulator_value": 0.0,
            "eps": 1e-10,
        },
        RMSprop: {
            "lr": 1e-2,
            "alpha": 0.99,
            "eps": 1e-8,
            "weight_decay": 0.0,
            "momentum": 0.0,
            "centered": False,
        },
        Adadelta: {"lr": 1.0, "rho": 0.9, "eps": 1e-6, "weight_decay": 0.0},
        Adam: {
            "lr": 1e-3,
            "betas": (0.9, 0.999),
            "eps": 1e-8,
            "weight_decay": 0.0,
            "amsgrad": False,
            "decoupled_weight_decay": False,
        },
        AdamW: {
            "lr": 1e-3,
            "betas": (0.9, 0.999),
            "eps": 1e-8,
            "weight_decay": 1e-2,
            "amsgrad": False,
            "decoupled_weight_decay": True,
        },
    }
    for cls, defaults in expected.items():
        group = {k: v for k, v in cls(theta).param_groups[0].items() if k != "params"}
        assert group == {**defaults, "maximize": False}, cls.__name__


def test_state_dict_is_a_snapshot_and_loading_copies():
    theta = np.ones(3)
    opt = SGD([theta], lr=0.1, momentum=0.9)
    opt.step([np.ones(3)])
    snapshot = opt.state_dict()
    opt.step([np.ones(3)])
    assert snapshot["state"][0]["momentum_buffer"] == pytest.approx([1.0, 1.0, 1.0])
    other = SGD([np.ones(3)], lr=0.1, momentum=0.9)
    other.load_state_dict(snapshot)
    snapshot["state"][0]["momentum_buffer"][:] = 100.0
    assert other.state[0]["momentum_buffer"] == pytest.approx([1.0, 1.0, 1.0])


def test_a_pytorch_style_state_dict_loads():
    """Torch's dicts carry implementation switches and count steps in floats."""
    theta = np.zeros(2)
    opt = Adam([theta])
    state = {
        "state": {0: {"step": 3.0, "exp_avg": [0.1, 0.2], "exp_avg_sq": [0.01, 0.04]}},
        "param_groups": [
            {
                "lr": 0.01,
                "betas": [0.9, 0.999],
                "eps": 1e-8,
                "weight_decay": 0,
                "amsgrad": False,
                "decoupled_weight_decay": False,
                "foreach": None,
                "maximize": False,
                "capturable": False,
                "differentiable": False,
                "fused": None,
                "params": [0],
            }
        ],
    }
    opt.load_state_dict(state)
    assert opt.state[0]["step"] == 3 and isinstance(opt.state[0]["step"], int)
    assert opt.param_groups[0]["betas"] == (0.9, 0.999)
    state["param_groups"][0]["fused"] = True
    with pytest.raises(ValueError, match="fused=True is not supported"):
        opt.load_state_dict(state)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda sd: sd["param_groups"].append(dict(sd["param_groups"][0])), "parameter group"),
        (lambda sd: sd["param_groups"][0].update(params=[0]), "holds parameters"),
        (lambda sd: sd["param_groups"][0].update(momentum=0.9), "another optimizer"),
        (lambda sd: sd["param_groups"][0].update(lr=-1.0), "lr must be a non-negative"),
        (lambda sd: sd["state"][0].update(exp_avg=np.zeros(5)), "has shape"),
        (lambda sd: sd["state"][0].pop("exp_avg_sq"), "expected"),
        (lambda sd: sd["state"][0].update(step=-1), "non-negative whole number"),
        (lambda sd: sd["state"].update({7: {}}), "unknown parameter indices"),
        (lambda sd: sd.pop("state"), "expected a dict"),
        # values that would turn the parameters into nan on the next step
        (
            lambda sd: sd["state"][0]["exp_avg_sq"].__setitem__(0, -1e-3),
            r"state\[0\]\['exp_avg_sq'\] holds squares and cannot be negative; got a minimum of",
        ),
        (
            lambda sd: sd["state"][1]["exp_avg_sq"].__setitem__(2, np.nan),
            r"state\[1\]\['exp_avg_sq'\] contains nan or inf",
        ),
        (
            lambda sd: sd["state"][0]["exp_avg"].__setitem__(1, np.inf),
            r"state\[0\]\['exp_avg'\] contains nan or inf",
        ),
        (
            lambda sd: sd["state"][1].update(exp_avg=np.zeros((3, 1))),
            r"shape \(3, 1\); expected \(3,\)",
        ),
        (lambda sd: sd["param_groups"][0].update(params=None), "holds parameters"),
        (lambda sd: sd["param_groups"][0].update(param_names=["w"]), "names 1 parameter"),
    ],
)
def test_a_snapshot_that_does_not_fit_is_refused_and_changes_nothing(mutate, message):
    a, b = np.ones(2), np.ones(3)
    opt = Adam([a, b], lr=0.01)
    opt.step([np.ones(2), np.ones(3)])
    snapshot = opt.state_dict()
    mutate(snapshot)
    before = opt.state_dict()
    with pytest.raises(ValueError, match=message):
        opt.load_state_dict(snapshot)
    after = opt.state_dict()
    assert after["param_groups"] == before["param_groups"]
    for i in before["state"]:
        for name, value in before["state"][i].items():
            np.testing.assert_array_equal(after["state"][i][name], value)


def test_adagrad_state_exists_from_the_start_and_must_be_restored():
    opt = Adagrad([np.zeros(2)], initial_accumulator_value=0.5)
    assert opt.state[0]["step"] == 0 and opt.state[0]["sum"] == pytest.approx([0.5, 0.5])
    snapshot = opt.state_dict()
    snapshot["state"] = {}
    with pytest.raises(ValueError, match="is missing"):
        opt.load_state_dict(snapshot)


# --- parameter groups, in place, no temporaries -------------------------------------------------


def test_parameter_groups_have_their_own_hyperparameters_and_one_numbering():
    a, b, c = np.ones(2), np.ones(3), np.ones(1)
    opt = SGD([{"params": [a, b]}, {"params": [c], "lr": 1.0}], lr=0.1, momentum=0.5)
    opt.step([np.ones(2), np.ones(3), np.ones(1)])
    assert a == pytest.approx([0.9, 0.9]) and c == pytest.approx([0.0])
    assert sorted(opt.state) == [0, 1, 2]
    assert [g["params"] for g in opt.state_dict()["param_groups"]] == [[0, 1], [2]]
    d = np.ones(4)
    opt.add_param_group({"params": [d], "momentum": 0.0})
    opt.step([np.ones(2), np.ones(3), np.ones(1), np.ones(4)])
    assert d == pytest.approx(np.full(4, 0.9))
    assert "Parameter Group 2" in repr(opt) and "momentum: 0.0" in repr(opt)


def test_step_updates_the_given_arrays_in_place_and_only_reads_the_grads():
    model = mlp([2, 4, 3], seed=0)
    params = list(model.params)
    before = [p.copy() for p in params]
    grads = [np.ones_like(p) for p in params]
    opt = SGD(model.params, lr=0.1, momentum=0.9, weight_decay=0.5, nesterov=True)
    opt.step(grads)
    for p, q, old, g in zip(model.params, params, before, grads, strict=True):
        assert p is q and not np.array_equal(p, old)
        np.testing.assert_array_equal(g, np.ones_like(g))


@pytest.mark.parametrize(
    "make",
    [
        partial(SGD, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.1),
        partial(Adagrad, weight_decay=0.1),
        partial(RMSprop, momentum=0.9, centered=True, weight_decay=0.1),
        partial(Adadelta, weight_decay=0.1),
        partial(Adam, amsgrad=True, weight_decay=0.1),
        partial(AdamW, amsgrad=True),
        partial(RMSprop, maximize=True),
    ],
    ids=lambda m: m.func.__name__ + ("-maximize" if m.keywords.get("maximize") else ""),
)
def test_no_parameter_sized_array_is_allocated_after_the_first_step(make):
    n = 250_000  # 2 MB of float64
    theta, grad = np.ones(n), np.full(n, 0.5)
    opt = make([theta])
    opt.step([grad])  # allocates the state and the scratch arrays, once
    tracemalloc.start()
    try:
        opt.step([grad])
        opt.step([grad])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < theta.nbytes / 10, f"{peak} bytes allocated during a step"


# --- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda p: SGD(p, lr=-0.1), ValueError, "SGD: lr must be a non-negative number; got -0.1"),
        (
            lambda p: SGD(p, lr=float("nan")),
            ValueError,
            "lr must be a non-negative number; got nan",
        ),
        (
            lambda p: SGD(p, lr="0.1"),
            TypeError,
            "SGD: lr must be a non-negative number; got str '0.1'",
        ),
        (lambda p: SGD(p, momentum=1.0), ValueError, r"momentum must be in \[0, 1\)"),
        (lambda p: SGD(p, momentum=-0.5), ValueError, "momentum must be in"),
        (lambda p: SGD(p, nesterov=True), ValueError, "Nesterov momentum requires a momentum"),
        (
            lambda p: SGD(p, momentum=0.9, dampening=0.1, nesterov=True),
            ValueError,
            "zero dampening",
        ),
        (lambda p: SGD(p, nesterov=1), TypeError, "nesterov must be True or False"),
        (lambda p: SGD(p, weight_decay=-1e-4), ValueError, "weight_decay must be a non-negative"),
        (
            lambda p: Adam(p, betas=(0.9, 1.0)),
            ValueError,
            r"Adam: betas\[1\] must be in \[0, 1\); got 1.0",
        ),
        (lambda p: Adam(p, betas=(-0.1, 0.999)), ValueError, r"betas\[0\] must be in"),
        (
            lambda p: Adam(p, betas=0.9),
            TypeError,
            "Adam: betas must be a pair of numbers; got float",
        ),
        (
            lambda p: Adam(p, eps=0.0),
            ValueError,
            "Adam: eps must be a positive finite number; got 0.0",
        ),
        (lambda p: AdamW(p, eps=-1e-8), ValueError, "AdamW: eps must be a positive"),
        (lambda p: Adam(p, amsgrad="yes"), TypeError, "amsgrad must be True or False"),
        (lambda p: Adagrad(p, maximize=1), TypeError, "Adagrad: maximize must be True or False"),
        (lambda p: SGD(p, 0.1, 0.9, foreach=True), TypeError, "SGD: got an unexpected keyword"),
        (lambda p: Adagrad(p, eps=0.0), ValueError, "eps must be a positive"),
        (lambda p: Adagrad(p, lr_decay=-1.0), ValueError, "lr_decay must be a non-negative"),
        (lambda p: Adagrad(p, initial_accumulator_value=-1), ValueError, "initial_accumulator"),
        (lambda p: RMSprop(p, alpha=1.0), ValueError, r"alpha must be in \[0, 1\)"),
        (lambda p: RMSprop(p, eps=0), ValueError, "eps must be a positive"),
        (lambda p: Adadelta(p, rho=1.5), ValueError, r"rho must be in \[0, 1\]"),
        (lambda p: Adadelta(p, eps=0.0), ValueError, "eps must be a positive"),
        (lambda p: SGD([{"params": p, "momentun": 0.9}]), ValueError, "unknown hyperparameter"),
    ],
)
def test_bad_hyperparameters_fail_at_construction(make, error, message):
    with pytest.raises(error, match=message):
        make([np.zeros(3)])


@pytest.mark.parametrize(
    ("params", "error", "message"),
    [
        ([], ValueError, "params is empty"),
        (np.zeros(3), TypeError, "got a single array"),
        ([[1.0, 2.0]], TypeError, r"params\[0\] must be a NumPy array .* got list"),
        ([np.zeros(3, dtype=int)], TypeError, "must be float32 or float64; got dtype int64"),
        ([np.array([1.0, np.nan])], ValueError, "only finite values"),
        ([np.zeros(2)] * 2, ValueError, r"params\[1\] is the same array as params\[0\]"),
    ],
)
def test_bad_parameters_fail_at_construction(params, error, message):
    with pytest.raises(error, match=message):
        SGD(params, lr=0.1)


def test_read_only_and_overlapping_parameters_are_refused():
    frozen = np.zeros(3)
    frozen.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        SGD([frozen])
    base = np.zeros(4)
    with pytest.raises(ValueError, match="overlaps"):
        SGD([base[:3], base[2:]])
    SGD([base[:2], base[2:]])  # neighbours are fine


@pytest.mark.parametrize(
    ("grads", "error", "message"),
    [
        (np.ones(3), TypeError, "grads must be a list of arrays"),
        ([np.ones(3)], ValueError, r"got 1 gradient\(s\) for 2 parameter\(s\)"),
        ([np.ones(3), np.ones(2), np.ones(2)], ValueError, "got 3 gradient"),
        ([np.ones(3), np.ones(3)], ValueError, r"grads\[1\] has shape \(3,\), but params\[1\]"),
        ([np.ones(3), np.ones((2, 1))], ValueError, r"grads\[1\] has shape \(2, 1\)"),
        (
            [np.ones(3, dtype=np.float32), np.ones(2)],
            TypeError,
            r"grads\[0\] has dtype float32, but params\[0\] is float64",
        ),
        ([np.ones(3), np.array([1.0, np.inf])], ValueError, r"grads\[1\] contains nan or inf"),
        ([np.array([np.nan, 1.0, 1.0]), np.ones(2)], ValueError, "the step was not taken"),
    ],
)
@pytest.mark.parametrize("cls", [SGD, Adagrad, RMSprop, Adadelta, Adam, AdamW])
def test_bad_grads_fail_at_step_and_change_nothing(cls, grads, error, message):
    a, b = np.ones(3), np.ones(2)
    opt = cls([a, b])
    opt.step([np.full(3, 0.5), np.full(2, -0.5)])  # some state to protect
    params_before = [a.copy(), b.copy()]
    state_before = copy.deepcopy(opt.state)
    with pytest.raises(error, match=message):
        opt.step(grads)
    np.testing.assert_array_equal(a, params_before[0])
    np.testing.assert_array_equal(b, params_before[1])
    assert opt.state.keys() == state_before.keys()
    for i, buffers in state_before.items():
        for name, value in buffers.items():
            np.testing.assert_array_equal(opt.state[i][name], value)


def test_the_base_class_is_abstract():
    with pytest.raises(TypeError, match="Optimizer is the base class"):
        Optimizer([np.zeros(1)], lr=0.1)


# --- momentum on a quadratic, in closed form ------------------------------------------------------


@st.composite
def quadratics(draw):
    n = draw(st.integers(1, 4))
    kappa = draw(st.floats(1.0, 200.0))
    inner = draw(st.lists(st.floats(0.0, 1.0), min_size=n, max_size=n))
    eigenvalues = np.array([1.0, 1.0 / kappa, *(1 / kappa + f * (1 - 1 / kappa) for f in inner)])
    return eigenvalues[: max(n, 2)]


@settings(max_examples=40, deadline=None)
@given(eigenvalues=quadratics(), lr=st.floats(0.01, 2.5))
def test_without_momentum_the_rate_is_gradient_descents(eigenvalues, lr):
    q = Quadratic(np.diag(eigenvalues))
    assert momentum_rate(eigenvalues, lr, 0.0) == pytest.approx(q.rate(lr), abs=1e-12)


@pytest.mark.parametrize(
    ("lr", "beta", "nesterov"),
    [
        (1.0, 0.5, False),
        (0.3, 0.8, False),
        (1.5, 0.2, False),
        (0.05, 0.95, False),
        (0.8, 0.0, False),
        (1.0, 0.5, True),
        (0.3, 0.8, True),
        (1.2, 0.2, True),
        (0.05, 0.95, True),
    ],
)
def test_the_closed_form_rate_is_the_measured_one(lr, beta, nesterov):
    eigenvalues = np.array([1.0, 0.3, 0.02])
    q = Quadratic(np.diag(eigenvalues))
    predicted = momentum_rate(eigenvalues, lr, beta, nesterov=nesterov)
    assert predicted < 1
    make = partial(SGD, lr=lr, momentum=beta, nesterov=nesterov)
    run = minimize(q.f, q.grad, np.ones(3), make, steps=int(40 / (1 - predicted)), tol=0.0)
    # the state is the error and the previous error: its norm does not dip when one spirals
    errors = np.hypot(np.linalg.norm(run.path[1:], axis=1), np.linalg.norm(run.path[:-1], axis=1))
    assert linear_rate(errors, tail=0.5) == pytest.approx(predicted, abs=0.01)


def test_above_one_the_run_diverges():
    eigenvalues = np.array([1.0, 0.02])
    q = Quadratic(np.diag(eigenvalues))
    lr, beta = 3.9, 0.9  # stable only for lr < 2 (1 + beta) / L = 3.8
    assert momentum_rate(eigenvalues, lr, beta) > 1
    run = minimize(q.f, q.grad, np.ones(2), partial(SGD, lr=lr, momentum=beta), steps=5000)
    assert run.diverged


def test_polyaks_tuning_is_the_best_point_of_the_map_and_beats_gradient_descent_by_sqrt_kappa():
    mu, L = 0.01, 1.0
    lr, beta, rate = optimal_momentum(mu, L)
    lrs, betas = np.meshgrid(np.linspace(0.5, 4.0, 400), np.linspace(0.0, 0.99, 400))
    grid = momentum_rate([L, mu], lrs, betas)
    assert grid.shape == (400, 400)
    assert grid.min() >= rate - 1e-9
    assert momentum_rate([L, mu], lr, beta) == pytest.approx(rate, abs=1e-6)
    kappa = L / mu
    gd_rate = (kappa - 1) / (kappa + 1)
    steps_ratio = math.log(rate) / math.log(gd_rate)  # steps to a given accuracy: GD over HB
    assert steps_ratio == pytest.approx(math.sqrt(kappa), rel=0.05)


def test_momentum_rate_checks_its_eigenvalues_and_optimal_momentum_its_bounds():
    with pytest.raises(ValueError, match="positive"):
        momentum_rate([1.0, 0.0], 0.1, 0.5)
    with pytest.raises(ValueError, match="mu must be at most L"):
        optimal_momentum(2.0, 1.0)


@pytest.mark.parametrize(
    ("lr", "momentum", "kwargs", "error", "message"),
    [
        (None, 0.5, {}, TypeError, "lr must be an array of floats"),
        (float("nan"), 0.5, {}, ValueError, "lr must contain only finite values"),
        (-0.1, 0.5, {}, ValueError, "lr must be at least 0; got a minimum of -0.1"),
        (0.1, "0.5", {}, TypeError, "momentum must be an array of floats"),
        (
            0.1,
            [0.5, 1.0],
            {},
            ValueError,
            r"momentum must be in \[0, 1\); got values from 0.5 to 1.0",
        ),
        (1e300, 0.5, {}, ValueError, "lr \\* eigenvalues reaches 1e\\+300: too large"),
        (0.1, 0.5, {"nesterov": "yes"}, TypeError, "nesterov must be True or False"),
    ],
)
def test_momentum_rate_names_a_bad_rate_instead_of_returning_nan(
    lr, momentum, kwargs, error, message
):
    with pytest.raises(error, match=message):
        momentum_rate([1.0, 0.01], lr, momentum, **kwargs)


def test_optimal_momentum_is_finite_for_any_finite_curvatures():
    lr, beta, rate = optimal_momentum(1e-300, 1e300)  # L / mu overflows float64
    assert all(math.isfinite(x) for x in (lr, beta, rate)) and rate == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"optimizer": 5}, TypeError, "optimizer must be a function of the parameter list"),
        ({"optimizer": lambda p: 5}, TypeError, "optimizer must make an Optimizer"),
        ({"schedule": 0.1}, TypeError, "schedule must be a function of the step number"),
        ({"schedule": lambda k: None}, TypeError, r"schedule\(0\) must be a non-negative number"),
        ({"schedule": lambda k: -1.0}, ValueError, r"schedule\(0\) must be a non-negative number"),
    ],
)
def test_minimize_names_a_bad_optimizer_or_schedule(kwargs, error, message):
    args = {"optimizer": partial(SGD, lr=0.1), **kwargs}
    with pytest.raises(error, match=message):
        minimize(lambda t: float(t @ t), lambda t: 2 * t, [1.0], steps=5, **args)


# --- PyTorch's maximize, its named parameters, and what a step must not do silently ---------

ALL = [SGD, Adagrad, RMSprop, Adadelta, Adam, AdamW]
#: Every optimizer that takes maximize: all but Muon (PyTorch's Muon has none).
MAXIMIZING = [getattr(optimizers, n) for n in optimizers.__all__]
MAXIMIZING = [cls for cls in MAXIMIZING if cls.takes_maximize]


@pytest.mark.parametrize("cls", MAXIMIZING, ids=lambda c: c.__name__)
def test_maximize_applies_the_rule_to_the_negated_gradient_and_only_reads_it(cls):
    rng = np.random.default_rng(3)
    grads = [rng.normal(size=(2, 3)) for _ in range(20)]
    up = rng.normal(size=(2, 3))
    down = up.copy()
    climber, descender = cls([up], lr=0.05, maximize=True), cls([down], lr=0.05)
    for g in grads:
        kept = g.copy()
        climber.step([g])
        np.testing.assert_array_equal(g, kept)
        descender.step([-g])
    np.testing.assert_array_equal(up, down)
    assert climber.param_groups[0]["maximize"] is True
    assert climber.state_dict()["param_groups"][0]["maximize"] is True


def test_maximize_climbs_a_concave_function():
    theta = np.array([3.0, -4.0])  # J = -||theta||^2 / 2, highest at 0; grad J = -theta
    opt = Adam([theta], lr=0.1, maximize=True)
    for _ in range(300):
        opt.step([-theta.copy()])
    assert np.linalg.norm(theta) < 0.05


def test_a_pytorch_state_dict_with_param_names_loads():
    """A PyTorch optimizer made from model.named_parameters() saves each group's
    param_names; they load (and are checked), the order of the parameters being what counts."""
    opt = SGD([np.ones(2), np.ones(3)], lr=0.1, momentum=0.9)
    opt.step([np.ones(2), np.ones(3)])
    snapshot = opt.state_dict()
    snapshot["param_groups"][0]["param_names"] = ["0.weight", "0.bias"]
    fresh = SGD([np.ones(2), np.ones(3)], lr=0.1, momentum=0.9)
    fresh.load_state_dict(snapshot)
    assert "param_names" not in fresh.param_groups[0]
    np.testing.assert_array_equal(fresh.state[1]["momentum_buffer"], np.ones(3))
    snapshot["param_groups"][0]["param_names"] = ["0.weight", 7]
    with pytest.raises(TypeError, match=r"param_groups\[0\]\['param_names'\] must be a list"):
        fresh.load_state_dict(snapshot)


@pytest.mark.parametrize(
    ("state_dict", "error", "message"),
    [
        (None, TypeError, "expected a dict"),
        ({"state": {}, "param_groups": None}, TypeError, "'param_groups' must be a list"),
        ({"state": {}, "param_groups": [None]}, TypeError, r"param_groups\[0\] must be a dict"),
        ({"state": [], "param_groups": "group"}, TypeError, "'param_groups' must be a list"),
    ],
)
def test_a_snapshot_of_the_wrong_type_is_a_type_error(state_dict, error, message):
    with pytest.raises(error, match=message):
        Adam([np.zeros(2)]).load_state_dict(state_dict)


@pytest.mark.parametrize(
    ("buffers", "error", "message"),
    [
        ({"step": "three"}, TypeError, r"\['step'\] must be a whole number"),
        ({"exp_avg": ["a", "b"]}, TypeError, r"\['exp_avg'\] must be an array of numbers"),
        ({"exp_avg_sq": np.array([1e39, 1.0])}, ValueError, "too large for float32"),
    ],
)
def test_buffers_that_are_not_numbers_or_do_not_fit_the_dtype_are_refused(buffers, error, message):
    opt = Adam([np.zeros(2, dtype=np.float32)])
    saved = {"step": 1, "exp_avg": np.zeros(2), "exp_avg_sq": np.zeros(2), **buffers}
    with pytest.raises(error, match=message):
        opt.load_state_dict({"state": {0: saved}, "param_groups": opt.state_dict()["param_groups"]})
    assert opt.state == {}


@pytest.mark.parametrize("cls", ALL, ids=lambda c: c.__name__)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_finite_gradient_whose_square_overflows_is_refused_not_frozen_in(cls, dtype):
    """PyTorch takes the step: the second moment becomes inf and the parameter never moves
    again. Here the step raises, naming the gradient, and changes nothing; SGD, which squares
    nothing, takes it."""
    huge = np.sqrt(np.finfo(dtype).max) * 2
    theta = np.ones(3, dtype=dtype)
    opt = cls([theta], lr=0.1)
    opt.step([np.ones(3, dtype=dtype)])
    before, state_before = theta.copy(), copy.deepcopy(opt.state)
    grad = np.array([1.0, -huge, 0.5], dtype=dtype)
    assert np.all(np.isfinite(grad))
    if cls is SGD:
        opt.step([grad])
        assert np.all(np.isfinite(theta))
        return
    with pytest.raises(
        ValueError, match=rf"grads\[0\] has an entry of size .* overflows {np.dtype(dtype).name}"
    ):
        opt.step([grad])
    np.testing.assert_array_equal(theta, before)
    for name, value in state_before[0].items():
        np.testing.assert_array_equal(opt.state[0][name], value)
    opt.step([np.full(3, np.sqrt(np.finfo(dtype).max) / 2, dtype=dtype)])  # just below: fine
    assert all(np.all(np.isfinite(v)) for v in opt.state[0].values())


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (None, "SGD: params must be a list of arrays; got NoneType"),
        (3, "got int"),
        ("ab", "got str"),
    ],
)
def test_params_that_are_not_a_list_are_a_named_type_error(params, message):
    with pytest.raises(TypeError, match=message):
        SGD(params)
    with pytest.raises(TypeError, match="a group's 'params' must be a list of arrays"):
        SGD([{"params": params}])
