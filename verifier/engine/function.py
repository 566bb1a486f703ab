"""Applying a registered operation to engine tensors, out of place or in place.

`apply` is the hot path of the engine: one numpy call, one Tensor, and a Node
only when grad mode is on and an input requires grad.
"""

from __future__ import annotations

import numpy as np

from verifier.engine import dual, quiet
from verifier.engine.dtypes import get_default_dtype
from verifier.engine.grad_mode import GRAD_ENABLED
from verifier.engine.graph import SAVES_NOTHING, AccumulateGrad, Node, saved_indices, saving_rule
from verifier.engine.tensor import Tensor, _detached
from verifier.ops.integer_support import refusal, refused_kinds
from verifier.ops.promotion import floating

_ndarray = np.ndarray
_F64 = np.dtype(np.float64)
_F32 = np.dtype(np.float32)
_F16 = np.dtype(np.float16)
_enter_quiet, _leave_quiet = quiet.enter, quiet.leave
_DUAL_OPEN = dual.OPEN


class Plan:
    """What the hot path needs to know about one op, looked up once.

    forward/vjp: the registry's rules (vjp_parts: one per input, when declared
    so); view: the result shares the input's storage (and version counter);
    saves: the saving rule (graph.saving_rule);
    saves_out: the node keeps the output array (the VJP reads it, or torch
    saves it): a bool, or a callable (inputs) -> bool;
    returns_input: params under which the op is the identity and torch returns
    the input tensor itself (flatten with nothing to merge); ufunc: the numpy
    ufunc of a binary operator, for the direct path of same-dtype operands.
    """

    __slots__ = ("op", "forward", "vjp", "vjp_parts", "view", "saves", "saves_out",
                 "returns_input", "ufunc", "snapshot", "refuses")

    def __init__(self, op) -> None:
        self.op = op
        self.forward = op.forward
        self.vjp = op.vjp
        # One rule per input (registry.vjp_by_input): backward runs only the needed ones.
        self.vjp_parts = getattr(op.vjp, "parts", None)
        self.view = bool(op.extra.get("view"))
        self.saves = saving_rule(op)
        # True, False, or a callable (inputs) -> bool (pow: only for a tensor exponent).
        self.saves_out = op.extra.get("saves_out", op.uses_out)
        self.returns_input = op.extra.get("returns_input")
        self.ufunc = op.extra.get("ufunc") or getattr(op.forward, "ufunc", None)
        # A composite's VJP reads inputs that torch does not save (so no version check):
        # the node keeps copies, which later in-place changes cannot reach.
        self.snapshot = bool(op.extra.get("snapshot"))
        # numpy dtype kinds of the first input that torch refuses here (mean of an int64
        # tensor): "biu", "b" or None (ops/integer_support.py)
        self.refuses = refused_kinds(op.name)


_PLANS: dict = {}


def plan_of(op) -> Plan:
    plan = _PLANS.get(op.name)
    if plan is None:
        plan = _PLANS[op.name] = Plan(op)
    return plan


def apply(op, args, params):
    """Run `op` on tensors/Python scalars `args`; record a node if needed."""
    return apply_plan(_PLANS.get(op.name) or plan_of(op), args, params)


def apply_plan(plan, args, params):
    """`apply` with the op's plan already looked up (functions and operators bind it once)."""
    arrays = [a._array if isinstance(a, Tensor) else a for a in args]
    if plan.refuses is not None and arrays and type(arrays[0]) is _ndarray \
            and arrays[0].dtype.kind in plan.refuses:
        raise refusal(plan.op.name, arrays[0].dtype)
    if plan.returns_input is not None and plan.returns_input(*arrays, **params):
        return args[0]
    token = _enter_quiet()
    try:
        out = plan.forward(*arrays, **params)
        if getattr(out, "dtype", None) is _F16 and _from_bool(arrays):
            # numpy computes a float function of bool in float16; torch in its default dtype
            default = get_default_dtype().numpy
            out = plan.forward(*[a.astype(default) if type(a) is _ndarray and a.dtype == np.bool_
                                 else a for a in arrays], **params)
    except ValueError as exc:
        raise RuntimeError(_shape_message(plan.op, arrays, exc)) from None
    finally:
        _leave_quiet(token)
    if type(out) is not _ndarray:
        out = np.asarray(out)
    if out.dtype is _F64 and arrays and params.get("dtype") is None:  # an explicit dtype= decides
        first = arrays[0]
        if not (type(first) is _ndarray and first.dtype is _F64 and first.ndim):
            out = _torch_promotion(out, arrays)
    elif out.dtype is _F32 and any(type(a) is _ndarray and a.dtype.name == "bfloat16"
                                   for a in arrays):
        # ml_dtypes takes a Python number beside bfloat16 as strong (np.maximum(x, 0.5) is
        # float32); torch keeps bfloat16
        out = _torch_promotion(out, arrays)
    result = _detached(out)
    # An integer or bool result (all, count_nonzero, a cast to int64) never requires grad.
    if GRAD_ENABLED[0] and (floating(out.dtype) or out.dtype.kind == "c"):
        for a in args:
            if isinstance(a, Tensor) and a.requires_grad:
                record(plan, params, args, arrays, result)
                break
    if _DUAL_OPEN[0]:  # forward mode: the output's tangent, from the op's VJP
        dual.propagate(plan, params, args, result)
    if plan.view and out.base is not None and isinstance(args[0], Tensor):
        # A view shares storage, so it shares the version counter (as in torch).
        source = args[0]
        result._version = source._version
        result._base = source._base if source._base is not None else source
    return result


def _from_bool(arrays) -> bool:
    """A float16 result that no float16 operand asked for: a float function of bool arrays."""
    return not any(type(a) is _ndarray and a.dtype is _F16 for a in arrays)


def _torch_promotion(out, arrays):
    """Cast a float64 result to the dtype torch would give.

    numpy (NEP 50) and torch agree except where torch lets dimensioned
    tensors decide: an int tensor times a Python float is float32 (the
    default dtype), and a float32 tensor plus a 0-d float64 tensor stays float32.
    """
    dimensioned = [a.dtype for a in arrays if type(a) is _ndarray and a.ndim and floating(a.dtype)]
    if dimensioned:
        target = np.result_type(*dimensioned)
    else:
        zero_dim = [a.dtype for a in arrays if type(a) is _ndarray and floating(a.dtype)]
        target = np.result_type(*zero_dim) if zero_dim else get_default_dtype().numpy
    return out if target == out.dtype else out.astype(target)


def record(plan, params, args, arrays, result) -> None:
    """Attach the node that will run the op's VJP to `result`."""
    out = result._array
    if not floating(out.dtype):
        raise RuntimeError(f"{plan.op.name}: only floating point outputs can require "
                           f"gradients, got {out.dtype}")
    edges = []
    for a in args:
        if isinstance(a, Tensor):
            edge = a.grad_fn
            if edge is None and a.requires_grad:
                edge = a._accumulator
                if edge is None:
                    edge = a._accumulator = AccumulateGrad(a)
            edges.append(edge)
        else:
            edges.append(None)
    saves, saves_out = plan.saves, plan.saves_out
    selects = plan.op.extra.get("selects")
    if selects is not None:
        # torch saves which elements were selected (max with dim, sort), not the input:
        # taken now and handed to the VJP, which then reads neither input nor output.
        selected = selects(*arrays, **params)
        if selected is not None:
            params = {**params, "selected": selected}
            saves_out = False
            if "saves" not in plan.op.extra:  # else: what torch saves besides (cummax: x)
                saves = SAVES_NOTHING
    if saves is SAVES_NOTHING:
        versions = ()
    else:
        versions = tuple((i, args[i]._version, args[i]._version[0])
                         for i in saved_indices(saves, args))
    # The output's counter starts at 0 (a view op saving its output would share
    # its input's counter: none of the views reads its result).
    saved_out = (out, result._version, 0) \
        if saves_out is True or (saves_out and saves_out(args)) else None
    if plan.snapshot:
        arrays = [np.array(a, copy=True) if type(a) is _ndarray else a for a in arrays]
    result.grad_fn = Node(plan, params, args, arrays, edges, versions, saved_out)
    result.requires_grad = True


def apply_inplace(op, target: Tensor, others, params) -> Tensor:
    """`target.op_(*others)`: compute out of place, write into target's memory.

    The node's first input is a shadow of target's *previous* value; if the
    VJP reads that value, the shadow holds a copy taken before the write.
    """
    recording = GRAD_ENABLED[0] and (
        target.requires_grad or any(isinstance(o, Tensor) and o.requires_grad for o in others))
    source = target
    if recording:
        _check_inplace_allowed(target, op)
        full = (target,) + tuple(others)
        source = target._shadow(copy=0 in saved_indices(plan_of(op).saves, full))
        if _DUAL_OPEN[0]:
            dual.set_tangent(source, dual.tangent_of(target))
    result = apply(op, (source,) + tuple(others), params)
    if result._array.shape != target._array.shape:
        raise RuntimeError(
            f"output with shape {list(target._array.shape)} doesn't match the broadcast shape "
            f"{list(result._array.shape)} of the in-place operation {op.name}_; use the "
            f"out-of-place form (x = x.{op.name}(...)) to get the broadcast shape")
    if not np.can_cast(result._array.dtype, target._array.dtype, casting="same_kind"):
        raise RuntimeError(f"result type {_type_name(result._array.dtype)} can't be cast to the "
                           f"desired output type {_type_name(target._array.dtype)} of the "
                           f"in-place {op.name}_; convert the tensor first (x = x.double())")
    np.copyto(target._array, result._array, casting="same_kind")
    target._version[0] += 1
    if _DUAL_OPEN[0] and result is not target:
        dual.set_tangent(target, dual.tangent_of(result))
    node = result.grad_fn
    if node is not None:
        if node.out is not None:
            # As torch: the node saves the overwritten tensor itself, at its new version.
            node.out = (target._array, target._version, target._version[0])
        target.grad_fn = node
        target.requires_grad = True
    return target


def _check_inplace_allowed(target: Tensor, op) -> None:
    if target.requires_grad and target.grad_fn is None:
        raise RuntimeError(
            "a leaf Variable that requires grad is being used in an in-place operation. "
            "Either wrap the update in `with torch.no_grad():` or work on a copy "
            "(x = x.clone()) that is not a leaf.")
    base = target._base
    if base is None:
        return
    if base.requires_grad and base.grad_fn is None:
        raise RuntimeError(
            "a view of a leaf Variable that requires grad is being used in an in-place "
            f"operation ({op.name}_). Wrap it in `with torch.no_grad():` or clone the view first.")
    raise RuntimeError(
        f"in-place {op.name}_ on a view (a tensor made by indexing, reshape, expand, ...) while "
        "recording a graph is not supported by the verifier engine: the gradient of the viewed "
        "tensor would miss the change. Clone the view first (v = v.clone()) or build the result "
        "out of place (torch.where, torch.cat).")


def _type_name(dtype) -> str:
    return {"float32": "Float", "float64": "Double", "int64": "Long", "int32": "Int",
            "bool": "Bool", "float16": "Half", "bfloat16": "BFloat16"}.get(str(dtype), str(dtype))


def _shape_message(op, arrays, exc) -> str:
    shapes = [list(np.shape(a)) for a in arrays if isinstance(a, _ndarray)]
    text = str(exc)
    if "broadcast" in text and len(shapes) == 2:
        a, b = shapes
        for i in range(1, max(len(a), len(b)) + 1):
            m = a[-i] if i <= len(a) else 1
            n = b[-i] if i <= len(b) else 1
            if m != n and m != 1 and n != 1:
                dim = max(len(a), len(b)) - i
                return (f"The size of tensor a ({m}) must match the size of tensor b ({n}) at "
                        f"non-singleton dimension {dim}: {op.name} got shapes {a} and {b}, which "
                        f"do not broadcast. Reshape or unsqueeze one operand so that the "
                        f"dimensions line up.")
    if "broadcast" in text:
        return (f"{op.name}: the shapes {' and '.join(map(str, shapes))} do not broadcast: each "
                f"dimension must match or be 1. Reshape or unsqueeze the operands so that the "
                f"dimensions line up.")
    return f"{op.name}: {text} (input shapes {', '.join(map(str, shapes))})"
