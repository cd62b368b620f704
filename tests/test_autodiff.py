"""companion.autodiff: every operation's gradient, shared nodes, long chains, random trees."""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from companion.autodiff import Value
from companion.gradients import numerical_gradient


def sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


# (name, function of a Value or a float, its exact derivative)
UNARY = [
    ("exp", lambda v: v.exp(), math.exp),
    ("log", lambda v: v.log(), lambda x: 1 / x),
    ("tanh", lambda v: v.tanh(), lambda x: 1 - math.tanh(x) ** 2),
    ("sigmoid", lambda v: v.sigmoid(), lambda x: sigmoid(x) * (1 - sigmoid(x))),
    ("relu", lambda v: v.relu(), lambda x: float(x > 0)),
    ("square", lambda v: v**2, lambda x: 2 * x),
    ("cube", lambda v: v**3, lambda x: 3 * x**2),
    ("sqrt", lambda v: v**0.5, lambda x: 0.5 * x**-0.5),
    ("reciprocal", lambda v: v**-1, lambda x: -(x**-2)),
    ("negate", lambda v: -v, lambda x: -1.0),
    ("2 ** x", lambda v: 2**v, lambda x: math.log(2) * 2**x),
    ("number + x", lambda v: 3 + v, lambda x: 1.0),
    ("x - number", lambda v: v - 3, lambda x: 1.0),
    ("number - x", lambda v: 3 - v, lambda x: -1.0),
    ("number * x", lambda v: 3 * v, lambda x: 3.0),
    ("x / number", lambda v: v / 4, lambda x: 0.25),
    ("number / x", lambda v: 4 / v, lambda x: -4 / x**2),
]


@pytest.mark.parametrize(("name", "op", "derivative"), UNARY, ids=[u[0] for u in UNARY])
@pytest.mark.parametrize("x0", [0.7, 1.9, -1.3])
def test_each_operation_has_the_exact_derivative(name, op, derivative, x0):
    if name in ("log", "sqrt") and x0 < 0:
        x0 = -x0
    x = Value(x0)
    y = op(x)
    y.backward()
    assert x.grad == pytest.approx(derivative(x0), rel=1e-12, abs=1e-15)


@pytest.mark.parametrize(
    ("op", "expected"),
    [
        (lambda a, b: a + b, (1.0, 1.0)),  # add distributes
        (lambda a, b: a * b, (-4.0, 3.0)),  # multiply swaps
        (lambda a, b: a - b, (1.0, -1.0)),
        (lambda a, b: a / b, (-0.25, -3 / 16)),
    ],
    ids=["add", "mul", "sub", "div"],
)
def test_binary_operations_send_each_input_its_own_gradient(op, expected):
    a, b = Value(3.0), Value(-4.0)
    op(a, b).backward()
    assert (a.grad, b.grad) == pytest.approx(expected)


def test_values_are_the_forward_results():
    x = Value(2.0)
    assert (x + 1).data == 3.0 and (1 - x).data == -1.0 and (x / 4).data == 0.5
    assert (2**x).data == 4.0 and (x**3).data == 8.0 and (-x).data == -2.0
    assert x.sigmoid().data == pytest.approx(sigmoid(2.0))
    assert Value(-1.5).relu().data == 0.0


def test_relu_passes_no_gradient_at_or_below_zero():
    for x0, expected in ((-1.0, 0.0), (0.0, 0.0), (1e-9, 1.0)):
        x = Value(x0)
        x.relu().backward()
        assert x.grad == expected


def test_sigmoid_does_not_overflow_for_large_inputs():
    for x0 in (-1000.0, 1000.0):
        x = Value(x0)
        y = x.sigmoid()
        y.backward()
        assert math.isfinite(y.data) and x.grad == pytest.approx(0.0, abs=1e-300)


# --- a node used more than once ---------------------------------------------------------------


def test_gradients_accumulate_when_a_value_is_used_twice():
    x = Value(3.0)
    y = x * x + x  # dy/dx = 2x + 1
    y.backward()
    assert x.grad == 7.0


def test_gradients_accumulate_through_a_diamond():
    x = Value(0.5)
    a, b = x.tanh(), x.exp()  # two paths from x ...
    y = a * b  # ... that meet again
    y.backward()
    expected = (1 - math.tanh(0.5) ** 2) * math.exp(0.5) + math.tanh(0.5) * math.exp(0.5)
    assert x.grad == pytest.approx(expected, rel=1e-12)


def test_a_value_used_many_times_collects_every_contribution():
    x = Value(1.5)
    total = x
    for _ in range(99):
        total = total + x  # 100 x
    total.backward()
    assert x.grad == 100.0


def test_the_same_value_on_both_sides_of_an_operation():
    x = Value(-2.0)
    (x * x).backward()
    assert x.grad == -4.0
    (x / x).backward()
    assert x.grad == pytest.approx(0.0, abs=1e-15)
    (x - x).backward()
    assert x.grad == 0.0


def test_backward_twice_gives_the_same_gradients():
    x, w = Value(2.0), Value(-1.0)
    y = (x * w).tanh() + x
    y.backward()
    first = (x.grad, w.grad)
    y.backward()
    assert (x.grad, w.grad) == first


def test_backward_with_an_upstream_gradient_scales_every_gradient():
    x, y = Value(3.0), Value(-2.0)
    (x * y).backward(2.0)
    assert (x.grad, y.grad) == (-4.0, 6.0)  # multiply swaps, times the upstream 2


def test_backward_on_an_intermediate_node_differentiates_that_node():
    x = Value(2.0)
    h = x * 3
    y = h**2
    y.backward()
    assert x.grad == 36.0  # d(9x²)/dx = 18x
    h.backward()
    assert x.grad == 3.0  # d(3x)/dx


# --- long chains: no recursion limit ----------------------------------------------------------


@pytest.mark.parametrize("length", [10_000, 50_000])
def test_backward_on_a_long_chain_does_not_hit_the_recursion_limit(length):
    assert length > sys.getrecursionlimit()
    x = Value(1.0)
    y = x
    for _ in range(length):
        y = y * 1.0001 + 0.0  # two nodes per step
    y.backward()
    assert x.grad == pytest.approx(1.0001**length, rel=1e-9)
    assert sys.getrecursionlimit() < length  # nobody raised the limit to make it pass


def test_a_chain_of_tanh_has_the_product_of_local_derivatives():
    x = Value(0.3)
    y, expected, value = x, 1.0, 0.3
    for _ in range(10_000):
        y = y.tanh()
        value = math.tanh(value)
        expected *= 1 - value**2
    y.backward()
    assert x.grad == pytest.approx(expected, rel=1e-9)


# --- random expression trees vs numerical gradients ------------------------------------------

N_INPUTS = 3


def _unary(name, a):
    if isinstance(a, Value):
        return getattr(a, name)()
    return {"exp": math.exp, "log": math.log, "tanh": math.tanh, "sigmoid": sigmoid}[name](a)


class Tracker:
    """Evaluates a tree; records the largest intermediate and the ReLU input closest to 0."""

    def __init__(self):
        self.largest, self.closest_kink = 0.0, math.inf

    def see(self, v):
        data = v.data if isinstance(v, Value) else v
        self.largest = max(self.largest, abs(data))
        return v

    def relu(self, a):
        data = a.data if isinstance(a, Value) else a
        self.closest_kink = min(self.closest_kink, abs(data))
        return a.relu() if isinstance(a, Value) else max(a, 0.0)


def evaluate(tree, inputs, tracker):
    """Evaluate an expression tree on floats or on Values (the same code for both)."""
    kind = tree[0]
    if kind == "input":
        return inputs[tree[1]]
    if kind == "const":
        return tree[1]
    args = [evaluate(t, inputs, tracker) for t in tree[2:]]
    op, see = tree[1], tracker.see
    if kind == "unary":
        (a,) = args
        if op == "log":  # keep the argument positive: log(1 + a²)
            return see(_unary("log", a * a + 1))
        if op == "exp":
            if abs(a.data if isinstance(a, Value) else a) > 30:
                return see(a)
            return see(_unary("exp", a))
        if op == "relu":
            return see(tracker.relu(a))
        if op == "square":
            return see(a**2)
        if op == "root":  # (1 + a²) ** 0.5
            return see((a * a + 1) ** 0.5)
        if op == "neg":
            return see(-a)
        if op == "pow2":  # 2 ** tanh(a), a number to a Value's power
            return see(2 ** _unary("tanh", a))
        return see(_unary(op, a))
    a, b = args
    if op == "+":
        return see(a + b)
    if op == "-":
        return see(a - b)
    if op == "*":
        return see(a * b)
    return see(a / (b * b + 1))  # "/": a safe denominator


LEAVES = st.one_of(
    st.tuples(st.just("input"), st.integers(0, N_INPUTS - 1)),
    st.tuples(st.just("const"), st.floats(-2, 2)),
)
UNARY_OPS = st.sampled_from(
    ["exp", "log", "tanh", "sigmoid", "relu", "square", "root", "neg", "pow2"]
)
BINARY_OPS = st.sampled_from(["+", "-", "*", "/"])
TREES = st.recursive(
    LEAVES,
    lambda sub: st.one_of(
        st.tuples(st.just("unary"), UNARY_OPS, sub),
        st.tuples(st.just("binary"), BINARY_OPS, sub, sub),
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(tree=TREES, x=st.lists(st.floats(-2, 2), min_size=N_INPUTS, max_size=N_INPUTS))
def test_random_expression_trees_match_numerical_gradients(tree, x):
    x = np.array(x)
    tracker = Tracker()
    inputs = [Value(float(v), label=f"x{i}") for i, v in enumerate(x)]
    out = evaluate(tree, inputs, tracker)
    if not isinstance(out, Value):  # a tree of constants: nothing to differentiate
        return
    assume(tracker.largest < 1e4 and tracker.closest_kink > 1e-3)
    out.backward()
    analytic = np.array([v.grad for v in inputs])

    def f(v):
        return evaluate(tree, list(v), Tracker())

    numerical = numerical_gradient(f, x)
    scale = 1e-8 * (1 + abs(out.data))  # round-off of the central difference, about eps|f|/h
    assert np.all(
        np.abs(analytic - numerical) <= 1e-6 * (np.abs(analytic) + np.abs(numerical)) + scale
    ), (
        analytic,
        numerical,
    )


def test_expression_tree_helper_agrees_on_floats_and_values():
    tree = ("binary", "*", ("unary", "tanh", ("input", 0)), ("unary", "log", ("input", 1)))
    floats = evaluate(tree, [0.5, 2.0], Tracker())
    values = evaluate(tree, [Value(0.5), Value(2.0)], Tracker())
    assert values.data == pytest.approx(floats)


# --- bad input --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: Value("2"), TypeError, "real number"),
        (lambda: Value(True), TypeError, "real number"),
        (lambda: Value(float("nan")), ValueError, "finite"),
        (lambda: Value(float("inf")), ValueError, "finite"),
        (lambda: Value(-1.0).log(), ValueError, "log needs a positive number; got -1.0"),
        (lambda: Value(2.0) ** Value(3.0), TypeError, "exponent must be a number"),
        (lambda: (-2) ** Value(0.5), ValueError, "positive base"),
        (lambda: Value(1.0) + "a", TypeError, "real number"),
    ],
)
def test_bad_input_gets_a_clear_error(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_repr_shows_data_and_grad():
    x = Value(2.0)
    (x * 3).backward()
    assert repr(x) == "Value(data=2, grad=3)"
