"""The backward pass: `backward` (accumulate into leaves) and `grad` (return).

Reverse mode over the recorded nodes in topological order (Kahn's algorithm
on dependency counts), so each node's VJP runs once, after every consumer of
its output has contributed.  Plain backward runs the VJPs on raw numpy arrays
(`RAW`); `create_graph=True` runs the very same rules on engine tensors, so
the gradients are themselves differentiable.
"""

from __future__ import annotations

import warnings

import numpy as np

from verifier.engine.grad_mode import GRAD_ENABLED
from verifier.engine.graph import AccumulateGrad
from verifier.engine.tensor import Tensor, _detached, edge_of
from verifier.ops.raw import RAW

_ndarray = np.ndarray


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None,
             grad_variables=None) -> None:
    """torch.autograd.backward: add d(sum tensors·grads)/d(t) into t.grad.

    With `inputs`, only those tensors (leaves or not) receive gradients.
    """
    if grad_variables is not None:
        warnings.warn("'grad_variables' is deprecated. Use 'grad_tensors' instead.",
                      DeprecationWarning, stacklevel=2)
        grad_tensors = grad_variables
    tensors, seeds = _roots(tensors, grad_tensors)
    if retain_graph is None:
        retain_graph = create_graph
    only = None
    if inputs is not None:
        chosen = _as_list(inputs)
        if not chosen:
            raise RuntimeError("'inputs' argument to backward() cannot be empty; leave it out "
                               "to accumulate into every leaf")
        only = {}
        for t in chosen:
            if not t.requires_grad:
                raise RuntimeError("One of the differentiated Tensors does not require grad")
            only[id(edge_of(t))] = t
    _run(tensors, seeds, retain_graph, create_graph, capture=None, only=only)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=None, materialize_grads=False):
    """torch.autograd.grad: return d(sum outputs·grad_outputs)/d(inputs); .grad is untouched."""
    outputs, seeds = _roots(outputs, grad_outputs)
    inputs = _as_list(inputs)
    for t in inputs:
        if not isinstance(t, Tensor) or not t.requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    if retain_graph is None:
        retain_graph = create_graph
    capture = {id(edge_of(t)): None for t in inputs}
    _run(outputs, seeds, retain_graph, create_graph, capture=capture, only=None)
    result = []
    for i, t in enumerate(inputs):
        g = capture[id(edge_of(t))]
        if g is None:
            if materialize_grads:
                g = _detached(np.zeros_like(t._array))
            elif not allow_unused:
                raise RuntimeError(f"The differentiated Tensor at index {i} appears to not have "
                                   "been used in the graph. Set allow_unused=True if this is the "
                                   "desired behavior.")
        result.append(g)
    return tuple(result)


def _as_list(values):
    if isinstance(values, Tensor):
        return [values]
    return list(values)


def _roots(tensors, grads):
    """The output tensors and their seed gradients (arrays or tensors), checked."""
    tensors = _as_list(tensors)
    if grads is None:
        grads = [None] * len(tensors)
    elif isinstance(grads, Tensor) or not isinstance(grads, (list, tuple)):
        grads = [grads]
    grads = list(grads)
    if len(grads) != len(tensors):
        raise RuntimeError(f"grad can be implicitly created only for scalar outputs: got "
                           f"{len(grads)} gradients for {len(tensors)} outputs; pass one per output")
    seeds = []
    for i, (t, g) in enumerate(zip(tensors, grads)):
        if not t.requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a "
                               "grad_fn: call requires_grad_() on the inputs before computing, "
                               "and compute outside torch.no_grad()")
        if g is None:
            if t._array.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs; this "
                                   f"output has shape {list(t._array.shape)}: pass "
                                   "backward(gradient=...) a tensor of that shape (dZ/dy)")
            g = np.ones_like(t._array)
        else:
            g_array = g._array if isinstance(g, Tensor) else np.asarray(g, dtype=t._array.dtype)
            if g_array.shape != t._array.shape:
                raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of "
                                   f"torch.Size({list(g_array.shape)}) and output[{i}] has a shape "
                                   f"of torch.Size({list(t._array.shape)}). Pass a gradient "
                                   "with exactly the output's shape.")
            g = g if isinstance(g, Tensor) else g_array
        seeds.append(g)
    return tensors, seeds


def _dependencies(roots) -> dict:
    """Count, for every reachable node, how many edges point into it.

    A node is expanded once: when first discovered (roots up front).
    """
    counts = {}
    root_ids = {id(r) for r in roots}
    stack = list(roots)
    while stack:
        node = stack.pop()
        if type(node) is AccumulateGrad:
            continue
        for edge in node.edges:
            if edge is not None:
                k = id(edge)
                c = counts.get(k)
                if c is None:
                    counts[k] = 1
                    if k not in root_ids:
                        stack.append(edge)
                else:
                    counts[k] = c + 1
    return counts


def _run(tensors, seeds, retain_graph, create_graph, capture, only) -> None:
    """Kahn's algorithm over the graph: a node runs once all its consumers have."""
    pending = {}
    roots = []
    for t, g in zip(tensors, seeds):
        node = edge_of(t)
        g = _prepare(g, create_graph)
        key = id(node)
        if key in pending:
            pending[key] = pending[key] + g
        else:
            pending[key] = g
            roots.append(node)
    counts = _dependencies(roots)
    ready = [node for node in roots if id(node) not in counts]
    watch = capture is not None or only is not None
    previous_mode = GRAD_ENABLED[0]
    GRAD_ENABLED[0] = create_graph
    try:
        while ready:
            node = ready.pop()
            key = id(node)
            g = pending.pop(key)
            if watch:
                _deliver(node, key, g, capture, only, create_graph)
            if type(node) is AccumulateGrad:
                if capture is None and (only is None or key in only):
                    _accumulate(node.variable, g, create_graph)
                continue
            if node.versions or node.freed:
                node.check_saved()
            op = node.op
            arrays = node.arrays
            if create_graph:
                grads = _vjp_on_tensors(node, g)
            else:
                params = node.params
                out = op.forward(*arrays, **params) if op.uses_out else None
                grads = op.vjp(RAW, g, out, *arrays, **params)
            if node.retained:
                _retain(node, g, create_graph)
            for edge, array, ig in zip(node.edges, arrays, grads):
                if edge is None:
                    continue
                k = id(edge)
                if ig is not None:
                    if type(ig) is not _ndarray or ig.shape != array.shape or \
                            ig.dtype != array.dtype:
                        ig = _fit(ig, array.shape, array.dtype,
                                  RAW if not create_graph else _engine())
                    held = pending.get(k)
                    pending[k] = ig if held is None else held + ig
                left = counts[k] - 1
                counts[k] = left
                if left == 0:
                    if k in pending:
                        ready.append(edge)
                    else:
                        _release(edge, counts, pending, ready)
            if not retain_graph and node.versions:
                node.free()
    finally:
        GRAD_ENABLED[0] = previous_mode


def _engine():
    import verifier.engine as engine_namespace
    return engine_namespace


def _deliver(node, key, g, capture, only, create_graph) -> None:
    """autograd.grad's captured inputs, and backward(inputs=...) on non-leaves."""
    if capture is not None and key in capture:
        held = capture[key]
        capture[key] = _to_tensor(g, create_graph) if held is None else held + g
    if only is not None and key in only and type(node) is not AccumulateGrad:
        _accumulate(only[key], g, create_graph)


def _release(node, counts, pending, ready) -> None:
    """A node reached only by zero gradients: nothing flows from it, but its
    inputs may still be waiting on it before they can run."""
    stack = [node]
    while stack:
        n = stack.pop()
        if type(n) is AccumulateGrad:
            continue
        for edge in n.edges:
            if edge is not None:
                k = id(edge)
                counts[k] -= 1
                if counts[k] == 0:
                    if k in pending:
                        ready.append(edge)
                    else:
                        stack.append(edge)


def _prepare(g, create_graph: bool):
    if create_graph:
        return g if isinstance(g, Tensor) else _detached(np.asarray(g))
    return g._array if isinstance(g, Tensor) else g


def _vjp_on_tensors(node, g):
    """The node's VJP run on engine tensors, so that it records a graph (create_graph)."""
    op = node.op
    out = None
    if op.uses_out:
        from verifier.engine.function import apply
        out = apply(op, node.inputs, node.params)
    return op.vjp(_engine(), g, out, *node.inputs, **node.params)


def _fit(g, shape, dtype, ns):
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


def _to_tensor(g, create_graph: bool):
    if isinstance(g, Tensor):
        return g if create_graph else g.detach()
    return _detached(np.asarray(g))


def _accumulate(t: Tensor, g, create_graph: bool) -> None:
    """torch's AccumulateGrad: a new tensor first, then in place (out of place under create_graph)."""
    held = t._grad
    if held is None:
        if create_graph:
            g = _to_tensor(g, True)
            # The gradient may alias a seed or a broadcast view: give it its own
            # storage (a graph-keeping copy) so later in-place accumulation is safe.
            t._grad = g.clone() if g._array.base is not None or g.grad_fn is None else g
        else:
            # A fresh buffer: later in-place accumulation must not write into
            # an array that the graph or the caller still holds.
            array = g._array if isinstance(g, Tensor) else g
            t._grad = _detached(np.array(array, copy=True))
    elif create_graph:
        t._grad = held + _to_tensor(g, create_graph)
    else:
        np.add(held._array, g._array if isinstance(g, Tensor) else g, out=held._array)
        held._version[0] += 1


def _retain(node, g, create_graph: bool) -> None:
    for ref in node.retained:
        t = ref()
        if t is not None and t.grad_fn is node:
            g_t = _to_tensor(g, create_graph)
            if not create_graph:
                g_t = _detached(np.array(g_t._array, copy=True))
            t._grad = g_t if t._grad is None else t._grad + g_t


def Variable(data, requires_grad: bool = False, volatile: bool = False):  # noqa: N802
    """The seed notebook's `autograd.Variable`: since torch 0.4 it simply gives the Tensor."""
    if volatile:
        warnings.warn("volatile was removed and now has no effect. Use `with torch.no_grad():` "
                      "instead.", UserWarning, stacklevel=2)
    t = data if isinstance(data, Tensor) else _detached(np.asarray(data))
    if requires_grad:
        t.requires_grad_(True)
    return t
