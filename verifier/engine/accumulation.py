"""Where gradients go: undoing broadcasting, adding into pending buffers, and
delivering to leaves (`.grad`), retained non-leaves and autograd.grad's captures.
"""

from __future__ import annotations

import sys

import numpy as np

from verifier.engine.graph import AccumulateGrad
from verifier.engine.tensor import Tensor, _detached

_ndarray = np.ndarray
_getrefcount = sys.getrefcount


def owned(array, references: int) -> bool:
    """Whether the pass holds the only references to `array` (torch's use_count() == 1):
    then it may add into it in place, or hand it to a leaf as its .grad without a copy.

    A view (base set) or a read-only array (broadcast_to) is never owned: writing
    would reach memory that someone else sees.
    """
    return (type(array) is _ndarray and _getrefcount(array) <= references + 1
            and array.base is None and array.flags.writeable)


def deliver(node, g, capture, only, create_graph) -> None:
    """autograd.grad's captured inputs, and backward(inputs=...) on non-leaves."""
    if capture is not None and node in capture:
        held = capture[node]
        capture[node] = to_tensor(g, create_graph) if held is None else held + g
    if only is not None and node in only and type(node) is not AccumulateGrad:
        accumulate(only[node], g, create_graph)


def fit(g, shape, dtype, ns):
    """Undo broadcasting (sum over broadcast dims) and match the input's dtype.

    This is the one place broadcasting is undone: every VJP may return a
    gradient of the broadcast shape.
    """
    is_tensor = isinstance(g, Tensor)
    if not is_tensor and type(g) is not _ndarray:
        g = np.asarray(g)
    g_shape = g._array.shape if is_tensor else g.shape
    if g_shape != shape:
        lead = len(g_shape) - len(shape)
        dims = tuple(range(lead)) + tuple(
            lead + i for i, n in enumerate(shape) if n == 1 and g_shape[lead + i] != 1)
        if dims:
            g = ns.sum(g, dim=dims, keepdim=False) if lead == len(dims) else \
                ns.reshape(ns.sum(g, dim=dims, keepdim=True), shape)
        if tuple(g.shape) != shape:
            g = ns.reshape(g, shape)
    if is_tensor:
        if g._array.dtype != dtype:
            g = g.to(_engine_dtype(dtype))
    elif g.dtype != dtype:
        g = g.astype(dtype)
    return g


def _engine_dtype(np_dtype):
    from verifier.engine import dtypes
    return dtypes.from_numpy_dtype(np_dtype)


def to_tensor(g, create_graph: bool):
    if isinstance(g, Tensor):
        return g if create_graph else g.detach()
    return _detached(np.asarray(g))


def accumulate(t: Tensor, g, create_graph: bool) -> None:
    """torch's AccumulateGrad: a new tensor first, then in place (out of place under create_graph)."""
    held = t._grad
    if held is None:
        if create_graph:
            g = to_tensor(g, True)
            # The gradient may alias a seed or a broadcast view: give it its own
            # storage (a graph-keeping copy) so later in-place accumulation is safe.
            t._grad = g.clone() if g._array.base is not None or g.grad_fn is None else g
        else:
            # A fresh buffer: later in-place accumulation must not write into
            # an array that the graph or the caller still holds.
            array = g._array if isinstance(g, Tensor) else g
            t._grad = _detached(np.array(array, copy=True))
    elif create_graph:
        t._grad = held + to_tensor(g, create_graph)
    else:
        np.add(held._array, g._array if isinstance(g, Tensor) else g, out=held._array)
        held._version[0] += 1


def to_leaf(variable: Tensor, g) -> None:
    """A plain backward's gradient reaching a leaf: steal `g` as the first .grad, as
    torch's AccumulateGrad does, when nothing else holds it; otherwise accumulate."""
    # 3: the caller's `g`, this frame's `g` and getrefcount's argument
    if variable._grad is None and owned(g, 3):
        variable._grad = _detached(g)
    else:
        accumulate(variable, g, False)


def retain(node, g, create_graph: bool) -> None:
    for ref in node.retained:
        t = ref()
        if t is not None and t.grad_fn is node:
            g_t = to_tensor(g, create_graph)
            if not create_graph:
                g_t = _detached(np.array(g_t._array, copy=True))
            t._grad = g_t if t._grad is None else t._grad + g_t
