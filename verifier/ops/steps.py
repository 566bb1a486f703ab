"""Piecewise-constant functions: floor ceil round trunc, and frac = x - trunc(x).

torch differentiates them as constants: a zero gradient everywhere, at the
jumps too (frac's gradient is 1 everywhere).  Their SymPy forms use `Step`
(sympy_steps.py), whose derivative is that same 0.
"""

from __future__ import annotations

import numpy as np

from verifier.ops.registry import Domain, Op, Param, register
from verifier.ops.symbolic import LazyModule, elementwise

steps = LazyModule("verifier.ops.sympy_steps")

ZERO_GRADIENT = "piecewise constant: gradient 0 everywhere, at the jumps too (torch)"
# Random test points stay off the integers, where the value jumps.
OFF_INTEGERS = Domain(low=0.1, high=0.9)


def _constant_vjp(ns, g, out, x, **params):
    return (g * 0,)


def _step_op(name, forward, kind, params=(), node_name=None, doc=""):
    extra = {"saves": ()}
    if node_name:
        extra["node_name"] = node_name
    register(Op(
        name=name, inputs=("input",), params=params, forward=forward, vjp=_constant_vjp,
        sympy=lambda a, _kind=kind, **p: _scaled_step(a, _kind, **p),
        domain=(OFF_INTEGERS,), kinks=ZERO_GRADIENT, extra=extra, doc=doc or f"torch.{name}",
    ))


def _scaled_step(a, kind, decimals=0):
    # round(x, decimals=d) = round(x * 10^d) / 10^d, as torch computes it
    from verifier.ops.symbolic import sp

    scale = sp.Integer(10) ** int(decimals)
    return elementwise(lambda e: steps.step(kind, e * scale) / scale)(a)


def _round(x, decimals=0):
    # numpy rounds half to even, as torch; torch scales by 10^decimals first too.
    return np.round(x, int(decimals))


_step_op("floor", np.floor, 0)
_step_op("ceil", np.ceil, 1)
_step_op("trunc", np.trunc, 2)
_step_op("round", _round, 3, params=(Param("decimals", 0, "int"),),
         doc="torch.round(x, decimals=0): half to even")

register(Op(
    name="frac", inputs=("input",), forward=lambda x: x - np.trunc(x),
    # frac(x) = x - trunc(x): gradient 1
    vjp=lambda ns, g, out, x: (g,),
    sympy=elementwise(lambda e: e - steps.step(2, e)),
    domain=(Domain(low=-2.0, high=2.0, avoid=(-1.0, 0.0, 1.0), margin=0.05),),
    kinks="frac(x) = x - trunc(x): gradient 1 everywhere, at the jumps too (torch)",
    extra={"saves": ()},
))
