"""The numbers of the graph oracle: exact rationals (flint `fmpq`) or certified balls (`arb`).

A value stays an exact rational as long as every operation on its path is
rational (+ - * /, integer powers, comparisons); anything else (exp, log, a
root) gives an `arb` ball: a midpoint and a radius that provably contains the
exact value.  A rational whose numerator or denominator outgrows
`MAX_EXACT_BITS` becomes a ball too (Newton's iteration doubles the digits
each step; 20 steps would need a million digits).

Undefined values (0/0, log of a negative number, a non-real intermediate)
are arb's NaN; `log(0)` is -inf, an exact infinity.  Only the elements that
depend on an undefined value become undefined.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import sympy as sp
from flint import arb, ctx, fmpq
from mpmath.libmp import from_man_exp

MAX_EXACT_BITS = 4096  # numerator + denominator bits of an exact rational, then a ball
START_PREC = 160  # bits of working precision in the first attempt
MAX_PREC = 5120  # bits: the last attempt; a ball still too wide is reported as such
TARGET_DIGITS = 30  # certified significant digits asked of every finite nonzero result

ZERO = fmpq(0)
ONE = fmpq(1)
NAN = arb("nan")
POS_INF = arb("inf")
NEG_INF = arb("-inf")


class Undecided(Exception):
    """A comparison whose sides overlap at the current precision (retry with more bits)."""


def exact(value) -> fmpq:
    """A Fraction, int, bool or float (by its binary value) as an exact fmpq; an IEEE
    input value (inf, -inf, nan) as arb's infinity or NaN."""
    if isinstance(value, (float, np.floating)) and not math.isfinite(value):
        return NAN if math.isnan(value) else (POS_INF if value > 0 else NEG_INF)
    if type(value) is float:
        return fmpq(*value.as_integer_ratio())
    if isinstance(value, fmpq):
        return value
    if isinstance(value, (bool, np.bool_)):
        return fmpq(int(value))
    if isinstance(value, (int, np.integer)):
        return fmpq(int(value))
    if isinstance(value, (float, np.floating)):
        value = Fraction(float(value))
    if isinstance(value, Fraction):
        return fmpq(value.numerator, value.denominator)
    raise TypeError(f"cannot take {value!r} as an exact number")


def is_exact(v) -> bool:
    return isinstance(v, fmpq)


def ball(v) -> arb:
    return v if isinstance(v, arb) else arb(v)


def capped(v):
    """An exact rational, or a ball where it has grown past MAX_EXACT_BITS."""
    if isinstance(v, fmpq) and v.height_bits() > MAX_EXACT_BITS:
        return arb(v)
    return v


def number(v):
    """fmpq or arb (a stray Python int or bool, say a numpy sum's start, as an fmpq)."""
    if isinstance(v, (fmpq, arb)):
        return v
    return exact(v)


def is_nan(v) -> bool:
    return isinstance(v, arb) and v.is_nan()


def is_zero(v) -> bool:
    """Exactly zero (a ball counts only when it is the exact point 0)."""
    if isinstance(v, fmpq):
        return v == 0
    return v.is_exact() and v.is_zero()


def sign(v) -> int:
    """The sign of v: exact for rationals; raises Undecided for a ball around 0."""
    if isinstance(v, fmpq):
        return (v > 0) - (v < 0)
    if v.is_nan():
        raise Undecided("a comparison involves an undefined value")
    if v > 0:
        return 1
    if v < 0:
        return -1
    if v.is_exact() and v.is_zero():
        return 0
    raise Undecided(f"the sign of {v.str(10)} is not decided at {ctx.prec} bits")


def compare(op: str, a, b) -> bool:
    """a op b at the point; exact where both are rational."""
    if is_nan(a) or is_nan(b):
        return op == "!="  # IEEE: every comparison with NaN is false, != is true
    if isinstance(a, arb) and not a.is_finite() or isinstance(b, arb) and not b.is_finite():
        a, b = _float_of(a), _float_of(b)
        return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b, "==": a == b,
                "!=": a != b}[op]
    s = sign(a - b)
    return {"<": s < 0, "<=": s <= 0, ">": s > 0, ">=": s >= 0, "==": s == 0, "!=": s != 0}[op]


class Decisions:
    """Where comparisons are decided: at MAX_PREC, sides that still overlap are taken as
    equal (the note says so); below it, an overlap asks for a retry with more bits."""

    def __init__(self) -> None:
        self.notes: list[str] = []

    def compare(self, op: str, a, b) -> bool:
        try:
            return compare(op, a, b)
        except Undecided:
            if ctx.prec < MAX_PREC:
                raise
            note = (f"two sides of a comparison agree to {MAX_PREC} bits "
                    f"(~{int(MAX_PREC * 0.30103)} digits) and were taken as equal")
            if note not in self.notes:
                self.notes.append(note)
            return op in ("<=", ">=", "==")


def _float_of(v) -> float:
    if isinstance(v, fmpq):
        return float(Fraction(int(v.p), int(v.q)))
    if v.is_finite():
        return float(v.mid())
    return math.inf if v > 0 else -math.inf


def to_float(v) -> float:
    """The float64 rounding (±inf beyond the range, NaN where undefined)."""
    v = number(v)
    if isinstance(v, fmpq):
        try:
            return int(v.p) / int(v.q)  # int / int is correctly rounded in Python
        except OverflowError:
            return math.inf if v > 0 else -math.inf
    if v.is_nan():
        return math.nan
    return _float_of(v)


def to_sympy(v):
    """A SymPy number: a Rational when exact, else a Float carrying the ball's midpoint."""
    if type(v) is fmpq:
        q = int(v.q)
        return sp.Integer(int(v.p)) if q == 1 else sp.Rational(int(v.p), q)
    v = number(v)
    if isinstance(v, fmpq):
        return sp.Rational(int(v.p), int(v.q))
    if v.is_nan():
        return sp.nan
    if not v.is_finite():
        return sp.oo if v > 0 else -sp.oo
    mid = v.mid()
    if v.is_exact():
        man, exp = mid.man_exp()
        return sp.Rational(int(man)) * sp.Rational(2) ** int(exp)
    man, exp = mid.man_exp()
    return sp.Float._new(from_man_exp(int(man), int(exp)), max(ctx.prec, 64))


def certified_digits(v) -> float:
    """Significant decimal digits the ball guarantees (inf for exact numbers)."""
    v = number(v)
    if isinstance(v, fmpq) or v.is_exact() or v.is_nan() or not v.is_finite():
        return math.inf
    bits = v.rel_accuracy_bits()
    return bits * math.log10(2)


class Precision:
    """`with Precision(bits):` sets flint's working precision and restores it."""

    def __init__(self, bits: int) -> None:
        self.bits = bits

    def __enter__(self):
        self.saved = ctx.prec
        ctx.prec = self.bits
        return self

    def __exit__(self, *exc) -> None:
        ctx.prec = self.saved


def object_array(values, shape=None) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = list(values)
    return out if shape is None else out.reshape(shape)


def zeros(shape) -> np.ndarray:
    out = np.empty(shape, dtype=object)
    out.fill(ZERO)
    return out


def exact_array(values: np.ndarray) -> np.ndarray:
    """An array of Fractions / floats / ints as an object array of fmpq."""
    flat = [exact(v) for v in np.asarray(values, dtype=object).ravel()]
    return object_array(flat, np.shape(values))
