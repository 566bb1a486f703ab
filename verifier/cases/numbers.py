"""Exact numbers and nested lists from case data.

A number in a case file means its decimal value exactly: YAML numbers arrive
as Fractions (yaml_lines.py); strings in numeric positions are read by hand,
never evaluated: `"1/3"`, `"-2.5e-3"`, `"1e3"` (which YAML 1.1 leaves a string).
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

import numpy as np

from verifier import limits
from verifier.cases import budget
from verifier.cases.yaml_lines import LineList

MAX_ELEMENTS = limits.MAX_TENSOR_ELEMENTS
MAX_DIMS = limits.MAX_DIMS
MAX_DECIMAL_EXPONENT = limits.MAX_DECIMAL_EXPONENT

_DECIMAL = r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d{1,4})?"
_NUMBER_TEXT = re.compile(rf"\s*({_DECIMAL})(?:\s*/\s*({_DECIMAL}))?\s*$")


class DataError(ValueError):
    """Bad case data; `line` is the YAML line where it is, when known (else 0)."""

    def __init__(self, message: str, line: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


def number_from_text(text: str) -> Fraction | None:
    """`"1/3"`, `"0.1"`, `"1e3"`, `"-2/4.5"` as an exact Fraction; None if it is not a number
    (or is longer than MAX_NUMBER_CHARS: Python refuses to convert 4300-digit integers)."""
    if len(text) > limits.MAX_NUMBER_CHARS:
        return None
    match = _NUMBER_TEXT.match(text)
    if not match:
        return None
    parts = [p for p in match.groups() if p is not None]
    for p in parts:
        exponent = re.search(r"[eE]([+-]?\d+)", p)
        if exponent and abs(int(exponent.group(1))) > MAX_DECIMAL_EXPONENT:
            return None
    values = [Fraction(p) for p in parts]
    if len(values) == 2:
        if values[1] == 0:
            return None
        return values[0] / values[1]
    return values[0]


def describe(value) -> str:
    """How a YAML value reads in a message: its type and a short form."""
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, Fraction):
        return f"the number {value}"
    if isinstance(value, str):
        short = value if len(value) <= 40 else value[:37] + "..."
        return f"the text {short!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if value is None:
        return "nothing (null)"
    return f"a {type(value).__name__}"


def exact_number(value, what: str = "a number") -> Fraction:
    """A scalar of case data as an exact Fraction, or DataError."""
    if isinstance(value, bool):
        raise DataError(f"expected {what}, found {describe(value)}")
    if isinstance(value, Fraction):
        return value
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise DataError(f"expected {what}, found {value}: infinite and NaN values are not allowed "
                            "in case data")
        return Fraction(value)
    if isinstance(value, str):
        if len(value) > limits.MAX_NUMBER_CHARS and _NUMBER_TEXT.match(value[:limits.MAX_NUMBER_CHARS]):
            raise DataError(f"expected {what}, found a number text of {len(value)} characters, beyond "
                            f"the limit of {limits.MAX_NUMBER_CHARS}")
        parsed = number_from_text(value)
        if parsed is not None:
            return parsed
    raise DataError(f"expected {what}, found {describe(value)}")


def float64_number(value: Fraction, what: str = "a number") -> Fraction:
    """`value`, where it rounds to a finite float64 (what every numeric backend receives)."""
    if abs(value.numerator) > _FLOAT64_MAX_INT * value.denominator:  # ints: fast, exact
        raise DataError(f"expected {what} within float64's range (±1.8e308), found one of about "
                        f"{_magnitude(value)}: the backends could not represent it")
    return value


_FLOAT64_MAX_INT = int(limits.FLOAT64_MAX)


def _magnitude(value: Fraction) -> str:
    digits = len(str(abs(value.numerator))) - len(str(value.denominator))
    return f"1e{digits}"


IEEE_TEXT = {"inf": math.inf, "+inf": math.inf, "-inf": -math.inf, "infinity": math.inf,
             "+infinity": math.inf, "-infinity": -math.inf, "nan": math.nan}


def number_or_ieee(value, what: str = "a number"):
    """A Fraction, or for the IEEE special values (YAML `.inf`, `-.inf`, `.nan`, or the text
    `inf`, `-inf`, `nan`) a float: they are exactly what every dtype can hold."""
    if isinstance(value, float) and (math.isinf(value) or math.isnan(value)):
        return value
    if isinstance(value, str) and value.strip().lower() in IEEE_TEXT:
        return IEEE_TEXT[value.strip().lower()]
    return exact_number(value, what)


def exact_array(value, what: str = "value", float64_range: bool = False,
                booleans: bool = False) -> np.ndarray:
    """A number or nested list as an object ndarray of Fraction; ragged lists are refused.

    The shape is read along the first items, and its size checked against
    MAX_ELEMENTS before anything is allocated; the full walk then visits at most
    that many leaves (so aliases that repeat a list can't blow up the walk).  The
    elements are charged to the load's budget (budget.py) first.  With
    `float64_range`, every number must be a finite float64 (input data).  With `booleans`
    (an input of dtype bool), true and false are read as 1 and 0.
    """
    shape = []
    probe = value
    while isinstance(probe, list):
        shape.append(len(probe))
        if len(shape) > MAX_DIMS:
            raise DataError(f"{what}: lists nested more than {MAX_DIMS} deep")
        if not probe:
            break
        probe = probe[0]
    check_size(shape, what)
    out = np.empty(tuple(shape), dtype=object)
    flat = []
    _walk(value, shape, 0, what, flat, float64_range, {}, booleans)
    if out.ndim == 0:
        out[()] = flat[0]
    else:
        out.reshape(-1)[:] = flat
    return out


def _walk(value, shape: list[int], depth: int, path: str, flat: list, float64_range: bool,
          seen: dict, booleans: bool = False) -> None:
    """Append the leaves of `value` to `flat`.  A list met again (a YAML alias repeats one
    list object) is copied from its first walk, not walked again: an alias-built literal
    costs its distinct lists, not its elements."""
    if isinstance(value, list) and (id(value), depth) in seen:
        start, end = seen[(id(value), depth)]
        flat.extend(flat[start:end])
        return
    start = len(flat)
    if depth == len(shape):
        if isinstance(value, list):
            raise DataError(f"{path} is a list where a number was expected (ragged lists are not "
                            "tensors: every row needs the same shape)", getattr(value, "line", 0))
        if booleans and isinstance(value, bool):
            flat.append(Fraction(int(value)))
            return
        try:
            number = number_or_ieee(value)
            is_finite = isinstance(number, Fraction)
            flat.append(float64_number(number) if float64_range and is_finite else number)
        except DataError as exc:
            raise DataError(f"{path}: {exc.message}") from None
        return
    if not isinstance(value, list):
        raise DataError(f"{path} is {describe(value)} where a list of {shape[depth]} was expected "
                        "(ragged lists are not tensors: every row needs the same shape)")
    if len(value) != shape[depth]:
        raise DataError(f"{path} has {len(value)} items, but its siblings have {shape[depth]} (ragged "
                        "lists are not tensors: every row needs the same shape)", getattr(value, "line", 0))
    for i, item in enumerate(value):
        try:
            _walk(item, shape, depth + 1, f"{path}[{i}]", flat, float64_range, seen, booleans)
        except DataError as exc:
            if not exc.line and isinstance(value, LineList):
                exc.line = value.item_line(i)
            raise
    seen[(id(value), depth)] = (start, len(flat))


def check_size(shape, what: str) -> None:
    """Refuse a shape past the per-tensor limits, then charge its elements to the load's
    budget: both before anything of that shape is allocated."""
    why = limits.shape_problem(shape)
    if why is not None:
        raise DataError(f"{what}: {why}")
    try:
        budget.charge(math.prod(shape))
    except budget.BudgetExceeded as exc:
        raise DataError(f"{what}: {exc}") from None


def filled(shape: tuple[int, ...], value) -> np.ndarray:
    """`value` in every element; the caller has checked (and charged) the shape."""
    out = np.empty(shape, dtype=object)
    out.fill(value)
    return out


def _fraction_from_ratio(v: float) -> Fraction:
    # float.as_integer_ratio() is already in lowest terms with a positive denominator, so the
    # gcd that Fraction() would run is skipped: 10x faster for large random inputs.
    n, d = v.as_integer_ratio()
    out = object.__new__(Fraction)
    out._numerator, out._denominator = n, d
    return out


def _fast_path_works() -> bool:
    try:
        probes = (0.1, -2.5, 0.0, 1e-300, 3.0)
        fast = [_fraction_from_ratio(v) for v in probes]
        slow = [Fraction(v) for v in probes]
        return fast == slow and [hash(a) for a in fast] == [hash(b) for b in slow] and \
            [a + 1 for a in fast] == [b + 1 for b in slow]
    except Exception:  # noqa: BLE001 - another Python's Fraction internals: use the public path
        return False


_from_float = _fraction_from_ratio if _fast_path_works() else Fraction


def from_floats(values: np.ndarray) -> np.ndarray:
    """float64 values as exact Fractions (each finite float is a dyadic rational).

    Raises DataError where a value is infinite or NaN (a draw that overflowed)."""
    if values.size and not np.isfinite(values).all():
        raise DataError("the values drawn include infinite or NaN numbers: the distribution's "
                        "parameters are too large for float64")
    out = np.empty(values.shape, dtype=object)
    if values.size:
        out.reshape(-1)[:] = [_from_float(v) for v in values.reshape(-1).tolist()]
    return out


def literal_text(value) -> str:
    """A number or nested list as the case file would write it: `[0, 1/3, 2.5]`, not
    `[Fraction(0, 1), ...]` (claim messages quote it)."""
    if isinstance(value, list):
        return "[" + ", ".join(literal_text(v) for v in value) + "]"
    if isinstance(value, Fraction):
        if value.denominator == 1:
            return str(value.numerator)
        d = value.denominator
        for p in (2, 5):
            while d % p == 0:
                d //= p
        if d != 1:
            return str(value)  # 1/3: no finite decimal
        import decimal
        with decimal.localcontext() as ctx:
            ctx.prec = 60
            return format((decimal.Decimal(value.numerator) / value.denominator).normalize(), "f")
    return str(value)
