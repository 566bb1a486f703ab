"""The point where the oracle evaluates: each input's values at one dtype.

"exact" is the case's inputs as written (0.1 is 1/10); "float64"/"float32"
are the values those backends receive, rounded, taken exactly.  Large
inputs are kept as float64 arrays when that is exact (random inputs, every
rounded input) and SymPy Rationals are only made for the values needed.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from verifier.cases.model import Case, Input, exact_or_ieee
from verifier.float_formats import RUN_DTYPES, round_to
from verifier.oracle.evaluate import rational

DTYPES = ("exact",) + RUN_DTYPES


@dataclass
class PointInput:
    """One input's values: `uniform` (every element equal), or `floats`
    (float64 equal to the values), or else `fractions` (object array)."""
    name: str
    shape: tuple
    uniform: Fraction | None = None
    floats: np.ndarray | None = None
    fractions: np.ndarray | None = None
    # A bool input (`dtype: bool`): its 0/1 values mean False/True, a mask, not numbers.
    boolean: bool = False
    _rationals: np.ndarray | None = field(default=None, repr=False)

    def rationals(self) -> np.ndarray:
        """Object array of SymPy Rationals (built once; costly for large inputs); SymPy's
        true/false for a bool input."""
        if self._rationals is None:
            if self.boolean:
                self._rationals = _map(self.as_fractions(), lambda v: sp_truth(v != 0))
            elif self.uniform is not None:
                self._rationals = np.full(self.shape, rational(self.uniform), dtype=object)
            elif self.fractions is not None:
                self._rationals = _map(self.fractions, rational)
            else:
                self._rationals = _map(self.floats, rational)
        return self._rationals

    def longdouble(self) -> np.ndarray:
        """The values in extended precision (exact for floats and uniform values)."""
        if self.uniform is not None:
            return np.full(self.shape, _longdouble(self.uniform), dtype=np.longdouble)
        if self.floats is not None:
            return self.floats.astype(np.longdouble)
        return _map(self.fractions, _longdouble).astype(np.longdouble)

    def codes(self) -> tuple[list, np.ndarray]:
        """(distinct values as Fractions, index of each element into them)."""
        if self.uniform is not None:
            return [self.uniform], np.zeros(self.shape, dtype=np.int64)
        if self.floats is not None:
            values, inverse = np.unique(self.floats, return_inverse=True)
            return [exact_or_ieee(v) for v in values], inverse.reshape(self.shape)
        index: dict = {}
        inverse = np.empty(self.shape, dtype=np.int64)
        for i, v in enumerate(self.fractions.flat):
            inverse.flat[i] = index.setdefault(v, len(index))
        return list(index), inverse

    def distinct_at_most(self, limit: int) -> bool:
        """Whether the input takes at most `limit` distinct values (cheap check first)."""
        if self.uniform is not None:
            return True
        data = self.floats if self.floats is not None else self.fractions
        if data.size > 4 * limit:
            sample = data.ravel()[:: max(1, data.size // (8 * limit))]
            if len(set(sample.tolist())) > limit:
                return False
        return len(self.codes()[0]) <= limit

    def same_values(self, other: "PointInput") -> bool:
        if self.shape != other.shape:
            return False
        if self.uniform is not None and other.uniform is not None:
            return self.uniform == other.uniform
        if self.floats is not None and other.floats is not None:
            return bool(np.array_equal(self.floats, other.floats))
        return bool(np.array_equal(self.as_fractions(), other.as_fractions()))

    def as_fractions(self) -> np.ndarray:
        if self.fractions is not None:
            return self.fractions
        if self.uniform is not None:
            return np.full(self.shape, self.uniform, dtype=object)
        return _map(self.floats, exact_or_ieee)


def point_input(spec: Input, dtype: str) -> PointInput:
    """The values a backend of `dtype` receives, exactly ('exact': as written)."""
    if dtype not in DTYPES:
        raise ValueError(f"unknown dtype {dtype!r}; expected one of {', '.join(DTYPES)}")
    exact = spec.exact
    shape = spec.shape
    if spec.dtype is not None:
        # An int64/int32/bool input: the same integers in every run, never rounded.
        if spec.kind == "fill" and exact.size:
            return PointInput(spec.name, shape, uniform=exact.flat[0], boolean=spec.dtype == "bool")
        return PointInput(spec.name, shape, fractions=exact, boolean=spec.dtype == "bool")
    if spec.kind == "fill" and exact.size:
        value = exact.flat[0]
        if dtype != "exact":
            value = exact_or_ieee(_round(float(value), dtype))
        return PointInput(spec.name, shape, uniform=value)
    as64 = _float64(exact)
    if dtype not in ("exact", "float64"):
        return PointInput(spec.name, shape, floats=round_to(dtype, as64).astype(np.float64))
    if dtype == "float64" or spec.kind == "random":
        # A random input is exactly the float64 it was drawn as.
        return PointInput(spec.name, shape, floats=as64)
    if all(_same(exact_or_ieee(f), v) for f, v in zip(as64.flat, exact.flat)):
        return PointInput(spec.name, shape, floats=as64)
    return PointInput(spec.name, shape, fractions=exact)


_as64: dict[int, tuple] = {}  # id(exact array) -> (weakref, float64 values)


def _float64(exact: np.ndarray) -> np.ndarray:
    """float64 roundings of an input's Fractions, converted once per input."""
    entry = _as64.get(id(exact))
    if entry is not None and entry[0]() is exact:
        return entry[1]
    as64 = np.asarray(exact, dtype=np.float64) if exact.size else np.zeros(exact.shape)
    as64.flags.writeable = False
    key = id(exact)
    _as64[key] = (weakref.ref(exact, lambda _, key=key: _as64.pop(key, None)), as64)
    return as64


def case_point(case: Case, dtype: str) -> dict[str, PointInput]:
    """Every input (and the seed, as 'seed') at `dtype`."""
    point = {name: point_input(spec, dtype) for name, spec in case.inputs.items()}
    if case.seed is not None:
        point["seed"] = point_input(case.seed, dtype)
    return point


def same_point(a: dict[str, PointInput], b: dict[str, PointInput]) -> bool:
    return a.keys() == b.keys() and all(a[k].same_values(b[k]) for k in a)


def sp_truth(value: bool):
    import sympy
    return sympy.true if value else sympy.false


def _round(value: float, dtype: str) -> float:
    return value if dtype in ("exact", "float64") else float(round_to(dtype, np.array(value)))


def _same(a, b) -> bool:
    return a == b or (a != a and b != b)  # NaN input values are the same value here


def _longdouble(value) -> np.longdouble:
    if isinstance(value, float) and not np.isfinite(value):
        return np.longdouble(value)
    value = Fraction(value)
    return np.longdouble(value.numerator) / np.longdouble(value.denominator)


def _map(array: np.ndarray, fn) -> np.ndarray:
    out = np.empty(array.shape, dtype=object)
    for i, v in enumerate(array.flat):
        out.flat[i] = fn(v)
    return out

