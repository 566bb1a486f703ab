"""Shape operations: reshape view expand (transpose permute t squeeze unsqueeze cat stack flatten follow)."""

from __future__ import annotations

import numpy as np

from verifier.ops.registry import Op, Param, register


def _reshape(a, shape):
    return np.reshape(a, tuple(shape))


register(Op(
    name="reshape", inputs=("input",), params=(Param("shape", kind="shape"),), kind="shape",
    forward=_reshape,
    vjp=lambda ns, g, out, x, shape: (ns.reshape(g, tuple(x.shape)),),
    sympy=_reshape,
    extra={"saves": (), "view": True},
))

register(Op(
    name="view", inputs=("input",), params=(Param("shape", kind="shape"),), kind="shape",
    forward=_reshape,
    vjp=lambda ns, g, out, x, shape: (ns.reshape(g, tuple(x.shape)),),
    sympy=_reshape,
    in_language=False,
    extra={"saves": (), "view": True},
))


def _expand(a, size):
    size = tuple(size)
    lead = len(size) - np.ndim(a)
    target = tuple(np.shape(a)[i - lead] if n == -1 else n for i, n in enumerate(size))
    return np.broadcast_to(a, target)


register(Op(
    name="expand", inputs=("input",), params=(Param("size", kind="shape"),), kind="shape",
    forward=_expand,
    # The engine undoes broadcasting after every VJP, so passing g through suffices.
    vjp=lambda ns, g, out, x, size: (g,),
    sympy=_expand,
    extra={"saves": (), "view": True},
))


register(Op(
    name="numel", inputs=("input",), kind="meta",
    forward=lambda a: int(np.size(a)),
    vjp=None,
    sympy=lambda a: int(np.size(a)),
    doc="the number of elements, a Python int (claims use it: 6 * (x + 2) / numel(x))",
))
