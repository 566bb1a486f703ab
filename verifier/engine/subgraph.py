"""The VJP of a composite operation: its body's own graph, differentiated locally.

A composite (verifier/ops/composite.py) is defined by a body over registry
primitives.  Its VJP reruns the body on engine tensors and differentiates the
small graph that the body records, back to the composite's inputs only:

* plain backward (`ns` is RAW): the body runs on fresh leaves holding the
  input arrays, and `autograd.grad` of that separate graph gives arrays;
* create_graph (`ns` is the engine): the body runs on the very input tensors,
  each first passed through its own alias node, so the gradients it yields are
  themselves differentiable functions of the inputs (second order).  The pass
  stops at the alias nodes: the outer backward, which is running, owns
  everything beyond them.
"""

from __future__ import annotations

import numpy as np

from verifier.engine.accumulation import fit
from verifier.engine.grad_mode import enable_grad
from verifier.engine.graph import AccumulateGrad
from verifier.engine.tensor import Tensor, _detached


def differentiate(body, ns, g, inputs, params, wanted):
    """One gradient per input (None where not `wanted`) of <body(*inputs), g>."""
    import verifier.engine as engine

    if ns is engine:
        return _on_tensors(engine, body, g, inputs, params, wanted)
    return _on_arrays(engine, body, g, inputs, params, wanted)


def _on_arrays(engine, body, g, arrays, params, wanted):
    leaves = []
    for i, a in enumerate(arrays):
        if isinstance(a, np.ndarray):
            leaf = _detached(a)
            leaf.requires_grad = bool(wanted[i])
            leaves.append(leaf)
        else:
            leaves.append(a)
    wanted = [w and isinstance(a, np.ndarray) and a.dtype.kind == "f" for w, a in zip(wanted, arrays)]
    chosen = [leaves[i] for i in range(len(leaves)) if wanted[i]]
    with enable_grad():
        out = body(engine, *leaves, **params)
    if not chosen or not out.requires_grad:
        return tuple(None for _ in arrays)
    grads = iter(engine.autograd.grad(out, chosen, _detached(np.asarray(g)), allow_unused=True))
    result = []
    for i in range(len(arrays)):
        grad = next(grads) if wanted[i] else None
        result.append(None if grad is None else grad._array)
    return tuple(result)


def _on_tensors(engine, body, g, inputs, params, wanted):
    aliases, stops = [], {}
    with enable_grad():
        for i, t in enumerate(inputs):
            if wanted[i] and isinstance(t, Tensor) and t.requires_grad:
                alias = engine.clone(t)  # a node of its own: where the local pass stops
                stops[alias.grad_fn] = i
                aliases.append(alias)
            else:
                aliases.append(t)
        out = body(engine, *aliases, **params)
    result = [None] * len(inputs)
    if out.grad_fn is None:
        return tuple(result)
    for node, grad in _backward_to(out.grad_fn, stops, g, engine).items():
        result[stops[node]] = grad
    return tuple(result)


def _backward_to(root, stops, g, engine) -> dict:
    """Reverse pass from `root` (gradient g) that stops at, and captures, the `stops` nodes."""
    from verifier.engine.backprop import _vjp_on_tensors

    deps: dict = {}
    stack, seen = [root], {root}
    while stack:
        node = stack.pop()
        if node in stops or type(node) is AccumulateGrad:
            continue
        for edge in node.edges:
            if edge is not None:
                deps[edge] = deps.get(edge, 0) + 1
                if edge not in seen:
                    seen.add(edge)
                    stack.append(edge)
    pending = {root: g if isinstance(g, Tensor) else _detached(np.asarray(g))}
    ready, captured = [root], {}
    while ready:
        node = ready.pop()
        grad = pending.pop(node, None)
        if node in stops:
            if grad is not None:
                captured[node] = grad
            continue
        if type(node) is AccumulateGrad:
            continue  # a constant made inside the body that asked for a gradient
        grads = (None,) * len(node.edges) if grad is None else _vjp_on_tensors(node, grad)
        for edge, array, part in zip(node.edges, node.arrays, grads):
            if edge is None:
                continue
            if part is not None:
                part = fit(part, array.shape, array.dtype, engine)
                held = pending.get(edge)
                pending[edge] = part if held is None else held + part
            deps[edge] -= 1
            if deps[edge] == 0:
                ready.append(edge)
    return captured
