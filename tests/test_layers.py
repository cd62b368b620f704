"""companion.layers: gradient checks over random shapes, the params/grads contract, dtypes,
initializations, the MLP builder, and clear errors for bad input."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from companion.gradients import relative_error
from companion.layers import (
    INITS,
    Linear,
    ReLU,
    Sequential,
    Sigmoid,
    Tanh,
    check_layer,
    init_weights,
    mlp,
    numerical_param_grads,
)
from companion.losses import mse, softmax_cross_entropy

TOLERANCE = 1e-6  # max relative error of a float64 gradient check

sizes = st.integers(1, 6)
seeds = st.integers(0, 2**32 - 1)
shapes = st.lists(st.integers(1, 5), min_size=1, max_size=3).map(tuple)


def assert_all_correct(results):
    for name, result in results.items():
        assert result.max_relative_error <= TOLERANCE, (name, str(result))


# --- every layer, gradient-checked over random shapes ----------------------------------------


@settings(deadline=None)
@given(n=sizes, fan_in=sizes, fan_out=sizes, init=st.sampled_from(INITS), seed=seeds)
def test_linear_gradients_match_numerical_ones(n, fan_in, fan_out, init, seed):
    rng = np.random.default_rng(seed)
    layer = Linear(fan_in, fan_out, init=init, seed=seed)
    layer.W[...] += rng.standard_normal(layer.W.shape)  # zeros init too: check at a general point
    layer.b[...] = rng.standard_normal(fan_out)
    x = rng.uniform(-2, 2, (n, fan_in))
    # f is linear in each coordinate, so the central difference is exact for any step: a large
    # one leaves only round-off, even for a gradient entry that happens to be near 0.
    assert_all_correct(check_layer(layer, x, seed=seed, h=1e-2))


@settings(deadline=None)
@given(shape=shapes, seed=seeds)
def test_relu_gradient_matches_away_from_the_kink(shape, seed):
    rng = np.random.default_rng(seed)
    x = rng.choice([-1.0, 1.0], shape) * rng.uniform(0.1, 2.0, shape)  # |x| >= 0.1 >> h
    assert_all_correct(check_layer(ReLU(), x, seed=seed))


@settings(deadline=None)
@given(shape=shapes, seed=seeds, layer=st.sampled_from([Sigmoid, Tanh]))
def test_sigmoid_and_tanh_gradients_match_numerical_ones(shape, seed, layer):
    x = np.random.default_rng(seed).uniform(-3, 3, shape)
    assert_all_correct(check_layer(layer(), x, seed=seed))


@pytest.mark.parametrize("activation", ["relu", "sigmoid", "tanh"])
@pytest.mark.parametrize("seed", range(8))
def test_a_whole_mlp_with_its_loss_matches_numerical_gradients(activation, seed):
    rng = np.random.default_rng(seed)
    sizes = [3, 5, 4, 3]
    model = mlp(sizes, activation=activation, init="xavier", seed=seed)
    for p in model.params:
        p[...] += 0.1 * rng.standard_normal(p.shape)  # non-zero biases too
    x, labels = rng.uniform(-2, 2, (6, 3)), rng.integers(0, 3, 6)
    _, dlogits = softmax_cross_entropy(model.forward(x), labels)
    model.backward(dlogits)
    numerical = numerical_param_grads(
        lambda: softmax_cross_entropy(model.forward(x), labels)[0], model.params
    )
    for name, analytic, estimate in zip(model.param_names, model.grads, numerical, strict=True):
        assert relative_error(analytic, estimate) <= TOLERANCE, name


def test_mlp_with_mse_matches_numerical_gradients():
    rng = np.random.default_rng(0)
    model = mlp([2, 8, 1], activation="tanh", seed=0)
    x, target = rng.standard_normal((10, 2)), rng.standard_normal((10, 1))
    _, dpred = mse(model.forward(x), target)
    grad_x = model.backward(dpred)
    numerical = numerical_param_grads(lambda: mse(model.forward(x), target)[0], model.params)
    for analytic, estimate in zip(model.grads, numerical, strict=True):
        assert relative_error(analytic, estimate) <= TOLERANCE
    assert grad_x.shape == x.shape
    assert_all_correct(check_layer(model, x, seed=1))


# --- the params/grads contract the optimizers rely on -----------------------------------------


def test_grads_are_overwritten_in_place_not_accumulated_or_rebound():
    layer = Linear(3, 2, seed=0)
    params_before = [id(p) for p in layer.params]
    grads_before = [id(g) for g in layer.grads]
    x, upstream = np.ones((4, 3)), np.ones((4, 2))
    layer.forward(x)
    layer.backward(upstream)
    first = [g.copy() for g in layer.grads]
    layer.forward(x)
    layer.backward(upstream)
    for g, g0 in zip(layer.grads, first, strict=True):
        np.testing.assert_array_equal(g, g0)  # overwritten, not doubled
    assert [id(p) for p in layer.params] == params_before
    assert [id(g) for g in layer.grads] == grads_before


def test_sequential_exposes_the_layers_own_arrays_in_order():
    model = mlp([2, 4, 3], seed=0)
    first, last = model[0], model[2]
    assert model.params[0] is first.W and model.params[1] is first.b
    assert model.params[2] is last.W and model.grads[3] is last.grads[1]
    assert model.param_names == ("0.W", "0.b", "2.W", "2.b")
    assert [p.shape for p in model.params] == [g.shape for g in model.grads]


def test_an_in_place_update_of_params_changes_the_model():
    model = mlp([2, 4, 3], seed=0)
    x = np.ones((1, 2))
    before = model.forward(x).copy()
    model.backward(np.ones((1, 3)))
    for p, g in zip(model.params, model.grads, strict=True):
        p -= 0.1 * g  # what every optimizer does
    assert not np.allclose(model.forward(x), before)


def test_one_step_of_gradient_descent_lowers_the_loss():
    rng = np.random.default_rng(0)
    model = mlp([2, 16, 3], seed=0)
    x, labels = rng.standard_normal((32, 2)), rng.integers(0, 3, 32)
    loss, dlogits = softmax_cross_entropy(model.forward(x), labels)
    model.backward(dlogits)
    for p, g in zip(model.params, model.grads, strict=True):
        p -= 0.1 * g
    assert softmax_cross_entropy(model.forward(x), labels)[0] < loss


def test_w_and_b_cannot_be_rebound():
    layer = Linear(2, 2)
    with pytest.raises(AttributeError):
        layer.W = np.zeros((2, 2))


def test_calling_a_layer_is_forward():
    layer = Tanh()
    np.testing.assert_array_equal(layer(np.array([0.5])), np.tanh([0.5]))


# --- local gradients at special points --------------------------------------------------------


def test_relu_gradient_is_zero_at_the_kink_like_pytorch():
    layer = ReLU()
    out = layer.forward(np.array([-1.0, 0.0, 2.0]))
    np.testing.assert_array_equal(out, [0.0, 0.0, 2.0])
    np.testing.assert_array_equal(layer.backward(np.array([5.0, 5.0, 5.0])), [0.0, 0.0, 5.0])


def test_sigmoid_is_stable_and_saturates_for_huge_inputs():
    layer = Sigmoid()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warning
        out = layer.forward(np.array([-1000.0, 0.0, 1000.0]))
        grad = layer.backward(np.ones(3))
    np.testing.assert_allclose(out, [0.0, 0.5, 1.0])
    np.testing.assert_allclose(grad, [0.0, 0.25, 0.0])


def test_linear_backward_has_the_shapes_of_its_inputs():
    layer = Linear(5, 3, seed=0)
    x = np.ones((7, 5))
    layer.forward(x)
    grad_x = layer.backward(np.ones((7, 3)))
    assert grad_x.shape == x.shape
    assert layer.grads[0].shape == layer.W.shape == (5, 3)
    assert layer.grads[1].shape == layer.b.shape == (3,)
    np.testing.assert_array_equal(layer.grads[1], [7.0, 7.0, 7.0])  # summed over the batch


# --- dtypes -----------------------------------------------------------------------------------


@pytest.mark.parametrize("activation", ["relu", "sigmoid", "tanh"])
def test_float32_stays_float32_everywhere(activation):
    model = mlp([3, 4, 2], activation=activation, seed=0, dtype=np.float32)
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    out = model.forward(x)
    _, dlogits = softmax_cross_entropy(out, np.array([0, 1, 1, 0, 1]))
    grad_x = model.backward(dlogits)
    assert out.dtype == grad_x.dtype == dlogits.dtype == np.float32
    assert all(p.dtype == np.float32 for p in model.params)
    assert all(g.dtype == np.float32 for g in model.grads)


def test_float32_layers_pass_a_float32_gradient_check():
    x = np.random.default_rng(0).uniform(-2, 2, (4, 3)).astype(np.float32)
    for layer in (Linear(3, 2, seed=0, dtype=np.float32), Tanh(), Sigmoid()):
        for result in check_layer(layer, x, seed=0, h=1e-2).values():
            assert result.verdict != "wrong", str(result)


def test_activations_keep_the_input_dtype():
    for layer in (ReLU(), Sigmoid(), Tanh()):
        for dtype in (np.float32, np.float64):
            out = layer.forward(np.ones((2, 2), dtype=dtype))
            assert out.dtype == dtype
            assert layer.backward(np.ones((2, 2))).dtype == dtype


# --- initializations --------------------------------------------------------------------------


def test_zeros_init_is_all_zeros():
    assert not np.any(init_weights(5, 4, "zeros", seed=0))


def test_xavier_init_is_uniform_with_variance_2_over_fan_in_plus_fan_out():
    weights = init_weights(400, 600, "xavier", seed=0)
    bound = np.sqrt(6 / 1000)
    assert np.abs(weights).max() <= bound
    assert weights.var() == pytest.approx(2 / 1000, rel=0.02)
    assert abs(weights.mean()) < 1e-3


def test_he_init_is_normal_with_variance_2_over_fan_in():
    weights = init_weights(500, 400, "he", seed=0)
    assert weights.var() == pytest.approx(2 / 500, rel=0.02)
    assert abs(weights.mean()) < 1e-3


def test_initialization_is_reproducible_from_the_seed():
    np.testing.assert_array_equal(init_weights(3, 4, seed=7), init_weights(3, 4, seed=7))
    assert not np.array_equal(init_weights(3, 4, seed=7), init_weights(3, 4, seed=8))
    a, b = mlp([2, 8, 3], seed=1), mlp([2, 8, 3], seed=1)
    for p, q in zip(a.params, b.params, strict=True):
        np.testing.assert_array_equal(p, q)
    assert not np.array_equal(a[0].W, a[2].W[:2, :])  # layers get different streams


def test_biases_start_at_zero():
    assert not np.any(Linear(3, 4, init="he", seed=0).b)


def test_zero_init_keeps_hidden_units_identical_under_training():
    rng = np.random.default_rng(0)
    model = mlp([2, 6, 3], activation="tanh", init="zeros")
    for p in model.params:
        p[...] = 0.3  # any constant: the units start as copies of each other
    x, labels = rng.standard_normal((20, 2)), rng.integers(0, 3, 20)
    for _ in range(50):
        _, dlogits = softmax_cross_entropy(model.forward(x), labels)
        model.backward(dlogits)
        for p, g in zip(model.params, model.grads, strict=True):
            p -= 0.5 * g
    hidden = model[0].W
    assert np.ptp(hidden, axis=1).max() < 1e-12  # all six units still identical
    assert np.ptp(hidden) > 1e-3  # although they did change


# --- the MLP builder --------------------------------------------------------------------------


def test_mlp_alternates_linear_and_activation_with_none_at_the_end():
    model = mlp([4, 8, 8, 2], activation="sigmoid", init="xavier", seed=0)
    kinds = [type(layer) for layer in model.layers]
    assert kinds == [Linear, Sigmoid, Linear, Sigmoid, Linear]
    assert [(layer.in_features, layer.out_features) for layer in model.layers[::2]] == [
        (4, 8),
        (8, 8),
        (8, 2),
    ]
    assert all(layer.init == "xavier" for layer in model.layers[::2])
    assert "Linear(in_features=4, out_features=8, init='xavier')" in repr(model)


def test_a_two_size_mlp_is_one_linear_layer():
    model = mlp([3, 2])
    assert len(model) == 1 and isinstance(model[0], Linear)


# --- bad input --------------------------------------------------------------------------------


def test_a_shape_mismatch_names_the_layer_and_both_shapes():
    layer = Linear(3, 2)
    with pytest.raises(
        ValueError, match=r"Linear\(in_features=3, out_features=2.*\(B, 3\).*\(5, 4\)"
    ):
        layer.forward(np.ones((5, 4)))
    with pytest.raises(ValueError, match=r"\(B, 3\).*got \(3,\)"):
        layer.forward(np.ones(3))


def test_a_shape_mismatch_inside_a_model_names_the_layer():
    model = Sequential(Linear(2, 3), ReLU(), Linear(3, 1))
    with pytest.raises(ValueError, match=r"Linear\(in_features=2.*\(B, 2\).*\(4, 3\)"):
        model.forward(np.ones((4, 3)))


def test_linear_layers_that_do_not_fit_are_refused_when_built():
    with pytest.raises(ValueError, match=r"layer 2 Linear\(in_features=4.*gives it 3"):
        Sequential(Linear(2, 3), ReLU(), Linear(4, 1))


def test_grad_out_of_the_wrong_shape_names_the_layer_and_both_shapes():
    for layer, x in ((Linear(3, 2), np.ones((4, 3))), (ReLU(), np.ones((4, 2)))):
        out = layer.forward(x)
        expected = f"{layer!r}.backward: grad_out must have the shape of the forward output "
        with pytest.raises(ValueError, match=re.escape(f"{expected}{out.shape}; got (4, 5)")):
            layer.backward(np.ones((4, 5)))


def test_backward_before_forward_is_an_error():
    for layer in (Linear(2, 2), ReLU(), Sigmoid(), Tanh()):
        with pytest.raises(RuntimeError, match="before forward"):
            layer.backward(np.ones((1, 2)))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_input_is_refused(bad):
    x = np.ones((2, 3))
    x[1, 1] = bad
    for layer in (Linear(3, 2), ReLU(), Sigmoid(), Tanh()):
        with pytest.raises(ValueError, match="finite"):
            layer.forward(x)
    layer = Tanh()
    layer.forward(np.ones((2, 3)))
    with pytest.raises(ValueError, match="grad_out must contain only finite"):
        layer.backward(x)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_a_network_refuses_non_finite_input_and_grad_out_by_name(bad):
    model = mlp([3, 4, 2], seed=0)
    x = np.ones((2, 3))
    x[0, 0] = bad
    with pytest.raises(ValueError, match="Sequential.forward: the input x must contain only fin"):
        model.forward(x)
    model.forward(np.ones((2, 3)))
    with pytest.raises(ValueError, match="Sequential.backward: grad_out must contain only fin"):
        model.backward(np.full((2, 2), bad))


def test_inside_a_network_a_hidden_overflow_flows_on_instead_of_raising():
    # huge weights: both hidden pre-activations overflow to -inf, and ReLU turns -inf into 0
    model = Sequential(Linear(1, 2, init="zeros"), ReLU(), Linear(2, 1, init="zeros"))
    model.layers[0].W[...] = [[-1e300, -1e300]]
    x = np.array([[1e10]])
    with np.errstate(over="ignore"):
        hidden = model.layers[0].forward(x)
        out = model.forward(x)
    assert np.all(hidden == -np.inf) and out.tolist() == [[0.0]]
    model.backward(np.ones((1, 1)))
    assert all(np.all(np.isfinite(g)) for g in model.grads)  # a dead ReLU passes no gradient
    with pytest.raises(ValueError, match="finite"):  # the same array, given by a user, is refused
        ReLU().forward(hidden)


def test_integer_input_and_mixed_precision_are_refused_clearly():
    with pytest.raises(TypeError, match="floating-point"):
        Linear(2, 2).forward(np.ones((3, 2), dtype=int))
    with pytest.raises(TypeError, match="float64 parameters but x is float32"):
        Linear(2, 2).forward(np.ones((3, 2), dtype=np.float32))


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: Linear(0, 2), ValueError, "in_features must be a positive integer"),
        (lambda: Linear(2.5, 2), TypeError, "in_features must be a positive integer"),
        (lambda: Linear(2, 2, init="kaiming"), ValueError, "init must be one of"),
        (lambda: Linear(2, 2, dtype=np.float16), TypeError, "dtype must be"),
        (lambda: mlp([3]), ValueError, "at least an input and an output"),
        (lambda: mlp([3, 2], activation="gelu"), ValueError, "activation must be one of"),
        (lambda: Sequential(Linear(2, 2), "relu"), TypeError, "argument 1 is not a layer"),
    ],
)
def test_bad_arguments_are_named(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_check_layer_and_numerical_param_grads_leave_the_params_unchanged():
    model = mlp([2, 3, 2], activation="tanh", seed=0)
    saved = [p.copy() for p in model.params]
    x = np.ones((2, 2))
    check_layer(model, x, seed=0)
    numerical_param_grads(lambda: float(np.sum(model.forward(x))), model.params)
    for p, p0 in zip(model.params, saved, strict=True):
        np.testing.assert_array_equal(p, p0)
