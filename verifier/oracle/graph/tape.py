"""The graph: tensors of exact numbers, the nodes that made them, and the sweeps over them.

A `T` is a tensor value (an object array of `fmpq`/`arb`) with the `Node`
that produced it (None for constants).  Nodes are recorded in creation order,
which is a topological order, so the reverse sweep visits each node once,
after all of its consumers: the cost of the gradient is a small multiple of
the cost of the function, however often a value is reused (`v` used twice
per power-iteration step costs twice, not an expression that doubles).

Second order is forward-over-reverse: with `tangents` on, every node also
carries the directional derivative of its value along the HVP direction, and
the reverse sweep carries the derivative of every adjoint along it; the HVP
is then the tangent of the inputs' adjoints.
"""

from __future__ import annotations

import numpy as np
from flint import arb, fmpq

from verifier.oracle.graph.numbers import MAX_EXACT_BITS, ZERO, is_nan, zeros
from verifier.oracle.graph.rounding import absolute, widen


def settle(values: np.ndarray) -> np.ndarray:
    """Exact rationals that grew too large become balls (see numbers.MAX_EXACT_BITS)."""
    values = np.array(values, dtype=object)  # a copy: results never share storage
    flat = values.reshape(-1)
    for i, v in enumerate(flat.tolist()):
        if type(v) is fmpq:
            if v.height_bits() > MAX_EXACT_BITS:
                flat[i] = arb(v)
        elif type(v) is not arb:
            flat[i] = fmpq(v) if not isinstance(v, bool) else v
    return values


class T:
    """A tensor of exact numbers or balls, and the node that produced it."""
    __slots__ = ("value", "node", "tangent")

    def __init__(self, value: np.ndarray, node=None, tangent=None) -> None:
        self.value = value
        self.node = node
        self.tangent = tangent  # None: zero (constants; or second order off)

    @property
    def shape(self) -> tuple:
        return self.value.shape

    @property
    def size(self) -> int:
        return self.value.size


class Node:
    """One recorded operation: its tensor inputs and its local derivative rule."""
    __slots__ = ("inputs", "rule", "index")

    def __init__(self, inputs: list, rule) -> None:
        self.inputs = inputs  # T (or None where the argument is not a tensor)
        self.rule = rule  # backward(g, g_dot, inputs) -> [(grad, grad_dot) or None per input]
        self.index = -1


class Tape:
    def __init__(self, tangents: bool, rounding: float | None = None) -> None:
        self.nodes: list[Node] = []
        self.tangents = tangents
        # the unit roundoff of a dtype: every result is widened by its rounding (rounding.py)
        self.rounding = rounding

    def record(self, value: np.ndarray, inputs: list, rule) -> T:
        """The result of an op: a T with a node when any input depends on the leaves."""
        value = settle(value)
        live = [t for t in inputs if isinstance(t, T) and t.node is not None]
        if self.rounding is not None and live:  # constants (-1, a dim) stay exact
            value = rule.round_forward(value, inputs, self.rounding)
        if not live:
            return T(value)
        node = Node(inputs, rule)
        node.index = len(self.nodes)
        self.nodes.append(node)
        tangent = None
        if self.tangents:
            tangent = rule.tangent([_tangent_of(t) for t in inputs], value.shape)
            if self.rounding is not None and tangent is not None:
                tangent = widen(tangent, None, 8 * self.rounding)
        return T(value, node, tangent)

    def leaf(self, value: np.ndarray, tangent=None) -> T:
        node = Node([], None)
        node.index = len(self.nodes)
        self.nodes.append(node)
        return T(settle(value), node, tangent)

    def backward(self, output: T, seed: np.ndarray, leaves: dict) -> tuple[dict, dict]:
        """Adjoints (and their tangents) of the leaves, seeding `output` with `seed`."""
        adjoint: dict[int, np.ndarray] = {}
        adjoint_dot: dict[int, np.ndarray] = {}
        if output.node is None:
            return ({name: zeros(t.shape) for name, t in leaves.items()},
                    {name: zeros(t.shape) for name, t in leaves.items()})
        adjoint[output.node.index] = seed
        for node in reversed(self.nodes[:output.node.index + 1]):
            g = adjoint.pop(node.index, None)
            if g is None or node.rule is None:
                if g is not None:
                    adjoint[node.index] = g  # a leaf: keep it
                continue
            g_dot = adjoint_dot.pop(node.index, None) if self.tangents else None
            grads = node.rule.backward(g, g_dot, node.inputs)
            for t, pair in zip(node.inputs, grads):
                if pair is None or not isinstance(t, T) or t.node is None:
                    continue
                grad, grad_dot = pair
                k = t.node.index
                if self.rounding is not None:
                    grad = rule_rounding(node.rule, grad, g, t, self.rounding)
                    if grad_dot is not None:
                        grad_dot = widen(grad_dot, None, 8 * self.rounding)
                adjoint[k] = _accumulate(adjoint.get(k), grad, self.rounding)
                if self.tangents and grad_dot is not None:
                    adjoint_dot[k] = _accumulate(adjoint_dot.get(k), grad_dot, self.rounding)
        grads = {name: settle(adjoint.get(t.node.index, zeros(t.shape))) for name, t in leaves.items()}
        dots = {name: settle(adjoint_dot.get(t.node.index, zeros(t.shape)))
                for name, t in leaves.items()}
        return grads, dots


def _accumulate(total, grad, rounding):
    """total + grad; with rounding on, widened by the addition's rounding."""
    if total is None:
        return grad
    if rounding is None:
        return total + grad
    return widen(total + grad, absolute(total) + absolute(grad), rounding)


def rule_rounding(rule, grad, g, t, u):
    """A gradient contribution widened by the rounding of its computation."""
    method = getattr(rule, "round_backward", None)
    if method is not None:
        return method(grad, g, t, u)
    return widen(grad, None, u * 2)


def _tangent_of(t):
    if isinstance(t, T):
        return t.tangent
    return None


def times_adjoint(g: np.ndarray, partial: np.ndarray, partial_finite: bool) -> np.ndarray:
    """g * partial, where an exactly zero adjoint contributes exactly zero.

    An element the output does not depend on (masked by `where`, a dead relu) gets an exact
    zero adjoint; its local partial may be undefined or infinite there (sqrt'(0), log of
    a masked negative number), and 0 * NaN must not make the gradient undefined.
    """
    product = g * partial
    if partial_finite or not isinstance(product, np.ndarray):
        return product
    flat_g = np.broadcast_to(g, product.shape).ravel()
    flat = product.ravel()
    for i, v in enumerate(flat):
        if is_nan(v) and _exact_zero(flat_g[i]):
            flat[i] = ZERO
    return flat.reshape(product.shape)


def _exact_zero(v) -> bool:
    from flint import fmpq
    if isinstance(v, (fmpq, int)):
        return v == 0
    return v.is_exact() and v.is_zero()


def unbroadcast(g: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum a broadcast gradient back to `shape` (leading dims, then dims of size 1)."""
    g = np.asarray(g, dtype=object)
    if g.shape == tuple(shape):
        return g
    lead = g.ndim - len(shape)
    if lead > 0:
        g = _sum(g, tuple(range(lead)), keepdims=False)
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if axes:
        g = _sum(g, axes, keepdims=True)
    return np.broadcast_to(g, shape).copy() if g.shape != tuple(shape) else g


def _sum(g, axes, keepdims):
    if g.size == 0:
        shape = tuple(1 if i in axes else n for i, n in enumerate(g.shape)) if keepdims else \
            tuple(n for i, n in enumerate(g.shape) if i not in axes)
        return zeros(shape)
    return np.asarray(np.sum(g, axis=axes, keepdims=keepdims), dtype=object)
