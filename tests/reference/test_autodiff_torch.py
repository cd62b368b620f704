"""companion.autodiff.Value against torch.autograd: random expression trees, float64.

The same tree is evaluated twice by the same code — once on ``Value`` inputs, once on float64
scalar tensors — since both overload the same operators and name their functions alike
(``x.exp()``, ``x.log()``, ``x.tanh()``, ``x.sigmoid()``, ``x.relu()``). Then ``backward`` on
both, and the value and every input's gradient must agree to 1e-10.

The tolerance is relative to the largest number the computation went through: for the value,
the largest intermediate value; for a gradient, the largest gradient of any node. The two
libraries round differently here and there (``Value`` divides as ``a * b**-1``, PyTorch in one
operation; 1 - tanh² cancels as tanh saturates, and each library rounds it its own way), so a
result that cancels to about 0, such as the gradient of x/x, agrees to the rounding of the
terms it came from, not to 1e-10 of itself. Each operation alone is also compared at chosen
points, every value and (but tanh's) every derivative relative to itself.
"""

from __future__ import annotations

import math

import pytest
import torch
from _torch_reference import F64, assert_close
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from companion.autodiff import Value

N_INPUTS = 3
LARGEST = 1e4  # trees whose intermediate values grow larger than this are not used

# A tree is a nested tuple (kind, ...): an "input" i or a "const"ant; a "unary" function, a
# "power" (x ** p) or a "base" (b ** x) of a subtree; a subtree used "twice" by one operation;
# a "number" op subtree (Python's reflected operators, __rsub__ ...); or a "binary" operation.
FUNCTIONS = ["exp", "tanh", "sigmoid", "relu", "log", "neg"]
POWERS = [2.0, 3.0, -1.0, -2.0, 0.5, 1.5]
BASES = [2.0, 0.5, math.e]
LEAVES = st.one_of(
    st.tuples(st.just("input"), st.integers(0, N_INPUTS - 1)),
    st.tuples(st.just("const"), st.floats(-2, 2)),
)
TREES = st.recursive(
    LEAVES,
    lambda tree: st.one_of(
        st.tuples(st.just("unary"), st.sampled_from(FUNCTIONS), tree),
        st.tuples(st.just("power"), st.sampled_from(POWERS), tree),
        st.tuples(st.just("base"), st.sampled_from(BASES), tree),
        st.tuples(st.just("twice"), st.sampled_from("+-*"), tree),
        st.tuples(st.just("number"), st.sampled_from("+-*/"), st.floats(-2, 2), tree),
        st.tuples(st.just("binary"), st.sampled_from("+-*/"), tree, tree),
    ),
    max_leaves=16,
)
# Inputs of either sign, or exactly 0 (ReLU's kink), but not so small that x/x overflows.
INPUTS = st.lists(
    st.one_of(st.just(0.0), st.floats(0.1, 3), st.floats(-3, -0.1)),
    min_size=N_INPUTS,
    max_size=N_INPUTS,
)


ARITHMETIC = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
}


def evaluate(tree: tuple, inputs: list):
    """Evaluate a tree on Values or on tensors (constant subtrees on plain numbers)."""
    kind = tree[0]
    if kind == "input":
        return inputs[tree[1]]
    if kind == "const":
        return tree[1]
    if kind == "number":  # a Python number on the left: __radd__, __rsub__, __rmul__, ...
        return ARITHMETIC[tree[1]](tree[2], evaluate(tree[3], inputs))
    if kind == "binary":
        return ARITHMETIC[tree[1]](evaluate(tree[2], inputs), evaluate(tree[3], inputs))
    a = evaluate(tree[2], inputs)
    if isinstance(a, float):  # a constant subtree: make it a node, as the inputs are
        a = Value(a) if isinstance(inputs[0], Value) else torch.tensor(a, dtype=torch.float64)
    if kind == "twice":  # the same node feeds both operands: its gradients must add up
        return {"+": lambda: a + a, "-": lambda: a - 0.5 * a, "*": lambda: a * a}[tree[1]]()
    if kind == "power":
        p = tree[1]
        return a**p if p.is_integer() else (a * a + 0.5) ** p  # a positive base for p = 0.5
    if kind == "base":
        return tree[1] ** a
    if tree[1] == "neg":
        return -a
    if tree[1] == "log":
        return (a * a + 0.5).log()  # a positive argument
    return getattr(a, tree[1])()  # exp, tanh, sigmoid, relu: the same method names


def build(tree, xs):
    """The output Value and the inputs; None for a tree that cannot be compared."""
    inputs = [Value(x, label=f"x{i}") for i, x in enumerate(xs)]
    try:
        out = evaluate(tree, inputs)
    except (ValueError, TypeError, ZeroDivisionError, OverflowError):
        return None, inputs  # log or a power of a negative number, 1/0, exp overflow, ...
    if not isinstance(out, Value):
        return None, inputs
    nodes = out._topological_order()
    if not any(x in nodes for x in inputs) or max(abs(node.data) for node in nodes) > LARGEST:
        return None, inputs  # a function of constants only, or one that grows too large
    return out, inputs


def compare(tree, xs, upstream: float = 1.0) -> None:
    out, inputs = build(tree, xs)
    assume(out is not None)
    try:
        out.backward(upstream)
    except (OverflowError, ZeroDivisionError):
        assume(False)
    nodes = out._topological_order()
    value_scale = max(abs(node.data) for node in nodes)
    grad_scale = max(abs(node.grad) for node in nodes)

    leaves = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    reference = evaluate(tree, leaves)
    reference.backward(torch.tensor(upstream, dtype=torch.float64))

    assert_close(out.data, reference, F64, "Value: value", scale=value_scale)
    for ours, theirs in zip(inputs, leaves, strict=True):
        expected = 0.0 if theirs.grad is None else theirs.grad  # an input the tree never uses
        assert_close(ours.grad, expected, F64, "Value: gradient", scale=grad_scale)


@settings(max_examples=400, deadline=None)
@given(tree=TREES, xs=INPUTS)
def test_random_expression_trees_match_torch_autograd(tree, xs):
    compare(tree, xs)


@settings(max_examples=100, deadline=None)
@given(tree=TREES, xs=INPUTS, upstream=st.floats(-3, 3))
def test_backward_with_an_incoming_gradient_matches_torchs_gradient_argument(tree, xs, upstream):
    compare(tree, xs, upstream)


OPS = {
    "exp": lambda v: v.exp(),
    "log": lambda v: v.log(),
    "tanh": lambda v: v.tanh(),
    "sigmoid": lambda v: v.sigmoid(),
    "relu": lambda v: v.relu(),
    "x ** 3": lambda v: v**3,
    "x ** -0.5": lambda v: v**-0.5,
    "3 ** x": lambda v: 3.0**v,
    "1 / x": lambda v: 1.0 / v,
    "2 - x": lambda v: 2.0 - v,
}
POSITIVE_ONLY = ("log", "x ** -0.5")
POINTS = [0.0, 1e-3, 0.7, 2.5, 9.0, 40.0, -0.4, -6.0, -40.0]


@pytest.mark.parametrize(
    ("name", "x"),
    [
        (name, x)
        for name in OPS
        for x in POINTS
        if not (name in POSITIVE_ONLY and x <= 0 or name == "1 / x" and x == 0)
    ],
)
def test_each_operation_matches_torch(name, x):
    ours = Value(x)
    out = OPS[name](ours)
    out.backward()
    theirs = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    reference = OPS[name](theirs)
    reference.backward()
    assert_close(out.data, reference, F64, "Value: each operation")
    # Each derivative relative to itself — sigmoid's too, tiny as it is at -40 — except
    # tanh's, 1 - tanh², which cancels as tanh saturates: relative to its largest value, 1.
    scale = 1.0 if name == "tanh" else 0.0
    assert_close(ours.grad, theirs.grad, F64, "Value: each operation", scale=scale)


def test_relu_at_its_kink_passes_no_gradient_in_either():
    ours, theirs = Value(0.0), torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
    ours.relu().backward()
    theirs.relu().backward()
    assert ours.grad == theirs.grad.item() == 0.0


def test_pinned_difference_backward_twice_resets_where_torch_accumulates():
    """Value.backward's docstring: calling it twice gives the same answer; PyTorch adds."""
    x = Value(1.5)
    y = x * x
    y.backward()
    y.backward()
    assert x.grad == 3.0

    t = torch.tensor(1.5, dtype=torch.float64, requires_grad=True)
    z = t * t
    z.backward(retain_graph=True)
    z.backward()
    assert t.grad.item() == 6.0  # accumulated: 3 + 3
    assert "(PyTorch instead adds to ``.grad`` across calls.)" in Value.backward.__doc__
