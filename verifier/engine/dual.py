"""The engine's forward mode: tangents carried beside tensors, each JVP derived from a VJP.

No operation has a second, forward rule.  A VJP u -> J^T u is linear in the
cotangent u, so for a tangent t

    h(u) = <J^T u, t> = <u, J t>   and therefore   J t = grad_u h(u),

at any u (zero will do): the JVP is one reverse pass through the VJP rule
itself, run on engine tensors with u requiring grad (the "double-backward"
trick).  The rule's own conventions (relu'(0) = 0, the ties of amax) carry
over to forward mode unchanged, and a wrong VJP shows in both modes alike.

Tangents live beside the tensors (a map by identity holding weak references,
so that a tensor needs no new slot, and tensors, which compare elementwise,
are never compared); leaving the level forgets every one of them at once, as
torch forgets its forward grads.  Only one
level may be open at a time, as in torch.autograd.forward_ad.
"""

from __future__ import annotations

import weakref

import numpy as np

# OPEN[0]: the id of the open dual level, 0 when forward mode is off (the hot
# path of `function.apply_plan` tests this one value and nothing else).
OPEN = [0]
_NEXT_LEVEL = [0]
_TANGENTS: dict = {}  # id(tensor) -> (weakref to it, tangent array)
# A node whose VJP reads its output: the output's tangent, for forward-over-reverse
# (under create_graph the saved output is unpacked as a tensor and needs it back).
_OUT_TANGENTS: dict = {}  # id(node) -> (weakref to it, tangent array)


def enter_level() -> int:
    if OPEN[0]:
        raise RuntimeError("Nested forward mode AD is not supported at the moment: leave the "
                           "open dual_level() before entering another one")
    _NEXT_LEVEL[0] += 1
    OPEN[0] = _NEXT_LEVEL[0]
    return OPEN[0] - 1  # torch numbers levels from 0


def exit_level() -> None:
    if not OPEN[0]:
        raise RuntimeError("Trying to exit a forward AD level that was not the last one created; "
                           "exit_dual_level() must follow enter_dual_level()")
    OPEN[0] = 0
    _TANGENTS.clear()
    _OUT_TANGENTS.clear()


def _lookup(table: dict, key):
    entry = table.get(id(key))
    if entry is None or entry[0]() is not key:  # an id reused by a newer object
        return None
    return entry[1]


def tangent_of(t):
    """The tangent array of `t` at the open level, or None."""
    if not OPEN[0]:
        return None
    return _lookup(_TANGENTS, t)


def set_tangent(t, tangent) -> None:
    if tangent is None:
        _TANGENTS.pop(id(t), None)
    else:
        _TANGENTS[id(t)] = (weakref.ref(t), tangent)


def attach_out_tangent(node, out) -> None:
    """Give the unpacked saved output of `node` the tangent it had when recorded."""
    if OPEN[0]:
        set_tangent(out, _lookup(_OUT_TANGENTS, node))


def propagate(plan, params, args, result) -> None:
    """Give `result` (the output of `plan` applied to `args`) its tangent, if any input has one."""
    tangents = [tangent_of(a) if hasattr(a, "_array") else None for a in args]
    if all(t is None for t in tangents) or result._array.dtype.kind in "biu":
        return  # no input has a tangent, or the result is an integer or bool (all, any)
    out_tangent = jvp_from_vjp(plan, params, args, result._array, tangents)
    set_tangent(result, out_tangent)
    node = result.grad_fn
    if node is not None and getattr(node, "out", None) is not None and node.plan is plan:
        _OUT_TANGENTS[id(node)] = (weakref.ref(node), out_tangent)


def jvp_from_vjp(plan, params, args, out_array, tangents) -> np.ndarray:
    """J t for the op's Jacobian J at `args`: grad_u <vjp(u), t> (see the module's docstring)."""
    import verifier.engine as engine
    from verifier.engine.accumulation import fit
    from verifier.engine.grad_mode import GRAD_ENABLED
    from verifier.engine.tensor import _detached

    zeros = np.zeros(out_array.shape, dtype=out_array.dtype)
    if plan.vjp is None or out_array.dtype.kind != "f":
        return zeros  # not differentiable (a comparison, an integer result): no tangent flows
    level, grad_mode = OPEN[0], GRAD_ENABLED[0]
    OPEN[0], GRAD_ENABLED[0] = 0, True  # the derivation itself runs plain reverse mode
    try:
        # The primals enter as fresh leaves: only u is differentiated.  Those with a tangent
        # require grad, so that a VJP which differentiates a graph of its own (a composite's
        # body, engine/subgraph.py) records it instead of returning zeros for a constant.
        constants = [_detached(a._array) if hasattr(a, "_array") else a for a in args]
        for c, t in zip(constants, tangents):
            if t is not None and hasattr(c, "_array") and c._array.dtype.kind == "f":
                c.requires_grad = True
        u = _detached(zeros.copy())
        u.requires_grad = True
        out = _detached(out_array)
        vjps = plan.vjp(engine, u, out, *constants, **params)
        total = None
        for arg, t, v in zip(args, tangents, vjps):
            if t is None or v is None:
                continue
            v = fit(v, arg._array.shape, arg._array.dtype, engine)
            term = (v * _detached(np.asarray(t, dtype=arg._array.dtype))).sum()
            total = term if total is None else total + term
        if total is None or not total.requires_grad:
            return zeros  # the VJP does not depend on u along t: J t = 0
        (jt,) = engine.autograd.grad(total, [u], allow_unused=True)
        return zeros if jt is None else np.asarray(jt._array, dtype=out_array.dtype)
    finally:
        OPEN[0], GRAD_ENABLED[0] = level, grad_mode
