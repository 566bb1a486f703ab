"""neg add sub mul div pow: the operators of the language."""

from __future__ import annotations

import numpy as np
import sympy as sp

from verifier.ops.registry import Domain, Op, Param, register
from verifier.ops.symbolic import elementwise2

register(Op(
    name="neg", inputs=("input",),
    forward=np.negative,
    vjp=lambda ns, g, out, x: (-g,),
    sympy=lambda a: -a,
    extra={"saves": ()},
    doc="-x",
))

register(Op(
    name="add", inputs=("input", "other"), kind="binary",
    params=(Param("alpha", 1, "number"),),
    forward=lambda a, b, alpha=1: a + b if alpha == 1 else a + alpha * b,
    vjp=lambda ns, g, out, a, b, alpha=1: (g, g if alpha == 1 else g * alpha),
    sympy=lambda a, b, alpha=1: a + b * alpha,
    extra={"saves": ()},
))

register(Op(
    name="sub", inputs=("input", "other"), kind="binary",
    params=(Param("alpha", 1, "number"),),
    forward=lambda a, b, alpha=1: a - b if alpha == 1 else a - alpha * b,
    vjp=lambda ns, g, out, a, b, alpha=1: (g, -g if alpha == 1 else -g * alpha),
    sympy=lambda a, b, alpha=1: a - b * alpha,
    extra={"saves": ()},
))

register(Op(
    name="mul", inputs=("input", "other"), kind="binary",
    forward=np.multiply,
    # d(ab)/da = b, d(ab)/db = a
    vjp=lambda ns, g, out, a, b: (g * b, g * a),
    sympy=lambda a, b: a * b,
    extra={"saves": "cross"},
))

register(Op(
    name="div", inputs=("input", "other"), kind="binary",
    forward=np.true_divide,
    # d(a/b)/da = 1/b, d(a/b)/db = -a/b^2
    vjp=lambda ns, g, out, a, b: (g / b, -g * a / (b * b)),
    sympy=lambda a, b: a / b,
    domain=(Domain(), Domain(avoid=(0.0,), margin=0.3)),
))


def _pow_vjp(ns, g, out, a, b):
    # d(a^b)/da = b a^(b-1); d(a^b)/db = a^b log a (torch masks a = 0 where b >= 0 to 0)
    grad_a = g * b * a ** (b - 1)
    if isinstance(b, (int, float)):
        return (grad_a, None)
    safe_log = ns.log(ns.where(a == 0, a + 1, a)) if not isinstance(a, (int, float)) \
        else float(np.log(a)) if a != 0 else 0.0
    return (grad_a, g * (a ** b) * safe_log)


def _pow_forward(a, b):
    return np.power(a, b)


register(Op(
    name="pow", inputs=("input", "exponent"), kind="binary",
    forward=_pow_forward,
    vjp=_pow_vjp,
    sympy=elementwise2(lambda a, b: sp.Pow(a, b)),
    domain=(Domain(low=0.2, high=2.0), Domain(low=-2.0, high=2.0)),
    kinks="pow(0, b) with b < 1 has no finite derivative; d/db at a = 0 is taken as 0 (torch)",
))
