"""Elementwise functions of one tensor: exp (the rest of the list follows)."""

from __future__ import annotations

import numpy as np
import sympy as sp

from verifier.ops.registry import Op, Param, register
from verifier.ops.symbolic import elementwise

register(Op(
    name="exp", inputs=("input",),
    forward=np.exp,
    # d e^x/dx = e^x: reuse the output
    vjp=lambda ns, g, out, x: (g * out,),
    sympy=elementwise(sp.exp),
    uses_out=True,
))


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
