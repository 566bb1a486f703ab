"""The backward pass: `backward` (accumulate into leaves) and `grad` (return).

Reverse mode over the recorded nodes in topological order (Kahn's algorithm
on dependency counts), so each node's VJP runs once, after every consumer of
its output has contributed.  Plain backward runs the VJPs on raw numpy arrays
(`RAW`); `create_graph=True` runs the very same rules on engine tensors, so
the gradients are themselves differentiable.
"""

from __future__ import annotations

import numpy as np

from verifier.engine.grad_mode import GRAD_ENABLED
from verifier.engine.graph import AccumulateGrad, Node
from verifier.engine.tensor import Tensor, _detached, edge_of
from verifier.ops.raw import RAW


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None,
             grad_variables=None) -> None:
    """torch.autograd.backward: add d(sum tensors·grads)/d(leaf) into leaf.grad."""
    tensors, grads = _roots(tensors, grad_tensors if grad_variables is None else grad_variables)
    if retain_graph is None:
        retain_graph = create_graph
    only = None
    if inputs is not None:
        only = {id(edge_of(t)) for t in _as_list(inputs)}
    _run(tensors, grads, retain_graph, create_graph, capture=None, only=only)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=None, materialize_grads=False):
    """torch.autograd.grad: return d(sum outputs·grad_outputs)/d(inputs)."""
    outputs, grads = _roots(outputs, grad_outputs)
    inputs = _as_list(inputs)
    for t in inputs:
        if not t.requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    if retain_graph is None:
        retain_graph = create_graph
    capture = {}
    for t in inputs:
        capture.setdefault(id(edge_of(t)), None)
    _run(outputs, grads, retain_graph, create_graph, capture=capture, only=None)
    result = []
    for i, t in enumerate(inputs):
        g = capture[id(edge_of(t))]
        if g is None:
            if materialize_grads:
                g = _to_tensor(np.zeros_like(t._array), create_graph)
            elif not allow_unused:
                raise RuntimeError(f"One of the differentiated Tensors (input {i}) appears to not "
                                   "have been used in the graph. Set allow_unused=True if this "
                                   "is the desired behavior.")
        result.append(g)
    return tuple(result)


def _as_list(values):
    if isinstance(values, Tensor):
        return [values]
    return list(values)


def _roots(tensors, grads):
    tensors = _as_list(tensors)
    if grads is None or isinstance(grads, Tensor):
        grads = [grads] * len(tensors) if grads is None else [grads]
    grads = list(grads)
    if len(grads) != len(tensors):
        raise RuntimeError(f"got {len(grads)} gradients for {len(tensors)} outputs")
    seeds = []
    for i, (t, g) in enumerate(zip(tensors, grads)):
        if not t.requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have "
                               "a grad_fn; call requires_grad_() on the inputs before computing, "
                               "or compute outside torch.no_grad()")
        if g is None:
            if t._array.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs; "
                                   f"this output has shape {list(t._array.shape)}: pass "
                                   "backward(gradient=...) a tensor of that shape (dZ/dy)")
            g = np.ones_like(t._array)
        else:
            g_array = g._array if isinstance(g, Tensor) else np.asarray(g, dtype=t._array.dtype)
            if g_array.shape != t._array.shape:
                raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of "
                                   f"torch.Size({list(g_array.shape)}) and output[{i}] has a shape "
                                   f"of torch.Size({list(t._array.shape)}).")
            g = g if isinstance(g, Tensor) else g_array
        seeds.append(g)
    return tensors, seeds


def _to_tensor(g, create_graph: bool):
    if isinstance(g, Tensor):
        return g if create_graph else g.detach()
    return _detached(np.asarray(g), None)


def _dependencies(roots):
    """Count, for every reachable node, how many edges point into it."""
    counts = {}
    stack = list(roots)
    seen = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        for edge in getattr(node, "edges", ()):
            if edge is not None:
                counts[id(edge)] = counts.get(id(edge), 0) + 1
                stack.append(edge)
    return counts


def _run(tensors, seeds, retain_graph, create_graph, capture, only) -> None:
    import verifier.engine as engine_namespace

    ns = engine_namespace if create_graph else RAW
    pending = {}
    roots = []
    for t, g in zip(tensors, seeds):
        node = edge_of(t)
        g = _prepare(g, create_graph)
        key = id(node)
        if key in pending:
            pending[key] = (node, pending[key][1] + g)
        else:
            pending[key] = (node, g)
            roots.append(node)
    counts = _dependencies(roots)
    ready = [node for node in roots if counts.get(id(node), 0) == 0]
    previous_mode = GRAD_ENABLED[0]
    GRAD_ENABLED[0] = create_graph
    try:
        while ready:
            node = ready.pop()
            _, g = pending.pop(id(node))
            if capture is not None and id(node) in capture:
                held = capture[id(node)]
                capture[id(node)] = _to_tensor(g, create_graph) if held is None else held + g
            if isinstance(node, AccumulateGrad):
                if capture is None and (only is None or id(node) in only):
                    _accumulate(node.variable, g, create_graph)
                continue
            grads = _node_vjp(node, g, ns, create_graph)
            if node.retained:
                _retain(node, g, create_graph)
            if not retain_graph:
                node.free()
            for edge, shape, dtype, ig in zip(node.edges, node.shapes, node.dtypes, grads):
                if edge is None:
                    continue
                if ig is not None:
                    ig = _fit(ig, shape, dtype, ns)
                    key = id(edge)
                    if key in pending:
                        pending[key] = (edge, pending[key][1] + ig)
                    else:
                        pending[key] = (edge, ig)
                counts[id(edge)] -= 1
                if counts[id(edge)] == 0 and id(edge) in pending:
                    ready.append(edge)
                elif counts[id(edge)] == 0:
                    _release(edge, counts, retain_graph)
    finally:
        GRAD_ENABLED[0] = previous_mode


def _release(node, counts, retain_graph) -> None:
    """A node reached only by zero gradients: nothing flows further down."""
    stack = [node]
    while stack:
        n = stack.pop()
        for edge in getattr(n, "edges", ()):
            if edge is not None:
                counts[id(edge)] -= 1
                if counts[id(edge)] == 0:
                    stack.append(edge)


def _prepare(g, create_graph: bool):
    if create_graph:
        return g if isinstance(g, Tensor) else _detached(np.asarray(g), None)
    return g._array if isinstance(g, Tensor) else g


def _node_vjp(node: Node, g, ns, create_graph: bool):
    node.check_saved()
    op = node.op
    if create_graph:
        inputs = node.inputs
        out = None
        if op.uses_out:
            from verifier.engine.function import apply
            out = apply(op, inputs, node.params)
    else:
        inputs = [a._array if isinstance(a, Tensor) else a for a in node.inputs]
        out = op.forward(*inputs, **node.params) if op.uses_out else None
    return op.vjp(ns, g, out, *inputs, **node.params)


def _fit(g, shape, dtype, ns):
    """Undo broadcasting (sum over broadcast dims) and match the input's dtype.

    This is the one place broadcasting is undone: every VJP may return a
    gradient of the broadcast shape.
    """
    if not isinstance(g, Tensor) and type(g) is not np.ndarray:
        g = np.asarray(g)
    g_shape = g.shape
    if tuple(g_shape) != shape:
        lead = len(g_shape) - len(shape)
        dims = tuple(range(lead)) + tuple(
            lead + i for i, n in enumerate(shape) if n == 1 and g_shape[lead + i] != 1)
        if dims:
            g = ns.sum(g, dim=dims, keepdim=False) if lead == len(dims) else \
                ns.reshape(ns.sum(g, dim=dims, keepdim=True), shape)
        if tuple(g.shape) != shape:
            g = ns.reshape(g, shape)
    if dtype is not None and g.dtype != dtype and not isinstance(g, Tensor):
        g = g.astype(dtype)
    elif isinstance(g, Tensor) and g._array.dtype != dtype and dtype is not None:
        g = g.to(_engine_dtype(dtype))
    return g


def _engine_dtype(np_dtype):
    from verifier.engine import dtypes
    return dtypes.from_numpy_dtype(np_dtype)


def _accumulate(leaf: Tensor, g, create_graph: bool) -> None:
    g = _to_tensor(g, create_graph)
    if leaf.grad is None:
        # A fresh gradient must not alias a buffer that later accumulation mutates.
        leaf.grad = g if create_graph else _detached(np.array(g._array, copy=True), None)
    elif create_graph:
        leaf.grad = leaf.grad + g
    else:
        leaf.grad._array = leaf.grad._array + g._array


def _retain(node: Node, g, create_graph: bool) -> None:
    for ref in node.retained:
        t = ref()
        if t is not None and t.grad_fn is node:
            g_t = _to_tensor(g, create_graph)
            t.grad = g_t if t.grad is None else t.grad + g_t


def Variable(data, requires_grad: bool = False, volatile: bool = False):  # noqa: N802
    """The seed notebook's `autograd.Variable`: since torch 0.4 it simply gives a Tensor."""
    t = data if isinstance(data, Tensor) else _detached(np.asarray(data), None)
    if requires_grad:
        t.requires_grad_(True)
    return t
