"""Companion package of the open course *Gradient descent for neural networks*.

One small module per idea, in the order the book teaches them:

- :mod:`companion.gradients` — numerical gradients and gradient checking (Chapter 1)
- :mod:`companion.surfaces`, :mod:`companion.descent`, :mod:`companion.regression` — test
  surfaces, the gradient-descent loop and its stopping rules, linear and logistic regression
  (Chapter 2)
- :mod:`companion.autodiff`, :mod:`companion.layers`, :mod:`companion.losses`,
  :mod:`companion.graphs` — a scalar autodiff engine, vectorised layers and losses, graph
  drawings (Chapter 3)
- :mod:`companion.data`, :mod:`companion.training` — data sets, mini-batches and ``fit``
  (Chapter 4)
- :mod:`companion.optim`, :mod:`companion.schedules` — optimizers with torch.optim's interface,
  learning-rate schedules (Chapters 5-6)
- :mod:`companion.tuning` — the learning-rate range test, grid and random search (Chapter 7)
- :mod:`companion.compare`, :mod:`companion.second_order` — fair optimizer comparisons over
  seeds; Newton's method and conjugate gradient (Chapter 8)
- :mod:`companion.clipping`, :mod:`companion.normalization` — gradient clipping, BatchNorm and
  LayerNorm (Chapter 9, whose optimizers join :mod:`companion.optim`)
- :mod:`companion.plots` — the book's one figure style and colours
- ``companion.widgets`` — the interactive explorers used in the chapters, one module each
- :mod:`companion.exercises` — checks that give instant feedback on exercise items
- :mod:`companion.grade` — the batch grader (``python -m companion.grade``)
- :mod:`companion.book` — helpers the chapters use to show code and quote computed numbers
"""

__version__ = "0.1.0"
