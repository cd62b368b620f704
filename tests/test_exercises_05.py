"""Exercise 5's checks against wrong implementations written the way learners write them.

(tests/test_exercises.py already proves, for every item, that the source solutions pass, the
generated stubs fail and every known mistake's message is reachable.)
"""

from __future__ import annotations

import numpy as np
import pytest
from _adversaries import unwatched

from companion.exercises import ITEMS, check
from companion.exercises.ex05 import bowl_gradient
from companion.optim import SGD

# --- 5.1 the heavy ball -------------------------------------------------------------------------


def old_buffer_step(theta, grad, buf, lr, momentum):
    new_theta = theta - lr * buf  # steps before updating the buffer
    return new_theta, momentum * buf + grad


def ewma_step(theta, grad, buf, lr, momentum):
    buf = momentum * buf + (1 - momentum) * grad
    return theta - lr * buf, buf


def in_place_step(theta, grad, buf, lr, momentum):
    buf *= momentum
    buf += grad
    return theta - lr * buf, buf


def velocity_step(theta, grad, buf, lr, momentum):
    v = momentum * buf - lr * grad  # Sutskever's velocity, fed PyTorch's buffer
    return theta + v, v


def lr_in_buffer(theta, grad, buf, lr, momentum):
    buf = momentum * buf + lr * grad
    return theta - buf, buf


def theta_only(theta, grad, buf, lr, momentum):
    return theta - lr * (momentum * buf + grad)


def gradient_step_keeps_buffer(theta, grad, buf, lr, momentum):
    buf = momentum * buf + grad
    return theta - lr * grad, buf


# --- 5.2 Nesterov -------------------------------------------------------------------------------


def heavy_ball_velocity(theta, velocity, grad_fn, lr, momentum):
    velocity = momentum * velocity - lr * grad_fn(theta)
    return theta + velocity, velocity


def full_look_ahead(theta, velocity, grad_fn, lr, momentum):
    velocity = momentum * velocity - lr * grad_fn(theta + velocity)
    return theta + velocity, velocity


def pytorch_point(theta, velocity, grad_fn, lr, momentum):
    velocity = momentum * velocity - lr * grad_fn(theta + momentum * velocity)
    theta = theta + velocity
    return theta + momentum * velocity, velocity


def moves_first(theta, velocity, grad_fn, lr, momentum):
    new_theta = theta + velocity
    velocity = momentum * velocity - lr * grad_fn(theta + momentum * velocity)
    return new_theta, velocity


def in_place_nesterov(theta, velocity, grad_fn, lr, momentum):
    velocity *= momentum
    velocity -= lr * grad_fn(theta + velocity)
    theta += velocity
    return theta, velocity


def plus_gradient(theta, velocity, grad_fn, lr, momentum):
    velocity = momentum * velocity + lr * grad_fn(theta + momentum * velocity)
    return theta + velocity, velocity


WRONG = {
    "5.1": [
        ("steps before updating", old_buffer_step, "steps with the old buffer"),
        ("EWMA buffer", ewma_step, "averages instead of summing"),
        ("in place", in_place_step, "changed its argument `buf`"),
        ("Sutskever velocity", velocity_step, "velocity form"),
        ("lr in the buffer", lr_in_buffer, "puts the learning rate into the buffer"),
        ("returns theta only", theta_only, "Return two arrays"),
        ("steps along g", gradient_step_keeps_buffer, "steps along the gradient alone"),
        ("forgets to return", lambda *args: None, "forget the `return`"),
    ],
    "5.2": [
        ("gradient at theta", heavy_ball_velocity, "that is the heavy ball"),
        ("theta + v", full_look_ahead, "looks ahead by the whole velocity"),
        ("returns the look-ahead point", pytorch_point, "returns the look-ahead point"),
        ("moves with the old velocity", moves_first, "moves θ by the old velocity"),
        ("in place", in_place_nesterov, "changed its argument"),
        ("+ lr grad", plus_gradient, "climbs"),
    ],
}


@pytest.mark.parametrize(
    ("item_id", "implementation", "expected"),
    [(item_id, impl, expected) for item_id, rows in WRONG.items() for _, impl, expected in rows],
    ids=[f"{item_id}-{name}" for item_id, rows in WRONG.items() for name, _, _ in rows],
)
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_realistic_wrong_implementation_gets_a_specific_diagnosis(
    item_id, implementation, expected
):
    feedback = check(item_id, implementation)
    assert not feedback.passed
    assert expected in feedback.message, feedback.message


def companion_heavy_ball(theta, grad, buf, lr, momentum):
    """The companion's SGD, primed so that its buffer is `buf` (one step with grad = buf)."""
    if momentum == 0:
        new = theta.copy()
        SGD([new], lr=lr).step([grad])
        return new, momentum * buf + grad
    new = theta.copy()
    opt = SGD([new], lr=lr, momentum=momentum)
    opt.state[0] = {"momentum_buffer": buf.copy()}
    opt.step([grad])
    return new, opt.state[0]["momentum_buffer"]


def look_ahead_then_move(theta, velocity, grad_fn, lr, momentum):
    """Written the other way round: the look-ahead point first, a list returned."""
    ahead = theta + momentum * velocity
    step = -lr * grad_fn(ahead)
    return [ahead + step, momentum * velocity + step]


@pytest.mark.parametrize(
    ("item_id", "implementation"),
    [
        ("5.1", companion_heavy_ball),
        (
            "5.1",
            lambda theta, grad, buf, lr, momentum: (
                theta - lr * np.add(np.multiply(buf, momentum), grad),
                np.add(np.multiply(buf, momentum), grad),
            ),
        ),
        ("5.2", look_ahead_then_move),
    ],
)
def test_correct_alternative_implementations_pass(item_id, implementation):
    # (one of these uses the companion's SGD, which a submission may not)
    with unwatched(item_id):
        assert check(item_id, implementation).passed


def test_the_heavy_ball_cases_start_from_an_empty_buffer_and_from_a_full_one():
    buffers = [case.args[2] for case in ITEMS["5.1"].cases()]
    assert any(not b.any() for b in buffers) and any(b.any() for b in buffers)


def test_the_nesterov_cases_need_the_look_ahead():
    """In every case with momentum, the gradient at θ differs from the one at θ + βv."""
    for case in ITEMS["5.2"].cases():
        theta, velocity, grad_fn, _, momentum = case.args
        if momentum and velocity.any():
            assert not np.allclose(grad_fn(theta), grad_fn(theta + momentum * velocity))
    assert bowl_gradient(np.ones(2)).tolist() == [1.0, 25.0]


# --- 5.3 the heavy ball's edge of stability -------------------------------------------------------


@pytest.mark.parametrize("case", ITEMS["5.3"].cases(), ids=lambda c: c.label)
def test_the_derived_edge_is_where_the_companion_s_rate_map_crosses_one(case):
    from companion.optim import momentum_rate

    momentum, L = case.args
    edge = ITEMS["5.3"].reference(momentum, L)
    assert (
        momentum_rate([L], 0.999 * edge, momentum) < 1 < momentum_rate([L], 1.001 * edge, momentum)
    )


@pytest.mark.parametrize(
    ("implementation", "expected"),
    [
        (lambda momentum, L: 2 / L, "gradient descent's bound"),
        (lambda momentum, L: 2 / L * (1 - momentum), "effective learning rate"),
        (lambda momentum, L: (1 + momentum) / L, "half the bound"),
    ],
)
def test_realistic_wrong_edges_are_named(implementation, expected):
    feedback = check("5.3", implementation)
    assert feedback.score == 0 and expected in feedback.message


def test_finding_the_edge_with_the_companion_s_rate_map_is_flagged():
    from companion.optim import momentum_rate

    def bisect(momentum, L):
        low, high = 0.0, 10.0 / L
        for _ in range(60):
            mid = (low + high) / 2
            low, high = (mid, high) if momentum_rate([L], mid, momentum) < 1 else (low, mid)
        return low

    feedback = check("5.3", bisect)
    assert feedback.score == 0 and "companion.optim.momentum_rate" in feedback.flag
