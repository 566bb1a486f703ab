"""Exact or high-precision numbers from SymPy expressions at a point.

A value is kept exact (a SymPy Rational) whenever SymPy's own arithmetic
yields one; otherwise it is evaluated with `DIGITS` significant digits
(SymPy's adaptive evalf guarantees them).  Conditions are decided the same
way, with more digits, so the oracle follows the path the program took.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import sympy as sp

from verifier.contract import CaseError

DIGITS = 30  # significant digits of a value that is not a rational
DECIDE_DIGITS = 50  # digits used to decide a comparison that is not exact


def rational(value) -> sp.Rational:
    """A Fraction, int or float (its exact binary value) as a SymPy Rational."""
    if isinstance(value, Fraction):
        return sp.Rational(value.numerator, value.denominator)
    if isinstance(value, sp.Rational):
        return value
    if isinstance(value, (bool, np.bool_)):
        return sp.Integer(int(value))
    if isinstance(value, (int, np.integer)):
        return sp.Integer(int(value))
    if isinstance(value, (float, np.floating)):
        if not np.isfinite(value):  # an IEEE input value: SymPy's oo, -oo, nan
            return sp.nan if np.isnan(value) else (sp.oo if value > 0 else -sp.oo)
        return sp.Rational(Fraction(float(value)))
    raise TypeError(f"cannot take {value!r} as an exact number")


# A power with a non-integer exact exponent p/q where max(|p|, q) exceeds this is
# evaluated to DIGITS + 10 digits instead of exactly (see at_point).
EXACT_ROOT_LIMIT = 100


def at_point(expr, point: dict):
    """`expr` with its symbols replaced by the numbers of `point`.

    SymPy evaluates Rational**Rational exactly, and (p/2^24)**(q/2^24) (a
    float32 input as base and exponent) asks it for p**q, a number of
    millions of digits: the oracle hung.  Such a power is evaluated to
    DIGITS + 10 significant digits instead; every other node stays exact.
    """
    if not any(not power.exp.is_Integer for power in expr.atoms(sp.Pow)):
        return expr.xreplace(point)
    with sp.evaluate(False):
        unevaluated = expr.xreplace(point)
    return _rebuild(unevaluated)


def _rebuild(e):
    if e.is_Atom or not e.args:
        return e
    args = [_rebuild(a) for a in e.args]
    if e.is_Pow:
        base, exponent = args
        if base.is_Number and exponent.is_Rational and not exponent.is_Integer \
                and max(abs(exponent.p), exponent.q) > EXACT_ROOT_LIMIT:
            return sp.Pow(base, exponent, evaluate=False).evalf(DIGITS + 10)
    return e.func(*args)


def as_sympy(value):
    """Our own value (a SymPy object, an int, a Fraction, a float) as a SymPy object.

    The oracle's replacement for `sympify`: it converts numbers only and refuses text,
    so no string, and so no case text, can ever be parsed into an expression here.
    """
    if isinstance(value, sp.Basic):
        return value
    if isinstance(value, str):
        raise TypeError("the oracle converts numbers and SymPy objects, never text")
    return rational(value)


def exact_number(expr):
    """A number expression as a Rational when exact, else a Float of DIGITS digits.

    Infinities and NaN are kept as SymPy's oo, -oo, zoo, nan.
    """
    value = as_sympy(expr)
    if value.is_Rational or value in (sp.oo, -sp.oo, sp.zoo, sp.nan):
        return value
    if value.free_symbols:
        raise CaseError("other", f"the oracle could not evaluate {value} to a number: "
                                 f"free symbols {sorted(map(str, value.free_symbols))} remain")
    number = sp.N(value, DIGITS)
    if not number.is_Number:
        if number.has(sp.I) or not number.is_real:
            raise CaseError("other", f"the exact value {value} is not a real number "
                                     f"({number}); the case leaves the real domain")
        raise CaseError("other", f"the oracle could not evaluate {value} to a number (got {number})")
    return number


def is_exact(value) -> bool:
    return isinstance(value, sp.Basic) and bool(value.is_Rational)


def to_float(value) -> float:
    """The float64 rounding of an exact or high-precision number."""
    if value is sp.zoo or value is sp.nan:
        return float("nan")
    if value is sp.oo:
        return float("inf")
    if value is -sp.oo:
        return float("-inf")
    if isinstance(value, sp.Rational):
        return float(Fraction(int(value.p), int(value.q)))
    return float(value)


def floats_of(array: np.ndarray) -> np.ndarray:
    """float64 roundings of an object array of numbers (longdouble arrays pass through)."""
    if array.dtype != object:
        return np.asarray(array, dtype=np.float64)
    from verifier.oracle.factored import distinct
    table, inverse = distinct(array)
    return np.array([to_float(v) for v in table], dtype=np.float64).reshape(-1)[inverse] \
        if table else np.zeros(array.shape)


def sign_of_difference(a, b, where: str = "") -> tuple[int, str]:
    """The sign of a - b for two numeric SymPy expressions, and a note.

    Exact where the difference is rational; otherwise decided with
    DECIDE_DIGITS digits.  Sides that agree to all those digits are taken
    as equal, and the note says so.
    """
    diff = as_sympy(a) - as_sympy(b)
    if diff.free_symbols:
        raise CaseError("other", f"{where}a condition depends on symbols "
                                 f"{sorted(map(str, diff.free_symbols))} that have no value")
    if diff.is_Rational:
        return int(bool(diff > 0)) - int(bool(diff < 0)), ""
    if diff in (sp.oo, -sp.oo):
        return (1 if diff is sp.oo else -1), ""
    if diff is sp.nan or diff is sp.zoo:
        raise CaseError("other", f"{where}a condition compares NaN or an infinity of no sign")
    value = sp.N(diff, DECIDE_DIGITS)
    scale = max(abs(sp.N(a, 20)), abs(sp.N(b, 20)), sp.Float(1))
    if value == 0 or abs(value) < scale * sp.Float(10) ** (2 - DECIDE_DIGITS):
        return 0, (f"{where}the two sides of a comparison agree to {DECIDE_DIGITS} digits "
                   "and were taken as equal")
    return int(bool(value > 0)) - int(bool(value < 0)), ""


def decide(op: str, a, b, where: str = "") -> tuple[bool, str]:
    """`a op b` for numeric SymPy expressions, as a Python bool, with a note."""
    sign, note = sign_of_difference(a, b, where)
    result = {"<": sign < 0, "<=": sign <= 0, ">": sign > 0, ">=": sign >= 0,
              "==": sign == 0, "!=": sign != 0}[op]
    return result, note
