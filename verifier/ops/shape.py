"""Shape operations: reshape view expand transpose permute t squeeze unsqueeze flatten cat stack.

Their VJPs only move the gradient back into the input's layout: reshape back,
transpose back, invert the permutation, slice a concatenation apart.
"""

from __future__ import annotations

import numpy as np

from verifier.ops.dims import _one
from verifier.ops.registry import Domain, Op, Param, register

SHAPE_ONLY = {"saves": (), "view": True}


def _reshape(a, shape):
    return np.reshape(a, tuple(shape))


def _reshape_back(ns, g, out, x, *args, **params):
    return (ns.reshape(g, tuple(x.shape)),)


register(Op(
    name="reshape", inputs=("input",), params=(Param("shape", kind="shape"),), kind="shape",
    forward=_reshape, vjp=_reshape_back, sympy=_reshape,
    extra={**SHAPE_ONLY, "varargs": "shape", "node_name": "ViewBackward0"},
))

register(Op(
    name="view", inputs=("input",), params=(Param("shape", kind="shape"),), kind="shape",
    forward=_reshape, vjp=_reshape_back, sympy=_reshape,
    torch=lambda torch, x, shape: x.view(tuple(shape)),
    extra={**SHAPE_ONLY, "varargs": "shape", "node_name": "ViewBackward0"},
    doc="reshape that shares memory (the engine's arrays are always contiguous enough)",
))


def _expand(a, size):
    size = tuple(size)
    lead = len(size) - np.ndim(a)
    if lead < 0:
        raise RuntimeError(f"expand: the number of sizes provided ({len(size)}) must be greater "
                           f"or equal to the number of dimensions in the tensor ({np.ndim(a)})")
    target = tuple(np.shape(a)[i - lead] if n == -1 and i >= lead else n
                   for i, n in enumerate(size))
    return np.broadcast_to(a, target)


register(Op(
    name="expand", inputs=("input",), params=(Param("size", kind="shape"),), kind="shape",
    forward=_expand,
    # The engine undoes broadcasting after every VJP, so passing g through suffices.
    vjp=lambda ns, g, out, x, size: (g,),
    sympy=_expand,
    torch=lambda torch, x, size: x.expand(tuple(size)),
    extra={**SHAPE_ONLY, "varargs": "size"},
))


def _transpose(a, dim0, dim1):
    n = np.ndim(a)
    return np.swapaxes(a, _one(dim0, n), _one(dim1, n)) if n else a


register(Op(
    name="transpose", inputs=("input",),
    params=(Param("dim0", kind="int"), Param("dim1", kind="int")), kind="shape",
    forward=_transpose,
    vjp=lambda ns, g, out, x, dim0, dim1: (ns.transpose(g, dim0, dim1),),
    sympy=_transpose,
    extra=dict(SHAPE_ONLY),
))


def _permutation(dims, ndim):
    if len(dims) != ndim:
        raise RuntimeError(f"permute(): the number of dims ({len(dims)}) must equal the number "
                           f"of dimensions of the input ({ndim}); give one entry per dim")
    dims = tuple(_one(d, ndim) for d in dims)
    if sorted(dims) != list(range(ndim)):
        raise RuntimeError(f"permute(): duplicate dims are not allowed, got {list(dims)}")
    return dims


def _permute(a, dims):
    return np.transpose(a, _permutation(dims, np.ndim(a)))


register(Op(
    name="permute", inputs=("input",), params=(Param("dims", kind="shape"),), kind="shape",
    forward=_permute,
    # The inverse permutation puts every axis back: argsort(dims).
    vjp=lambda ns, g, out, x, dims: (
        ns.permute(g, tuple(int(i) for i in np.argsort(_permutation(dims, x.ndim)))),),
    sympy=_permute,
    extra={**SHAPE_ONLY, "varargs": "dims"},
))


def _t(a):
    if np.ndim(a) > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {np.ndim(a)}D; "
                           "use transpose(dim0, dim1) or permute for more dimensions")
    return np.transpose(a)


register(Op(
    name="t", inputs=("input",), kind="shape",
    forward=_t, vjp=lambda ns, g, out, x: (ns.t(g),), sympy=_t,
    extra={**SHAPE_ONLY, "node_name": "TBackward0"},
    doc="the transpose of a matrix (a vector or a number is returned unchanged)",
))


def _squeeze(a, dim=None):
    if dim is None:
        return np.squeeze(a)
    n = np.ndim(a)
    dims = dim if isinstance(dim, (list, tuple)) else (dim,)
    dims = tuple(_one(d, n) for d in dims)
    if n == 0:
        return a
    # torch leaves a named dim alone when its size is not 1.
    return np.squeeze(a, axis=tuple(d for d in dims if np.shape(a)[d] == 1))


register(Op(
    name="squeeze", inputs=("input",), params=(Param("dim", None, "dim"),), kind="shape",
    forward=_squeeze, vjp=_reshape_back, sympy=_squeeze,
    torch=lambda torch, x, dim=None: torch.squeeze(x) if dim is None
    else torch.squeeze(x, tuple(dim) if isinstance(dim, list) else dim),
    extra=dict(SHAPE_ONLY),
))


def _unsqueeze(a, dim):
    return np.expand_dims(a, _one(dim, np.ndim(a) + 1))


register(Op(
    name="unsqueeze", inputs=("input",), params=(Param("dim", kind="int"),), kind="shape",
    forward=_unsqueeze, vjp=_reshape_back, sympy=_unsqueeze,
    extra=dict(SHAPE_ONLY),
))


def _flatten(a, start_dim=0, end_dim=-1):
    shape = np.shape(a)
    if not shape:
        return np.reshape(a, (1,))
    start, end = _one(start_dim, len(shape)), _one(end_dim, len(shape))
    if start > end:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    merged = int(np.prod(shape[start:end + 1], dtype=np.int64))
    return np.reshape(a, shape[:start] + (merged,) + shape[end + 1:])


def _nothing_to_merge(a, start_dim=0, end_dim=-1):
    # torch returns the input itself when start and end name the same dim.
    return np.ndim(a) > 0 and _one(start_dim, np.ndim(a)) == _one(end_dim, np.ndim(a))


register(Op(
    name="flatten", inputs=("input",),
    params=(Param("start_dim", 0, "int"), Param("end_dim", -1, "int")), kind="shape",
    forward=_flatten, vjp=_reshape_back, sympy=_flatten,
    extra={**SHAPE_ONLY, "node_name": "ViewBackward0", "returns_input": _nothing_to_merge},
))


def _cat(*arrays, dim=0):
    if not arrays:
        raise RuntimeError("torch.cat(): expected a non-empty list of Tensors")
    return np.concatenate(arrays, axis=_one(dim, np.ndim(arrays[0])))


def _cat_vjp(ns, g, out, *tensors, dim=0):
    # Each input gets its own slice of g along dim.
    d = _one(dim, tensors[0].ndim)
    grads, start = [], 0
    for t in tensors:
        stop = start + t.shape[d]
        grads.append(ns.index(g, (slice(None),) * d + (slice(start, stop),)))
        start = stop
    return tuple(grads)


register(Op(
    name="cat", inputs=("tensors",), params=(Param("dim", 0, "int"),), kind="shape",
    forward=_cat, vjp=_cat_vjp,
    sympy=lambda *arrays, dim=0: np.concatenate(
        [np.asarray(a, dtype=object) for a in arrays], axis=_one(dim, np.ndim(arrays[0]))),
    variadic=True, method=False, domain=(Domain(),),
    extra={"saves": ()},
    doc="cat([a, b, ...], dim=0): join along an existing dim",
))


def _stack(*arrays, dim=0):
    if not arrays:
        raise RuntimeError("stack expects a non-empty TensorList")
    return np.stack(arrays, axis=_one(dim, np.ndim(arrays[0]) + 1))


def _stack_vjp(ns, g, out, *tensors, dim=0):
    # Input i is the slice i of g along the new dim.
    d = _one(dim, tensors[0].ndim + 1)
    return tuple(ns.index(g, (slice(None),) * d + (i,)) for i in range(len(tensors)))


register(Op(
    name="stack", inputs=("tensors",), params=(Param("dim", 0, "int"),), kind="shape",
    forward=_stack, vjp=_stack_vjp,
    sympy=lambda *arrays, dim=0: np.stack(
        [np.asarray(a, dtype=object) for a in arrays], axis=_one(dim, np.ndim(arrays[0]) + 1)),
    variadic=True, method=False, domain=(Domain(),),
    extra={"saves": ()},
    doc="stack([a, b, ...], dim=0): join along a new dim",
))


register(Op(
    name="numel", inputs=("input",), kind="meta",
    forward=lambda a: int(np.size(a)),
    vjp=None,
    sympy=lambda a: int(np.size(a)),
    doc="the number of elements, a Python int (claims use it: 6 * (x + 2) / numel(x))",
))
