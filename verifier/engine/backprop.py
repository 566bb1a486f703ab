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

import numpy as np

from verifier.engine import anomaly, dual, quiet
from verifier.engine.accumulation import accumulate, deliver, fit, owned, retain, to_leaf
from verifier.engine.anomaly import ANOMALY
from verifier.engine.grad_mode import GRAD_ENABLED
from verifier.engine.graph import AccumulateGrad
from verifier.engine.hooks import run_hooks
from verifier.engine.tensor import Tensor, _detached, edge_of
from verifier.ops.raw import RAW

_ndarray = np.ndarray


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
        if node.hooks is not None:
            g = run_hooks(node.hooks, g)
        if type(node) is AccumulateGrad:
            to_leaf(node.variable, g)
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
        if ANOMALY[0]:
            anomaly.check(node, grads)
        if node.retained:
            retain(node, g, False)
        for edge, array, ig in zip(edges, arrays, grads):
            if edge is None:
                continue
            if ig is not None:
                if type(ig) is not _ndarray or ig.shape != array.shape or ig.dtype != array.dtype:
                    ig = fit(ig, array.shape, array.dtype, RAW)
                held = edge.grad
                if held is None:
                    edge.grad = ig
                elif owned(held, 3):  # 3: edge.grad, `held` and getrefcount's argument
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


def _propagate(ready, deps, retain_graph, create_graph, capture, only) -> None:
    """The general pass: create_graph (VJPs on tensors) and captured inputs."""
    watch = capture is not None or only is not None
    ns = _engine() if create_graph else RAW
    pop, push = ready.pop, ready.append
    while ready:
        node = pop()
        g = node.grad
        node.grad = None
        if node.hooks is not None:
            g = run_hooks(node.hooks, g)
        if watch:
            deliver(node, g, capture, only, create_graph)
        if type(node) is AccumulateGrad:
            if capture is None and (only is None or node in only):
                accumulate(node.variable, g, create_graph)
            continue
        if node.checks:
            node.check_saved()
        grads = _vjp_on_tensors(node, g) if create_graph else _vjp_on_arrays(node, g)
        if ANOMALY[0]:
            anomaly.check(node, grads)
        if node.retained:
            retain(node, g, create_graph)
        for edge, array, ig in zip(node.edges, node.arrays, grads):
            if edge is None:
                continue
            if ig is not None:
                if create_graph or type(ig) is not _ndarray or ig.shape != array.shape or \
                        ig.dtype != array.dtype:
                    ig = fit(ig, array.shape, array.dtype, ns)
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
        if dual.OPEN[0]:  # forward-over-reverse: the saved output keeps its tangent
            dual.attach_out_tangent(node, out)
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
