"""Elementwise functions of two (three) tensors: atan2 hypot xlogy xlog1py logaddexp lerp.

Each follows torch's backward formula, including its value at the special
points (atan2 at the origin: 0 with gradient 0; hypot there: 0 with gradient nan, as
torch; xlogy at x = 0: 0).
"""

from __future__ import annotations

import numpy as np

from verifier.ops.promotion import binary
from verifier.ops.registry import Domain, Op, register, vjp_by_input
from verifier.ops.symbolic import LazyModule, elementwise2, elementwise3, sp

steps = LazyModule("verifier.ops.sympy_steps")

AWAY_FROM_ZERO = Domain(avoid=(0.0,), margin=0.2)


def _atan2_sympy(y, x):
    return steps.atan2(y, x)


def _over_squared_radius(ns, numerator, y, x):
    """numerator / (x² + y²), 0 at the origin: torch 2.13's atan2 backward there.  The
    denominator is replaced before dividing, so differentiating this rule again never
    meets 0 · inf."""
    r2 = x * x + y * y
    return ns.where(r2 == 0, 0, numerator / ns.where(r2 == 0, 1, r2))


register(Op(
    name="atan2", inputs=("input", "other"), kind="binary",
    forward=binary(np.arctan2),
    # atan2(y, x): dy = x / (x^2 + y^2), dx = -y / (x^2 + y^2); 0 at the origin (torch)
    vjp=vjp_by_input(lambda ns, g, out, y, x: g * _over_squared_radius(ns, x, y, x),
                     lambda ns, g, out, y, x: g * _over_squared_radius(ns, -y, y, x)),
    sympy=elementwise2(_atan2_sympy),
    domain=(AWAY_FROM_ZERO, AWAY_FROM_ZERO),
    kinks="atan2(0, 0) = 0 (IEEE, torch); no derivative at the origin, where torch's "
          "gradient is 0; the angle jumps by 2 pi across x < 0, y = 0",
))

register(Op(
    name="hypot", inputs=("input", "other"), kind="binary",
    forward=binary(np.hypot),
    # d sqrt(a^2 + b^2) = (a, b) / hypot; nan at the origin (torch)
    vjp=vjp_by_input(lambda ns, g, out, a, b: g * a / out,
                     lambda ns, g, out, a, b: g * b / out),
    sympy=elementwise2(lambda a, b: sp.sqrt(a * a + b * b)),
    uses_out=True, domain=(AWAY_FROM_ZERO, AWAY_FROM_ZERO),
    kinks="no derivative at the origin: nan (torch)",
))


def _xlogy(x, y):
    # x log y, and 0 where x == 0 (even where y is 0 or inf); nan where y is nan (torch)
    x, y = np.broadcast_arrays(*_promoted(x, y))
    with np.errstate(divide="ignore", invalid="ignore"):
        out = x * np.log(y)
    return np.where((x == 0) & ~np.isnan(y), 0, out).astype(out.dtype)


def _xlog1py(x, y):
    x, y = np.broadcast_arrays(*_promoted(x, y))
    with np.errstate(divide="ignore", invalid="ignore"):
        out = x * np.log1p(y)
    return np.where((x == 0) & ~np.isnan(y), 0, out).astype(out.dtype)


def _promoted(x, y):
    from verifier.ops.promotion import promote
    return promote(np.asarray(x), np.asarray(y))


def _xlogy_x(ns, g, out, x, y):
    # d/dx x log y = log y; torch masks it to 0 where x == 0 and y <= 0.  The masked
    # elements take log 1 (not log 0 = -inf), so forward mode, which differentiates this
    # rule, never multiplies a zero tangent by -inf (the where-NaN trap).
    grad = g * ns.log(ns.where(x == 0, ns.where(y <= 0, 1, y), y))
    return ns.where(x == 0, ns.where(y <= 0, 0, grad), grad)


def _xlog1py_x(ns, g, out, x, y):
    grad = g * ns.log1p(ns.where(x == 0, ns.where(y <= -1, 0, y), y))
    return ns.where(x == 0, ns.where(y <= -1, 0, grad), grad)


register(Op(
    name="xlogy", inputs=("input", "other"), kind="binary",
    forward=_xlogy,
    vjp=vjp_by_input(_xlogy_x, lambda ns, g, out, x, y: g * x / y),  # d/dy x log y = x / y
    sympy=elementwise2(lambda x, y: steps.xlogy(x, y)),
    domain=(Domain(), Domain(low=0.1, high=3.0)),
    kinks="xlogy(0, y) = 0; the x-gradient is log y, masked to 0 where x = 0 and y <= 0 "
          "(torch); the y-gradient x / y is nan at x = y = 0",
))

register(Op(
    name="xlog1py", inputs=("input", "other"), kind="binary",
    forward=_xlog1py,
    vjp=vjp_by_input(_xlog1py_x, lambda ns, g, out, x, y: g * x / (y + 1)),
    sympy=elementwise2(lambda x, y: steps.xlogy(x, y, 1)),
    torch=lambda torch, x, y: torch.special.xlog1py(x, y),
    method=False, domain=(Domain(), Domain(low=-0.5, high=3.0)),
    kinks="xlog1py(0, y) = 0; the x-gradient is log(1 + y), masked to 0 where x = 0 and "
          "y <= -1 (torch.special.xlog1py)",
    extra={"node_name": "SpecialXlog1PyBackward0"},
    doc="torch.special.xlog1py: x log(1 + y), 0 where x = 0",
))

register(Op(
    name="logaddexp", inputs=("input", "other"), kind="binary",
    forward=binary(np.logaddexp),
    # d log(e^a + e^b)/da = e^a / (e^a + e^b) = sigmoid(a - b)
    vjp=vjp_by_input(lambda ns, g, out, a, b: g * ns.sigmoid(a - b),
                     lambda ns, g, out, a, b: g * ns.sigmoid(b - a)),
    sympy=elementwise2(lambda a, b: sp.log(sp.exp(a) + sp.exp(b))),
    domain=(Domain(), Domain()),
))


def _lerp(start, end, weight):
    # torch's two-sided formula: exact at weight 0 and at weight 1
    start, end = np.asarray(start), np.asarray(end)
    w = np.asarray(weight)
    start, end, w = _same_dtype(start, end, w)
    return np.where(np.abs(w) < 0.5, start + w * (end - start), end - (end - start) * (1 - w))


def _same_dtype(*arrays):
    from verifier.ops.promotion import promote
    return promote(*arrays)


register(Op(
    name="lerp", inputs=("input", "end", "weight"), kind="binary",
    forward=_lerp,
    # start + w (end - start): d start = 1 - w, d end = w, d w = end - start
    vjp=vjp_by_input(lambda ns, g, out, a, b, w: g * (1 - w),
                     lambda ns, g, out, a, b, w: g * w,
                     lambda ns, g, out, a, b, w: g * (b - a)),
    sympy=elementwise3(lambda a, b, w: a + w * (b - a)),
    domain=(Domain(), Domain(), Domain(low=0.0, high=1.0)),
    extra={"scalar_operands": True},
    doc="torch.lerp(input, end, weight): input + weight * (end - input); weight a tensor or "
        "a number",
))
