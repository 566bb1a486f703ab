"""Subscripts: `x[i]`, `x[:, 1]`, `x[1:3]`, `x[[0, 2]]`, and the scatter that is their VJP."""

from __future__ import annotations

import numpy as np

from verifier.ops.registry import Op, Param, register


def _index(a, index):
    return a[index]


def _scatter(g, shape, index):
    # Repeated integer indices each add their share: np.add.at accumulates.
    out = np.zeros(tuple(shape), dtype=np.result_type(g))
    np.add.at(out, index, g)
    return out


def _scatter_object(g, shape, index):
    out = np.zeros(tuple(shape), dtype=object)
    np.add.at(out, index, g)
    return out


register(Op(
    name="index", inputs=("input",), params=(Param("index"),), kind="index",
    forward=_index,
    vjp=lambda ns, g, out, x, index: (ns.index_scatter(g, tuple(x.shape), index),),
    sympy=_index,
    method=False, in_language=False,
    extra={"saves": (), "view": True, "node_name": "IndexBackward0"},
    doc="x[index]: basic and integer-list indexing",
))

register(Op(
    name="index_scatter", inputs=("grad",),
    params=(Param("shape", kind="shape"), Param("index")), kind="index",
    forward=_scatter,
    vjp=lambda ns, g, out, grad, shape, index: (ns.index(g, index),),
    sympy=_scatter_object,
    method=False, in_language=False,
    extra={"saves": ()},
    doc="zeros(shape) with grad added at index (the VJP of indexing)",
))
