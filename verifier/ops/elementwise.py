"""Smooth elementwise functions of one tensor: exp log sin ... sigmoid erf.

Each VJP is g times the derivative, written with registered ops so that it
is itself differentiable under create_graph=True.  Rules that read the
forward's output (`out`) say uses_out=True.
"""

from __future__ import annotations

import math

import numpy as np

from verifier.ops.registry import Domain, Op, register
from verifier.ops.symbolic import LazyModule, elementwise, kink, sp

# Imported by erf's first call: scipy.special costs about 0.15 s to import, and its
# erf is several times faster than a vectorized math.erf on large arrays.
special = LazyModule("scipy.special")

ANYWHERE = Domain()
POSITIVE = Domain(low=0.1, high=3.0)
OPEN_UNIT = Domain(low=-0.9, high=0.9)
TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def unary(name, forward, vjp, sympy_fn, *, uses_out=False, domain=ANYWHERE, kinks="",
          node_name=None, doc=""):
    """Register a one-tensor op; sympy_fn is a SymPy function's name ("exp") or a callable."""
    # A rule that reads `out` reads only `out` (torch saves the result, not the input).
    extra = {**({"node_name": node_name} if node_name else {}), **({"saves": ()} if uses_out else {})}
    return register(Op(
        name=name, inputs=("input",), forward=forward, vjp=vjp,
        sympy=elementwise(sympy_fn), uses_out=uses_out, domain=(domain,), kinks=kinks,
        extra=extra, doc=doc or f"torch.{name}",
    ))


def _sigmoid(x):
    # 1/(1+e^-x) for x >= 0 and e^x/(1+e^x) for x < 0: no overflow of e^-x.
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


# d e^x = e^x
unary("exp", np.exp, lambda ns, g, out, x: (g * out,), "exp", uses_out=True)
# d (e^x - 1) = e^x = out + 1
unary("expm1", np.expm1, lambda ns, g, out, x: (g * (out + 1),), lambda a: sp.exp(a) - 1,
      uses_out=True)
unary("log", np.log, lambda ns, g, out, x: (g / x,), "log", domain=POSITIVE,
      kinks="log(0) = -inf; log of a negative number is nan")
unary("log1p", np.log1p, lambda ns, g, out, x: (g / (x + 1),), lambda a: sp.log(1 + a),
      domain=POSITIVE, node_name="Log1PBackward0")
def _sqrt_vjp(ns, g, out, x):
    # d sqrt(x) = 1 / (2 sqrt(x)): +inf at 0, as torch, which gives it without a warning
    with np.errstate(divide="ignore"):
        return (g / (2 * out),)


unary("sqrt", np.sqrt, _sqrt_vjp, lambda a: kink.TorchSqrt(a), uses_out=True,
      domain=POSITIVE, kinks="sqrt'(0) = +inf (torch); sqrt of a negative number is nan")
unary("sin", np.sin, lambda ns, g, out, x: (g * ns.cos(x),), "sin")
unary("cos", np.cos, lambda ns, g, out, x: (-g * ns.sin(x),), "cos")
# d tan = 1 + tan^2
unary("tan", np.tan, lambda ns, g, out, x: (g * (1 + out * out),), "tan", uses_out=True,
      domain=Domain(low=-1.2, high=1.2))
# d asin = 1/sqrt(1 - x^2), d acos = -1/sqrt(1 - x^2), d atan = 1/(1 + x^2)
unary("asin", np.arcsin, lambda ns, g, out, x: (g / ns.sqrt(1 - x * x),), "asin",
      domain=OPEN_UNIT, kinks="infinite slope at +-1")
unary("acos", np.arccos, lambda ns, g, out, x: (-g / ns.sqrt(1 - x * x),), "acos",
      domain=OPEN_UNIT, kinks="infinite slope at +-1")
unary("atan", np.arctan, lambda ns, g, out, x: (g / (1 + x * x),), "atan")
unary("sinh", np.sinh, lambda ns, g, out, x: (g * ns.cosh(x),), "sinh")
unary("cosh", np.cosh, lambda ns, g, out, x: (g * ns.sinh(x),), "cosh")
# d tanh = 1 - tanh^2
unary("tanh", np.tanh, lambda ns, g, out, x: (g * (1 - out * out),), "tanh", uses_out=True)
# d sigmoid = sigmoid (1 - sigmoid)
unary("sigmoid", _sigmoid, lambda ns, g, out, x: (g * out * (1 - out),),
      lambda a: 1 / (1 + sp.exp(-a)), uses_out=True)
# d erf = 2/sqrt(pi) e^(-x^2)
unary("erf", lambda x: special.erf(x),
      lambda ns, g, out, x: (g * TWO_OVER_SQRT_PI * ns.exp(-(x * x)),), "erf")
unary("square", np.square, lambda ns, g, out, x: (g * 2 * x,), lambda a: a * a,
      node_name="PowBackward0")
# d (1/x) = -1/x^2 = -out^2
def _reciprocal(x):
    # 1 / x: of an integer tensor a float one, as torch (numpy's reciprocal keeps integers)
    return np.reciprocal(x) if np.asarray(x).dtype.kind not in "biu" else np.true_divide(1, x)


unary("reciprocal", _reciprocal, lambda ns, g, out, x: (-g * out * out,), lambda a: 1 / a,
      uses_out=True, domain=Domain(avoid=(0.0,), margin=0.3), kinks="x = 0 is a pole")
