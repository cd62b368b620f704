r"""Loss functions that return the loss *and* its gradient (Chapter 3).

Each loss is the last node of the graph, so it starts the backward pass: it returns
``(loss, grad)`` where ``grad`` is :math:`\partial J / \partial \text{input}`, ready for the
last layer's ``backward``. Both losses are means over the batch, so their gradients carry a
factor :math:`1/B`.
"""

from __future__ import annotations

import numpy as np

from ._validate import as_float_array, safe_mean

__all__ = ["hinge_loss", "log_softmax", "mse", "softmax", "softmax_cross_entropy"]


def log_softmax(logits: np.ndarray) -> np.ndarray:
    r"""Row-wise log-softmax, computed stably.

    .. math::

        \log \operatorname{softmax}(z)_k = z_k - \log \sum_j e^{z_j}
                                          = (z_k - m) - \log \sum_j e^{z_j - m},
        \quad m = \max_j z_j.

    Subtracting the row maximum changes nothing mathematically, but the largest exponent is
    then :math:`e^0 = 1`: nothing overflows, even for logits of :math:`\pm 1000`.

    Parameters
    ----------
    logits : numpy.ndarray of float, shape (B, C)

    Returns
    -------
    numpy.ndarray
        Shape (B, C), the dtype of ``logits``.

    Examples
    --------
    >>> import numpy as np
    >>> np.round(np.exp(log_softmax(np.array([[1000.0, 1000.0, -1000.0]]))), 3)
    array([[0.5, 0.5, 0. ]])
    """
    logits = _check_logits(logits)
    shifted = logits - logits.max(axis=1, keepdims=True)
    shifted -= np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return shifted


def softmax(logits: np.ndarray) -> np.ndarray:
    r"""Row-wise softmax, :math:`p_k = e^{z_k} / \sum_j e^{z_j}`, computed stably.

    Parameters
    ----------
    logits : numpy.ndarray of float, shape (B, C)

    Returns
    -------
    numpy.ndarray
        Shape (B, C); each row is a probability distribution.

    Examples
    --------
    >>> import numpy as np
    >>> softmax(np.array([[0.0, np.log(3.0)]]))
    array([[0.25, 0.75]])
    """
    return np.exp(log_softmax(logits))


def softmax_cross_entropy(logits: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    r"""Mean cross-entropy of a softmax over classes, and its gradient with respect to the logits.

    For a batch of :math:`B` examples with logits :math:`z_n \in \mathbb{R}^C` and true
    classes :math:`y_n \in \{0, \dots, C-1\}`, with :math:`p_n = \operatorname{softmax}(z_n)`,

    .. math::

        J = -\frac{1}{B} \sum_{n=1}^{B} \log p_{n, y_n}, \qquad
        \frac{\partial J}{\partial z_{nk}} = \frac{p_{nk} - [k = y_n]}{B}.

    Fusing the softmax and the cross-entropy gives this simple gradient — the predicted
    probabilities minus the one-hot labels — and avoids ever taking the log of an underflowed
    probability.

    Parameters
    ----------
    logits : array_like of float, shape (B, C)
        Finite scores; float32 or float64.
    labels : array_like of int, shape (B,)
        Class indices in ``0 .. C-1``.

    Returns
    -------
    loss : float
    dlogits : numpy.ndarray
        :math:`\partial J / \partial z`, shape (B, C), the dtype of ``logits``.

    Raises
    ------
    TypeError
        If ``logits`` is not floating point or ``labels`` is not an integer array.
    ValueError
        If the shapes do not fit, a label is out of range, or a logit is not finite.

    Examples
    --------
    >>> import numpy as np
    >>> loss, dlogits = softmax_cross_entropy(np.zeros((2, 4)), np.array([0, 3]))
    >>> round(loss, 6) == round(float(np.log(4)), 6)   # a uniform guess over 4 classes
    True
    >>> dlogits
    array([[-0.375,  0.125,  0.125,  0.125],
           [ 0.125,  0.125,  0.125, -0.375]])
    """
    log_p = log_softmax(logits)  # which checks the logits: finite, of shape (B, C)
    n, classes = log_p.shape
    labels = _check_labels(labels, n, classes)
    rows = np.arange(n)
    loss = -float(log_p[rows, labels].sum() / n)  # the mean of -log p_y over the batch
    dlogits = np.exp(log_p, out=log_p)  # p, written over log p (no longer needed)
    dlogits[rows, labels] -= 1  # p - one_hot(y)
    dlogits /= n  # the mean over the batch: each row carries 1/B
    return loss, dlogits


def mse(pred: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
    r"""Mean squared error over all elements, and its gradient with respect to ``pred``.

    .. math::

        J = \frac{1}{M} \sum_{i=1}^{M} (\hat y_i - y_i)^2, \qquad
        \frac{\partial J}{\partial \hat y_i} = \frac{2}{M} (\hat y_i - y_i),

    where :math:`M` is the number of elements of ``pred`` (as in PyTorch's ``MSELoss``); for
    one output per example, :math:`M = B`, the batch size.

    Parameters
    ----------
    pred, target : array_like of float
        The same shape.

    Returns
    -------
    loss : float
    dpred : numpy.ndarray
        Shaped like ``pred``, with its dtype.

    Raises
    ------
    ValueError
        If the shapes differ (both are named), an array is empty, or a value is not finite.

    Examples
    --------
    >>> import numpy as np
    >>> mse(np.array([1.0, 2.0]), np.array([0.0, 4.0]))
    (2.5, array([ 1., -2.]))
    """
    pred = as_float_array(pred, "pred")
    target = as_float_array(target, "target", allow_int=True)
    if pred.shape != target.shape:
        raise ValueError(
            f"pred and target must have the same shape; got pred {pred.shape} and target "
            f"{target.shape}"
        )
    if pred.size == 0:
        raise ValueError("pred and target are empty: there is no mean to take")
    with np.errstate(over="ignore", invalid="ignore"):
        diff = pred - target.astype(pred.dtype)
        value, grad = float(np.mean(diff**2)), (2 / pred.size) * diff
    if not (np.isfinite(value) and np.all(np.isfinite(grad))):
        value, grad = _mse_without_overflow(pred, target)
    return value, grad


def _mse_without_overflow(pred: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
    r""":func:`mse` where ``pred - target`` or its square overflows: computed in float64 from
    halved values, :math:`J = 4 s^2\,\mathrm{mean}((d/s)^2)` with :math:`d = (p - t)/2`,
    :math:`s = \max|d|`. A ValueError if the loss or its gradient is beyond the float range."""
    half = pred.astype(np.float64) / 2 - target.astype(np.float64) / 2  # never overflows
    s = float(np.max(np.abs(half)))
    with np.errstate(over="ignore"):
        value = 4 * s * s * float(np.mean((half / s) ** 2))
        grad = ((4 / pred.size) * half).astype(pred.dtype)
    if not (np.isfinite(value) and np.all(np.isfinite(grad))):
        raise ValueError(
            f"mse: pred and target are too far apart for {pred.dtype} (half the largest "
            f"|pred - target| is {s:.3g}): the loss or its gradient overflows"
        )
    return value, grad


def _check_logits(logits: object) -> np.ndarray:
    logits = as_float_array(logits, "logits")  # a finite float array passes at once
    if logits.ndim != 2 or logits.shape[0] == 0 or logits.shape[1] == 0:
        raise ValueError(
            f"logits must have shape (B, C): one row of C class scores per example; got "
            f"{logits.shape}"
        )
    return logits


def _check_labels(labels: object, n: int, classes: int) -> np.ndarray:
    labels = np.asarray(labels)
    if labels.dtype.kind not in "iu":  # signed or unsigned integers (not bool: kind "b")
        raise TypeError(
            f"labels must be integer class indices; got dtype {labels.dtype}. If they are "
            "whole numbers stored as floats, convert them with labels.astype(int)"
        )
    if labels.shape != (n,):
        raise ValueError(
            f"labels must have shape (B,) = ({n},), one class index per row of logits; got "
            f"{labels.shape}"
        )
    if labels.size and (labels.min() < 0 or labels.max() >= classes):
        bad = labels[(labels < 0) | (labels >= classes)]
        raise ValueError(
            f"labels must lie in 0 .. {classes - 1} (logits have {classes} classes); got "
            f"{bad[:5].tolist()}{' ...' if bad.size > 5 else ''}"
        )
    return labels


def hinge_loss(scores: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray]:
    r"""Mean hinge loss of a linear classifier's scores, and a subgradient (Chapter 4).

    For :math:`B` examples with scores :math:`s_n` and labels :math:`y_n \in \{-1, +1\}`,

    .. math::

        J = \frac{1}{B} \sum_{n=1}^{B} \max(0,\ 1 - y_n s_n), \qquad
        \frac{\partial J}{\partial s_n} =
        \begin{cases} -y_n / B & \text{if } y_n s_n < 1, \\ 0 & \text{otherwise.} \end{cases}

    An example classified correctly *with a margin* (:math:`y_n s_n \ge 1`) costs nothing and
    pushes nothing; every other example pulls its score towards its label. With a linear score
    :math:`s = x^\top w + b` and an L2 penalty on :math:`w`, minimizing this is the linear
    support vector machine (Cortes and Vapnik, 1995). The hinge has a kink at
    :math:`y_n s_n = 1`, where it has no derivative; any value between the two one-sided
    derivatives is a *subgradient*, and the one used here is 0. Stochastic gradient descent
    needs nothing more.

    Parameters
    ----------
    scores : array_like of float, shape (B,) or (B, 1)
        One score per example, e.g. the output of ``Linear(d, 1)``.
    labels : array_like, shape (B,)
        Each -1 or +1.

    Returns
    -------
    loss : float
    dscores : numpy.ndarray
        A subgradient :math:`\partial J / \partial s`, shaped like ``scores``.

    Raises
    ------
    ValueError
        If the shapes do not fit, a score is not finite, or a label is not -1 or +1.

    Examples
    --------
    >>> import numpy as np
    >>> loss, dscores = hinge_loss(np.array([2.0, 0.5, -1.0]), np.array([1, 1, 1]))
    >>> loss, dscores                   # (0 + 0.5 + 2) / 3; only the last two are pulled
    (0.833..., array([ 0.        , -0.33333333, -0.33333333]))
    """
    scores = as_float_array(scores, "scores")
    if scores.ndim not in (1, 2) or scores.shape[0] == 0 or scores.size != scores.shape[0]:
        raise ValueError(
            f"scores must have shape (B,) or (B, 1), one score per example; got {scores.shape}"
        )
    labels = np.asarray(labels)
    if labels.shape != (scores.shape[0],):
        raise ValueError(
            f"labels must have shape ({scores.shape[0]},), one label per score; got {labels.shape}"
        )
    if not np.isin(labels, (-1, 1)).all():
        raise ValueError(
            "labels must be -1 or +1 for the hinge loss; got "
            f"{np.unique(labels)[:5].tolist()}. Convert 0/1 labels with 2 * labels - 1"
        )
    n = scores.shape[0]
    margins = labels * scores.reshape(n)
    loss = safe_mean(np.maximum(0.0, 1.0 - margins))
    dscores = np.where(margins < 1, -labels / n, 0.0).astype(scores.dtype)
    return loss, dscores.reshape(scores.shape)
