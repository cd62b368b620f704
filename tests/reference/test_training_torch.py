"""A short training run on the digits: companion's ``fit`` against a PyTorch loop, float64.

The same MLP (64 → 32 → 10, ReLU: companion's initial weights copied into ``nn.Linear``
layers), the same mini-batches in the same order (``fit`` draws each epoch's permutation from
``numpy.random.default_rng(seed)`` through :func:`companion.data.batch_indices`; the PyTorch
loop asks the same function with a generator seeded alike), the same optimizer with the same
hyperparameters, and ``F.cross_entropy``. The loss of every step, the training loss at the end
of every epoch and the final weights must agree to 1e-9.

With ``l2``, ``fit`` adds :math:`\\lambda_2 W` to the weights' gradients (not the biases'):
in PyTorch, the optimizer's ``weight_decay`` on a parameter group of the weights only.
"""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from _torch_reference import assert_close, assert_close_each, tensor, torch_twin

import companion.optim as co
from companion.data import batch_indices, digits
from companion.layers import mlp
from companion.training import fit

TOLERANCE = 1e-9
EPOCHS, BATCH_SIZE, SEED = 3, 32, 0

RUNS = [  # (optimizer, hyperparameters, l2)
    ("SGD", {"lr": 0.1}, 0.0),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}, 1e-3),
    ("Adagrad", {"lr": 0.05, "lr_decay": 1e-3}, 0.0),
    ("RMSprop", {"lr": 1e-3, "momentum": 0.5, "centered": True}, 0.0),
    ("Adadelta", {"lr": 1.0}, 1e-3),
    ("Adam", {"lr": 1e-3, "amsgrad": True}, 1e-3),
    ("AdamW", {"lr": 2e-3, "weight_decay": 0.05}, 0.0),
]


@pytest.fixture(scope="module")
def data():
    return digits(seed=0)


def torch_fit(model, X, y, name, hyper, l2):
    """The loop fit runs, in PyTorch: the loss of each step and at the end of each epoch."""
    twin = torch_twin(model)
    linears = [m for m in twin if isinstance(m, torch.nn.Linear)]
    groups = [  # the penalty on the weights only, as fit's l2
        {"params": [m.weight for m in linears], "weight_decay": l2},
        {"params": [m.bias for m in linears], "weight_decay": 0.0},
    ]
    if name == "AdamW":  # decoupled decay: hyperparameters["weight_decay"] for both groups
        groups = [{"params": list(twin.parameters())}]
    opt = getattr(torch.optim, name)(groups, **hyper)
    X_t, y_t = tensor(X), torch.from_numpy(y)
    rng = np.random.default_rng(SEED)
    step_losses, epoch_losses = [], []
    for _ in range(EPOCHS):
        for idx in batch_indices(len(X), BATCH_SIZE, seed=rng):
            opt.zero_grad()
            loss = F.cross_entropy(twin(X_t[idx]), y_t[idx])
            loss.backward()
            opt.step()
            step_losses.append(loss.item())
        with torch.no_grad():
            epoch_losses.append(F.cross_entropy(twin(X_t), y_t).item())
    return np.array(step_losses), np.array(epoch_losses), twin


@pytest.mark.parametrize(
    ("name", "hyper", "l2"), RUNS, ids=[f"{name}-{i}" for i, (name, *_) in enumerate(RUNS)]
)
def test_fit_on_the_digits_has_torchs_loss_curve(data, name, hyper, l2):
    if name == "AdamW":
        assert l2 == 0.0  # AdamW decays every parameter itself
    model = mlp([64, 32, 10], activation="relu", seed=1)
    expected_steps, expected_epochs, twin = torch_fit(
        model, data.X_train, data.y_train, name, hyper, l2
    )
    history = fit(
        model,
        data.X_train,
        data.y_train,
        optimizer=partial(getattr(co, name), **hyper),
        epochs=EPOCHS,
        batch_size=BATCH_SIZE,
        l2=l2,
        seed=SEED,
        progress=False,
    )
    assert history.status == "completed" and history.steps == len(expected_steps)
    assert expected_epochs[-1] < expected_epochs[0]  # it learns
    assert_close_each(history.step_loss, expected_steps, TOLERANCE, "training: loss curve")
    assert_close_each(history.train_loss, expected_epochs, TOLERANCE, "training: loss curve")
    final = [p for m in twin if isinstance(m, torch.nn.Linear) for p in (m.weight.T, m.bias)]
    for ours, theirs in zip(model.params, final, strict=True):
        assert_close(ours, theirs, TOLERANCE, "training: final weights")
