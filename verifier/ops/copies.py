"""Copies and casts: clone, to_dtype, and the out-of-place meanings of copy_ and fill_."""

from __future__ import annotations

import numpy as np

from verifier.ops.registry import Domain, Op, Param, register


def _to_dtype(a, dtype):
    from verifier.engine.dtypes import to_numpy
    return a.astype(to_numpy(dtype))


register(Op(
    name="to_dtype", inputs=("input",), params=(Param("dtype", None, "dtype"),),
    forward=lambda a, dtype=None: _to_dtype(a, dtype),
    # A cast's gradient is cast back by the engine (it matches input dtypes).
    vjp=lambda ns, g, out, x, dtype=None: (g,),
    sympy=lambda a, dtype=None: a,
    method=False, in_language=False,
    extra={"saves": (), "node_name": "ToCopyBackward0"},
))

register(Op(
    name="clone", inputs=("input",),
    forward=lambda a: np.array(a, copy=True),
    vjp=lambda ns, g, out, x: (g,),
    sympy=lambda a: np.array(a, dtype=object, copy=True),
    extra={"saves": ()},
    doc="a copy that does not share memory (so in-place ops on it leave the input alone)",
))


def _copy_from(a, src):
    # x.copy_(src): src broadcast to x's shape and cast to x's dtype.
    out = np.empty_like(a)
    np.copyto(out, src, casting="unsafe")
    return out


register(Op(
    name="copy_from", inputs=("input", "src"),
    forward=_copy_from,
    # The old value is overwritten: a zero gradient to input (torch's, even where g is
    # inf or nan); src gets g (the engine sums the broadcast away and casts it).
    vjp=lambda ns, g, out, a, src: (ns.fill_value(g, 0), g),
    sympy=lambda a, src: np.array(np.broadcast_to(np.asarray(src, dtype=object), np.shape(a))),
    method=False, in_language=False, domain=(Domain(), Domain()),
    extra={"saves": (), "node_name": "CopyBackwards"},
    doc="the out-of-place meaning of x.copy_(src)",
))

register(Op(
    name="fill_value", inputs=("input",), params=(Param("value", kind="number"),),
    forward=lambda a, value: np.full_like(a, value),
    # A constant: a zero gradient reaches the input (torch's, even where g is inf or nan).
    vjp=lambda ns, g, out, a, value: (ns.fill_value(g, 0),),
    sympy=lambda a, value: np.full(np.shape(a), value, dtype=object),
    method=False, in_language=False,
    extra={"saves": (), "node_name": "FillBackward2"},
    doc="the out-of-place meaning of x.fill_(value) and x.zero_()",
))
