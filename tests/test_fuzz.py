"""Fuzz of the public API (issue 17): every callable in the ``__all__`` of the teaching modules,
called with one bad argument at a time, must return a finite result or raise a ValueError or
TypeError that names the argument — no other exception, no silent NaN or inf, no hang.

The harness is generic (:mod:`tests._fuzz`): each module has a table of entries (a callable,
strategies of valid arguments, the arguments to corrupt and their kind). A module is added by
writing its table and one line in :data:`TABLES`. ``python tests/_fuzz.py`` prints the counts.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, NamedTuple

import matplotlib
import numpy as np
import pytest
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from tests._fuzz import Entry, consume, fuzz

matplotlib.use("Agg")

just = st.just


def floats_array(*shape: int, low: float = -3.0, high: float = 3.0) -> st.SearchStrategy:
    return arrays(np.float64, shape, elements=st.floats(low, high, allow_subnormal=False))


def _get(module: Any, name: str) -> Any:
    """The public name, or None where the module does not have it (an older version)."""
    return getattr(module, name, None)


def _call_method(factory: Callable[[], Any], method: str) -> Callable:
    """``call`` for a method: build a fresh object, then call ``method`` with the kwargs."""
    return lambda func, kwargs: getattr(factory(), method)(**kwargs)


def _sum_sin(v):
    return float(np.sum(np.sin(v)))


def _sum_squares(v):
    return float(np.sum(v * v))


# --- gradients ---------------------------------------------------------------------------------


def gradients_table() -> list[Entry]:
    from companion import gradients as g

    return [
        Entry(
            "numerical_gradient",
            _get(g, "numerical_gradient"),
            {"f": just(_sum_sin), "x": floats_array(3), "h": just(1e-5), "method": just("central")},
            {"f": "callable", "x": "array", "h": "number", "method": "str"},
        ),
        Entry(
            "gradient_check",
            _get(g, "gradient_check"),
            {"f": just(_sum_sin), "grad_f": just(np.cos), "x": floats_array(3)},
            {
                "f": "callable",
                "grad_f": "callable",
                "x": "array",
                "h": "number",
                "num_checks": "int",
                "seed": "seed",
                "thresholds": "sequence",
            },
        ),
        Entry(
            "relative_error",
            _get(g, "relative_error"),
            {"a": floats_array(3), "b": floats_array(3)},
            {"a": "array", "b": "array"},
        ),
        Entry(
            "derivative_errors",
            _get(g, "derivative_errors"),
            {
                "f": just(np.sin),
                "dfdx": just(np.cos),
                "x0": st.floats(-3, 3),
                "hs": just(np.array([1e-3, 1e-2])),
                "method": just("central"),
            },
            {
                "f": "callable",
                "dfdx": "callable",
                "x0": "number",
                "hs": "array",
                "method": "str",
                "dtype": "object",
            },
            non_finite_ok=True,  # documented: inf where f overflows in dtype
        ),
        Entry(
            "default_step",
            _get(g, "default_step"),
            {"dtype": just(np.float32)},
            {"dtype": "object"},
        ),
    ]


# --- layers ------------------------------------------------------------------------------------


def layers_table() -> list[Entry]:
    from companion import layers as L

    def linear():
        return L.Linear(3, 2, seed=0)

    def forwarded(layer_type):
        def make():
            layer = layer_type() if layer_type is not L.Linear else linear()
            layer.forward(np.ones((2, 3)))
            return layer

        return make

    entries = [
        Entry(
            "init_weights",
            _get(L, "init_weights"),
            {"fan_in": st.integers(1, 4), "fan_out": st.integers(1, 4), "init": just("he")},
            {"fan_in": "int", "fan_out": "int", "init": "str", "seed": "seed", "dtype": "object"},
        ),
        Entry(
            "Linear",
            _get(L, "Linear"),
            {"in_features": st.integers(1, 4), "out_features": st.integers(1, 4)},
            {
                "in_features": "int",
                "out_features": "int",
                "init": "str",
                "seed": "seed",
                "dtype": "object",
            },
        ),
        Entry(
            "mlp",
            _get(L, "mlp"),
            {"sizes": just([3, 4, 2])},
            {
                "sizes": "sequence",
                "activation": "str",
                "init": "str",
                "seed": "seed",
                "dtype": "object",
            },
        ),
        Entry(
            "Sequential",
            _get(L, "Sequential"),
            {"layers": just([L.Linear(3, 2, seed=0), L.ReLU()])},
            {"layers": "sequence"},
            call=lambda f, k: (
                f(*k["layers"]) if isinstance(k["layers"], (list, tuple)) else f(k["layers"])
            ),
            names={"layers": ("layer",)},
        ),
        Entry(
            "check_layer",
            _get(L, "check_layer"),
            {"layer": just(linear()), "x": floats_array(2, 3), "seed": just(0)},
            {"layer": "object", "x": "array", "seed": "seed", "h": "number"},
        ),
        Entry(
            "numerical_param_grads",
            _get(L, "numerical_param_grads"),
            {"f": just(lambda: 1.0), "params": just([np.ones(2)])},
            {"f": "callable", "params": "sequence", "h": "number"},
        ),
    ]
    for name in ("Linear", "ReLU", "Sigmoid", "Tanh"):
        kind = getattr(L, name)
        make = linear if name == "Linear" else kind
        entries.append(
            Entry(
                f"{name}.forward",
                kind,
                {"x": floats_array(2, 3)},
                {"x": "array"},
                call=_call_method(make, "forward"),
            )
        )
        entries.append(
            Entry(
                f"{name}.backward",
                kind,
                {"grad_out": floats_array(2, 2 if name == "Linear" else 3)},
                {"grad_out": "array"},
                call=_call_method(forwarded(kind), "backward"),
            )
        )
    model = functools.partial(L.mlp, [3, 4, 2], seed=0)
    entries.append(
        Entry(
            "Sequential.forward",
            L.Sequential,
            {"x": floats_array(2, 3)},
            {"x": "array"},
            call=_call_method(model, "forward"),
        )
    )
    return entries


# --- losses ------------------------------------------------------------------------------------


def losses_table() -> list[Entry]:
    from companion import losses as ls

    big = floats_array(4, 3, low=-1e300, high=1e300)
    return [
        Entry(
            "softmax",
            _get(ls, "softmax"),
            {"logits": st.one_of(floats_array(4, 3), big)},
            {"logits": "array"},
        ),
        Entry(
            "log_softmax",
            _get(ls, "log_softmax"),
            {"logits": st.one_of(floats_array(4, 3), big)},
            {"logits": "array"},
        ),
        Entry(
            "softmax_cross_entropy",
            _get(ls, "softmax_cross_entropy"),
            {"logits": st.one_of(floats_array(4, 3), big), "labels": just(np.array([0, 1, 2, 0]))},
            {"logits": "array", "labels": "array"},
        ),
        Entry(
            "mse",
            _get(ls, "mse"),
            {
                "pred": st.one_of(floats_array(4), floats_array(4, low=-1e150, high=1e150)),
                "target": floats_array(4),
            },
            {"pred": "array", "target": "array"},
        ),
        Entry(
            "hinge_loss",
            _get(ls, "hinge_loss"),
            {
                "scores": st.one_of(floats_array(4), floats_array(4, low=-1e308, high=1e308)),
                "labels": just(np.array([1, -1, 1, 1])),
            },
            {"scores": "array", "labels": "array"},
        ),
    ]


# --- data and toy data ------------------------------------------------------------------------


def data_table() -> list[Entry]:
    from companion import data as d

    X, y = np.arange(20.0).reshape(10, 2), np.arange(10) % 2
    return [
        Entry(
            "num_batches",
            _get(d, "num_batches"),
            {"n": st.integers(1, 50), "batch_size": st.integers(1, 60)},
            {"n": "int", "batch_size": "int"},
        ),
        Entry(
            "batch_indices",
            _get(d, "batch_indices"),
            {"n": st.integers(1, 30), "batch_size": st.integers(1, 40), "seed": just(0)},
            {"n": "int", "batch_size": "int", "seed": "seed"},
            call=lambda f, k: consume(f(**k)),
        ),
        Entry(
            "minibatches",
            _get(d, "minibatches"),
            {"X": just(X), "y": just(y), "batch_size": st.integers(1, 12), "seed": just(0)},
            {"X": "array", "y": "array", "batch_size": "int", "seed": "seed"},
            call=lambda f, k: consume(f(**k)),
        ),
        Entry(
            "linear_regression",
            _get(d, "linear_regression"),
            {"n": st.integers(5, 30)},
            {
                "n": "int",
                "theta_true": "sequence",
                "noise": "number",
                "correlation": "number",
                "seed": "seed",
            },
        ),
        Entry(
            "two_moons",
            _get(d, "two_moons"),
            {"n": st.integers(1, 30)},
            {"n": "int", "noise": "number", "seed": "seed"},
        ),
        Entry(
            "blobs",
            _get(d, "blobs"),
            {"n": st.integers(1, 30)},
            {"n": "int", "centers": "sequence", "std": "number", "seed": "seed"},
        ),
        Entry(
            "train_val_test_split",
            _get(d, "train_val_test_split"),
            {"X": just(X), "y": just(y)},
            {
                "X": "array",
                "y": "array",
                "val_fraction": "number",
                "test_fraction": "number",
                "seed": "seed",
            },
        ),
        Entry(
            "standardize",
            _get(d, "standardize"),
            {
                "X_train": st.one_of(
                    floats_array(5, 2), floats_array(5, 2, low=-1e308, high=1e308)
                ),
                "others": just([np.ones((2, 2))]),
            },
            {"X_train": "array", "others": "sequence"},
            call=lambda f, k: (
                f(k["X_train"], *k["others"])
                if isinstance(k["others"], (list, tuple))
                else f(k["X_train"], k["others"])
            ),
        ),
        Entry(
            "digits",
            _get(d, "digits"),
            {},
            {
                "val_fraction": "number",
                "test_fraction": "number",
                "seed": "seed",
                "dtype": "object",
            },
        ),
    ]


def toy_data_table() -> list[Entry]:
    from companion import toy_data as t

    return [
        Entry(
            "spirals",
            _get(t, "spirals"),
            {"n": st.integers(1, 20)},
            {"n": "int", "classes": "int", "noise": "number", "seed": "seed"},
        )
    ]


# --- surfaces, descent, second order, regression, schedules -------------------------------------


def surfaces_table() -> list[Entry]:
    from companion import surfaces as s

    entries = [
        Entry(
            "Quadratic",
            _get(s, "Quadratic"),
            {"hessian": just(np.diag([1.0, 4.0]))},
            {
                "hessian": "array",
                "center": "array",
                "offset": "number",
                "bounds": "sequence",
                "start": "array",
            },
        ),
        Entry(
            "quadratic_bowl",
            _get(s, "quadratic_bowl"),
            {},
            {
                "condition_number": "number",
                "degrees": "number",
                "L": "number",
                "center": "sequence",
            },
        ),
        Entry("parabola", _get(s, "parabola"), {}, {"L": "number", "center": "number"}),
        Entry("rosenbrock", _get(s, "rosenbrock"), {}, {"a": "number", "b": "number"}),
        Entry(
            "Quadratic.rate",
            s.Quadratic,
            {"lr": st.floats(0.01, 1)},
            {"lr": "number"},
            call=_call_method(lambda: s.quadratic_bowl(), "rate"),
        ),
        Entry(
            "Quadratic.loss_gap",
            s.Quadratic,
            {"theta0": floats_array(2), "lr": just(0.1), "steps": st.integers(0, 5)},
            {"theta0": "array", "lr": "number", "steps": "int"},
            call=_call_method(lambda: s.quadratic_bowl(), "loss_gap"),
        ),
    ]
    for name in ("quadratic_bowl", "rosenbrock", "himmelblau", "beale", "saddle", "plateau"):
        make = getattr(s, name)
        for method in ("f", "grad", "nearest"):
            entries.append(
                Entry(
                    f"{name}().{method}",
                    make,
                    {"theta": floats_array(2)},
                    {"theta": "array"},
                    call=_call_method(make, method),
                    # documented: J overflows far away, and a non-finite theta
                    # (a descent that overflowed) gives a non-finite J
                    non_finite_ok=method != "nearest",
                )
            )
        entries.append(
            Entry(
                f"{name}().grid",
                make,
                {"n": st.integers(2, 5)},
                {"n": "int"},
                call=_call_method(make, "grid"),
            )
        )
    entries.append(
        Entry(
            "double_well().f",
            s.double_well,
            {"theta": floats_array(1)},
            {"theta": "array"},
            call=_call_method(s.double_well, "f"),
        )
    )
    entries.append(Entry("gallery", _get(s, "gallery"), {}, {}))
    return entries


def _quad(v):
    return float(0.5 * np.sum(v * v))


def descent_table() -> list[Entry]:
    from companion import descent as dsc

    return [
        Entry(
            "gradient_descent",
            _get(dsc, "gradient_descent"),
            {
                "f": just(_quad),
                "grad": just(lambda v: v.copy()),
                "x0": floats_array(2),
                "lr": st.floats(0.01, 1.5),
                "steps": st.integers(0, 20),
            },
            {
                "f": "callable",
                "grad": "callable",
                "x0": "array",
                "lr": "number",
                "steps": "int",
                "tol": "number",
                "loss_tol": "number",
                "blowup": "number",
            },
        ),
        Entry(
            "descend",
            _get(dsc, "descend"),
            {
                "f": just(_quad),
                "grad": just(lambda v: v.copy()),
                "x0": floats_array(2),
                "update": just(lambda t, g: t - 0.1 * g),
                "steps": st.integers(0, 20),
            },
            {
                "f": "callable",
                "grad": "callable",
                "x0": "array",
                "update": "callable",
                "steps": "int",
                "tol": "number",
                "loss_tol": "number",
                "blowup": "number",
            },
            skip_fields=("lr",),
        ),  # documented: NaN, descend has no fixed rate
        Entry(
            "linear_rate",
            _get(dsc, "linear_rate"),
            {"errors": just(0.5 ** np.arange(10.0))},
            {"errors": "array", "tail": "number"},
        ),
    ]


def second_order_table() -> list[Entry]:
    from companion import second_order as so

    H = np.diag([1.0, 10.0])
    return [
        Entry(
            "newton_step",
            _get(so, "newton_step"),
            {"gradient": floats_array(2), "hessian": just(H)},
            {"gradient": "array", "hessian": "array"},
        ),
        Entry(
            "hessian_vector_product",
            _get(so, "hessian_vector_product"),
            {"grad": just(lambda t: H @ t), "theta": floats_array(2), "v": floats_array(2)},
            {"grad": "callable", "theta": "array", "v": "array", "h": "number"},
        ),
        Entry(
            "newton",
            _get(so, "newton"),
            {
                "f": just(lambda t: float(0.5 * t @ H @ t)),
                "grad": just(lambda t: H @ t),
                "hessian": just(lambda t: H),
                "x0": floats_array(2),
            },
            {
                "f": "callable",
                "grad": "callable",
                "hessian": "callable",
                "x0": "array",
                "steps": "int",
                "tol": "number",
            },
            skip_fields=("lr",),
        ),
        Entry(
            "conjugate_gradient",
            _get(so, "conjugate_gradient"),
            {
                "f": just(lambda t: float(0.5 * t @ H @ t)),
                "grad": just(lambda t: H @ t),
                "hvp": just(lambda t, v: H @ v),
                "x0": floats_array(2),
            },
            {
                "f": "callable",
                "grad": "callable",
                "hvp": "callable",
                "x0": "array",
                "steps": "int",
                "tol": "number",
            },
            skip_fields=("lr",),
        ),
        Entry(
            "random_quadratic",
            _get(so, "random_quadratic"),
            {"n": st.integers(2, 5)},
            {"n": "int", "condition_number": "number", "seed": "seed"},
        ),
    ]


def regression_table() -> list[Entry]:
    from companion import regression as r

    X = np.array([[0.0, 1.0], [1.0, 0.5], [2.0, -1.0], [3.0, 0.0]])
    y = np.array([0.0, 1.0, 1.0, 0.0])

    def evaluated(f, k):
        loss, grad = f(k["X"], k["y"])
        theta = np.zeros(np.shape(k["X"])[-1])
        return loss(theta), grad(theta)

    return [
        Entry("add_intercept", _get(r, "add_intercept"), {"X": just(X)}, {"X": "array"}),
        Entry(
            "least_squares",
            _get(r, "least_squares"),
            {"X": just(X), "y": just(y)},
            {"X": "array", "y": "array"},
            call=evaluated,
        ),
        Entry(
            "logistic",
            _get(r, "logistic"),
            {"X": just(X), "y": just(y)},
            {"X": "array", "y": "array"},
            call=evaluated,
        ),
        Entry(
            "logistic_newton",
            _get(r, "logistic_newton"),
            {"X": just(X), "y": just(y)},
            {"X": "array", "y": "array", "steps": "int"},
        ),
        Entry(
            "make_housing",
            _get(r, "make_housing"),
            {"n": st.integers(5, 20)},
            {"n": "int", "seed": "seed"},
        ),
        Entry(
            "sigmoid",
            _get(r, "sigmoid"),
            {"z": floats_array(3, low=-1e308, high=1e308)},
            {"z": "array"},
        ),
        Entry(
            "standardize (regression)",
            _get(r, "standardize"),
            {"X": st.sampled_from([X, X * 1e300, X * -1e300])},
            {"X": "array"},
        ),
        Entry("whiten", _get(r, "whiten"), {"X": just(X)}, {"X": "array"}),
    ]


class _Groups:
    def __init__(self) -> None:
        self.param_groups = [{"lr": 0.1}]


def schedules_table() -> list[Entry]:
    from companion import schedules as sc

    entries = [
        Entry("constant", _get(sc, "constant"), {"lr": just(0.1)}, {"lr": "number"}),
        Entry(
            "cosine",
            _get(sc, "cosine"),
            {"lr": just(0.1), "steps": just(10)},
            {"lr": "number", "steps": "int", "min_lr": "number"},
        ),
        Entry(
            "exponential",
            _get(sc, "exponential"),
            {"lr": just(0.1), "gamma": just(0.9)},
            {"lr": "number", "gamma": "number"},
        ),
        Entry(
            "inverse_time",
            _get(sc, "inverse_time"),
            {"lr": just(0.1), "decay": just(0.1)},
            {"lr": "number", "decay": "number"},
        ),
        Entry(
            "linear_warmup",
            _get(sc, "linear_warmup"),
            {"lr": just(0.1), "warmup_steps": just(5)},
            {"lr": "number", "warmup_steps": "int", "start_lr": "number"},
        ),
        Entry(
            "step_decay",
            _get(sc, "step_decay"),
            {"lr": just(0.1), "step_size": just(3)},
            {"lr": "number", "step_size": "int", "gamma": "number"},
        ),
        Entry(
            "sequential",
            _get(sc, "sequential"),
            {"schedules": just([sc.constant(0.1), sc.constant(0.01)]), "boundaries": just([5])},
            {"schedules": "sequence", "boundaries": "sequence"},
        ),
        Entry(
            "set_lr",
            _get(sc, "set_lr"),
            {"optimizer": just(_Groups()), "lr": just(0.1)},
            {"optimizer": "object", "lr": "number"},
        ),
    ]
    for name, make in (
        ("cosine", lambda: sc.cosine(0.1, 10)),
        ("exponential", lambda: sc.exponential(0.1, 0.5)),
        ("step_decay", lambda: sc.step_decay(0.1, 3)),
    ):
        entries.append(
            Entry(
                f"{name}(...)(step)",
                make,
                {"step": st.integers(0, 10**6)},
                {"step": "int"},
                call=lambda f, k: f()(k["step"]),
                names={"step": ("step",)},
            )
        )
    return entries


# --- training, tuning, comparisons -------------------------------------------------------------


class _Split(NamedTuple):
    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray


def _tiny_classes(n: int = 24, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 3
    return rng.normal(size=(n, 4)) + y[:, None], y


def training_table() -> list[Entry]:
    from companion import layers as L
    from companion import training as t

    X, y = _tiny_classes()
    model = functools.partial(L.mlp, [4, 5, 3], seed=0)

    def fit_call(f, k):
        k = dict(k)
        k["model"] = model() if k.get("model") == "fresh" else k["model"]
        return f(**k, progress=False)

    def with_model(f, k):
        k = dict(k)
        k["model"] = model() if k.get("model") == "fresh" else k["model"]
        return f(**k)

    return [
        Entry(
            "fit",
            _get(t, "fit"),
            {
                "model": just("fresh"),
                "X": just(X),
                "y": just(y),
                "lr": st.floats(1e-3, 1.0),
                "epochs": st.integers(1, 2),
                "batch_size": st.integers(1, 30),
            },
            {
                "model": "object",
                "X": "array",
                "y": "array",
                "lr": "number",
                "epochs": "int",
                "batch_size": "int",
                "l2": "number",
                "l1": "number",
                "patience": "int",
                "min_delta": "number",
                "blowup": "number",
                "seed": "seed",
                "loss": "callable",
                "schedule": "callable",
                "validation": "sequence",
                "optimizer": "object",
            },
            call=fit_call,
        ),
        Entry(
            "minibatch_sgd",
            _get(t, "minibatch_sgd"),
            {
                "grad": just(lambda th, Xb, yb: Xb.T @ (Xb @ th - yb) / len(Xb)),
                "theta0": just(np.zeros(4)),
                "X": just(X),
                "y": just(y.astype(float)),
                "lr": st.floats(1e-3, 0.5),
                "batch_size": st.integers(1, 30),
                "epochs": st.integers(1, 2),
            },
            {
                "grad": "callable",
                "theta0": "array",
                "X": "array",
                "y": "array",
                "lr": "number",
                "batch_size": "int",
                "epochs": "int",
                "seed": "seed",
                "blowup": "number",
            },
        ),
        Entry(
            "gradient_noise",
            _get(t, "gradient_noise"),
            {
                "batch_gradient": just(lambda i: X[i].mean(axis=0)),
                "n": just(len(X)),
                "batch_sizes": just([1, 4]),
                "draws": just(5),
            },
            {
                "batch_gradient": "callable",
                "n": "int",
                "batch_sizes": "sequence",
                "draws": "int",
                "seed": "seed",
            },
        ),
        Entry(
            "regularization",
            _get(t, "regularization"),
            {"params": just([np.ones((2, 2)), np.ones(2)])},
            {"params": "sequence", "l2": "number", "l1": "number"},
        ),
        Entry(
            "accuracy",
            _get(t, "accuracy"),
            {"outputs": just(np.eye(3)), "labels": just(np.array([0, 1, 1]))},
            {"outputs": "array", "labels": "array"},
        ),
        Entry(
            "evaluate",
            _get(t, "evaluate"),
            {"model": just("fresh"), "X": just(X), "y": just(y)},
            {"model": "object", "X": "array", "y": "array", "loss": "callable"},
            call=with_model,
        ),
        Entry(
            "model_gradient",
            _get(t, "model_gradient"),
            {"model": just("fresh"), "X": just(X), "y": just(y)},
            {"model": "object", "X": "array", "y": "array", "loss": "callable"},
            call=with_model,
        ),
    ]


def tuning_table() -> list[Entry]:
    from companion import layers as L
    from companion import tuning as tu

    X, y = _tiny_classes()
    space = {"lr": tu.log_uniform(1e-3, 1.0)}

    def range_test(f, k):
        k = dict(k)
        k["model"] = L.mlp([4, 5, 3], seed=0) if k.get("model") == "fresh" else k["model"]
        return f(**k)

    return [
        Entry(
            "lr_range_test",
            _get(tu, "lr_range_test"),
            {
                "model": just("fresh"),
                "X": just(X),
                "y": just(y),
                "steps": st.integers(2, 12),
                "batch_size": just(8),
                "seed": just(0),
            },
            {
                "model": "object",
                "X": "array",
                "y": "array",
                "min_lr": "number",
                "max_lr": "number",
                "steps": "int",
                "batch_size": "int",
                "l2": "number",
                "smoothing": "number",
                "diverge": "number",
                "seed": "seed",
                "optimizer": "callable",
                "loss": "callable",
            },
            call=range_test,
            non_finite_ok=False,
        ),
        Entry(
            "Range",
            _get(tu, "Range"),
            {"low": just(0.1), "high": just(1.0)},
            {"low": "number", "high": "number", "log": "object"},
        ),
        Entry(
            "uniform",
            _get(tu, "uniform"),
            {"low": just(0.0), "high": just(1.0)},
            {"low": "number", "high": "number"},
        ),
        Entry(
            "log_uniform",
            _get(tu, "log_uniform"),
            {"low": just(1e-3), "high": just(1.0)},
            {"low": "number", "high": "number"},
        ),
        Entry(
            "grid_search",
            _get(tu, "grid_search"),
            {
                "objective": just(lambda p: p["lr"] ** 2),
                "space": just(space),
                "points": st.integers(1, 5),
            },
            {"objective": "callable", "space": "sequence", "points": "int"},
            non_finite_ok=True,
        ),  # documented: a NaN score is a failed run
        Entry(
            "random_search",
            _get(tu, "random_search"),
            {
                "objective": just(lambda p: p["lr"] ** 2),
                "space": just(space),
                "trials": st.integers(1, 5),
                "seed": just(0),
            },
            {"objective": "callable", "space": "sequence", "trials": "int", "seed": "seed"},
            non_finite_ok=True,
        ),  # documented: a NaN score is a failed run
        Entry(
            "one_important",
            _get(tu, "one_important"),
            {"important": st.floats(0, 1), "unimportant": st.floats(0, 1)},
            {"important": "number", "unimportant": "number", "peak": "number", "width": "number"},
        ),
        Entry(
            "Range.grid",
            tu.Range,
            {"points": st.integers(1, 5)},
            {"points": "int"},
            call=_call_method(lambda: tu.log_uniform(1e-3, 1.0), "grid"),
        ),
    ]


def compare_table() -> list[Entry]:
    from companion import compare as c
    from companion import layers as L
    from companion.optim import SGD

    X, y = _tiny_classes(18)
    data = _Split(X, y, X[:9], y[:9], X[9:], y[9:])
    make_model = functools.partial(L.mlp, [4, 5, 3])
    opts = {"sgd": functools.partial(SGD, lr=0.1)}
    result = c.compare(opts, lambda s: make_model(seed=s), data, seeds=(0, 1), epochs=2)

    import matplotlib.pyplot as plt

    figure, ax = plt.subplots()
    plt.close(figure)
    return [
        Entry(
            "compare",
            _get(c, "compare"),
            {
                "optimizers": just(opts),
                "make_model": just(lambda s: make_model(seed=s)),
                "data": just(data),
                "seeds": just((0,)),
                "epochs": st.integers(1, 2),
                "batch_size": st.integers(1, 20),
            },
            {
                "optimizers": "sequence",
                "make_model": "callable",
                "data": "object",
                "seeds": "sequence",
                "epochs": "int",
                "batch_size": "int",
            },
            non_finite_ok=True,
        ),  # documented: a run that stopped early is NaN-padded
        Entry(
            "sweep_lr",
            _get(c, "sweep_lr"),
            {
                "optimizer": just(SGD),
                "lrs": just([0.01, 0.1]),
                "make_model": just(lambda s: make_model(seed=s)),
                "data": just(data),
                "epochs": just(1),
            },
            {
                "optimizer": "callable",
                "lrs": "sequence",
                "make_model": "callable",
                "data": "object",
                "seeds": "sequence",
                "epochs": "int",
            },
            non_finite_ok=True,
        ),  # documented: inf validation loss for a diverged rate
        Entry(
            "time_steps",
            _get(c, "time_steps"),
            {
                "optimizers": just(opts),
                "make_model": just(lambda s: make_model(seed=s)),
                "data": just(data),
                "steps": just(2),
                "repeats": just(1),
            },
            {
                "optimizers": "sequence",
                "make_model": "callable",
                "data": "object",
                "batch_size": "int",
                "steps": "int",
                "repeats": "int",
                "seed": "seed",
            },
        ),
        Entry(
            "plot_spread",
            _get(c, "plot_spread"),
            {"ax": just(ax), "comparison": just(result)},
            {
                "ax": "object",
                "comparison": "object",
                "field": "str",
                "x": "str",
                "names": "sequence",
                "labels": "sequence",
                "log": "object",
            },
        ),
        Entry(
            "Spread.of",
            c.Spread,
            {"values": floats_array(3)},
            {"values": "array"},
            call=lambda f, k: f.of(**k),
            non_finite_ok=True,
        ),  # documented: NaN if empty
        Entry(
            "Runs.curve",
            c.Runs,
            {"field": just("train_loss")},
            {"field": "str"},
            call=lambda f, k: result["sgd"].curve(**k),
            non_finite_ok=True,
        ),
        Entry(
            "Runs.final",
            c.Runs,
            {"field": just("train_loss")},
            {"field": "str"},
            call=lambda f, k: result["sgd"].final(**k),
        ),
        Entry(
            "Comparison[name]",
            c.Comparison,
            {"name": just("sgd")},
            {"name": "str"},
            call=lambda f, k: result[k["name"]],
            lookup=True,
            names={"name": ("named",)},
        ),
    ]


# --- autodiff and plots -------------------------------------------------------------------------


def autodiff_table() -> list[Entry]:
    from companion.autodiff import Value

    number = st.floats(0.1, 5)
    edges = st.sampled_from(
        [0.0, -0.0, -2.5, 1e300, -1e300, 800.0, 1e-320, np.nan, np.inf, None, "1", True, [1.0]]
    )
    operand = (
        "Value",
        "exp",
        "log",
        "**",
        "/",
        "division",
        "overflow",
        "real",
        "finite",
        "number",
        "power",
        "gradient",
        "derivative",
    )

    def binary(op):
        def call(f, k):
            b = k["b"]
            if op != "__pow__" and isinstance(b, float) and np.isfinite(b):
                b = Value(b)
            return getattr(f(k["a"]), op)(b)

        return call

    entries = [
        Entry(
            "Value",
            Value,
            {"data": number},
            {"data": edges, "label": "object"},
            names={"data": operand},
        )
    ]
    for op in ("__add__", "__mul__", "__sub__", "__truediv__", "__pow__", "__rtruediv__"):
        entries.append(
            Entry(
                f"Value.{op}",
                Value,
                {"a": number, "b": number},
                {"a": edges, "b": edges},
                call=binary(op),
                names={"a": operand, "b": operand},
            )
        )
    for op in ("exp", "log", "tanh", "sigmoid", "relu"):
        entries.append(
            Entry(
                f"Value.{op}",
                Value,
                {"a": number},
                {"a": edges},
                call=lambda f, k, op=op: getattr(f(k["a"]), op)(),
                names={"a": operand},
            )
        )

    def backward(f, k):
        x = f(k["a"])
        y = (x * x).tanh() + x ** k["power"]
        y.backward(k["grad"])
        return x.grad

    entries.append(
        Entry(
            "Value.backward",
            Value,
            {"a": number, "power": st.sampled_from([2, 0.5, -1, 3]), "grad": just(1.0)},
            {"a": edges, "power": "number", "grad": "number"},
            call=backward,
            names={"a": operand, "power": operand + ("exponent",), "grad": ("grad",)},
        )
    )
    return entries


def plots_table() -> list[Entry]:
    import matplotlib.pyplot as plt

    from companion import plots as p
    from companion.surfaces import quadratic_bowl

    figure, ax = plt.subplots()
    plt.close(figure)
    bowl = quadratic_bowl()
    return [
        Entry("color", _get(p, "color"), {"name": just("sgd")}, {"name": "str"}),
        Entry("use_style", _get(p, "use_style"), {}, {}),
        Entry(
            "contour_levels",
            _get(p, "contour_levels"),
            {"surface": just(bowl), "Z": floats_array(3, 3, low=0, high=5)},
            {"surface": "object", "Z": "array", "count": "int"},
        ),
        Entry(
            "plot_losses",
            _get(p, "plot_losses"),
            {"ax": just(ax), "losses": just([np.array([3.0, 2.0, 1.0])])},
            {
                "ax": "object",
                "losses": "sequence",
                "labels": "sequence",
                "colors": "sequence",
                "minimum": "number",
                "ylabel": "object",
            },
        ),
        Entry(
            "plot_contour_path",
            _get(p, "plot_contour_path"),
            {
                "ax": just(ax),
                "surface": just(bowl),
                "paths": just([np.zeros((2, 2))]),
                "levels": just(4),
                "grid": just(bowl.grid(8)),
            },
            {
                "ax": "object",
                "surface": "object",
                "paths": "sequence",
                "labels": "sequence",
                "colors": "sequence",
                "levels": "int",
                "markersize": "number",
            },
        ),
    ]


#: Every module's table and how many calls its fuzz makes (about 30 s in all).
TABLES: dict[str, tuple[Callable[[], list[Entry]], int]] = {
    "gradients": (gradients_table, 150),
    "layers": (layers_table, 200),
    "losses": (losses_table, 150),
    "data": (data_table, 150),
    "toy_data": (toy_data_table, 40),
    "surfaces": (surfaces_table, 150),
    "descent": (descent_table, 120),
    "second_order": (second_order_table, 100),
    "regression": (regression_table, 120),
    "schedules": (schedules_table, 120),
    "training": (training_table, 120),
    "tuning": (tuning_table, 100),
    "compare": (compare_table, 60),
    "autodiff": (autodiff_table, 200),
    "plots": (plots_table, 50),
}


@pytest.mark.parametrize("module", sorted(TABLES))
def test_fuzz_finds_only_finite_results_and_named_errors(module: str) -> None:
    make, examples = TABLES[module]
    report = fuzz(make(), max_examples=examples)
    assert report.calls == examples
    assert not report.findings, f"{module}: {report.summary()}\n{report.describe_findings()}"
