"""SymPy functions for steps and selections, with torch's derivatives.

* `Step(kind, x)`: floor, ceil, trunc, round (half to even, as torch) and sign.
  Piecewise constant: torch's gradient is 0 everywhere, jumps included, and so
  is this function's derivative (SymPy's own floor has none: Derivative(floor(x), x)).
* `FirstMax(x_1..x_n)`: max whose gradient goes entirely to the *first* maximal
  argument, as torch's max_pool (its kernel keeps the first strict maximum),
  unlike amax, which shares ties evenly.

Imported lazily (through `LazyModule`), like sympy_functions.py.
"""

from __future__ import annotations

import sympy as sp

FLOOR, CEIL, TRUNC, ROUND, SIGN = range(5)
TIE_DIGITS = 50


def _round_half_even(x):
    f = sp.floor(x)
    d = x - f
    half = sp.Rational(1, 2)
    if d < half:
        return f
    if d > half:
        return f + 1
    return f if f % 2 == 0 else f + 1


class Step(sp.Function):
    """Step(kind, x): floor/ceil/trunc/round/sign of x, with derivative 0."""

    @classmethod
    def _evaluate(cls, kind, x):
        if not (kind.is_Integer and x.is_number):
            return None
        k = int(kind)
        if x.is_infinite or x is sp.nan:
            return x if k != SIGN else sp.sign(x)
        if k == FLOOR:
            return sp.floor(x)
        if k == CEIL:
            return sp.ceiling(x)
        if k == TRUNC:
            return sp.floor(x) if x >= 0 else sp.ceiling(x)
        if k == ROUND:
            return _round_half_even(x)
        return sp.sign(x)

    # SymPy's automatic-evaluation hook is a classmethod named `eval` (not Python's eval).
    eval = _evaluate

    def fdiff(self, argindex=2):
        return sp.Integer(0)


def step(kind: int, x):
    return Step(sp.Integer(kind), x)


class FirstMax(sp.Function):
    """max(x_1..x_n) whose derivative is 1 for the first maximal argument, 0 for the others."""

    @classmethod
    def _evaluate(cls, *args):
        if len(args) == 1:
            return args[0]
        if all(a.is_number for a in args):
            return sp.Max(*args)
        return None

    # SymPy's automatic-evaluation hook is a classmethod named `eval` (not Python's eval).
    eval = _evaluate

    def fdiff(self, argindex=1):
        return FirstMaxShare(sp.Integer(argindex - 1), *self.args)

    def _eval_evalf(self, prec):
        return sp.Max(*[a.evalf(prec) for a in self.args])


class FirstMaxShare(sp.Function):
    """1 where x_i is the first maximal argument, else 0 (decided once the x are numbers)."""

    @classmethod
    def _evaluate(cls, index, *args):
        if not index.is_Integer or not all(a.is_number for a in args):
            return None
        values = [sp.N(a, TIE_DIGITS + 10) for a in args]
        top = max(values)
        scale = max(abs(top), sp.Integer(1))
        tolerance = scale * sp.Float(10, TIE_DIGITS) ** -TIE_DIGITS
        first = next(i for i, v in enumerate(values) if abs(v - top) <= tolerance)
        return sp.Integer(1) if first == int(index) else sp.Integer(0)

    # SymPy's automatic-evaluation hook is a classmethod named `eval` (not Python's eval).
    eval = _evaluate

    def fdiff(self, argindex=1):
        return sp.Integer(0)


class XLogY(sp.Function):
    """xlogy(x, y) = x log(y + shift), 0 where x = 0 (torch's xlogy, shift 0; xlog1py, shift 1).

    torch's derivatives: d/dx = log(y + shift), taken as 0 where x = 0 and y + shift <= 0;
    d/dy = x / (y + shift) (nan at x = 0, y + shift = 0, as 0/0).
    """

    @classmethod
    def _evaluate(cls, shift, x, y):
        if x.is_number and x.is_zero and y.is_number and not y.has(sp.nan):
            return sp.Integer(0)
        if x.is_number and x.is_zero is False and y.is_number:
            return x * sp.log(y + shift)
        return None

    # SymPy's automatic-evaluation hook is a classmethod named `eval` (not Python's eval).
    eval = _evaluate

    def fdiff(self, argindex=2):
        shift, x, y = self.args
        if argindex == 2:
            return sp.Piecewise((0, sp.And(sp.Eq(x, 0), y + shift <= 0)), (sp.log(y + shift), True))
        if argindex == 3:
            return x / (y + shift)
        return sp.Integer(0)


def xlogy(x, y, shift=0):
    return XLogY(sp.Integer(shift), x, y)


class TorchAtan2(sp.Function):
    """torch's atan2(y, x): SymPy's atan2, and 0 at the origin (IEEE's atan2(+0, +0), where
    SymPy's is undefined).  The angle has no derivative at the origin; torch's gradient
    there is 0 (its convention, as relu'(0) = 0), so the first derivatives
    x / (x² + y²) and -y / (x² + y²) are taken as 0 there."""

    @classmethod
    def _evaluate(cls, y, x):
        if y.is_number and x.is_number:
            return sp.Integer(0) if y.is_zero and x.is_zero else sp.atan2(y, x)
        return None

    eval = _evaluate

    def fdiff(self, argindex=1):
        y, x = self.args
        origin = sp.And(sp.Eq(x, 0), sp.Eq(y, 0))
        return sp.Piecewise((0, origin), (x / (x**2 + y**2) if argindex == 1 else
                                          -y / (x**2 + y**2), True))


def atan2(y, x):
    return TorchAtan2(y, x)
