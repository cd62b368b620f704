"""Exercise 3 — backpropagation: the items, their cases and their known mistakes.

The learner writes the backward passes of the book's layers, one gradient at a time (each item
returns one array, so each can be checked on its own): the linear layer's dW, dx and db, ReLU,
the fused softmax cross-entropy, and the backward rule of one ``Value`` operation (tanh).

Every case passes only data; every known mistake is a module-level function that never raises
(a mistake whose shapes do not fit a case returns NaN there, which matches nothing).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .core import Case, Item, Mistake

_rng = np.random.default_rng  # every case draws from its own seeded generator


def _safe(answer: Callable) -> Callable:
    """A mistake's answer, or NaN where the mistaken formula does not even fit the shapes."""

    def wrapped(*args):
        try:
            with np.errstate(all="ignore"):
                return answer(*args)
        except (ValueError, IndexError):
            return np.nan

    return wrapped


# --- 3.1 the linear layer's dW = x.T @ grad_out ----------------------------------------------


def _grad_w_cases() -> list[Case]:
    r = _rng(31)
    return [
        Case(
            "x of shape (4, 3), grad_out of shape (4, 2)",
            (r.standard_normal((4, 3)), r.standard_normal((4, 2))),
        ),
        Case(
            "a square W: x of shape (5, 3), grad_out of shape (5, 3)",
            (r.standard_normal((5, 3)), r.standard_normal((5, 3))),
        ),
        Case(
            "a batch of one: x of shape (1, 2), grad_out of shape (1, 4)",
            (r.standard_normal((1, 2)), r.standard_normal((1, 4))),
        ),
    ]


ITEM_3_1 = Item(
    id="3.1",
    function="linear_grad_W",
    references=("companion.layers.Linear",),
    points=2,
    arg_names=("x", "grad_out"),
    cases=_grad_w_cases,
    reference=lambda x, grad_out: x.T @ grad_out,
    mistakes=(
        Mistake(
            "your dW has the shape of W transposed (grad_out.T @ x gives (out_features, "
            "in_features)); dW must have the shape of W, (in_features, out_features): "
            "dW = x.T @ grad_out",
            _safe(lambda x, grad_out: grad_out.T @ x),
        ),
        Mistake(
            "you divided by the batch size: don't — grad_out already carries the loss's 1/B, "
            "so dW = x.T @ grad_out",
            _safe(lambda x, grad_out: x.T @ grad_out / len(x)),
        ),
        Mistake(
            "you used only the first example: dW sums x_nᵀ grad_out_n over the whole batch, "
            "which x.T @ grad_out does in one product",
            _safe(lambda x, grad_out: np.outer(x[0], grad_out[0])),
        ),
        Mistake(
            "has the wrong sign: dW = x.T @ grad_out (the minus sign belongs to the descent "
            "step, not to the gradient)",
            _safe(lambda x, grad_out: -(x.T @ grad_out)),
        ),
    ),
    hints={
        "shape": "dW must have the shape of W, (in_features, out_features) = (x.shape[1], "
        "grad_out.shape[1]); if yours is the other way round, your dW has the shape of W "
        "transposed: use x.T @ grad_out.",
        "mutated": "compute a new array (x.T @ grad_out) instead of changing the inputs",
    },
)


# --- 3.2 the linear layer's dx = grad_out @ W.T ----------------------------------------------


def _grad_x_cases() -> list[Case]:
    r = _rng(32)
    return [
        Case(
            "grad_out of shape (4, 2), W of shape (3, 2)",
            (r.standard_normal((4, 2)), r.standard_normal((3, 2))),
        ),
        Case(
            "a square W: grad_out of shape (5, 3), W of shape (3, 3)",
            (r.standard_normal((5, 3)), r.standard_normal((3, 3))),
        ),
        Case(
            "B = in_features: grad_out of shape (3, 2), W of shape (3, 2)",
            (r.standard_normal((3, 2)), r.standard_normal((3, 2))),
        ),
    ]


ITEM_3_2 = Item(
    id="3.2",
    function="linear_grad_x",
    references=("companion.layers.Linear",),
    points=2,
    arg_names=("grad_out", "W"),
    cases=_grad_x_cases,
    reference=lambda grad_out, W: grad_out @ W.T,
    mistakes=(
        Mistake(
            "you multiplied by W: the gradient flows back through W transposed, "
            "dx = grad_out @ W.T",
            _safe(lambda grad_out, W: grad_out @ W),
        ),
        Mistake(
            "your dx is transposed: it must have the shape of x, (B, in_features), so "
            "dx = grad_out @ W.T (not W @ grad_out.T)",
            _safe(lambda grad_out, W: W @ grad_out.T),
        ),
        Mistake(
            "you divided by the batch size: don't — grad_out already carries the loss's 1/B",
            _safe(lambda grad_out, W: grad_out @ W.T / len(grad_out)),
        ),
        Mistake(
            "has the wrong sign: dx = grad_out @ W.T",
            _safe(lambda grad_out, W: -(grad_out @ W.T)),
        ),
    ),
    hints={
        "shape": "dx must have the shape of x, (B, in_features): grad_out is (B, "
        "out_features) and W is (in_features, out_features), so the product that fits is "
        "grad_out @ W.T.",
    },
)


# --- 3.3 the linear layer's db = grad_out.sum(axis=0) ----------------------------------------


def _grad_b_cases() -> list[Case]:
    r = _rng(33)
    return [
        Case("grad_out of shape (4, 3)", (r.standard_normal((4, 3)),)),
        Case("grad_out of shape (3, 3) (B = out_features)", (r.standard_normal((3, 3)),)),
        Case("grad_out of shape (6, 2)", (r.standard_normal((6, 2)),)),
    ]


ITEM_3_3 = Item(
    id="3.3",
    function="linear_grad_b",
    references=("companion.layers.Linear",),
    points=1,
    arg_names=("grad_out",),
    cases=_grad_b_cases,
    reference=lambda grad_out: grad_out.sum(axis=0),
    mistakes=(
        Mistake(
            "you averaged over the batch: b is added to every row, so db is the *sum* of "
            "grad_out over the batch, grad_out.sum(axis=0) (the 1/B is already in grad_out)",
            _safe(lambda grad_out: grad_out.mean(axis=0)),
        ),
        Mistake(
            "you summed over the features (axis=1): sum over the batch instead, "
            "grad_out.sum(axis=0)",
            _safe(lambda grad_out: grad_out.sum(axis=1)),
        ),
        Mistake(
            "you used only the first example: sum grad_out over every row of the batch",
            _safe(lambda grad_out: grad_out[0].copy()),
        ),
    ),
    hints={
        "shape": "db must have the shape of b, (out_features,): sum grad_out over the batch "
        "axis only, grad_out.sum(axis=0).",
    },
)


# --- 3.4 ReLU's backward ---------------------------------------------------------------------


def _relu_cases() -> list[Case]:
    r = _rng(34)
    x = r.uniform(-2, 2, (2, 3))
    x[0, 1] = 0.0  # the kink
    return [
        Case("x of shape (2, 3) with a 0 at [0, 1]", (x, r.uniform(-2, 2, (2, 3)))),
        Case(
            "x and grad_out of shape (5,)",
            (np.array([-1.5, 0.3, 0.0, 2.0, -0.2]), np.array([0.7, -1.1, 2.5, -0.4, 1.3])),
        ),
        Case(
            "x of shape (2, 2, 2)",
            (r.uniform(-2, 2, (2, 2, 2)), r.uniform(-2, 2, (2, 2, 2))),
        ),
    ]


ITEM_3_4 = Item(
    id="3.4",
    function="relu_backward",
    references=("companion.layers.ReLU",),
    points=2,
    arg_names=("x", "grad_out"),
    cases=_relu_cases,
    reference=lambda x, grad_out: grad_out * (x > 0),
    mistakes=(
        Mistake(
            "you returned the local gradient (the mask) alone: multiply it by grad_out — "
            "the chain rule — grad_out * (x > 0)",
            _safe(lambda x, grad_out: (x > 0).astype(float)),
        ),
        Mistake(
            "you masked with the sign of grad_out: the mask comes from the forward pass's "
            "input, x > 0",
            _safe(lambda x, grad_out: grad_out * (grad_out > 0)),
        ),
        Mistake(
            "you multiplied by x: ReLU's local gradient is 1 where x > 0 (and 0 elsewhere), not x",
            _safe(lambda x, grad_out: grad_out * x * (x > 0)),
        ),
        Mistake(
            "you let the gradient through where x == 0: use x > 0 (at the kink the course, "
            "like PyTorch, takes the gradient to be 0)",
            _safe(lambda x, grad_out: grad_out * (x >= 0)),
        ),
        Mistake(
            "the mask is inverted: pass the gradient where x > 0 and block it where x <= 0",
            _safe(lambda x, grad_out: grad_out * (x <= 0)),
        ),
    ),
    hints={
        "shape": "Return an array shaped like x (and grad_out).",
        "mutated": "don't zero entries of grad_out in place: build a new array, grad_out * (x > 0)",
    },
)


# --- 3.5 the fused softmax cross-entropy's backward ------------------------------------------


def _softmax(z: np.ndarray, axis: int = 1) -> np.ndarray:
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _one_hot(labels: np.ndarray, classes: int) -> np.ndarray:
    return np.eye(classes)[labels]


def _reference_dlogits(logits, labels):
    n, classes = logits.shape
    return (_softmax(logits) - _one_hot(labels, classes)) / n


def _whole_columns(logits, labels):
    p = _softmax(logits)
    p[:, labels] -= 1
    return p / len(logits)


def _softmax_cases() -> list[Case]:
    r = _rng(35)
    return [
        Case("logits of shape (4, 3)", (r.standard_normal((4, 3)), np.array([0, 2, 2, 1]))),
        Case("logits of shape (2, 5)", (2 * r.standard_normal((2, 5)), np.array([4, 0]))),
        Case(
            "logits of ±1000",
            (
                np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 500.0], [0.0, 0.0, 1000.0]]),
                np.array([0, 2, 1]),
            ),
        ),
    ]


ITEM_3_5 = Item(
    id="3.5",
    function="softmax_cross_entropy_backward",
    references=("companion.losses.softmax_cross_entropy",),
    points=3,
    arg_names=("logits", "labels"),
    cases=_softmax_cases,
    reference=_reference_dlogits,
    mistakes=(
        Mistake(
            "you forgot to divide by the batch size: the loss is the mean over B examples, "
            "so dlogits = (p - one_hot) / B",
            _safe(lambda z, y: _reference_dlogits(z, y) * len(z)),
        ),
        Mistake(
            "has the wrong sign: dlogits = (p - one_hot) / B, not (one_hot - p) / B",
            _safe(lambda z, y: -_reference_dlogits(z, y)),
        ),
        Mistake(
            "you forgot to subtract 1 at the true class: dlogits = (p - one_hot) / B",
            _safe(lambda z, y: _softmax(z) / len(z)),
        ),
        Mistake(
            "your softmax normalises each column, over the batch: normalise each row, over "
            "the classes (sum with axis=1, keepdims=True)",
            _safe(lambda z, y: (_softmax(z, axis=0) - _one_hot(y, z.shape[1])) / len(z)),
        ),
        Mistake(
            "you divided by the number of classes: divide by the batch size B = logits.shape[0]",
            _safe(lambda z, y: _reference_dlogits(z, y) * len(z) / z.shape[1]),
        ),
        Mistake(
            "you subtracted 1 in whole columns (p[:, labels] -= 1): subtract it once per row, "
            "at that row's label: p[np.arange(B), labels] -= 1",
            _safe(_whole_columns),
        ),
    ),
    hints={
        "shape": "dlogits has the shape of logits, (B, C).",
        "nonfinite": "np.exp overflows for large logits: subtract each row's maximum first, "
        "z - z.max(axis=1, keepdims=True). The softmax doesn't change, and the largest "
        "exponent becomes e^0 = 1.",
        "mutated": "work on a copy: p = softmax(logits) is a new array you may change",
    },
)


# --- 3.6 the backward rule of Value.tanh -----------------------------------------------------


def _tanh_cases() -> list[Case]:
    return [
        Case("out = tanh(0.5), grad_out = 2.0", (float(np.tanh(0.5)), 2.0)),
        Case("out = tanh(-1.2), grad_out = -0.5", (float(np.tanh(-1.2)), -0.5)),
        Case("out = tanh(2.0), grad_out = 3.0", (float(np.tanh(2.0)), 3.0)),
    ]


ITEM_3_6 = Item(
    id="3.6",
    function="tanh_backward",
    references=("companion.autodiff.Value.tanh",),
    points=2,
    arg_names=("out", "grad_out"),
    cases=_tanh_cases,
    reference=lambda out, grad_out: (1 - out**2) * grad_out,
    mistakes=(
        Mistake(
            "you forgot to multiply by grad_out (out.grad, the gradient arriving from above): "
            "the chain rule gives (1 - out**2) * grad_out",
            lambda out, grad_out: 1 - out**2,
        ),
        Mistake(
            "you forgot the square: d tanh(x)/dx = 1 - tanh(x)**2 = 1 - out**2",
            lambda out, grad_out: (1 - out) * grad_out,
        ),
        Mistake(
            "you applied tanh again: out is already tanh(x), stored by the forward pass — "
            "reuse it, (1 - out**2) * grad_out",
            lambda out, grad_out: (1 - np.tanh(out) ** 2) * grad_out,
        ),
        Mistake(
            "has the wrong sign: the local derivative is 1 - out**2 (positive), not out**2 - 1",
            lambda out, grad_out: (out**2 - 1) * grad_out,
        ),
        Mistake(
            "you multiplied by out itself: tanh is not its own derivative; the local "
            "derivative is 1 - out**2",
            lambda out, grad_out: out * grad_out,
        ),
    ),
    hints={"shape": "Return one number: what to add to x.grad."},
)

# --- 3.7 center_backward(grad_out) -------------------------------------------------------------


def _center_backward(grad_out):
    """y = x − mean(x over the batch): every x_i moves every y_j, so
    dJ/dx = g − mean(g over the batch)."""
    return grad_out - grad_out.mean(axis=0, keepdims=True)


def _center_cases() -> list[Case]:
    r = _rng(37)
    return [
        Case("grad_out of shape (4, 3)", (r.standard_normal((4, 3)),)),
        Case("grad_out of shape (6, 2)", (r.standard_normal((6, 2)) + 1.0,)),
        Case("a batch of 2 with one feature, grad_out = [[1], [3]]", (np.array([[1.0], [3.0]]),)),
    ]


ITEM_3_7 = Item(
    id="3.7",
    kind="derive",
    function="center_backward",
    points=2,
    arg_names=("grad_out",),
    cases=_center_cases,
    reference=_center_backward,
    mistakes=(
        Mistake(
            "passes grad_out through unchanged, as if the mean were a constant: it depends on "
            "every x_i of the batch, so dJ/dx_i = g_i − mean(g)",
            _safe(lambda g: g.copy()),
        ),
        Mistake(
            "takes the mean over the features (axis 1): the layer subtracts the mean over the "
            "batch, axis 0, so the backward pass does too",
            _safe(lambda g: g - g.mean(axis=1, keepdims=True)),
        ),
        Mistake(
            "subtracts the sum, not the mean: d mean / d x_i = 1/B",
            _safe(lambda g: g - g.sum(axis=0, keepdims=True)),
        ),
        Mistake(
            "has the wrong sign: y_j = x_j − mean(x), so dJ/dx_i = g_i − mean(g)",
            _safe(lambda g: -(g - g.mean(axis=0, keepdims=True))),
        ),
    ),
    hints={"shape": "Return an array shaped like grad_out (and like x)."},
)


ITEMS = (ITEM_3_1, ITEM_3_2, ITEM_3_3, ITEM_3_4, ITEM_3_5, ITEM_3_6, ITEM_3_7)
