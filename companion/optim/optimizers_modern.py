r"""Chapter 9's optimizers: each a rule of :mod:`companion.optim.rules_modern` with
``torch.optim``'s interface.

Each class below names its rule and checks what ``CHECKS`` of :mod:`~companion.optim.base` does
not know; its step is the rule itself (the base class's ``_update``), so there is no
second copy of any rule to test. Chapters 5 and 6's classes are in
:mod:`companion.optim.optimizers`.
"""

from __future__ import annotations

from collections.abc import Sequence

from .._validate import finite_real, nonnegative_number
from . import rules_modern
from .base import Optimizer

__all__ = ["Adafactor", "Adamax", "Lion", "Muon", "NAdam", "RAdam"]


def _at_most_zero(value: object, name: str) -> float:
    value = finite_real(value, name)
    if value > 0:
        raise ValueError(f"{name} must be at most 0; got {value!r}")
    return value


def _at_least_one(value: object, name: str) -> float:
    value = finite_real(value, name)
    if value < 1:
        raise ValueError(f"{name} must be at least 1; got {value!r}")
    return value


def _adafactor_eps(value: object, name: str) -> tuple[float | None, float]:
    if isinstance(value, str) or not isinstance(value, Sequence) or len(value) != 2:
        raise ValueError(f"{name} must be a pair (eps1 or None, eps2); got {value!r}")
    eps1 = None if value[0] is None else nonnegative_number(value[0], f"{name}[0]")
    return eps1, nonnegative_number(value[1], f"{name}[1]")


def _ns_coefficients(value: object, name: str) -> tuple[float, float, float]:
    if isinstance(value, str) or not isinstance(value, Sequence) or len(value) != 3:
        raise ValueError(f"{name} must be three numbers (a, b, c); got {value!r}")
    return tuple(finite_real(c, f"{name}[{i}]") for i, c in enumerate(value))


def _ns_steps(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 100:
        raise ValueError(f"{name} must be an int in [0, 100); got {value!r}")
    return value


def _adjust_lr_fn(value: object, name: str) -> str | None:
    if value not in (None, "original", "match_rms_adamw"):
        raise ValueError(f"{name} must be None, 'original' or 'match_rms_adamw'; got {value!r}")
    return value


class NAdam(Optimizer):
    r"""NAdam, Adam with Nesterov momentum: :func:`~companion.optim.rules_modern.nadam`.

    Parameters
    ----------
    params : list of numpy.ndarray or list of dict
    lr, betas, eps, weight_decay, momentum_decay, decoupled_weight_decay
        As in :func:`~companion.optim.rules_modern.nadam`: default 2e-3, (0.9, 0.999), 1e-8, 0,
        4e-3, False.

    Notes
    -----
    The state, ``opt.state[i]``, holds ``step`` (an int), ``mu_product`` (a float: PyTorch
    keeps a tensor of its *default* dtype, float32 unless changed, whose rounding moves a
    200-step float64 run by about 1e-10), ``exp_avg`` and ``exp_avg_sq``. PyTorch allows
    ``eps = 0``; here it must be positive.
    """

    rule = staticmethod(rules_modern.nadam)
    #: NAdam's own hyperparameter, ``momentum_decay``: at least 0.
    checks = {"momentum_decay": nonnegative_number}
    #: ``mu_product``, a product of momentum coefficients in (0, 1].
    nonnegative_state = ("mu_product",)


class RAdam(Optimizer):
    r"""RAdam, Adam with a rectified, self-warming adaptive step:
    :func:`~companion.optim.rules_modern.radam`.

    Parameters
    ----------
    params : list of numpy.ndarray or list of dict
    lr, betas, eps, weight_decay, decoupled_weight_decay
        As in :func:`~companion.optim.rules_modern.radam`: default 1e-3, (0.9, 0.999), 1e-8, 0,
        False.

    Notes
    -----
    The state holds ``step`` (an int), ``exp_avg`` and ``exp_avg_sq``. PyTorch allows
    ``eps = 0``; here it must be positive.
    """

    rule = staticmethod(rules_modern.radam)


class Adamax(Optimizer):
    r"""Adamax, Adam with the infinity norm: :func:`~companion.optim.rules_modern.adamax`.

    Parameters
    ----------
    params : list of numpy.ndarray or list of dict
    lr, betas, eps, weight_decay
        As in :func:`~companion.optim.rules_modern.adamax`: default 2e-3, (0.9, 0.999), 1e-8, 0.

    Notes
    -----
    The state holds ``step`` (an int), ``exp_avg`` and ``exp_inf``. PyTorch allows
    ``eps = 0``; here it must be positive.
    """

    rule = staticmethod(rules_modern.adamax)
    #: ``exp_inf``, a running maximum of :math:`|g| + \varepsilon`.
    nonnegative_state = ("exp_inf",)
    squares_gradients = False  # |g|, not g²: any finite gradient is taken


class Adafactor(Optimizer):
    r"""Adafactor, PyTorch's version: :func:`~companion.optim.rules_modern.adafactor`.

    Parameters
    ----------
    params : list of numpy.ndarray or list of dict
    lr, beta2_decay, eps, d, weight_decay
        As in :func:`~companion.optim.rules_modern.adafactor`: default 1e-2, -0.8,
        (None, 1e-3), 1.0, 0. ``beta2_decay`` is at most 0, ``d`` at least 1.

    Notes
    -----
    The state holds ``step`` (an int) and, for an array of two or more axes, ``row_var`` and
    ``col_var`` (shaped like the parameter with its last, respectively second-to-last, axis
    of length 1); for a vector, ``variance``.
    """

    rule = staticmethod(rules_modern.adafactor)
    #: Adafactor's own hyperparameters: ``beta2_decay`` at most 0, ``eps`` a pair, ``d`` at least 1.
    checks = {"beta2_decay": _at_most_zero, "eps": _adafactor_eps, "d": _at_least_one}
    #: The factored second moment: averages of squares. (A checkpoint's buffers are checked
    #: against the shapes the rule gives them, so the row and column need nothing more.)
    nonnegative_state = ("row_var", "col_var", "variance")


class Lion(Optimizer):
    r"""Lion, sign momentum: :func:`~companion.optim.rules_modern.lion`.

    Not in ``torch.optim``; the signature is Chen et al.'s (PyTorch's names).

    Parameters
    ----------
    params : list of numpy.ndarray or list of dict
    lr, betas, weight_decay
        As in :func:`~companion.optim.rules_modern.lion`: default 1e-4, (0.9, 0.99), 0.

    Notes
    -----
    The state holds ``exp_avg``: one buffer, where Adam keeps two. ``maximize`` is taken, as
    by every optimizer of ``torch.optim`` that has a ``maximize``.
    """

    rule = staticmethod(rules_modern.lion)
    squares_gradients = False  # only the sign of a momentum: any finite gradient is taken


class Muon(Optimizer):
    r"""Muon, orthogonalized momentum for weight matrices:
    :func:`~companion.optim.rules_modern.muon`.

    Every parameter must be a matrix (2-D), as in PyTorch: build Muon on the hidden layers'
    weights and another optimizer (usually AdamW) on the rest —
    :func:`~companion.optim.combined.muon_with_adamw` does both.

    Parameters
    ----------
    params : list of numpy.ndarray or list of dict
    lr, weight_decay, momentum, nesterov, ns_coefficients, eps, ns_steps, adjust_lr_fn
        As in :func:`~companion.optim.rules_modern.muon`: default 1e-3, 0.1, 0.95, True,
        (3.4445, -4.7750, 2.0315), 1e-7, 5, None.

    Notes
    -----
    PyTorch runs the Newton–Schulz iteration in bfloat16 (8 bits of mantissa), which NumPy
    lacks; here it runs in the parameters' own precision. Against PyTorch's algorithm with the
    cast removed, 200 float64 steps agree to about 1e-15; with the cast, one update differs
    by a few percent of its size. The state holds ``momentum_buffer``. Like PyTorch's Muon,
    it takes no ``maximize``.

    Raises
    ------
    ValueError
        If a parameter is not 2-D.
    """

    rule = staticmethod(rules_modern.muon)
    #: PyTorch's Muon has no ``maximize``; nor has this one, so that state dicts move both ways.
    takes_maximize = False
    #: Newton–Schulz divides the momentum by its Frobenius norm, computed without squaring an
    #: entry that would overflow: any finite gradient is taken.
    squares_gradients = False
    #: Muon's own hyperparameters: the Newton–Schulz coefficients and steps, ``adjust_lr_fn``.
    checks = {
        "ns_coefficients": _ns_coefficients,
        "ns_steps": _ns_steps,
        "adjust_lr_fn": _adjust_lr_fn,
    }

    def _check_param(self, array: object, index: int) -> None:
        super()._check_param(array, index)
        if array.ndim != 2:  # type: ignore[union-attr]
            raise ValueError(
                f"Muon: params[{index}] has shape {array.shape}; Muon updates matrices (2-D) "  # type: ignore[union-attr]
                "only: give biases and other parameters to another optimizer, e.g. AdamW"
            )
