"""Ops that move or copy elements: flip roll tril triu diagonal diag repeat tile narrow.

Each VJP moves the gradient back: flip and roll undo themselves, tril and triu
mask it, diagonal and narrow put it back in place (`index_scatter`), repeat and
tile sum the copies.
"""

from __future__ import annotations

import numpy as np

from verifier.ops.dims import _one
from verifier.ops.registry import Op, Param, register

MOVES = {"saves": ()}


def _dims(dims, ndim) -> tuple:
    dims = dims if isinstance(dims, (list, tuple)) else (dims,)
    out = tuple(_one(d, ndim) for d in dims)
    if len(set(out)) != len(out):
        raise RuntimeError(f"dims has duplicates: {list(dims)}")
    return out


def _flip(a, dims):
    if np.ndim(a) == 0:
        _dims(dims, 0)
        return np.array(a)
    return np.flip(a, axis=_dims(dims, np.ndim(a))).copy()


register(Op(
    name="flip", inputs=("input",), params=(Param("dims", kind="shape"),), kind="shape",
    forward=_flip, vjp=lambda ns, g, out, x, dims: (ns.flip(g, dims),),
    sympy=lambda a, dims: np.asarray(_flip(np.asarray(a, dtype=object), dims), dtype=object),
    extra={**MOVES, "varargs": "dims"},
    doc="flip(x, dims): reverse the order along each of dims",
))


def _roll(a, shifts, dims=None):
    if dims is None:
        if isinstance(shifts, (list, tuple)) and len(shifts) != 1:
            raise RuntimeError("roll: without dims, shifts must be one number (the tensor is "
                               "rolled flattened)")
        s = shifts[0] if isinstance(shifts, (list, tuple)) else shifts
        return np.roll(np.ravel(a), s).reshape(np.shape(a))
    shifts = tuple(shifts) if isinstance(shifts, (list, tuple)) else (shifts,)
    dims = tuple(dims) if isinstance(dims, (list, tuple)) else (dims,)
    if len(shifts) != len(dims):
        raise RuntimeError(f"roll: shifts and dims must align, got {len(shifts)} shifts and "
                           f"{len(dims)} dims")
    if np.ndim(a) == 0:
        return np.array(a)
    return np.roll(a, shifts, axis=tuple(_one(d, np.ndim(a)) for d in dims))


def _negated(shifts):
    return [-s for s in shifts] if isinstance(shifts, (list, tuple)) else -shifts


register(Op(
    name="roll", inputs=("input",), params=(Param("shifts", kind="shape"), Param("dims", None, "dim")),
    kind="shape",
    forward=_roll,
    # Rolling back by -shifts undoes the roll.
    vjp=lambda ns, g, out, x, shifts, dims=None: (ns.roll(g, _negated(shifts), dims),),
    sympy=lambda a, shifts, dims=None: np.asarray(_roll(np.asarray(a, dtype=object), shifts, dims),
                                                   dtype=object),
    extra=dict(MOVES),
    doc="roll(x, shifts, dims=None): shift cyclically along dims (flattened without dims)",
))


def _triangle(name, numpy_fn):
    def forward(a, diagonal=0):
        if np.ndim(a) < 2:
            raise RuntimeError(f"{name}: input tensor must have at least 2 dimensions")
        return numpy_fn(a, diagonal)

    def sympy_form(a, diagonal=0):
        a = np.asarray(a, dtype=object)
        keep = numpy_fn(np.ones(a.shape[-2:], dtype=bool), diagonal)
        return np.where(keep, a, 0).astype(object)

    register(Op(
        name=name, inputs=("input",), params=(Param("diagonal", 0, "int"),), kind="shape",
        forward=forward,
        # A mask: the gradient keeps the same triangle.
        vjp=lambda ns, g, out, x, diagonal=0: (getattr(ns, name)(g, diagonal),),
        sympy=sympy_form, extra=dict(MOVES),
        doc=f"{name}(x, diagonal=0): the {'lower' if name == 'tril' else 'upper'} triangle of "
            "the last two dims, zeros elsewhere",
    ))


_triangle("tril", np.tril)
_triangle("triu", np.triu)


def _diagonal_index(shape, offset, dim1, dim2):
    """The index of x's elements that diagonal(x, offset, dim1, dim2) reads, in its layout.

    diagonal's result has x's other dims in order, then the diagonal (length L) last.
    """
    n = len(shape)
    d1, d2 = _one(dim1, n), _one(dim2, n)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    length = max(0, min(shape[d1] - max(-offset, 0), shape[d2] - max(offset, 0)))
    others = [d for d in range(n) if d not in (d1, d2)]
    out_ndim = len(others) + 1
    index = [None] * n
    steps = np.arange(length)
    index[d1] = (steps + max(-offset, 0)).reshape((1,) * (out_ndim - 1) + (length,))
    index[d2] = (steps + max(offset, 0)).reshape((1,) * (out_ndim - 1) + (length,))
    for position, d in enumerate(others):
        grid = [1] * out_ndim
        grid[position] = shape[d]
        index[d] = np.arange(shape[d]).reshape(grid)
    return tuple(index)


def _diagonal(a, offset=0, dim1=0, dim2=1):
    return np.array(np.diagonal(a, offset, _one(dim1, np.ndim(a)), _one(dim2, np.ndim(a))))


register(Op(
    name="diagonal", inputs=("input",),
    params=(Param("offset", 0, "int"), Param("dim1", 0, "int"), Param("dim2", 1, "int")),
    kind="shape",
    forward=_diagonal,
    # The gradient goes back onto the diagonal it was read from.
    vjp=lambda ns, g, out, x, offset=0, dim1=0, dim2=1: (
        ns.index_scatter(g, tuple(x.shape), _diagonal_index(tuple(x.shape), offset, dim1, dim2)),),
    sympy=lambda a, offset=0, dim1=0, dim2=1: np.asarray(a, dtype=object)[
        _diagonal_index(np.shape(a), offset, dim1, dim2)],
    extra=dict(MOVES),
    doc="diagonal(x, offset=0, dim1=0, dim2=1): the diagonal, as the last dim",
))


def _diag(a, diagonal=0):
    if np.ndim(a) == 1:
        n = a.shape[0] + abs(diagonal)
        out = np.zeros((n, n), dtype=a.dtype)
        out[_diagonal_index((n, n), diagonal, 0, 1)] = a
        return out
    if np.ndim(a) == 2:
        return _diagonal(a, diagonal)
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {np.ndim(a)}D")


def _diag_vjp(ns, g, out, x, diagonal=0):
    # A vector put on a diagonal takes the gradient's diagonal back; a matrix's
    # diagonal read out puts the gradient back on it.
    if x.ndim == 1:
        return (ns.diagonal(g, diagonal),)
    return (ns.index_scatter(g, tuple(x.shape), _diagonal_index(tuple(x.shape), diagonal, 0, 1)),)


def _diag_sympy(a, diagonal=0):
    a = np.asarray(a, dtype=object)
    if a.ndim == 1:
        n = a.shape[0] + abs(diagonal)
        out = np.full((n, n), 0, dtype=object)
        out[_diagonal_index((n, n), diagonal, 0, 1)] = a
        return out
    return a[_diagonal_index(a.shape, diagonal, 0, 1)]


register(Op(
    name="diag", inputs=("input",), params=(Param("diagonal", 0, "int"),), kind="shape",
    forward=_diag, vjp=_diag_vjp, sympy=_diag_sympy, extra=dict(MOVES),
    doc="diag(v) a matrix with v on a diagonal; diag(m) a matrix's diagonal",
))


def _repeats(shape, sizes, name):
    sizes = tuple(int(s) for s in sizes)
    if name == "tile" and len(sizes) < len(shape):
        sizes = (1,) * (len(shape) - len(sizes)) + sizes
    if len(sizes) < len(shape):
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number "
                           "of dimensions of tensor")
    return sizes


def _repeat_forward(name):
    def forward(a, sizes=None, dims=None):
        return np.tile(a, _repeats(np.shape(a), sizes if dims is None else dims, name))
    return forward


def _repeat_vjp(name):
    def vjp(ns, g, out, x, sizes=None, dims=None):
        sizes = sizes if dims is None else dims
        # Split every dim of g into (copies, size) and sum the copies.
        sizes = _repeats(tuple(x.shape), sizes, name)
        padded = (1,) * (len(sizes) - x.ndim) + tuple(x.shape)
        split = tuple(n for pair in zip(sizes, padded) for n in pair)
        summed = ns.sum(ns.reshape(g, split), dim=list(range(0, len(split), 2))) if split else g
        return (ns.reshape(summed, tuple(x.shape)),)
    return vjp


for _name in ("repeat", "tile"):
    register(Op(
        name=_name, inputs=("input",),
        params=(Param("sizes" if _name == "repeat" else "dims", kind="shape"),), kind="shape",
        forward=_repeat_forward(_name),
        vjp=_repeat_vjp(_name),
        sympy=lambda a, sizes=None, dims=None, _n=_name: np.tile(
            np.asarray(a, dtype=object), _repeats(np.shape(a), sizes if dims is None else dims, _n)),
        torch=(lambda torch, x, sizes: x.repeat(tuple(sizes))) if _name == "repeat" else None,
        extra={**MOVES, "varargs": "sizes" if _name == "repeat" else "dims",
               "node_name": "RepeatBackward0"},
        doc="x.repeat(sizes): copies along each dim (Tensor method only, as torch)"
        if _name == "repeat" else "tile(x, dims): repeat, with dims padded by leading 1s",
    ))


def _narrow_index(shape, dim, start, length):
    d = _one(dim, len(shape))
    size = shape[d]
    begin = start + size if start < 0 else start
    if not (0 <= begin <= size and 0 <= length and begin + length <= size):
        raise IndexError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    return (slice(None),) * d + (slice(begin, begin + length),)


register(Op(
    name="narrow", inputs=("input",),
    params=(Param("dim", kind="int"), Param("start", kind="int"), Param("length", kind="int")),
    kind="shape",
    forward=lambda a, dim, start, length: np.array(a[_narrow_index(np.shape(a), dim, start, length)]),
    vjp=lambda ns, g, out, x, dim, start, length: (
        ns.index_scatter(g, tuple(x.shape), _narrow_index(tuple(x.shape), dim, start, length)),),
    sympy=lambda a, dim, start, length: np.asarray(a, dtype=object)[
        _narrow_index(np.shape(a), dim, start, length)],
    extra={**MOVES, "node_name": "SliceBackward0"},
    doc="narrow(x, dim, start, length): x's elements start..start+length-1 along dim",
))
