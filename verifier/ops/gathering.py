"""Gather and scatter by an index tensor: gather scatter scatter_add index_select masked_fill.

The index (an int64 tensor) and the mask (a bool tensor) are never differentiated.
Gradients move the other way: gather's gradient is a scatter-add of g (repeated
indices add up), a scatter's source gets g gathered back.
"""

from __future__ import annotations

import numpy as np

from verifier.ops.dims import _one
from verifier.ops.registry import Domain, Op, Param, register
from verifier.ops.slices import full_index, plain
from verifier.ops.symbolic import sp

INDEXED = {"integer_inputs": (1,)}


def _ints(index) -> np.ndarray:
    """An index as an int64 array (the oracle passes exact SymPy integers)."""
    index = plain(index) if not isinstance(index, (list, tuple)) else np.asarray(index, dtype=object)
    if index.dtype == object:
        index = np.vectorize(int, otypes=[np.int64])(index) if index.size else \
            index.astype(np.int64)
    if index.dtype.kind not in "iu":
        raise RuntimeError(f"expected an index of dtype int64, but got {index.dtype}; index "
                           "tensors hold integers (write them without a decimal point)")
    return index.astype(np.int64, copy=False)


def _checked(a, dim, index, name) -> tuple[int, np.ndarray]:
    index = _ints(index)
    if np.ndim(a) != index.ndim and not (np.ndim(a) <= 1 and index.ndim <= 1):
        raise RuntimeError(f"Index tensor must have the same number of dimensions as input "
                           f"tensor ({name}: input {np.ndim(a)}D, index {index.ndim}D)")
    d = _one(dim, max(np.ndim(a), 1))
    size = np.shape(a)[d] if np.ndim(a) else 1
    if index.size and (index.min() < -size or index.max() >= size):
        raise RuntimeError(f"{name}(): index {int(index.max())} is out of bounds for dimension "
                           f"{d} with size {size}")
    return d, np.where(index < 0, index + size, index)


def _gather(a, dim, index, sparse_grad=False):
    d, index = _checked(a, dim, index, "gather")
    if np.ndim(a) == 0:
        return np.array(a).reshape(index.shape)
    return np.array(a[full_index(index, d)])


def _gather_vjp(ns, g, out, x, index, dim, sparse_grad=False):
    # out[.., j, ..] = x[.., index[.., j, ..], ..]: g is added back at the indices
    if x.ndim == 0:
        return (ns.sum(g), None)
    d, index = _checked(plain(x), dim, index, "gather")
    return ns.index_scatter(g, tuple(x.shape), full_index(index, d)), None


register(Op(
    name="gather", inputs=("input", "index"),
    params=(Param("dim", kind="int"), Param("sparse_grad", False, "bool")), kind="index",
    forward=lambda a, index, dim, sparse_grad=False: _gather(a, dim, index),
    vjp=_gather_vjp,
    sympy=lambda a, index, dim, sparse_grad=False: _gather(np.asarray(a, dtype=object), dim, index),
    torch=lambda torch, x, index, dim, sparse_grad=False: torch.gather(x, dim, index),
    nondiff=(1,), domain=(Domain(), Domain()),
    extra={**INDEXED, "positional": ("input", "dim", "index", "sparse_grad")},
    doc="gather(x, dim, index): out[i][j] = x[i][index[i][j]] along dim (index: int64)",
))


def _source(src, index):
    """The part of src that a scatter reads: its leading index.shape block."""
    return src[tuple(slice(0, n) for n in index.shape)] if np.ndim(src) else src


def _scatter(a, index, src, dim, add):
    d, index = _checked(a, dim, index, "scatter_add" if add else "scatter")
    if np.ndim(a) == 0:
        raise RuntimeError("scatter: the verifier supports inputs with at least one dim")
    out = np.array(a, copy=True)
    values = _source(src, index)
    if add:
        np.add.at(out, full_index(index, d), values)
    else:
        out[full_index(index, d)] = values
    return out


def _src_grad(ns, g, index, d, src):
    # Each read element of src gets the gradient of the place it was written to.
    picked = ns.gather(g, d, index)
    if tuple(src.shape) == tuple(index.shape):
        return picked
    return ns.index_scatter(picked, tuple(src.shape), tuple(slice(0, n) for n in index.shape))


def _scatter_vjp(add):
    def vjp(ns, g, out, x, index, src, dim):
        d, index = _checked(plain(x), dim, index, "scatter")
        if add:
            grad_x = g  # scatter_add keeps x: dx = g
        else:
            written = np.zeros(tuple(x.shape), dtype=bool)
            written[full_index(index, d)] = True
            grad_x = ns.where(written, 0, g)  # overwritten elements get no gradient
        return grad_x, None, _src_grad(ns, g, index, d, src)
    return vjp


def _scatter_sympy(add):
    def form(a, index, src, dim):
        a = np.asarray(a, dtype=object)
        d, index = _checked(a, dim, index, "scatter")
        out = np.array(a, dtype=object, copy=True)
        values = _source(np.asarray(src, dtype=object), index)
        if add:
            np.add.at(out, full_index(index, d), values)
        else:
            out[full_index(index, d)] = values
        return out
    return form


for _name, _add in (("scatter", False), ("scatter_add", True)):
    register(Op(
        name=_name, inputs=("input", "index", "src"), params=(Param("dim", kind="int"),),
        kind="index",
        forward=lambda a, index, src, dim, _a=_add: _scatter(a, index, src, dim, _a),
        vjp=_scatter_vjp(_add), sympy=_scatter_sympy(_add),
        torch=lambda torch, x, index, src, dim, _n=_name: getattr(torch, _n)(x, dim, index, src),
        nondiff=(1,), domain=(Domain(), Domain(), Domain()),
        extra={**INDEXED, "positional": ("input", "dim", "index", "src"), "saves": (1,)},
        kinks="repeated indices: scatter keeps one written value (torch: unspecified which), "
              "scatter_add sums them" if not _add else "repeated indices add up",
        doc=f"{_name}(x, dim, index, src): "
            + ("x with x[i][index[i][j]] = src[i][j] along dim" if not _add
               else "x with src[i][j] added at x[i][index[i][j]] along dim"),
    ))


def _index_select(a, index, dim):
    index = _ints(index)
    if index.ndim > 1:
        raise RuntimeError("index_select(): Index is supposed to be a vector")
    if np.ndim(a) == 0:
        _one(dim, 0)
        return np.array(a).reshape(index.reshape(-1)[:1].shape if index.ndim else ())
    d = _one(dim, np.ndim(a))
    return np.take(a, index.reshape(-1), axis=d)


def _index_select_vjp(ns, g, out, x, index, dim):
    # Repeated indices add up (np.add.at in index_scatter).
    if x.ndim == 0:
        return ns.sum(g), None
    d = _one(dim, x.ndim)
    return ns.index_scatter(g, tuple(x.shape), (slice(None),) * d + (_ints(index).reshape(-1),)), None


register(Op(
    name="index_select", inputs=("input", "index"), params=(Param("dim", kind="int"),),
    kind="index",
    forward=lambda a, index, dim: _index_select(a, index, dim),
    vjp=_index_select_vjp,
    sympy=lambda a, index, dim: np.asarray(_index_select(np.asarray(a, dtype=object), index, dim),
                                           dtype=object),
    torch=lambda torch, x, index, dim: torch.index_select(x, dim, index),
    nondiff=(1,), domain=(Domain(), Domain()),
    extra={**INDEXED, "positional": ("input", "dim", "index"), "saves": (1,)},
    doc="index_select(x, dim, index): the slices of x along dim that the int64 vector index names",
))


def _mask(mask) -> np.ndarray:
    mask = plain(mask)
    if mask.dtype != np.bool_:
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{mask.dtype}; compare first (x > 0)")
    return mask


def _masked_fill(a, mask, value):
    mask = _mask(mask)
    if np.broadcast_shapes(np.shape(mask), np.shape(a)) != np.shape(a):
        raise RuntimeError(f"The size of tensor a ({list(np.shape(a))}) must match the size of "
                           f"tensor b ({list(np.shape(mask))}): the mask must broadcast to the input")
    return np.where(mask, np.asarray(value, dtype=a.dtype), a)


def _masked_fill_sympy_one(condition, x, value):
    if isinstance(condition, (bool, np.bool_)):
        condition = sp.true if condition else sp.false
    elif getattr(condition, "is_Relational", False) and all(a.is_number for a in condition.args):
        # A comparison of numbers (a constant mask): decided now. Left unevaluated, SymPy's
        # Piecewise fails on 0 > 0 ("Invalid NaN comparison").
        condition = condition.func(*condition.args)
    return sp.Piecewise((value, condition), (x, True))


def _masked_fill_sympy(a, mask, value):
    a = np.asarray(a, dtype=object)
    mask = np.broadcast_to(np.asarray(mask, dtype=object), a.shape)
    exact = sp.Rational(value) if isinstance(value, float) else sp.Integer(value) \
        if isinstance(value, (int, bool)) else value
    fill = np.frompyfunc(lambda c, x: _masked_fill_sympy_one(c, x, exact), 2, 1)
    return np.asarray(fill(mask, a), dtype=object)


register(Op(
    name="masked_fill", inputs=("input", "mask"), params=(Param("value", kind="number"),),
    kind="index",
    forward=_masked_fill,
    # The filled elements are constants: no gradient reaches them.
    vjp=lambda ns, g, out, x, mask, value: (ns.where(_mask(mask), 0, g), None),
    sympy=_masked_fill_sympy,
    nondiff=(1,), domain=(Domain(), Domain()),
    extra={"saves": (1,)},
    kinks="filled elements get a zero gradient",
    doc="masked_fill(x, mask, value): value where the bool mask is true, x elsewhere",
))
