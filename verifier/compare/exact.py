"""Exact numbers and the spacing of floating-point types, for errors in ULPs.

The oracle's values are SymPy numbers (Rational, or Float with at least 18
digits); tests and claims may hand Fractions, ints or floats.  Everything is
turned into a `Fraction` so that |got − exact| is computed exactly: a float32
result one ULP off reports 1.0 ULP, not 1.0000000x.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from verifier.float_formats import FORMATS as FLOAT_FORMATS

# (precision p in bits including the implicit one, minimum normal exponent)
FORMATS = {f.name: (f.precision, f.min_exponent) for f in FLOAT_FORMATS.values()}


def to_fraction(x) -> Fraction | None:
    """The exact value of a number; None for NaN, infinities and SymPy's zoo."""
    if isinstance(x, Fraction):
        return x
    if isinstance(x, (bool, int, np.integer)):
        return Fraction(int(x))
    if isinstance(x, (float, np.floating)):
        # as_integer_ratio keeps every bit (a longdouble's 64-bit mantissa too).
        return Fraction(*x.as_integer_ratio()) if np.isfinite(x) else None
    import sympy
    if isinstance(x, sympy.Basic):
        if x.is_Rational:
            return Fraction(int(x.p), int(x.q))
        if not x.is_Float:
            x = sympy.N(x, 40)
        if not x.is_Float or not x.is_finite:
            return None
        r = sympy.Rational(x)  # a Float's exact binary value
        return Fraction(int(r.p), int(r.q))
    if hasattr(x, "man") and hasattr(x, "exp"):  # mpmath mpf: man · 2^exp
        return Fraction(int(x.man)) * Fraction(2) ** int(x.exp) if x.man or not x.exp else \
            Fraction(0)
    return Fraction(x)


def binary_exponent(value: Fraction) -> int:
    """floor(log2 |value|) for a nonzero Fraction, exactly."""
    n, d = abs(value.numerator), value.denominator
    e = n.bit_length() - d.bit_length()
    # 2^e <= n/d < 2^(e+1) may be off by one: fix it with one exact comparison.
    if (n << -e if e < 0 else n) < (d << e if e > 0 else d):
        e -= 1
    return e


def spacing(value: Fraction, dtype: str) -> Fraction:
    """The distance between adjacent floats of `dtype` around the exact `value` (its ULP)."""
    precision, min_exponent = FORMATS[dtype]
    exponent = min_exponent if value == 0 else max(binary_exponent(value), min_exponent)
    return Fraction(2) ** (exponent - (precision - 1))


def ulp_error(got: float, exact: Fraction, dtype: str) -> float:
    """|got − exact| in ULPs of `dtype` at `exact`, without rounding the difference."""
    if not np.isfinite(got):
        return float("inf")
    try:
        return float(abs(Fraction(float(got)) - exact) / spacing(exact, dtype))
    except OverflowError:
        # Beyond 1.8e308 ULPs: noise of 1e-15 where the exact value is 0 is that many
        # subnormal spacings. (The pass/fail check is normwise, not in ULPs.)
        return float("inf")


def approximate_ulps(got: np.ndarray, exact: np.ndarray, dtype: str) -> np.ndarray:
    """Vectorized float64 estimate of the ULP error, to find the worst elements fast."""
    precision, min_exponent = FORMATS[dtype]
    magnitude = np.maximum(np.abs(exact), 2.0 ** min_exponent)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        exponent = np.floor(np.log2(magnitude))
        ulps = np.abs(got - exact) / np.exp2(exponent - (precision - 1))
    return np.where(np.isnan(ulps), np.inf, ulps)
