"""A scalar reverse-mode automatic differentiation engine (Chapter 3).

Every :class:`Value` holds a number (``data``), the derivative of the final output with
respect to it (``grad``), the values it was computed from, and a small function that applies
the chain rule for the one operation that made it. Each operation's backward rule sits right
next to its forward computation: the whole of backpropagation is in this one class.

>>> x, w = Value(2.0, label="x"), Value(-3.0, label="w")
>>> loss = (x * w + 1).tanh()
>>> loss.backward()
>>> round(x.grad, 6), round(w.grad, 6)   # dloss/dx = w (1 - tanh²), dloss/dw = x (1 - tanh²)
(-0.000545, 0.000363)
"""

from __future__ import annotations

import math
import numbers
import sys

__all__ = ["Value"]


class Value:
    """A scalar that remembers how it was computed, so that it can send gradients back.

    Parameters
    ----------
    data : float
        The number, finite.
    label : str, optional
        A name for drawings of the graph (:func:`companion.graphs.draw_graph`).

    Attributes
    ----------
    data : float
    grad : float
        d(output)/d(this value), filled in by :meth:`backward`; 0.0 until then.
    label : str

    Raises
    ------
    TypeError, ValueError
        If ``data`` is not a real number, or not finite.
    """

    def __init__(self, data: float, label: str = "", _children: tuple = (), _op: str = ""):
        if isinstance(data, bool) or not isinstance(data, numbers.Real):
            raise TypeError(f"Value needs a real number; got {type(data).__name__} {data!r}")
        if not math.isfinite(data):
            made_by = f" (the result of {_op})" if _op else ""
            raise ValueError(f"Value needs a finite number; got {data!r}{made_by}")
        self.data = float(data)
        self.grad = 0.0
        self.label = label
        self._prev = _children  # the values this one was computed from
        self._op = _op  # the operation that computed it ("" for an input)
        self._backward = lambda: None  # adds this node's contribution to its inputs' grads

    def __repr__(self) -> str:
        return f"Value(data={self.data:.6g}, grad={self.grad:.6g})"

    # -- operations: forward value, and the local backward rule next to it -----------------

    def __add__(self, other: Value | float) -> Value:
        other = _as_value(other)
        out = Value(self.data + other.data, _children=(self, other), _op="+")

        def _backward():  # add distributes: both inputs receive out.grad unchanged
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __mul__(self, other: Value | float) -> Value:
        other = _as_value(other)
        out = Value(self.data * other.data, _children=(self, other), _op="×")

        def _backward():  # multiply swaps: each input receives the other's value × out.grad
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def __pow__(self, exponent: float) -> Value:
        if isinstance(exponent, Value) or not isinstance(exponent, numbers.Real):
            raise TypeError(
                "the exponent must be a number; for x ** y with y a Value, "
                "write (y * x.log()).exp()"
            )
        out = Value(_power(self.data, exponent), _children=(self,), _op=f"**{exponent:g}")

        def _backward():  # d(x^n)/dx = n x^(n-1)
            self.grad += exponent * _power(self.data, exponent - 1, "the derivative") * out.grad

        out._backward = _backward
        return out

    def __rpow__(self, base: float) -> Value:  # base ** self, for a positive number base
        if not base > 0:
            raise ValueError(f"base ** Value needs a positive base; got {base!r}")
        out = Value(_power(base, self.data), _children=(self,), _op=f"{base:g}**")

        def _backward():  # d(b^x)/dx = ln(b) b^x
            self.grad += math.log(base) * out.data * out.grad

        out._backward = _backward
        return out

    def exp(self) -> Value:
        if self.data > _LARGEST_EXP:
            raise ValueError(
                f"exp({self.data:g}) overflows a float (exp is finite up to x = {_LARGEST_EXP:.2f})"
            )
        out = Value(math.exp(self.data), _children=(self,), _op="exp")

        def _backward():  # d(e^x)/dx = e^x: reuse the stored output
            self.grad += out.data * out.grad

        out._backward = _backward
        return out

    def log(self) -> Value:
        if self.data <= 0:
            raise ValueError(f"log needs a positive number; got {self.data!r}")
        out = Value(math.log(self.data), _children=(self,), _op="log")

        def _backward():  # d(ln x)/dx = 1/x
            self.grad += out.grad / self.data

        out._backward = _backward
        return out

    def tanh(self) -> Value:
        out = Value(math.tanh(self.data), _children=(self,), _op="tanh")

        def _backward():  # d(tanh x)/dx = 1 - tanh(x)²
            self.grad += (1 - out.data**2) * out.grad

        out._backward = _backward
        return out

    def sigmoid(self) -> Value:
        e = math.exp(-abs(self.data))  # at most 1: 1/(1 + e^-x) for x >= 0, e^x/(1 + e^x) below
        out = Value((1.0 if self.data >= 0 else e) / (1 + e), _children=(self,), _op="σ")

        def _backward():  # dσ/dx = σ(x) (1 - σ(x))
            self.grad += out.data * (1 - out.data) * out.grad

        out._backward = _backward
        return out

    def relu(self) -> Value:
        out = Value(max(self.data, 0.0), _children=(self,), _op="relu")

        def _backward():  # max routes: the gradient passes only where x > 0
            self.grad += (self.data > 0) * out.grad

        out._backward = _backward
        return out

    # -- everything else is built from the operations above --------------------------------

    def __neg__(self) -> Value:
        return self * -1

    def __sub__(self, other: Value | float) -> Value:
        return self + (-_as_value(other))

    def __truediv__(self, other: Value | float) -> Value:
        other = _as_value(other)
        if other.data == 0:
            raise ValueError(f"division by zero: {self.data:g} / 0 (PyTorch gives inf or nan)")
        return self * other**-1

    def __radd__(self, other: float) -> Value:
        return self + other

    def __rmul__(self, other: float) -> Value:
        return self * other

    def __rsub__(self, other: float) -> Value:
        return _as_value(other) - self

    def __rtruediv__(self, other: float) -> Value:
        return _as_value(other) / self

    # -- the backward pass -----------------------------------------------------------------

    def backward(self, grad: float = 1.0) -> None:
        """Fill in ``grad`` of every value this one depends on: d(self)/d(value).

        Visits the graph in reverse topological order — each node only after every node
        that uses it — so a node's ``grad`` is complete before it passes it on. The order is
        found with an explicit stack, not recursion, so a chain of any length works.

        Every ``grad`` in the graph is reset to 0 first: calling ``backward`` twice gives the
        same answer. (PyTorch instead adds to ``.grad`` across calls.)

        Parameters
        ----------
        grad : float, default 1.0
            The gradient arriving at this value from a larger computation (PyTorch's
            ``gradient`` argument); every gradient in the graph is multiplied by it.
        """
        if isinstance(grad, bool) or not isinstance(grad, numbers.Real) or not math.isfinite(grad):
            raise TypeError(f"backward: grad must be a finite real number; got {grad!r}")
        order = self._topological_order()
        for node in order:
            node.grad = 0.0
        self.grad = float(grad)  # d(self)/d(self) = 1, times what arrives from above
        for node in reversed(order):
            node._backward()
        _check_grads(order)

    def _topological_order(self) -> list[Value]:
        """Every node this one depends on, each after all of its inputs (depth-first)."""
        order: list[Value] = []
        seen: set[int] = set()
        stack: list[tuple[Value, bool]] = [(self, False)]
        while stack:
            node, inputs_done = stack.pop()
            if inputs_done:
                order.append(node)
            elif id(node) not in seen:
                seen.add(id(node))
                stack.append((node, True))  # comes back after its inputs
                stack.extend((child, False) for child in reversed(node._prev))
        return order


#: exp(x) is a finite float up to x = ln(largest float) ≈ 709.78.
_LARGEST_EXP = math.log(sys.float_info.max)


def _power(base: float, exponent: float, what: str = "") -> float:
    """``base ** exponent`` as a finite real number, or a ValueError saying why not."""
    name = f"{what} {base:g} ** {exponent:g}".strip()
    if base == 0 and exponent < 0:
        raise ValueError(f"{name} divides by zero (PyTorch gives inf)")
    if base < 0 and not float(exponent).is_integer():
        raise ValueError(f"{name} is not a real number (a negative base, a fractional power)")
    try:
        return base**exponent
    except OverflowError:
        raise ValueError(f"{name} overflows a float") from None


def _check_grads(order: list[Value]) -> None:
    """Every gradient is finite, or a ValueError names the operation where it overflowed."""
    for node in order:
        if not math.isfinite(node.grad):
            raise ValueError(
                f"backward: the gradient overflowed at {node!r} (made by {node._op or 'input'})"
            )


def _as_value(x: Value | float) -> Value:
    """Wrap a Python number so it can take part in an operation with a Value."""
    return x if isinstance(x, Value) else Value(x)
