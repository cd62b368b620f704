"""Exercise 6's checks against wrong implementations written the way learners write them."""

from __future__ import annotations

import numpy as np
import pytest
from _adversaries import unwatched

from companion.exercises import ITEMS, check
from companion.optim import Adam, RMSprop

# --- 6.1 RMSProp --------------------------------------------------------------------------------


def eps_inside(theta, grad, square_avg, lr, alpha, eps):
    v = alpha * square_avg + (1 - alpha) * grad**2
    return theta - lr * grad / np.sqrt(v + eps), v


def adagrad_sum(theta, grad, square_avg, lr, alpha, eps):
    v = square_avg + grad**2
    return theta - lr * grad / (np.sqrt(v) + eps), v


def old_average(theta, grad, square_avg, lr, alpha, eps):
    new_theta = theta - lr * grad / (np.sqrt(square_avg) + eps)
    return new_theta, alpha * square_avg + (1 - alpha) * grad**2


def swapped_alpha(theta, grad, square_avg, lr, alpha, eps):
    v = (1 - alpha) * square_avg + alpha * grad * grad
    return theta - lr * grad / (np.sqrt(v) + eps), v


def no_root(theta, grad, square_avg, lr, alpha, eps):
    v = alpha * square_avg + (1 - alpha) * grad**2
    return theta - lr * grad / (v + eps), v


def in_place_rmsprop(theta, grad, square_avg, lr, alpha, eps):
    square_avg *= alpha
    square_avg += (1 - alpha) * grad**2
    return theta - lr * grad / (np.sqrt(square_avg) + eps), square_avg


def no_eps(theta, grad, square_avg, lr, alpha, eps):
    v = alpha * square_avg + (1 - alpha) * grad**2
    return theta - lr * grad / np.sqrt(v), v


# --- 6.2 Adam -----------------------------------------------------------------------------------


def adam_with(theta, grad, m, v, step, lr, beta1, beta2, eps, t=None, correct=True, keep=False):
    t = step + 1 if t is None else t
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    m_hat = m / (1 - beta1**t) if correct else m
    v_hat = v / (1 - beta2**t) if correct else v
    theta = theta - lr * m_hat / (np.sqrt(v_hat) + eps)
    return (theta, m_hat, v_hat) if keep else (theta, m, v)


def counts_from_zero(theta, grad, m, v, step, lr, beta1, beta2, eps):
    return adam_with(theta, grad, m, v, step, lr, beta1, beta2, eps, t=step)


def uncorrected(theta, grad, m, v, step, lr, beta1, beta2, eps):
    return adam_with(theta, grad, m, v, step, lr, beta1, beta2, eps, correct=False)


def keeps_corrected(theta, grad, m, v, step, lr, beta1, beta2, eps):
    return adam_with(theta, grad, m, v, step, lr, beta1, beta2, eps, keep=True)


def eps_in_root(theta, grad, m, v, step, lr, beta1, beta2, eps):
    t = step + 1
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    return theta - lr * (m / (1 - beta1**t)) / np.sqrt(v / (1 - beta2**t) + eps), m, v


def eps_before_correction(theta, grad, m, v, step, lr, beta1, beta2, eps):
    t = step + 1
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad**2
    step_size = lr * np.sqrt(1 - beta2**t) / (1 - beta1**t)  # Kingma & Ba's "efficient" form
    return theta - step_size * m / (np.sqrt(v) + eps), m, v


def in_place_adam(theta, grad, m, v, step, lr, beta1, beta2, eps):
    m *= beta1
    m += (1 - beta1) * grad
    v *= beta2
    v += (1 - beta2) * grad**2
    t = step + 1
    return theta - lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps), m, v


def returns_theta_only(theta, grad, m, v, step, lr, beta1, beta2, eps):
    return adam_with(theta, grad, m, v, step, lr, beta1, beta2, eps)[0]


WRONG = {
    "6.1": [
        ("eps inside the root", eps_inside, "puts eps inside the square root"),
        ("AdaGrad's sum", adagrad_sum, "that is AdaGrad"),
        ("old average", old_average, "divides by the old average"),
        ("swapped alpha", swapped_alpha, "swaps alpha and 1 − alpha"),
        ("no square root", no_root, "forgets the square root"),
        ("in place", in_place_rmsprop, "changed its argument `square_avg`"),
        ("returns a tuple of three", lambda *a: (*eps_inside(*a), 0.0), "not numbers"),
    ],
    "6.2": [
        ("t = step", counts_from_zero, "uses the step count from before this step"),
        ("no correction", uncorrected, "has no bias correction"),
        ("stores m_hat", keeps_corrected, "returns the corrected moments"),
        ("eps in the root", eps_in_root, "puts eps inside the square root"),
        ("efficient form", eps_before_correction, "adds eps before the bias correction"),
        ("in place", in_place_adam, "changed its argument"),
        ("theta only", returns_theta_only, "Return three arrays"),
    ],
}


@pytest.mark.parametrize(
    ("item_id", "implementation", "expected"),
    [(item_id, impl, expected) for item_id, rows in WRONG.items() for _, impl, expected in rows],
    ids=[f"{item_id}-{name}" for item_id, rows in WRONG.items() for name, _, _ in rows],
)
@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the wrong steps divide by zero
def test_realistic_wrong_implementation_gets_a_specific_diagnosis(
    item_id, implementation, expected
):
    feedback = check(item_id, implementation)
    assert not feedback.passed
    assert expected in feedback.message, feedback.message


def test_eps_forgotten_fails_where_eps_matters():
    feedback = check("6.1", no_eps)
    assert not feedback.passed and 0 < feedback.score < 1


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # 1 - beta**0 = 0
def test_counting_from_zero_divides_by_zero_on_the_first_step_and_is_named_on_the_others():
    feedback = check("6.2", counts_from_zero)
    assert "nan or inf" in feedback.case_messages[0]
    assert "1 − β**0 = 0" in feedback.case_messages[0]  # the hint explains the first step
    assert feedback.message.startswith("the bias correction uses the step count")


def companion_rmsprop(theta, grad, square_avg, lr, alpha, eps):
    new = theta.copy()
    opt = RMSprop([new], lr=lr, alpha=alpha, eps=eps)
    opt.state[0] = {"step": 0, "square_avg": square_avg.copy()}
    opt.step([grad])
    return new, opt.state[0]["square_avg"]


def companion_adam(theta, grad, m, v, step, lr, beta1, beta2, eps):
    new = theta.copy()
    opt = Adam([new], lr=lr, betas=(beta1, beta2), eps=eps)
    opt.state[0] = {"step": step, "exp_avg": m.copy(), "exp_avg_sq": v.copy()}
    opt.step([grad])
    return new, opt.state[0]["exp_avg"], opt.state[0]["exp_avg_sq"]


@pytest.mark.parametrize(
    ("item_id", "implementation"),
    [("6.1", companion_rmsprop), ("6.2", companion_adam)],
)
def test_the_companions_optimizers_pass_the_checks(item_id, implementation):
    with unwatched(item_id):  # the companion's own code agrees with the check
        assert check(item_id, implementation).passed


def test_the_adam_cases_include_the_first_step_and_a_late_one():
    steps = [case.args[4] for case in ITEMS["6.2"].cases()]
    assert 0 in steps and max(steps) >= 1000


# --- 6.2 as a debugging item, 6.3 when the correction fades ------------------------------------


def test_the_notebook_s_broken_adam_is_diagnosed_as_missing_the_bias_correction():
    from _nbtools import ROOT, notebook_namespace

    namespace = notebook_namespace(ROOT / "exercises" / "06_adaptive.ipynb")
    feedback = check("6.2", namespace["adam_step_from_memory"])
    assert feedback.score == 0 and feedback.message.startswith("has no bias correction")


def correction_by_loop(beta, tol):
    t = 1
    while 1 / (1 - beta**t) > 1 + tol:
        t += 1
    return t


def test_a_loop_over_steps_gets_the_same_answer():
    assert check("6.3", correction_by_loop).passed


@pytest.mark.parametrize(
    ("implementation", "expected"),
    [
        (lambda beta, tol: int(np.ceil(np.log(tol) / np.log(beta))), "solves βᵗ ≤ tol"),
        (lambda beta, tol: correction_by_loop(beta, tol) - 1, "rounds down"),
        (lambda beta, tol: round(1 / (1 - beta)), "the EMA's memory"),
    ],
)
def test_realistic_wrong_answers_are_named(implementation, expected):
    feedback = check("6.3", implementation)
    assert not feedback.passed and expected in feedback.message
