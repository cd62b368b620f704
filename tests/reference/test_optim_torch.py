"""companion.optim against torch.optim: the same optimizer, step for step, for 200 steps.

Each companion optimizer runs next to torch.optim's optimizer of the same name, with the same
hyperparameters — every switch each one has: momentum, dampening, nesterov, weight_decay,
lr_decay, initial_accumulator_value, alpha, centered, rho, betas, eps, amsgrad, decoupled
weight decay, and parameter groups with settings of their own. Both get the same 200
gradients for four parameter arrays of different shapes, with gradients of very different
sizes (1e-3 to 1e2) and exact zeros. After every step the parameters must agree to 1e-10
(float64); after the last, every buffer of the state, named as PyTorch names it.

Then the checkpoints: each library's ``state_dict`` loads into the other mid-run, and the run
goes on identically. Last, the deliberate differences, each stated in companion's docstrings,
are pinned: PyTorch's behaviour and companion's, side by side.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from _torch_reference import F32, F64, assert_close, tensor, to_numpy

import companion.optim as co

STEPS = 200
SHAPES = [(3, 4), (5,), (2, 3, 2), (1,)]
GRAD_SIZES = [1.0, 1e-3, 1e2, 1.0]

# (optimizer, hyperparameters): every switch, alone and together
CONFIGS = [
    ("SGD", {"lr": 0.05}),
    ("SGD", {"lr": 0.05, "weight_decay": 0.1}),
    ("SGD", {"lr": 0.01, "momentum": 0.9}),
    ("SGD", {"lr": 0.01, "momentum": 0.9, "dampening": 0.5}),
    ("SGD", {"lr": 0.01, "momentum": 0.8, "dampening": 0.3, "weight_decay": 0.05}),
    ("SGD", {"lr": 0.01, "momentum": 0.9, "nesterov": True}),
    ("SGD", {"lr": 0.01, "momentum": 0.5, "nesterov": True, "weight_decay": 0.1}),
    ("Adagrad", {"lr": 0.1}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01}),
    (
        "Adagrad",
        {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.1, "initial_accumulator_value": 0.5},
    ),
    ("Adagrad", {"lr": 0.05, "eps": 1e-6}),
    ("RMSprop", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.01, "centered": True}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.9}),
    ("RMSprop", {"lr": 0.001, "alpha": 0.9, "momentum": 0.9, "centered": True}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.95, "eps": 1e-6, "weight_decay": 0.1, "centered": True}),
    ("Adadelta", {}),
    ("Adadelta", {"lr": 0.5, "rho": 0.95, "eps": 1e-5}),
    ("Adadelta", {"lr": 2.0, "rho": 0.5, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.01}),
    ("Adam", {"lr": 0.01, "amsgrad": True}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.1}),
    ("Adam", {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.1, "amsgrad": True}),
    ("Adam", {"lr": 0.01, "betas": (0.0, 0.5)}),
    ("Adam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("AdamW", {"lr": 0.01}),
    ("AdamW", {"lr": 0.01, "weight_decay": 0.1, "amsgrad": True}),
    ("AdamW", {"lr": 0.003, "betas": (0.5, 0.9), "eps": 1e-4, "weight_decay": 0.5}),
]
NAMES = ["SGD", "Adagrad", "RMSprop", "Adadelta", "Adam", "AdamW"]


def config_id(config) -> str:
    name, hyper = config
    return name + "(" + ", ".join(f"{k}={v}" for k, v in hyper.items()) + ")"


def initial_params(seed: int, dtype=np.float64) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.normal(size=shape).astype(dtype) for shape in SHAPES]


def gradients(seed: int, steps: int = STEPS, dtype=np.float64) -> list[list[np.ndarray]]:
    """A fixed sequence of gradients: sizes from 1e-3 to 1e2, one coordinate always 0, and
    now and then a whole array of zeros."""
    rng = np.random.default_rng(seed)
    sequence = []
    for _ in range(steps):
        grads = [
            rng.normal(0.0, size, shape) for shape, size in zip(SHAPES, GRAD_SIZES, strict=True)
        ]
        grads[0][0, 0] = 0.0
        if rng.random() < 0.1:
            grads[1][...] = 0.0
        sequence.append([g.astype(dtype) for g in grads])
    return sequence


def both(name: str, hyper: dict, params: list[np.ndarray], groups: list[dict] | None = None):
    """A companion optimizer on copies of ``params`` and torch.optim's on tensor copies.

    ``groups``: hyperparameters of two parameter groups (the first two arrays, the rest)."""
    ours = [p.copy() for p in params]
    theirs = [tensor(p, requires_grad=True) for p in params]
    if groups is None:
        return (
            ours,
            getattr(co, name)(ours, **hyper),
            theirs,
            getattr(torch.optim, name)(theirs, **hyper),
        )
    split = [{"params": ours[:2], **groups[0]}, {"params": ours[2:], **groups[1]}]
    split_t = [{"params": theirs[:2], **groups[0]}, {"params": theirs[2:], **groups[1]}]
    return (
        ours,
        getattr(co, name)(split, **hyper),
        theirs,
        getattr(torch.optim, name)(split_t, **hyper),
    )


def torch_step(opt: torch.optim.Optimizer, params: list[torch.Tensor], grads) -> None:
    for p, g in zip(params, grads, strict=True):
        p.grad = torch.from_numpy(g.copy())
    opt.step()


def assert_same_params(ours, theirs, tol, kind):
    """The parameters, relative to their size or, if the run took them near 0, to the size
    they started at (normal draws: about 1), the size of the terms their sum cancelled."""
    for p, p_t in zip(ours, theirs, strict=True):
        assert p.dtype == to_numpy(p_t).dtype
        assert_close(p, p_t, tol, kind, scale=1.0)


def assert_same_state(opt: co.Optimizer, opt_t: torch.optim.Optimizer, tol: float, kind: str):
    """Every buffer, by PyTorch's names, and every hyperparameter of every group."""
    state, state_t = opt.state_dict(), opt_t.state_dict()
    for i in range(len(SHAPES)):
        buffers, buffers_t = state["state"].get(i, {}), state_t["state"].get(i, {})
        assert sorted(buffers) == sorted(buffers_t), f"parameter {i}"
        for key, value in buffers_t.items():
            assert_close(buffers[key], value, tol, kind)
    assert len(state["param_groups"]) == len(state_t["param_groups"])
    for group, group_t in zip(state["param_groups"], state_t["param_groups"], strict=True):
        assert_same_hyperparameters(group, group_t)


def assert_same_hyperparameters(group: dict, group_t: dict) -> None:
    """The same names and values; PyTorch's extra keys are only its implementation switches
    (foreach, fused, capturable, differentiable, maximize), at their defaults."""
    group = {k: v for k, v in group.items() if k != "params"}
    extra = set(group_t) - set(group) - {"params"}
    assert extra <= set(co.base._TORCH_ONLY) and not set(group) - set(group_t), extra
    for key in extra:  # off: None or False (PyTorch itself fills in either)
        assert not group_t[key], key
    for key, value in group.items():
        expected = group_t[key]
        assert (list(value) if key == "betas" else value) == (
            list(expected) if key == "betas" else expected
        ), key


@pytest.mark.parametrize("config", CONFIGS, ids=config_id)
def test_200_steps_match_torch_optim_parameters_and_state(config):
    name, hyper = config
    ours, opt, theirs, opt_t = both(name, hyper, initial_params(0))
    for grads in gradients(1):
        opt.step(grads)
        torch_step(opt_t, theirs, grads)
        assert_same_params(ours, theirs, F64, "optim: parameters (float64)")
    assert_same_state(opt, opt_t, F64, "optim: state (float64)")


@pytest.mark.parametrize("config", CONFIGS, ids=config_id)
def test_the_readable_rules_match_torch_optim_over_200_steps(config):
    """companion.optim.rules, the pure functions the chapters show, against torch.optim."""
    name, hyper = config
    rule = getattr(co, name).rule
    ours, _, theirs, opt_t = both(name, hyper, initial_params(0))
    states = [{} for _ in ours]
    for grads in gradients(1):
        for i, g in enumerate(grads):
            ours[i], states[i] = rule(ours[i], g, states[i], **hyper)
        torch_step(opt_t, theirs, grads)
    assert_same_params(ours, theirs, F64, "optim: the rules' parameters (float64)")
    for i, p_t in enumerate(theirs):
        for key, value in opt_t.state[p_t].items():
            assert_close(states[i][key], value, F64, "optim: the rules' state (float64)")


GROUPS = [  # (optimizer, hyperparameters of both groups, each group's own)
    ("SGD", {"lr": 0.01}, [{"momentum": 0.9, "nesterov": True}, {"weight_decay": 0.1}]),
    ("Adagrad", {"initial_accumulator_value": 0.5}, [{"lr_decay": 0.05}, {"lr": 0.1}]),
    ("RMSprop", {"lr": 0.01}, [{"centered": True}, {"momentum": 0.5, "lr": 0.001}]),
    ("Adadelta", {}, [{"rho": 0.5}, {"weight_decay": 0.2}]),
    ("Adam", {"lr": 0.01}, [{"amsgrad": True}, {"betas": (0.5, 0.9), "weight_decay": 0.1}]),
    ("AdamW", {"lr": 0.01}, [{"weight_decay": 0.0}, {"lr": 0.1, "amsgrad": True}]),
]


@pytest.mark.parametrize(("name", "hyper", "groups"), GROUPS, ids=[g[0] for g in GROUPS])
def test_parameter_groups_with_their_own_hyperparameters_match(name, hyper, groups):
    ours, opt, theirs, opt_t = both(name, hyper, initial_params(2), groups)
    for grads in gradients(3):
        opt.step(grads)
        torch_step(opt_t, theirs, grads)
    assert_same_params(ours, theirs, F64, "optim: parameters (float64)")
    assert_same_state(opt, opt_t, F64, "optim: state (float64)")


@pytest.mark.parametrize("config", CONFIGS[2::4], ids=config_id)
def test_float32_runs_stay_float32_and_match(config):
    name, hyper = config
    ours, opt, theirs, opt_t = both(name, hyper, initial_params(4, np.float32))
    for grads in gradients(5, dtype=np.float32):
        opt.step(grads)
        torch_step(opt_t, theirs, grads)
    assert_same_params(ours, theirs, F32, "optim: parameters (float32)")
    for buffers in opt.state.values():
        assert all(b.dtype == np.float32 for b in buffers.values() if hasattr(b, "dtype"))


@pytest.mark.parametrize("name", NAMES)
def test_the_defaults_are_torchs(name):
    ours = getattr(co, name)([np.zeros(2)])
    theirs = getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)])
    assert_same_hyperparameters(ours.param_groups[0], theirs.param_groups[0])


def converted(state_dict: dict, convert) -> dict:
    """A state dict with every buffer converted (a step count stays a number: PyTorch turns
    an int into a tensor itself, companion a tensor into an int)."""
    return {
        "state": {
            i: {k: v if k == "step" else convert(v) for k, v in buffers.items()}
            for i, buffers in state_dict["state"].items()
        },
        "param_groups": state_dict["param_groups"],
    }


@pytest.mark.parametrize("config", CONFIGS[1::3], ids=config_id)
def test_checkpoints_move_both_ways_mid_run(config):
    """Run 100 steps in each library, swap checkpoints, and continue: still the same run."""
    name, hyper = config
    grads = gradients(6)
    ours, opt, theirs, opt_t = both(name, hyper, initial_params(7))
    for g in grads[:100]:
        opt.step(g)
        torch_step(opt_t, theirs, g)

    # companion -> torch: a fresh torch optimizer on companion's parameters, and vice versa
    moved_t = [tensor(p, requires_grad=True) for p in ours]
    resumed_t = getattr(torch.optim, name)(moved_t)
    resumed_t.load_state_dict(converted(opt.state_dict(), torch.from_numpy))
    moved = [to_numpy(p).copy() for p in theirs]
    resumed = getattr(co, name)(moved)
    resumed.load_state_dict(converted(opt_t.state_dict(), to_numpy))

    for g in grads[100:]:
        opt.step(g)
        torch_step(opt_t, theirs, g)
        resumed.step(g)
        torch_step(resumed_t, moved_t, g)
    for a, b in [(ours, moved_t), (moved, theirs), (moved, moved_t)]:
        assert_same_params(a, b, F64, "optim: resumed from a checkpoint")
    assert_same_state(resumed, resumed_t, F64, "optim: resumed from a checkpoint")


# --- the deliberate differences, each stated in companion's docstrings ---------------------

REFUSED = [  # (optimizer, hyperparameters PyTorch accepts, where companion's docstring says so)
    ("Adam", {"eps": 0.0}, "PyTorch allows ``eps = 0``"),
    ("AdamW", {"eps": 0.0}, "PyTorch allows ``eps = 0``"),
    ("Adagrad", {"eps": 0.0}, "PyTorch allows ``eps = 0``"),
    ("Adadelta", {"eps": 0.0}, "PyTorch allows ``eps = 0``"),
    ("RMSprop", {"eps": 0.0}, "PyTorch allows ``eps = 0``"),
    ("RMSprop", {"alpha": 1.0}, "``alpha >= 1``"),
    ("RMSprop", {"momentum": 1.0}, "``momentum >= 1``"),
    ("SGD", {"momentum": 1.0}, "PyTorch accepts a momentum of 1 or more"),
    ("SGD", {"momentum": 1.5}, "PyTorch accepts a momentum of 1 or more"),
]


@pytest.mark.parametrize(
    ("name", "hyper", "documented"), REFUSED, ids=[config_id(case[:2]) for case in REFUSED]
)
def test_pinned_difference_hyperparameters_torch_accepts_are_refused(name, hyper, documented):
    getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)], **hyper)  # accepted
    with pytest.raises(ValueError, match="|".join(hyper)):
        getattr(co, name)([np.zeros(2)], **hyper)
    doc = " ".join(getattr(co, name).__doc__.split())
    assert documented in doc, f"{name}'s docstring should say: {documented}"


@pytest.mark.parametrize("name", NAMES)
def test_pinned_difference_a_non_finite_gradient_is_refused_not_stepped(name):
    """Optimizer.step: a nan or inf gradient raises and changes nothing; PyTorch takes the
    step, and the nan reaches the parameters (and, for most optimizers, the state for good)."""
    grad = np.array([1.0, math.nan])
    ours, opt, theirs, opt_t = both(name, {}, [np.ones(2)])
    before = opt.state_dict()
    with pytest.raises(ValueError, match="nan or inf"):
        opt.step([grad])
    np.testing.assert_array_equal(ours[0], [1.0, 1.0])
    assert str(opt.state_dict()) == str(before)
    torch_step(opt_t, theirs, [grad])
    assert torch.isnan(theirs[0]).any()
    assert "PyTorch takes a step with a nan or inf gradient" in co.Optimizer.step.__doc__


def test_pinned_difference_adagrad_starts_each_groups_sum_at_its_own_initial_value():
    """Adagrad's docstring: a group's own initial_accumulator_value starts its sum; PyTorch
    2.13 uses the constructor's value for every group."""
    groups = [{"initial_accumulator_value": 2.0}, {}]
    ours, opt, theirs, opt_t = both(
        "Adagrad", {"initial_accumulator_value": 0.5}, initial_params(0), groups
    )
    sums = [opt.state[i]["sum"] for i in range(len(SHAPES))]
    sums_t = [opt_t.state[p]["sum"] for p in theirs]
    assert [float(s.flat[0]) for s in sums] == [2.0, 2.0, 0.5, 0.5]
    assert [float(s.flatten()[0]) for s in sums_t] == [0.5, 0.5, 0.5, 0.5]
    assert opt_t.param_groups[0]["initial_accumulator_value"] == 2.0  # though the group says
    assert "PyTorch (2.13) starts every group's" in " ".join(co.Adagrad.__doc__.split())


def test_pinned_difference_state_dict_is_a_snapshot_not_live_buffers():
    """Optimizer.state_dict: every array is a copy; PyTorch's refers to the live buffers."""
    grads = gradients(8, steps=2)
    ours, opt, theirs, opt_t = both("Adam", {"lr": 0.1}, initial_params(9))
    opt.step(grads[0])
    torch_step(opt_t, theirs, grads[0])
    snapshot, snapshot_t = opt.state_dict(), opt_t.state_dict()
    saved = snapshot["state"][0]["exp_avg"].copy()
    saved_t = snapshot_t["state"][0]["exp_avg"].clone()
    opt.step(grads[1])
    torch_step(opt_t, theirs, grads[1])
    np.testing.assert_array_equal(snapshot["state"][0]["exp_avg"], saved)  # unchanged
    assert not torch.equal(snapshot_t["state"][0]["exp_avg"], saved_t)  # moved on
    assert "Unlike PyTorch, whose state dict refers to the live" in co.Optimizer.state_dict.__doc__


@pytest.mark.parametrize("name", ["Adagrad", "RMSprop", "Adadelta", "Adam", "AdamW"])
def test_pinned_difference_step_is_an_int_where_torch_keeps_a_float_tensor(name):
    ours, opt, theirs, opt_t = both(name, {}, [np.ones(2)])
    for _ in range(3):
        opt.step([np.ones(2)])
        torch_step(opt_t, theirs, [np.ones(2)])
    step, step_t = opt.state[0]["step"], opt_t.state[theirs[0]]["step"]
    assert type(step) is int and step == 3
    assert isinstance(step_t, torch.Tensor) and step_t.dtype == torch.float32
    assert "PyTorch keeps it as a float tensor; here it is an int" in " ".join(
        co.Adam.__doc__.split()
    )
    assert step_t.item() == 3.0


@pytest.mark.parametrize("name", NAMES)
def test_pinned_difference_no_zero_grad_and_no_implementation_switches(name):
    """Optimizer: gradients are step's argument, so there is nothing to zero; foreach, fused,
    capturable, differentiable and maximize are PyTorch's alone (a PyTorch state dict with
    them at their defaults still loads)."""
    assert hasattr(getattr(torch.optim, name), "zero_grad")
    assert not hasattr(getattr(co, name), "zero_grad")
    assert "there is no ``zero_grad``" in " ".join(co.Optimizer.__doc__.split())
    with pytest.raises(TypeError):
        getattr(co, name)([np.zeros(2)], maximize=True)
