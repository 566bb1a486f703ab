"""Evaluate a SymPy expression tree on numpy extended-precision arrays.

Used where an elementwise derivative must be evaluated on many distinct
values (a large random tensor): np.longdouble carries 18 significant digits
on x86-64.  The tree is walked node by node with numpy ufuncs; nothing is
generated or exec'd (no lambdify).  A node outside the table raises
`Unsupported`, and the oracle evaluates exactly instead where it can.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import sympy as sp

LD = np.longdouble
DIGITS = int(np.finfo(LD).precision)  # 18 on x86-64 (80-bit extended)


class Unsupported(Exception):
    """The expression has a node this evaluator has no ufunc for."""


def ld_number(value) -> np.longdouble:
    """A SymPy number in extended precision (rounded once for rationals)."""
    if isinstance(value, sp.Rational):
        return _ld_fraction(Fraction(int(value.p), int(value.q)))
    if value is sp.oo:
        return LD("inf")
    if value is -sp.oo:
        return LD("-inf")
    if value in (sp.nan, sp.zoo):
        return LD("nan")
    return LD(str(sp.N(value, DIGITS + 4)))


def _ld_fraction(value: Fraction) -> np.longdouble:
    try:
        return LD(value.numerator) / LD(value.denominator)
    except OverflowError:
        return LD(str(sp.N(sp.Rational(value.numerator, value.denominator), DIGITS + 4)))


UNARY = {
    sp.exp: np.exp, sp.log: np.log, sp.sin: np.sin, sp.cos: np.cos, sp.tan: np.tan,
    sp.asin: np.arcsin, sp.acos: np.arccos, sp.atan: np.arctan, sp.sinh: np.sinh,
    sp.cosh: np.cosh, sp.tanh: np.tanh, sp.asinh: np.arcsinh, sp.acosh: np.arccosh,
    sp.atanh: np.arctanh, sp.Abs: np.abs, sp.sign: np.sign, sp.floor: np.floor,
    sp.ceiling: np.ceil,
}
RELATIONAL = {
    sp.StrictLessThan: np.less, sp.LessThan: np.less_equal, sp.StrictGreaterThan: np.greater,
    sp.GreaterThan: np.greater_equal, sp.Equality: np.equal, sp.Unequality: np.not_equal,
}


def evaluate(expr, env: dict):
    """expr over `env` (Symbol -> longdouble array or scalar); numpy broadcasting applies."""
    with np.errstate(all="ignore"):
        return _eval(expr, env, {})


def _eval(e, env, memo):
    if e in memo:
        return memo[e]
    value = _node(e, env, memo)
    memo[e] = value
    return value


def _node(e, env, memo):
    if e.is_Symbol:
        try:
            return env[e]
        except KeyError:
            raise Unsupported(f"no value for the symbol {e}") from None
    if e.is_Number or e in (sp.pi, sp.E) or e.is_NumberSymbol:
        return ld_number(e)
    if isinstance(e, sp.logic.boolalg.BooleanAtom):
        return np.bool_(bool(e))
    args = [_eval(a, env, memo) for a in e.args] if not isinstance(e, sp.Piecewise) else None
    if e.is_Add:
        return _fold(np.add, args)
    if e.is_Mul:
        return _fold(np.multiply, args)
    if e.is_Pow:
        return _power(e, args[0], args[1])
    fn = UNARY.get(e.func)
    if fn is not None and len(args) == 1:
        return fn(args[0])
    if e.func in RELATIONAL:
        return RELATIONAL[e.func](args[0], args[1])
    if isinstance(e, sp.Max):
        return _fold(np.maximum, args)
    if isinstance(e, sp.Min):
        return _fold(np.minimum, args)
    if isinstance(e, sp.And):
        return _fold(np.logical_and, args)
    if isinstance(e, sp.Or):
        return _fold(np.logical_or, args)
    if isinstance(e, sp.Not):
        return np.logical_not(args[0])
    if isinstance(e, sp.Heaviside):
        at_zero = args[1] if len(args) > 1 else LD(0.5)
        x = args[0]
        return np.where(x > 0, LD(1), np.where(x < 0, LD(0), at_zero))
    if isinstance(e, sp.Piecewise):
        return _piecewise(e, env, memo)
    raise Unsupported(f"no extended-precision evaluation for {e.func.__name__}")


def _fold(ufunc, args):
    result = args[0]
    for a in args[1:]:
        result = ufunc(result, a)
    return result


def _power(e, base, exponent):
    power = e.args[1]
    if power == sp.Rational(1, 2):
        return np.sqrt(base)
    if power == -1:
        return LD(1) / base
    if power.is_Integer and 2 <= int(power) <= 4:
        result = base
        for _ in range(int(power) - 1):
            result = result * base
        return result
    if power.is_Integer:
        return np.power(base, int(power)) if int(power) >= 0 else LD(1) / np.power(base, -int(power))
    return np.power(base, exponent)


def _piecewise(e, env, memo):
    # The first true condition wins, as in SymPy.
    result = None
    decided = None
    for piece, cond in e.args:
        c = np.asarray(_eval(cond, env, memo), dtype=bool)
        v = _eval(piece, env, memo)
        if result is None:
            result = np.where(c, v, LD("nan"))
            decided = c
        else:
            take = np.logical_and(c, np.logical_not(decided))
            result = np.where(take, v, result)
            decided = np.logical_or(decided, c)
    return result
