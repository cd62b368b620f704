r"""Optimizers with one small interface, modelled on ``torch.optim`` (Chapters 5, 6 and 9).

The package has four parts:

- :mod:`~companion.optim.rules` — each update rule as a small pure function,
  ``theta, state = adam(theta, grad, state, lr=...)``: the formula, line by line. This is what
  the chapters show.
- :mod:`~companion.optim.optimizers` (on :mod:`~companion.optim.base`, with
  :mod:`~companion.optim.checkpoints`) — the classes
  :class:`SGD`, :class:`Adagrad`, :class:`RMSprop`, :class:`Adadelta`, :class:`Adam` and
  :class:`AdamW`, with PyTorch's interface: built from the list of parameter arrays and the
  hyperparameters (PyTorch's names and defaults), each has ``step(grads)``, which updates every
  parameter **in place**, and ``state_dict()`` / ``load_state_dict(sd)`` for checkpoints laid
  out as PyTorch lays them out. Their steps are the rules, written in place for speed and
  tested equal to them.
  Chapter 9 adds :class:`NAdam`, :class:`RAdam`, :class:`Adamax`, :class:`Adafactor`,
  :class:`Muon` and :class:`Lion` (:mod:`~companion.optim.optimizers_modern`), whose steps
  are their rules themselves (:mod:`~companion.optim.rules_modern`).
- :mod:`~companion.optim.combined` — :class:`Combined` steps several optimizers as one, each
  on its share of the parameters; :func:`muon_with_adamw` is Muon's usual set-up.
- :mod:`~companion.optim.analysis` — :func:`minimize` runs any optimizer on a loss with a known
  gradient; :func:`momentum_rate` and :func:`optimal_momentum` give momentum's convergence
  factor on a quadratic in closed form.

>>> import numpy as np
>>> theta = np.array([1.0, -2.0])                 # J = ||theta||^2 / 2, so grad J = theta
>>> opt = Adam([theta], lr=0.1)
>>> for _ in range(100):
...     opt.step([theta.copy()])
>>> bool(np.linalg.norm(theta) < 0.05), opt.state[0]["step"], sorted(opt.state[0])
(True, 100, ['exp_avg', 'exp_avg_sq', 'step'])

A new optimizer is one function like those of :mod:`~companion.optim.rules` and one class
naming it (see :mod:`~companion.optim.base`).
"""

from . import rules as rules  # companion.optim.rules: what chapters 5 and 6 show
from . import rules_modern as rules_modern  # and chapter 9
from .analysis import (
    minimize,
    momentum_rate,
    optimal_momentum,
    rate_map,
    steps_to_shrink,
)
from .base import Optimizer
from .combined import Combined, muon_with_adamw
from .optimizers import SGD, Adadelta, Adagrad, Adam, AdamW, RMSprop
from .optimizers_modern import Adafactor, Adamax, Lion, Muon, NAdam, RAdam

__all__ = [
    "SGD",
    "Adadelta",
    "Adafactor",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "Combined",
    "Lion",
    "Muon",
    "NAdam",
    "Optimizer",
    "RAdam",
    "RMSprop",
    "minimize",
    "momentum_rate",
    "muon_with_adamw",
    "optimal_momentum",
    "rate_map",
    "steps_to_shrink",
]
