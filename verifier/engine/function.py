"""Applying a registered operation to engine tensors, out of place or in place.

`apply` is the hot path of the engine: one numpy call, one Tensor, and a Node
only when grad mode is on and an input requires grad.
"""

from __future__ import annotations

import numpy as np

from verifier.engine.grad_mode import GRAD_ENABLED
from verifier.engine.graph import Node, _is_saved
from verifier.engine.tensor import Tensor, edge_of

_ndarray = np.ndarray


def apply(op, args, params):
    """Run `op` on tensors/Python scalars `args`; record a node if needed."""
    arrays = [a._array if isinstance(a, Tensor) else a for a in args]
    try:
        out = op.forward(*arrays, **params)
    except ValueError as exc:
        raise RuntimeError(_shape_message(op, arrays, exc)) from None
    if type(out) is not _ndarray:
        out = np.asarray(out)
    result = Tensor.__new__(Tensor)
    result._array = out
    result.grad = None
    result._version = [0]
    result._retains_grad = False
    result._accumulator = None
    if GRAD_ENABLED[0]:
        for a in args:
            if isinstance(a, Tensor) and a.requires_grad:
                break
        else:
            result.requires_grad = False
            result.grad_fn = None
            return result
        if not out.dtype.kind == "f":
            raise RuntimeError(f"{op.name}: only floating point outputs can require gradients, "
                               f"got {out.dtype}")
        edges = [edge_of(a) if isinstance(a, Tensor) else None for a in args]
        result.grad_fn = Node(op, params, args, edges)
        result.requires_grad = True
    else:
        result.requires_grad = False
        result.grad_fn = None
    if op.extra.get("view") and out.base is not None and arrays and isinstance(args[0], Tensor):
        # A view shares storage, so it shares the version counter (as in torch).
        result._version = args[0]._version
    return result


def apply_inplace(op, target: Tensor, others, params) -> Tensor:
    """`target.op_(*others)`: compute out of place, write into target's memory.

    The node's first input is a shadow of target's *previous* value; if the
    VJP reads that value, the shadow holds a copy taken before the write.
    """
    recording = GRAD_ENABLED[0] and (
        target.requires_grad or any(isinstance(o, Tensor) and o.requires_grad for o in others))
    if recording and target.requires_grad and target.grad_fn is None:
        raise RuntimeError(
            "a leaf Variable that requires grad is being used in an in-place operation. "
            "Either wrap the update in `with torch.no_grad():` or work on a copy "
            "(x = x.clone()) that is not a leaf.")
    source = target
    if recording:
        full = (target,) + tuple(others)
        source = target._shadow(copy=_is_saved(op, 0, full))
    result = apply(op, (source,) + tuple(others), params)
    if result._array.shape != target._array.shape:
        raise RuntimeError(
            f"output with shape {list(target._array.shape)} doesn't match the broadcast shape "
            f"{list(result._array.shape)} of the in-place operation {op.name}_")
    if not np.can_cast(result._array.dtype, target._array.dtype, casting="same_kind"):
        raise RuntimeError(f"result type {result._array.dtype} can't be cast to the desired output "
                           f"type {target._array.dtype}")
    np.copyto(target._array, result._array, casting="same_kind")
    target._version[0] += 1
    if result.grad_fn is not None:
        target.grad_fn = result.grad_fn
        target.requires_grad = True
    return target


def _shape_message(op, arrays, exc) -> str:
    shapes = [list(np.shape(a)) for a in arrays if isinstance(a, _ndarray)]
    text = str(exc)
    if "broadcast" in text:
        return (f"{op.name}: the shapes {' and '.join(map(str, shapes))} do not broadcast: "
                f"the size of tensor a must match the size of tensor b at each non-singleton "
                f"dimension. Reshape or unsqueeze one operand so that the dimensions line up.")
    return f"{op.name}: {text} (input shapes {', '.join(map(str, shapes))})"


