"""Exact errors: ULPs computed from exact values, binary exponents, SymPy conversions."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import sympy
from hypothesis import given
from hypothesis import strategies as st

from verifier.cases.model import Tolerance
from verifier.compare.errors import check_quantity
from verifier.compare.exact import binary_exponent, spacing, to_fraction, ulp_error


def test_one_float32_ulp_off_reports_exactly_one_ulp():
    got = float(np.nextafter(np.float32(4.5), np.float32(5)))
    assert ulp_error(got, Fraction(9, 2), "float32") == 1.0
    check = check_quantity("grad.x", np.array([got]), None, np.array([Fraction(9, 2)], dtype=object),
                           "float32", Tolerance(1e-5, 1e-5))
    assert check.ok and check.max_ulp_err == 1.0


def test_ulp_is_not_lost_to_float64_rounding():
    # exact = 1 + 2^-60 rounds to 1.0 in float64; got = 1.0 is 2^-60 / 2^-52 = 1/256 ULP off.
    exact = Fraction(1) + Fraction(1, 2 ** 60)
    assert ulp_error(1.0, exact, "float64") == 1 / 256
    check = check_quantity("value", np.array(1.0), None, np.array(exact, dtype=object),
                           "float64", Tolerance(1e-15, 1e-15))
    assert check.max_ulp_err == 1 / 256


def test_spacing_at_zero_and_subnormals():
    assert spacing(Fraction(0), "float32") == Fraction(2) ** -149
    assert spacing(Fraction(0), "float64") == Fraction(2) ** -1074
    assert spacing(Fraction(1), "float64") == Fraction(2) ** -52


@given(st.floats(min_value=1e-300, max_value=1e300))
def test_binary_exponent_matches_frexp(x):
    assert binary_exponent(Fraction(x)) == math.frexp(x)[1] - 1


@given(st.floats(min_value=-1e30, max_value=1e30, allow_nan=False).filter(lambda v: v != 0))
def test_neighbouring_float64_is_one_ulp(x):
    up = float(np.nextafter(x, np.inf))
    if binary_exponent(Fraction(up)) == binary_exponent(Fraction(x)):
        assert ulp_error(up, Fraction(x), "float64") == 1.0


def test_sympy_numbers_convert_exactly():
    assert to_fraction(sympy.Rational(9, 2)) == Fraction(9, 2)
    f = sympy.Float("0.1", 30)
    assert abs(to_fraction(f) - Fraction(1, 10)) < Fraction(1, 10 ** 29)
    assert to_fraction(sympy.zoo) is None and to_fraction(float("nan")) is None
    assert abs(to_fraction(sympy.sqrt(2)) ** 2 - 2) < Fraction(1, 10 ** 38)


def test_inf_exact_matches_inf_got_but_not_finite():
    exact = np.array([sympy.oo, 1], dtype=object)
    assert check_quantity("v", np.array([np.inf, 1.0]), None, exact, "float64",
                          Tolerance(1e-12, 1e-12)).ok
    assert not check_quantity("v", np.array([1e300, 1.0]), None, exact, "float64",
                              Tolerance(1e-12, 1e-12)).ok


def test_fd_elements_without_a_derivative_are_not_compared():
    check = check_quantity("grad.x", np.array([np.nan, 2.0]), np.array([1.0, 2.0]), None,
                           "float64", Tolerance(1e-9, 1e-9), estimate=np.array([np.inf, 1e-10]))
    assert check.ok and check.details["not_compared"] == 1


def test_an_error_beyond_the_float_range_of_ulps_is_infinite_not_a_crash():
    from fractions import Fraction

    from verifier.compare.exact import ulp_error
    # 1e-15 where the exact value is 0: about 2e308 subnormal spacings of float64.
    assert ulp_error(1e-15, Fraction(0), "float64") == float("inf")
    assert ulp_error(2.0 ** -1074, Fraction(0), "float64") == 1.0
