r"""Several optimizers stepped as one, each on its own share of a model's parameters
(Chapter 9): the way Muon is used, on the hidden weight matrices, with AdamW on the rest.

>>> from companion.layers import mlp
>>> model = mlp([4, 8, 8, 3], seed=0)
>>> opt = muon_with_adamw(model.params, lr=0.02, adamw_lr=1e-3)
>>> [model.param_names[i] for i in opt.shares[0][0]]     # what Muon gets
['2.W']
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .optimizers import AdamW
from .optimizers_modern import Muon

__all__ = ["Combined", "muon_with_adamw"]


class Combined:
    r"""Several optimizers stepped as one, each on its own share of the parameters.

    ``Combined(params, [(indices, make), ...])`` builds ``make([params[i] for i in
    indices])`` for each share; :meth:`step` hands each optimizer its share of ``grads``.
    ``param_groups`` lists every optimizer's groups (so :func:`~companion.training.fit` sees
    that every parameter is optimized); ``optimizers`` the optimizers themselves.

    Examples
    --------
    >>> from companion.optim import SGD
    >>> a, b = np.ones(2), np.ones(2)
    >>> opt = Combined([a, b], [([0], lambda p: SGD(p, lr=0.1)), ([1], lambda p: SGD(p, lr=1.0))])
    >>> opt.step([np.ones(2), np.ones(2)])
    >>> a, b
    (array([0.9, 0.9]), array([0., 0.]))
    """

    def __init__(self, params: Sequence[np.ndarray], shares: Sequence[tuple[Sequence[int], Any]]):
        self.params = list(params)
        taken = sorted(i for indices, _ in shares for i in indices)
        if taken != list(range(len(self.params))):
            raise ValueError(
                "Combined: every parameter must be in exactly one share; the shares hold "
                f"indices {taken} of {len(self.params)} parameters"
            )
        self.shares = [
            (list(indices), make([self.params[i] for i in indices])) for indices, make in shares
        ]
        self.optimizers = [opt for _, opt in self.shares]
        self.param_groups = [group for opt in self.optimizers for group in opt.param_groups]

    def step(self, grads: Sequence[np.ndarray]) -> None:
        """Step every optimizer with its share of ``grads`` (one per parameter, in order)."""
        if len(grads) != len(self.params):
            raise ValueError(
                f"Combined.step: got {len(grads)} gradient(s) for {len(self.params)} parameter(s)"
            )
        for indices, opt in self.shares:
            opt.step([grads[i] for i in indices])

    @property
    def state(self) -> list[dict[int, dict[str, Any]]]:
        """Each optimizer's state, in the order of the shares."""
        return [opt.state for opt in self.optimizers]


def muon_with_adamw(
    params: Sequence[np.ndarray],
    lr: float = 0.02,
    momentum: float = 0.95,
    weight_decay: float = 0.0,
    adamw_lr: float = 1e-3,
    adamw_weight_decay: float = 0.0,
) -> Combined:
    r"""Muon on the hidden layers' weight matrices, AdamW on everything else — the usual way
    to train with Muon (Jordan et al., 2024).

    The *hidden* matrices are the 2-D parameters except the first and the last (for an
    :func:`~companion.layers.mlp`: every ``W`` but the input layer's and the output layer's).
    The input layer maps features of very different meaning, the output layer produces the
    logits, and biases and normalization gains are vectors: none of these is a map between
    hidden representations whose directions should all move at one speed, so they get AdamW.

    Examples
    --------
    >>> from companion.layers import mlp
    >>> model = mlp([4, 8, 8, 3], seed=0)
    >>> opt = muon_with_adamw(model.params)
    >>> [type(o).__name__ for o in opt.optimizers], [len(i) for i, _ in opt.shares]
    (['Muon', 'AdamW'], [1, 5])
    """
    params = list(params)
    matrices = [i for i, p in enumerate(params) if p.ndim == 2]
    hidden = matrices[1:-1]
    if not hidden:
        raise ValueError(
            f"muon_with_adamw: Muon needs hidden weight matrices; the {len(matrices)} matrices "
            "here are only the first and the last layer's"
        )
    rest = [i for i in range(len(params)) if i not in hidden]

    def make_muon(p):
        return Muon(p, lr=lr, momentum=momentum, weight_decay=weight_decay)

    def make_adamw(p):
        return AdamW(p, lr=adamw_lr, weight_decay=adamw_weight_decay)

    return Combined(params, [(hidden, make_muon), (rest, make_adamw)])
