"""Exercise 3's checks against wrong implementations written the way learners write them.

(tests/test_exercises.py already proves, for every item, that the source solutions pass, the
generated stubs fail and every known mistake's message is reachable.)
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from companion.autodiff import Value
from companion.exercises import ITEMS, check


def naive_softmax(z, axis=1):
    e = np.exp(z)  # overflows at 1000
    return e / e.sum(axis=axis, keepdims=True)


def stable_softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def loop_dlogits(logits, labels, divide=True, subtract_one=True, softmax=stable_softmax):
    p = softmax(logits)
    grad = p.copy()
    for n, label in enumerate(labels):
        if subtract_one:
            grad[n, label] -= 1
    return grad / len(logits) if divide else grad


def one_hot_minus_p(logits, labels):
    p = stable_softmax(logits)
    return (np.eye(logits.shape[1])[labels] - p) / len(logits)


def relu_in_place(x, grad_out):
    grad_out[x <= 0] = 0  # changes the caller's array
    return grad_out


def relu_loop(x, grad_out, strict=True):
    grad = np.zeros_like(grad_out)
    for i in np.ndindex(x.shape):
        if (x[i] > 0) if strict else (x[i] >= 0):
            grad[i] = grad_out[i]
    return grad


WRONG = {
    "3.1": [
        ("transposed", lambda x, g: g.T @ x, "your dW has the shape of W transposed"),
        ("transposed via np.dot", lambda x, g: np.dot(g.T, x), "x.T @ grad_out"),
        ("averaged", lambda x, g: x.T @ g / x.shape[0], "divided by the batch size"),
        ("element-wise", lambda x, g: x * g, "raised ValueError"),
        ("first example", lambda x, g: np.outer(x[0], g[0]), "only the first example"),
        ("forgets to return", lambda x, g: None, "forget the `return`"),
    ],
    "3.2": [
        ("times W", lambda g, W: g @ W, "multiplied by W"),
        ("transposed", lambda g, W: W @ g.T, "your dx is transposed"),
        ("flattened", lambda g, W: (g @ W.T).ravel(), "dx must have the shape of x"),
    ],
    "3.3": [
        ("mean", lambda g: g.mean(axis=0), "averaged over the batch"),
        ("wrong axis", lambda g: g.sum(axis=1), "summed over the features"),
        ("total sum", lambda g: g.sum(), "sum grad_out over the batch axis only"),
        ("keepdims", lambda g: g.sum(axis=0, keepdims=True), "db must have the shape of b"),
    ],
    "3.4": [
        ("mask only", lambda x, g: (x > 0) * 1.0, "multiply it by grad_out"),
        ("mask from grad_out", lambda x, g: np.where(g > 0, g, 0.0), "sign of grad_out"),
        ("times x", lambda x, g: np.maximum(x, 0) * g, "you multiplied by x"),
        ("lets 0 through", lambda x, g: relu_loop(x, g, strict=False), "where x == 0"),
        ("inverted", lambda x, g: g * (x < 0), "the mask is inverted"),
        ("in place", relu_in_place, "changed its argument `grad_out`"),
    ],
    "3.5": [
        (
            "no division by B",
            lambda z, y: loop_dlogits(z, y, divide=False),
            "you forgot to divide by the batch size",
        ),
        ("one_hot - p", one_hot_minus_p, "wrong sign"),
        (
            "no one-hot",
            lambda z, y: loop_dlogits(z, y, subtract_one=False),
            "forgot to subtract 1 at the true class",
        ),
        (
            "unstable",
            lambda z, y: loop_dlogits(z, y, softmax=naive_softmax),
            "subtract each row's maximum",
        ),
        (
            "softmax over the batch",
            lambda z, y: (
                (
                    np.exp(z - z.max(axis=0)) / np.exp(z - z.max(axis=0)).sum(axis=0)
                    - np.eye(z.shape[1])[y]
                )
                / len(z)
            ),
            "normalises each column",
        ),
        (
            "divides by C",
            lambda z, y: loop_dlogits(z, y, divide=False) / z.shape[1],
            "divided by the number of classes",
        ),
        (
            "fancy indexing without arange",
            lambda z, y: _whole_columns(z, y),
            "p[np.arange(B), labels] -= 1",
        ),
        (
            "returns the loss",
            lambda z, y: -np.mean(np.log(stable_softmax(z)[np.arange(len(z)), y])),
            "dlogits has the shape of logits",
        ),
    ],
    "3.6": [
        ("no chain rule", lambda out, g: 1 - out**2, "forgot to multiply by grad_out"),
        ("no square", lambda out, g: (1 - out) * g, "forgot the square"),
        ("tanh twice", lambda out, g: (1 - math.tanh(out) ** 2) * g, "applied tanh again"),
        ("sign", lambda out, g: (out * out - 1) * g, "wrong sign"),
        ("returns a Value", lambda out, g: Value((1 - out**2) * g), "not numbers"),
    ],
}


def _whole_columns(z, y):
    p = stable_softmax(z)
    p[:, y] -= 1
    return p / len(z)


@pytest.mark.parametrize(
    ("item_id", "implementation", "expected"),
    [(item_id, impl, expected) for item_id, cases in WRONG.items() for _, impl, expected in cases],
    ids=[f"{item_id}-{name}" for item_id, cases in WRONG.items() for name, _, _ in cases],
)
@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the unstable softmax overflows
def test_realistic_wrong_implementation_gets_a_specific_diagnosis(
    item_id, implementation, expected
):
    feedback = check(item_id, implementation)
    assert not feedback.passed
    assert expected in feedback.message, feedback.message


CORRECT = {
    "3.1": [
        lambda x, g: np.einsum("ni,no->io", x, g),
        lambda x, g: sum(np.outer(xn, gn) for xn, gn in zip(x, g, strict=True)),  # a loop
    ],
    "3.2": [lambda g, W: np.dot(g, W.T), lambda g, W: (W @ g.T).T],
    "3.3": [lambda g: np.sum(g, axis=0), lambda g: np.ones(len(g)) @ g],
    "3.4": [lambda x, g: np.where(x > 0, g, 0.0), relu_loop],
    "3.5": [
        loop_dlogits,
        lambda z, y: (stable_softmax(z) - (np.arange(z.shape[1]) == y[:, None])) / len(z),
    ],
    "3.6": [
        lambda out, g: g / math.cosh(math.atanh(out)) ** 2,  # sech²(x), computed from out
        lambda out, g: g * (1 - out) * (1 + out),
    ],
}


@pytest.mark.parametrize(
    ("item_id", "implementation"),
    [(item_id, impl) for item_id, impls in CORRECT.items() for impl in impls],
)
def test_correct_alternative_implementations_pass(item_id, implementation):
    feedback = check(item_id, implementation)
    assert feedback.passed, feedback


def test_the_items_are_the_chapters_backward_passes():
    """The references agree with companion's own layers, so the exercise teaches the book."""
    from companion.layers import Linear, ReLU
    from companion.losses import softmax_cross_entropy

    layer = Linear(3, 2, seed=0)
    (x, grad_out), *_ = (case.args for case in ITEMS["3.1"].cases())
    layer.forward(x)
    grad_x = layer.backward(grad_out)
    np.testing.assert_allclose(ITEMS["3.1"].reference(x, grad_out), layer.grads[0])
    np.testing.assert_allclose(ITEMS["3.2"].reference(grad_out, layer.W), grad_x)
    np.testing.assert_allclose(ITEMS["3.3"].reference(grad_out), layer.grads[1])
    for case in ITEMS["3.4"].cases():
        relu = ReLU()
        relu.forward(case.args[0])
        np.testing.assert_array_equal(
            ITEMS["3.4"].reference(*case.args), relu.backward(case.args[1])
        )
    for case in ITEMS["3.5"].cases():
        np.testing.assert_allclose(
            ITEMS["3.5"].reference(*case.args), softmax_cross_entropy(*case.args)[1]
        )
    for case in ITEMS["3.6"].cases():
        out, grad_out = case.args
        x = Value(math.atanh(out))
        (x.tanh() * grad_out).backward()
        assert ITEMS["3.6"].reference(out, grad_out) == pytest.approx(x.grad)


def test_exercise_3_has_seven_items_worth_fourteen_points():
    items = [item for item in ITEMS.values() if item.id.startswith("3.")]
    assert [item.id for item in items] == ["3.1", "3.2", "3.3", "3.4", "3.5", "3.6", "3.7"]
    assert sum(item.points for item in items) == 14


def test_the_centering_backward_matches_a_numerical_gradient():
    from companion.gradients import numerical_gradient

    for case in ITEMS["3.7"].cases():
        (g,) = case.args
        x = np.random.default_rng(0).standard_normal(g.shape)
        numeric = numerical_gradient(lambda z, g=g: np.sum(g * (z - z.mean(axis=0))), x)
        assert np.allclose(ITEMS["3.7"].reference(g), numeric, atol=1e-7)


def test_a_pass_through_backward_is_named():
    feedback = check("3.7", lambda grad_out: grad_out.copy())
    assert feedback.score == 0 and "as if the mean were a constant" in feedback.message
