"""The chapters' interactive explorers, one module each, on one shared base.

Every explorer follows the same rules, so that it answers at once:

1. Precompute what can be precomputed when it is built (error curves, contour lines, maps).
2. Build its matplotlib figure **once**; a change of a control only updates the data of the
   existing artists and repaints them over a cached picture of the rest (blitting).
3. Never show a silent NaN: when a setting makes a number meaningless, the readout says why.
4. Work without a kernel: in the online book an explorer shows frames rendered at build time
   by its own ``update()``, switched in the browser (:mod:`companion.widgets.frames`).

Leave an explorer as the last expression of a notebook cell to display it: live in JupyterLab,
Colab or Binder; as frames when the notebook is executed to build the book.

========================================  ===========================================
:mod:`~companion.widgets.secant`          Chapter 1: the secant and the step ``h``
:mod:`~companion.widgets.descent`         Chapter 2: gradient descent on a surface
:mod:`~companion.widgets.gradient_norms`  Chapter 3: per-layer gradient norms
:mod:`~companion.widgets.minibatch`       Chapter 4: batch size and learning rate
:mod:`~companion.widgets.momentum`        Chapter 5: the (η, β) rate map
:mod:`~companion.widgets.race`            Chapter 6: the optimizer race
========================================  ===========================================
"""

from .base import Explorer  # noqa: F401  (the base, for new explorers)
from .descent import DescentExplorer, descent_explorer
from .gradient_norms import GradientNormExplorer, GradientNormState, gradient_norm_explorer
from .minibatch import MinibatchExplorer, minibatch_explorer
from .momentum import MomentumExplorer, momentum_explorer
from .race import RACERS, OptimizerRace, optimizer_race, race_surfaces
from .secant import PRECISIONS, SecantExplorer, SecantState, secant_explorer

__all__ = [
    "PRECISIONS",
    "RACERS",
    "DescentExplorer",
    "GradientNormExplorer",
    "GradientNormState",
    "MinibatchExplorer",
    "MomentumExplorer",
    "OptimizerRace",
    "SecantExplorer",
    "SecantState",
    "descent_explorer",
    "gradient_norm_explorer",
    "minibatch_explorer",
    "momentum_explorer",
    "optimizer_race",
    "race_surfaces",
    "secant_explorer",
]
