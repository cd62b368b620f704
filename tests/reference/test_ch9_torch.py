"""Chapter 9 against PyTorch: normalization layers, gradient clipping and the newer optimizers.

The normalization layers get the same weight, bias and input as ``torch.nn.BatchNorm1d`` /
``torch.nn.LayerNorm``; output, dJ/dx, dJ/dweight, dJ/dbias and (BatchNorm) the running
statistics must agree — to 1e-10 in float64, 1e-5 in float32 — over several training batches
and then in eval mode. Clipping is compared with ``torch.nn.utils.clip_grad_norm_`` and
``clip_grad_value_`` for the 2-, 1- and inf-norms, with gradients that are clipped and some
that are not.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from _torch_reference import F32, F64, TOLERANCE, WORST, assert_close, assert_same_dtype, tensor
from hypothesis import given, settings
from hypothesis import strategies as st

import companion.optim as co
from companion.clipping import clip_grad_norm, clip_grad_value
from companion.normalization import BatchNorm1d, LayerNorm

SEEDS = st.integers(0, 2**32 - 1)
DTYPES = [np.float64, np.float32]


def twin_of(layer, dtype):
    if isinstance(layer, BatchNorm1d):
        twin = torch.nn.BatchNorm1d(
            layer.num_features, eps=layer.eps, momentum=layer.momentum, dtype=dtype
        )
    else:
        twin = torch.nn.LayerNorm(layer.normalized_shape, eps=layer.eps, dtype=dtype)
    with torch.no_grad():
        twin.weight.copy_(torch.from_numpy(layer.weight.copy()))
        twin.bias.copy_(torch.from_numpy(layer.bias.copy()))
    return twin


def compare_step(layer, twin, x, upstream, kind):
    tol = TOLERANCE[x.dtype]
    out = layer.forward(x)
    grad_x = layer.backward(upstream)
    x_t = tensor(x, requires_grad=True)
    for p in twin.parameters():
        p.grad = None
    out_t = twin(x_t)
    out_t.backward(tensor(upstream))
    assert_same_dtype(out, out_t)
    assert_same_dtype(grad_x, x_t.grad)
    # Each result relative to the size of the terms it is made of: x - mean cancels when the
    # spread is tiny next to |x| (one feature, a large mean), and the rounding of the mean is
    # then divided by sqrt(var + eps) in either library.
    inv_std = float(layer._cache[1].max())
    x_hat = max(1.0, float(np.abs(x).max()) * inv_std)  # |x - mean| / std, rounding included
    w, up = float(np.abs(layer.weight).max()), float(np.abs(upstream).max())
    assert_close(out, out_t, tol, kind, scale=x_hat * w + float(np.abs(layer.bias).max()))
    assert_close(grad_x, x_t.grad, tol, kind, scale=inv_std * up * w * x_hat**2)
    total = float(np.abs(upstream).sum())
    assert_close(layer.grads[0], twin.weight.grad, tol, kind, scale=total * x_hat)
    assert_close(layer.grads[1], twin.bias.grad, tol, kind, scale=total)


@pytest.mark.parametrize("dtype", DTYPES)
@settings(max_examples=20, deadline=None)
@given(
    batch=st.integers(2, 32),
    features=st.integers(1, 12),
    momentum=st.sampled_from([0.1, 0.5, 1.0, 0.0]),
    scale=st.sampled_from([1e-2, 1.0, 30.0]),
    seed=SEEDS,
)
def test_batchnorm1d_matches_torch_in_training_and_eval(
    batch, features, momentum, scale, dtype, seed
):
    rng = np.random.default_rng(seed)
    layer = BatchNorm1d(features, momentum=momentum, dtype=dtype)
    layer.weight[...] = rng.normal(size=features)
    layer.bias[...] = rng.normal(size=features)
    twin = twin_of(layer, torch.float64 if dtype == np.float64 else torch.float32)
    kind = f"BatchNorm1d ({np.dtype(dtype)})"
    tol = TOLERANCE[np.dtype(dtype)]
    for _ in range(3):  # three training batches: the running statistics move
        x = (rng.normal(rng.normal(size=features), scale, size=(batch, features))).astype(dtype)
        compare_step(layer, twin, x, rng.normal(size=x.shape).astype(dtype), kind)
        assert_close(
            layer.running_mean, twin.running_mean, tol, kind + " running stats", scale=scale
        )
        assert_close(layer.running_var, twin.running_var, tol, kind + " running stats")
        assert layer.num_batches_tracked == int(twin.num_batches_tracked)
    layer.eval()
    twin.eval()
    x = rng.normal(size=(batch, features)).astype(dtype)
    compare_step(layer, twin, x, rng.normal(size=x.shape).astype(dtype), kind + " eval")
    layer.train()
    assert layer.training


@pytest.mark.parametrize("dtype", DTYPES)
@settings(max_examples=20, deadline=None)
@given(
    lead=st.lists(st.integers(1, 6), min_size=1, max_size=2),
    shape=st.lists(st.integers(1, 8), min_size=1, max_size=2),
    scale=st.sampled_from([1e-2, 1.0, 30.0]),
    seed=SEEDS,
)
def test_layernorm_matches_torch(lead, shape, scale, dtype, seed):
    rng = np.random.default_rng(seed)
    layer = LayerNorm(tuple(shape), dtype=dtype)
    layer.weight[...] = rng.normal(size=shape)
    layer.bias[...] = rng.normal(size=shape)
    twin = twin_of(layer, torch.float64 if dtype == np.float64 else torch.float32)
    x = rng.normal(0.0, scale, size=(*lead, *shape)).astype(dtype)
    compare_step(
        layer, twin, x, rng.normal(size=x.shape).astype(dtype), f"LayerNorm ({np.dtype(dtype)})"
    )


def test_batchnorm_refuses_one_example_in_training_as_torch_does():
    with pytest.raises(ValueError, match="more than 1"):
        torch.nn.BatchNorm1d(3)(torch.zeros(1, 3))
    with pytest.raises(ValueError, match="more than 1 example"):
        BatchNorm1d(3).forward(np.zeros((1, 3)))
    assert BatchNorm1d(3).eval().forward(np.zeros((1, 3))).shape == (1, 3)


def test_the_layer_defaults_are_torchs():
    bn, bn_t = BatchNorm1d(4), torch.nn.BatchNorm1d(4)
    assert (bn.eps, bn.momentum, bn.training) == (bn_t.eps, bn_t.momentum, bn_t.training)
    ln, ln_t = LayerNorm(4), torch.nn.LayerNorm(4)
    assert (ln.eps, ln.normalized_shape, ln.training) == (ln_t.eps, ln_t.normalized_shape, True)
    for ours, theirs in ((bn, bn_t), (ln, ln_t)):
        np.testing.assert_array_equal(ours.weight, theirs.weight.detach().numpy())
        np.testing.assert_array_equal(ours.bias, theirs.bias.detach().numpy())


# --- clipping -----------------------------------------------------------------------------

NORMS = [2.0, 1.0, math.inf, 3.0]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("norm_type", NORMS)
@settings(max_examples=25, deadline=None)
@given(
    shapes=st.lists(st.lists(st.integers(1, 5), min_size=1, max_size=2), min_size=1, max_size=4),
    size=st.sampled_from([1e-3, 1.0, 1e3]),
    max_norm=st.sampled_from([0.01, 1.0, 100.0]),
    seed=SEEDS,
)
def test_clip_grad_norm_matches_torch(shapes, size, max_norm, norm_type, dtype, seed):
    rng = np.random.default_rng(seed)
    grads = [rng.normal(0.0, size, s).astype(dtype) for s in shapes]
    params = [
        torch.zeros(
            s, dtype=torch.float64 if dtype == np.float64 else torch.float32, requires_grad=True
        )
        for s in shapes
    ]
    for p, g in zip(params, grads, strict=True):
        p.grad = torch.from_numpy(g.copy())
    expected = torch.nn.utils.clip_grad_norm_(params, max_norm, norm_type=norm_type)
    norm = clip_grad_norm(grads, max_norm, norm_type=norm_type)
    tol = TOLERANCE[np.dtype(dtype)]
    kind = f"clip_grad_norm ({np.dtype(dtype)})"
    assert_close(norm, expected, tol, kind)
    for g, p in zip(grads, params, strict=True):
        assert g.dtype == dtype
        assert_close(g, p.grad, tol, kind, scale=max(q.grad.abs().max().item() for q in params))


@pytest.mark.parametrize("dtype", DTYPES)
def test_clip_grad_value_matches_torch(dtype):
    rng = np.random.default_rng(0)
    grads = [rng.normal(0.0, 3.0, s).astype(dtype) for s in [(4, 3), (7,)]]
    params = [
        torch.zeros(g.shape, dtype=torch.from_numpy(g).dtype, requires_grad=True) for g in grads
    ]
    for p, g in zip(params, grads, strict=True):
        p.grad = torch.from_numpy(g.copy())
    torch.nn.utils.clip_grad_value_(params, 1.5)
    clip_grad_value(grads, 1.5)
    for g, p in zip(grads, params, strict=True):
        np.testing.assert_array_equal(g, p.grad.numpy())
    assert max(float(np.abs(g).max()) for g in grads) == 1.5


# --- the optimizers -----------------------------------------------------------------------
# Each companion optimizer runs next to torch.optim's of the same name, with the same
# hyperparameters, on the same 200 gradients (sizes 1e-3 to 1e2, exact zeros; the helpers of
# test_optim_torch.py); the parameters must agree after every step, and every buffer after the
# last. Muon (matrices only) gets matrices; Lion, not in torch.optim, is checked against the
# formula of Chen et al. (2023), Algorithm 2, written out below.

STEPS = 200
MATRICES = [(3, 4), (6, 2), (5, 5), (1, 3)]

OPTIMIZER_CONFIGS = [
    ("NAdam", {}),
    ("NAdam", {"lr": 0.01, "weight_decay": 0.1}),
    ("NAdam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("NAdam", {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-6, "momentum_decay": 0.05}),
    ("RAdam", {}),
    ("RAdam", {"lr": 0.01, "weight_decay": 0.1}),
    ("RAdam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("RAdam", {"lr": 0.01, "betas": (0.5, 0.9), "eps": 1e-6}),  # rho_t > 5 from step 2
    ("Adamax", {}),
    ("Adamax", {"lr": 0.01, "weight_decay": 0.1}),
    ("Adamax", {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-6}),
    ("Adafactor", {}),
    ("Adafactor", {"lr": 0.05, "weight_decay": 0.1}),
    ("Adafactor", {"lr": 0.01, "beta2_decay": -0.5, "eps": (1e-20, 1e-2), "d": 2.0}),
    ("Muon", {}),
    ("Muon", {"lr": 0.02, "weight_decay": 0.0, "nesterov": False}),
    ("Muon", {"lr": 0.01, "momentum": 0.9, "ns_steps": 3, "adjust_lr_fn": "match_rms_adamw"}),
    ("Muon", {"lr": 0.01, "ns_coefficients": (2.0, -1.5, 0.5), "eps": 1e-5}),
]
OPTIMIZERS = ["NAdam", "RAdam", "Adamax", "Adafactor", "Muon"]


def shapes_for(name):
    return MATRICES if name == "Muon" else SHAPES


def zeropower_without_the_cast(grad, ns_coefficients, ns_steps, eps):
    """torch.optim._muon._zeropower_via_newtonschulz, step for step, without its
    ``grad.bfloat16()``: the iteration in the gradient's own dtype."""
    a, b, c = ns_coefficients
    ortho_grad = grad.clone()
    if grad.size(0) > grad.size(1):
        ortho_grad = ortho_grad.T
    ortho_grad.div_(ortho_grad.norm().clamp(min=eps))
    for _ in range(ns_steps):
        gram_matrix = ortho_grad @ ortho_grad.T
        gram_update = torch.addmm(gram_matrix, gram_matrix, gram_matrix, beta=b, alpha=c)
        ortho_grad = torch.addmm(ortho_grad, gram_update, ortho_grad, beta=a)
    if grad.size(0) > grad.size(1):
        ortho_grad = ortho_grad.T
    return ortho_grad


@pytest.fixture
def muon_without_bfloat16(monkeypatch):
    import torch.optim._muon as torch_muon

    monkeypatch.setattr(torch_muon, "_zeropower_via_newtonschulz", zeropower_without_the_cast)


def optimizer_params(name, seed, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=shape).astype(dtype) for shape in shapes_for(name)]


def optimizer_gradients(name, seed, steps=STEPS, dtype=np.float64):
    rng = np.random.default_rng(seed)
    sequence = []
    for _ in range(steps):
        grads = [
            rng.normal(0.0, s, shape) for shape, s in zip(shapes_for(name), SIZES, strict=True)
        ]
        grads[0][0, 0] = 0.0
        if rng.random() < 0.1:
            grads[1][...] = 0.0
        sequence.append([g.astype(dtype) for g in grads])
    return sequence


SHAPES = [(3, 4), (5,), (2, 3, 2), (1,)]
SIZES = [1.0, 1e-3, 1e2, 1.0]


def both_optimizers(name, hyper, params):
    ours = [p.copy() for p in params]
    theirs = [tensor(p, requires_grad=True) for p in params]
    return (
        ours,
        getattr(co, name)(ours, **hyper),
        theirs,
        getattr(torch.optim, name)(theirs, **hyper),
    )


def torch_step(opt, params, grads):
    for p, g in zip(params, grads, strict=True):
        p.grad = torch.from_numpy(g.copy())
    opt.step()


def optimizer_id(config):
    name, hyper = config
    return name + "(" + ", ".join(f"{k}={v}" for k, v in hyper.items()) + ")"


def assert_same_state(opt, opt_t, tol, kind):
    state, state_t = opt.state_dict(), opt_t.state_dict()
    for i, buffers_t in state_t["state"].items():
        buffers = state["state"][i]
        assert sorted(buffers) == sorted(buffers_t), f"parameter {i}"
        for key, value in buffers_t.items():
            assert_close(buffers[key], value, tol, kind)
    for group, group_t in zip(state["param_groups"], state_t["param_groups"], strict=True):
        for key, value in group.items():
            if key != "params":
                expected = group_t[key]
                same = (
                    tuple(value) == tuple(expected)
                    if isinstance(value, tuple)
                    else value == expected
                )
                assert same, (key, value, expected)


@pytest.fixture
def float64_scalars():
    """PyTorch's NAdam keeps its running product of momentum coefficients, ``mu_product``, as a
    tensor of the *default* dtype (float32 unless changed); companion keeps a Python float.
    Compared in float64 here; the float32 product's effect is measured below."""
    saved = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(saved)


@pytest.mark.usefixtures("muon_without_bfloat16", "float64_scalars")
@pytest.mark.parametrize("config", OPTIMIZER_CONFIGS, ids=optimizer_id)
def test_200_steps_match_torch_optim(config):
    name, hyper = config
    ours, opt, theirs, opt_t = both_optimizers(name, hyper, optimizer_params(name, 0))
    kind = f"{name}: parameters (float64)"
    for grads in optimizer_gradients(name, 1):
        opt.step(grads)
        torch_step(opt_t, theirs, grads)
        for p, p_t in zip(ours, theirs, strict=True):
            assert_close(p, p_t, F64, kind, scale=1.0)
    assert_same_state(opt, opt_t, F64, f"{name}: state (float64)")


MAXIMIZE = [  # every new optimizer whose torch namesake takes maximize, with weight decay
    ("NAdam", {"lr": 0.01, "weight_decay": 0.1}),
    ("NAdam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("RAdam", {"lr": 0.01, "weight_decay": 0.1}),
    ("RAdam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("Adamax", {"lr": 0.01, "weight_decay": 0.1}),
    ("Adafactor", {"lr": 0.05, "weight_decay": 0.1}),
]


@pytest.mark.usefixtures("float64_scalars")
@pytest.mark.parametrize("config", MAXIMIZE, ids=optimizer_id)
def test_maximize_matches_torch_optim(config):
    name, hyper = config
    hyper = {**hyper, "maximize": True}
    ours, opt, theirs, opt_t = both_optimizers(name, hyper, optimizer_params(name, 8))
    for grads in optimizer_gradients(name, 9):
        opt.step(grads)
        torch_step(opt_t, theirs, grads)
        for p, p_t in zip(ours, theirs, strict=True):
            assert_close(p, p_t, F64, f"{name}: maximize, parameters (float64)", scale=1.0)
    assert_same_state(opt, opt_t, F64, f"{name}: maximize, state (float64)")
    assert opt.param_groups[0]["maximize"] is opt_t.param_groups[0]["maximize"] is True


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_maximize_is_taken_exactly_where_torch_takes_it(name):
    shape = (2, 2)
    try:
        getattr(torch.optim, name)([torch.zeros(shape, requires_grad=True)], maximize=True)
        torch_takes_it = True
    except TypeError:
        torch_takes_it = False
    try:
        getattr(co, name)([np.zeros(shape)], maximize=True)
        takes_it = True
    except TypeError:
        takes_it = False
    assert takes_it == torch_takes_it == getattr(co, name).takes_maximize


@pytest.mark.usefixtures("muon_without_bfloat16")
@pytest.mark.parametrize("config", OPTIMIZER_CONFIGS[1::2], ids=optimizer_id)
def test_float32_runs_stay_float32_and_match(config):
    name, hyper = config
    ours, opt, theirs, opt_t = both_optimizers(name, hyper, optimizer_params(name, 4, np.float32))
    for grads in optimizer_gradients(name, 5, dtype=np.float32):
        opt.step(grads)
        torch_step(opt_t, theirs, grads)
    for p, p_t in zip(ours, theirs, strict=True):
        assert p.dtype == np.float32
        assert_close(p, p_t, F32, f"{name}: parameters (float32)", scale=1.0)


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_the_optimizer_defaults_are_torchs(name):
    shape = (2, 2)
    ours = getattr(co, name)([np.zeros(shape)]).param_groups[0]
    theirs = getattr(torch.optim, name)([torch.zeros(shape, requires_grad=True)]).param_groups[0]
    for key, value in ours.items():
        if key != "params":
            assert value == (tuple(theirs[key]) if isinstance(value, tuple) else theirs[key]), key
    extra = set(theirs) - set(ours)
    assert extra <= {"foreach", "capturable", "differentiable", "fused"}, extra


@pytest.mark.usefixtures("muon_without_bfloat16", "float64_scalars")
@pytest.mark.parametrize("config", OPTIMIZER_CONFIGS[::3], ids=optimizer_id)
def test_checkpoints_move_both_ways_mid_run(config):
    name, hyper = config
    grads = optimizer_gradients(name, 6)
    ours, opt, theirs, opt_t = both_optimizers(name, hyper, optimizer_params(name, 7))
    for g in grads[:100]:
        opt.step(g)
        torch_step(opt_t, theirs, g)
    moved_t = [tensor(p, requires_grad=True) for p in ours]
    resumed_t = getattr(torch.optim, name)(moved_t)
    sd = opt.state_dict()
    resumed_t.load_state_dict(
        {
            "state": {
                i: {
                    k: torch.tensor(v) if not isinstance(v, np.ndarray) else torch.from_numpy(v)
                    for k, v in b.items()
                }
                for i, b in sd["state"].items()
            },
            # PyTorch's Adafactor needs foreach in a loaded group (its switch, at its default);
            # maximize comes with ours, as with every optimizer whose torch namesake has it
            "param_groups": [{"foreach": None, **g} for g in sd["param_groups"]],
        }
    )
    moved = [p.detach().numpy().copy() for p in theirs]
    resumed = getattr(co, name)(moved)
    sd_t = opt_t.state_dict()
    resumed.load_state_dict(
        {
            "state": {i: {k: v.numpy() for k, v in b.items()} for i, b in sd_t["state"].items()},
            "param_groups": sd_t["param_groups"],
        }
    )
    for g in grads[100:]:
        opt.step(g)
        torch_step(opt_t, theirs, g)
        resumed.step(g)
        torch_step(resumed_t, moved_t, g)
    for a, b in [(ours, moved_t), (moved, theirs), (moved, moved_t)]:
        for p, p_t in zip(a, b, strict=True):
            assert_close(p, p_t, F64, f"{name}: resumed from a checkpoint", scale=1.0)


def test_muon_refuses_what_is_not_a_matrix_as_torch_does():
    with pytest.raises(ValueError, match="2D"):
        torch.optim.Muon([torch.zeros(3, requires_grad=True)])
    with pytest.raises(ValueError, match=r"matrices \(2-D\) only"):
        co.Muon([np.zeros(3)])


def test_muon_with_torchs_bfloat16_cast_differs_by_what_bfloat16_rounds():
    """The measured cost of the cast: torch's own Muon (bfloat16 Newton–Schulz) against the
    same steps in float64. The update's size is lr ~ 0.02 per step, and bfloat16 keeps 8 bits:
    a relative error near 2^-8 per update, which the test pins from both sides."""
    hyper = {"lr": 0.02}
    ours, opt, theirs, opt_t = both_optimizers("Muon", hyper, optimizer_params("Muon", 0))
    updates, updates_t = [], []
    for grads in optimizer_gradients("Muon", 1, steps=20):
        before = [p.copy() for p in ours]
        opt.step(grads)
        torch_step(opt_t, theirs, grads)
        updates.append(ours[2] - before[2])
        updates_t.append(theirs[2].detach().numpy() - before[2])
        for p, p_t in zip(ours, theirs, strict=True):  # start each step from the same point
            with torch.no_grad():
                p_t.copy_(torch.from_numpy(p))
    err = max(
        float(np.abs(u - u_t).max() / np.abs(u_t).max())
        for u, u_t in zip(updates, updates_t, strict=True)
    )
    WORST["Muon update: torch's bfloat16 cast vs float64 (measured)"] = (err, 0.05)
    assert 1e-4 < err < 0.05


# Lion: Chen et al. (2023), Algorithm 2, line by line
def lion_as_in_the_paper(theta, g, m, lr, beta1, beta2, lam):
    update = beta1 * m + (1 - beta1) * g  # update = interp(g_t, m_{t-1}, beta1)
    update = np.sign(update)  # update = sign(update)
    m = beta2 * m + (1 - beta2) * g  # m_t = interp(g_t, m_{t-1}, beta2)
    update = update + theta * lam  # update = update + theta_{t-1} * lambda
    theta = theta - update * lr  # theta_t = theta_{t-1} - update * eta_t
    return theta, m


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("hyper", [{}, {"lr": 0.01, "betas": (0.95, 0.98), "weight_decay": 0.1}])
def test_lion_is_algorithm_2_of_chen_et_al(hyper, dtype):
    params = optimizer_params("Lion", 2, dtype)
    ours = [p.copy() for p in params]
    opt = co.Lion(ours, **hyper)
    lr, (beta1, beta2), lam = (
        hyper.get("lr", 1e-4),
        hyper.get("betas", (0.9, 0.99)),
        hyper.get("weight_decay", 0.0),
    )
    ms = [np.zeros_like(p) for p in params]
    for grads in optimizer_gradients("Lion", 3, dtype=dtype):
        opt.step(grads)
        for i, g in enumerate(grads):
            params[i], ms[i] = lion_as_in_the_paper(params[i], g, ms[i], lr, beta1, beta2, lam)
    for p, q, m, i in zip(ours, params, ms, range(len(ms)), strict=True):
        assert p.dtype == dtype
        assert_close(
            p, q, TOLERANCE[np.dtype(dtype)], f"Lion vs Algorithm 2 ({np.dtype(dtype)})", scale=1.0
        )
        assert_close(
            opt.state[i]["exp_avg"],
            m,
            TOLERANCE[np.dtype(dtype)],
            f"Lion vs Algorithm 2 ({np.dtype(dtype)})",
        )


def test_pinned_difference_nadams_mu_product_in_torchs_default_float32():
    """With PyTorch's default dtype (float32), torch's mu_product is rounded to float32 at
    every step; over 200 steps the parameters then differ from companion's float64 run by
    more than 1e-10 but far less than 1e-8."""
    ours, opt, theirs, opt_t = both_optimizers("NAdam", {"lr": 0.01}, optimizer_params("NAdam", 0))
    for grads in optimizer_gradients("NAdam", 1):
        opt.step(grads)
        torch_step(opt_t, theirs, grads)
    assert opt_t.state[theirs[0]]["mu_product"].dtype == torch.float32
    err = max(
        float(np.abs(p - p_t.detach().numpy()).max()) for p, p_t in zip(ours, theirs, strict=True)
    )
    WORST["NAdam: torch's float32 mu_product vs float64 (measured)"] = (err, 1e-8)
    assert err < 1e-8
