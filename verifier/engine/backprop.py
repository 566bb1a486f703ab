"""The backward pass: Kahn's algorithm over the recorded nodes.

A node runs once every consumer of its output has contributed, so each VJP
runs once on the summed gradient.  The gradient waiting at a node lives in
the node itself (`node.grad`) for the length of one pass: no dictionaries
keyed by id.  A plain backward runs the VJPs on raw numpy arrays (`RAW`), reading
the saved output array (no recomputation); `create_graph=True` runs the very
same rules on engine tensors, with the saved output as a tensor whose grad_fn
is the node itself (as torch unpacks a saved result), so the gradients are
differentiable.  numpy's divide/invalid/overflow warnings are silenced for
the whole pass, once (torch is silent).
"""

from __future__ import annotations

import sys

import numpy as np

from verifier.engine import quiet
from verifier.engine.grad_mode import GRAD_ENABLED
from verifier.engine.graph import AccumulateGrad
from verifier.engine.tensor import Tensor, _detached, edge_of
from verifier.ops.raw import RAW

_ndarray = np.ndarray
_getrefcount = sys.getrefcount


def run(tensors, seeds, retain_graph, create_graph, capture, only) -> None:
    """Propagate `seeds` from `tensors` to every reachable node.

    capture: {node: None} filled with the gradient reaching each node (autograd.grad);
    only: {node: tensor} restricts accumulation to those tensors (backward(inputs=...)).
    """
    roots = []
    for t, g in zip(tensors, seeds):
        node = edge_of(t)
        g = _prepare(g, create_graph)
        if node.grad is None:
            node.grad = g
            roots.append(node)
        else:
            node.grad = node.grad + g
    deps = _dependencies(roots)
    ready = [node for node in roots if node not in deps]
    previous_mode = GRAD_ENABLED[0]
    GRAD_ENABLED[0] = create_graph
    token = quiet.enter()
    try:
        if create_graph or capture is not None or only is not None:
            _propagate(ready, deps, retain_graph, create_graph, capture, only)
        else:
            _propagate_arrays(ready, deps, retain_graph)
    except BaseException:
        for node in roots:
            node.grad = None
        for node in deps:
            node.grad = None
        raise
    finally:
        quiet.leave(token)
        GRAD_ENABLED[0] = previous_mode


def _dependencies(roots) -> dict:
    """Count, for every reachable node, how many edges point into it."""
    counts = {}
    stack = list(roots)
    root_set = set(roots)
    while stack:
        node = stack.pop()
        if type(node) is AccumulateGrad:
            continue
        for edge in node.edges:
            if edge is not None:
                c = counts.get(edge)
                if c is None:
                    counts[edge] = 1
                    if edge not in root_set:
                        stack.append(edge)
                else:
                    counts[edge] = c + 1
    return counts


def _propagate_arrays(ready, deps, retain_graph) -> None:
    """The plain backward: `_propagate` without create_graph or captures, kept lean
    (the per-node overhead is the engine's overhead on small tensors)."""
    pop, push = ready.pop, ready.append
    while ready:
        node = pop()
        g = node.grad
        node.grad = None
        if type(node) is AccumulateGrad:
            variable = node.variable
            if variable._grad is None and _owned(g, 2):  # 2: `g` and getrefcount's argument
                variable._grad = _detached(g)  # steal it, as torch's AccumulateGrad does
            else:
                _accumulate(variable, g, False)
            continue
        if node.checks:
            node.check_saved()
        plan = node.plan
        out = node.out[0] if node.out is not None else None
        arrays, params, edges = node.arrays, node.params, node.edges
        parts = plan.vjp_parts
        if parts is None:
            grads = plan.vjp(RAW, g, out, *arrays, **params)
        elif len(edges) == 2:  # binary operators: run only the rules whose input needs one
            first, second = parts
            grads = (None if edges[0] is None else first(RAW, g, out, *arrays, **params),
                     None if edges[1] is None else second(RAW, g, out, *arrays, **params))
        else:
            grads = [None if edge is None or part is None else part(RAW, g, out, *arrays, **params)
                     for part, edge in zip(parts, edges)]
        if node.retained:
            _retain(node, g, False)
        for edge, array, ig in zip(edges, arrays, grads):
            if edge is None:
                continue
            if ig is not None:
                if type(ig) is not _ndarray or ig.shape != array.shape or ig.dtype != array.dtype:
                    ig = _fit(ig, array.shape, array.dtype, RAW)
                held = edge.grad
                if held is None:
                    edge.grad = ig
                elif _owned(held, 3):  # 3: edge.grad, `held` and getrefcount's argument
                    np.add(held, ig, out=held)
                else:
                    edge.grad = held + ig
            left = deps[edge] - 1
            deps[edge] = left
            if left == 0:
                if edge.grad is not None:
                    push(edge)
                else:
                    _release(edge, deps, ready)
        if not retain_graph and node.checks:
            node.free()


def _owned(array, references: int) -> bool:
    """Whether the pass holds the only references to `array` (torch's use_count() == 1):
    then it may add into it in place, or hand it to a leaf as its .grad without a copy.

    A view (base set) or a read-only array (broadcast_to) is never owned: writing
    would reach memory that someone else sees.
    """
    return (type(array) is _ndarray and _getrefcount(array) <= references + 1
            and array.base is None and array.flags.writeable)


def _propagate(ready, deps, retain_graph, create_graph, capture, only) -> None:
    """The general pass: create_graph (VJPs on tensors) and captured inputs."""
    watch = capture is not None or only is not None
    ns = _engine() if create_graph else RAW
    pop, push = ready.pop, ready.append
    while ready:
        node = pop()
        g = node.grad
        node.grad = None
        if watch:
            _deliver(node, g, capture, only, create_graph)
        if type(node) is AccumulateGrad:
            if capture is None and (only is None or node in only):
                _accumulate(node.variable, g, create_graph)
            continue
        if node.checks:
            node.check_saved()
        grads = _vjp_on_tensors(node, g) if create_graph else _vjp_on_arrays(node, g)
        if node.retained:
            _retain(node, g, create_graph)
        for edge, array, ig in zip(node.edges, node.arrays, grads):
            if edge is None:
                continue
            if ig is not None:
                if create_graph or type(ig) is not _ndarray or ig.shape != array.shape or \
                        ig.dtype != array.dtype:
                    ig = _fit(ig, array.shape, array.dtype, ns)
                held = edge.grad
                edge.grad = ig if held is None else held + ig
            left = deps[edge] - 1
            deps[edge] = left
            if left == 0:
                if edge.grad is not None:
                    push(edge)
                else:
                    _release(edge, deps, ready)
        if not retain_graph and node.checks:
            node.free()


def _vjp_on_arrays(node, g):
    """The node's VJP on raw arrays, reading the saved output as it is."""
    plan = node.plan
    out = node.out[0] if node.out is not None else None
    parts = plan.vjp_parts
    if parts is None:
        return plan.vjp(RAW, g, out, *node.arrays, **node.params)
    arrays, params = node.arrays, node.params
    return [None if edge is None or part is None else part(RAW, g, out, *arrays, **params)
            for part, edge in zip(parts, node.edges)]


def _vjp_on_tensors(node, g):
    """The node's VJP run on engine tensors, so that it records a graph (create_graph).

    The saved output becomes a tensor whose grad_fn is this node: differentiating
    through it reaches the node's inputs, as torch's unpacked saved result does.
    """
    plan = node.plan
    out = None
    if node.out is not None:
        array, counter, _ = node.out
        out = _detached(array)
        out._version = counter
        out.grad_fn = node
        out.requires_grad = True
    engine = _engine()
    parts = plan.vjp_parts
    if parts is None:
        return plan.vjp(engine, g, out, *node.inputs, **node.params)
    inputs, params = node.inputs, node.params
    return [None if edge is None or part is None else part(engine, g, out, *inputs, **params)
            for part, edge in zip(parts, node.edges)]


def _engine():
    import verifier.engine as engine_namespace
    return engine_namespace


def _deliver(node, g, capture, only, create_graph) -> None:
    """autograd.grad's captured inputs, and backward(inputs=...) on non-leaves."""
    if capture is not None and node in capture:
        held = capture[node]
        capture[node] = _to_tensor(g, create_graph) if held is None else held + g
    if only is not None and node in only and type(node) is not AccumulateGrad:
        _accumulate(only[node], g, create_graph)


def _release(node, deps, ready) -> None:
    """A node reached only by no gradient: nothing flows from it, but its
    inputs may still be waiting on it before they can run."""
    stack = [node]
    while stack:
        n = stack.pop()
        if type(n) is AccumulateGrad:
            continue
        for edge in n.edges:
            if edge is not None:
                left = deps[edge] - 1
                deps[edge] = left
                if left == 0:
                    if edge.grad is not None:
                        ready.append(edge)
                    else:
                        stack.append(edge)


def _prepare(g, create_graph: bool):
    if create_graph:
        return g if isinstance(g, Tensor) else _detached(np.asarray(g))
    return g._array if isinstance(g, Tensor) else g


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
