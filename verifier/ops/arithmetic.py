"""neg add sub mul div pow: the operators of the language.

Binary forwards accept Python scalars on either side (`2 - x`) and follow
torch's promotion (see promotion.py).
"""

from __future__ import annotations

import math

import numpy as np

from verifier.ops.promotion import binary
from verifier.ops.registry import Domain, Op, Param, register, vjp_by_input
from verifier.ops.symbolic import elementwise2, sp

TWO_TENSORS = (Domain(), Domain())

register(Op(
    name="neg", inputs=("input",),
    forward=np.negative,
    vjp=lambda ns, g, out, x: (-g,),
    sympy=lambda a: -a,
    extra={"saves": ()},
    doc="-x",
))

_add = binary(np.add)
_sub = binary(np.subtract)



register(Op(
    name="add", inputs=("input", "other"), kind="binary",
    params=(Param("alpha", 1, "number"),),
    forward=lambda a, b, alpha=1: _add(a, b) if alpha == 1 else _add(a, b * alpha),
    vjp=lambda ns, g, out, a, b, alpha=1: (g, g if alpha == 1 else g * alpha),
    sympy=lambda a, b, alpha=1: a + b * alpha,
    extra={"saves": (), "ufunc": np.add, "scalar_operands": True},
    domain=TWO_TENSORS,
    doc="a + alpha * b",
))

register(Op(
    name="sub", inputs=("input", "other"), kind="binary",
    params=(Param("alpha", 1, "number"),),
    forward=lambda a, b, alpha=1: _sub(a, b) if alpha == 1 else _sub(a, b * alpha),
    vjp=vjp_by_input(lambda ns, g, out, a, b, alpha=1: g,
                     lambda ns, g, out, a, b, alpha=1: -g if alpha == 1 else -g * alpha),
    sympy=lambda a, b, alpha=1: a - b * alpha,
    extra={"saves": (), "ufunc": np.subtract, "scalar_operands": True},
    domain=TWO_TENSORS,
    doc="a - alpha * b",
))

register(Op(
    name="mul", inputs=("input", "other"), kind="binary",
    forward=binary(np.multiply),
    # d(ab)/da = b, d(ab)/db = a
    vjp=vjp_by_input(lambda ns, g, out, a, b: g * b, lambda ns, g, out, a, b: g * a),
    sympy=lambda a, b: a * b,
    extra={"saves": "cross", "scalar_operands": True},
    domain=TWO_TENSORS,
))

register(Op(
    name="div", inputs=("input", "other"), kind="binary",
    forward=binary(np.true_divide),
    # d(a/b)/da = 1/b, d(a/b)/db = -a/b^2
    vjp=vjp_by_input(lambda ns, g, out, a, b: g / b, lambda ns, g, out, a, b: -g * a / (b * b)),
    sympy=lambda a, b: a / b,
    domain=(Domain(), Domain(avoid=(0.0,), margin=0.3)),
    # torch saves `other` always and `self` only for other's gradient.
    extra={"saves": lambda i, inputs: i == 1 or getattr(inputs[1], "requires_grad", False),
           "scalar_operands": True},
    kinks="b = 0 is a pole",
))


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _pow_vjp(ns, g, out, a, b):
    # d(a^b)/da = b a^(b-1) (0 where b = 0, as torch); d(a^b)/db = a^b log a = out log a
    if _is_number(b):
        return (g * 0 if b == 0 else g * b * a ** (b - 1)), None
    # At b = 0 the power a^(b-1) is taken with b = 1 (a^0): 0^-1 = inf would make the unused
    # branch 0 * inf = nan once forward mode differentiates this rule.
    grad_a = None if _is_number(a) else \
        ns.where(b == 0, 0, g * b * a ** (ns.where(b == 0, 1, b) - 1))
    if _is_number(a):
        # A scalar base: log a is a constant; torch gives 0 at a = 0 (b >= 0).
        log_a = math.log(a) if a > 0 else (0.0 if a == 0 else math.nan)
        return None, g * out * log_a
    # torch masks a = 0 to a zero gradient for b: log(1) = 0 there.
    safe_log = ns.log(ns.where(a == 0, 1, a))
    return grad_a, g * out * safe_log


register(Op(
    name="pow", inputs=("input", "exponent"), kind="binary",
    forward=binary(np.power),
    vjp=_pow_vjp, uses_out=True,
    # torch saves the result only for a tensor exponent (the exponent's gradient reads it).
    extra={"saves_out": lambda inputs: hasattr(inputs[1], "_version"), "scalar_operands": True},
    sympy=elementwise2(lambda a, b: sp.Pow(a, b)),
    domain=(Domain(low=0.2, high=2.0), Domain(low=-2.0, high=2.0)),
    kinks="pow(0, b) with b < 1 has no finite derivative; d/db at a = 0 is taken as 0 (torch); "
          "d/da with b = 0 is 0",
))
