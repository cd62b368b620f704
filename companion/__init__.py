"""Companion package of the open course *Gradient descent for neural networks*.

One small module per idea, in the order the book teaches them:

- :mod:`companion.gradients` — numerical gradients and gradient checking (Chapter 1)
- :mod:`companion.plots` — the book's one figure style and colours
- :mod:`companion.widgets` — the interactive explorers used in the chapters
- :mod:`companion.exercises` — checks that give instant feedback on exercise items
- :mod:`companion.book` — helpers the chapters use to show code and quote computed numbers
"""

__version__ = "0.1.0"
