"""Evaluate a generic-element expression over a whole tensor at the point.

An expression in one symbol per input (the generic element) and in
reduced scalars (sum symbols, whose values are given) is evaluated for every
element of a shape, with the inputs broadcast to it:

* exactly, once per distinct combination of input values, when the inputs
  take few distinct values (`fill: 1` means one exact evaluation);
* otherwise vectorized in extended precision (see longdouble.py).
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from verifier.oracle import longdouble
from verifier.oracle.evaluate import as_sympy, at_point, exact_number, is_exact, rational
from verifier.oracle.factored import distinct, factored_array, uniform_array
from verifier.oracle.point import PointInput

DISTINCT_LIMIT = 64  # per input, for exact evaluation
COMBINATION_LIMIT = 4096  # distinct value tuples evaluated one by one, exactly
SMALL = 1024  # tensors this small are always evaluated exactly


class _TooMany(Exception):
    """More distinct value tuples than COMBINATION_LIMIT: evaluate in extended precision."""


class Valuation:
    """Values of expressions in input symbols over shapes, in one precision mode."""

    def __init__(self, symbols: dict[sp.Symbol, PointInput], force: str | None = None) -> None:
        self.symbols = symbols
        self.mode = force or self._choose_mode()
        self._codes: dict = {}
        self._ld: dict = {}

    def _choose_mode(self) -> str:
        inputs = list(self.symbols.values())
        if all(p.uniform is not None or int(np.prod(p.shape)) <= SMALL for p in inputs):
            return "exact"
        if all(p.distinct_at_most(DISTINCT_LIMIT) for p in inputs):
            return "exact"
        return "longdouble"

    @property
    def exactness(self) -> str:
        return "exact" if self.mode == "exact" else f"{longdouble.DIGITS} digits (longdouble)"

    # --- one value per element ---------------------------------------------------
    def values(self, expr, shape: tuple, scalars: dict) -> np.ndarray:
        """expr at every element of `shape`; `scalars` gives the sum symbols' values."""
        try:
            return self._values(expr, shape, scalars)
        except _TooMany:
            self.mode = "longdouble"
            return self._values(expr, shape, scalars)

    def total(self, expr, shape: tuple, scalars: dict):
        """The sum of expr over every element of `shape`."""
        try:
            return self._total(expr, shape, scalars)
        except _TooMany:
            self.mode = "longdouble"
            return self._total(expr, shape, scalars)

    def _values(self, expr, shape: tuple, scalars: dict) -> np.ndarray:
        expr = as_sympy(expr)
        used = [s for s in expr.free_symbols if s in self.symbols]
        if self.mode == "longdouble":
            env = {s: self._longdouble(s) for s in used}
            env.update({s: _ld(v) for s, v in scalars.items()})
            result = longdouble.evaluate(expr, env)
            return np.broadcast_to(np.asarray(result, dtype=np.longdouble), shape)
        if not isinstance(expr, sp.Basic) or not expr.free_symbols:
            return uniform_array(exact_number(expr), shape)
        fixed = {s: scalars[s] for s in expr.free_symbols if s in scalars}
        if not used:
            return uniform_array(exact_number(at_point(expr, fixed)), shape)
        combos, inverse = self._combinations(used, shape)
        results = [exact_number(at_point(expr, {**fixed, **dict(zip(used, c))})) for c in combos]
        return factored_array(results, inverse.reshape(shape))

    def _total(self, expr, shape: tuple, scalars: dict):
        expr = as_sympy(expr)
        n = int(np.prod(shape, dtype=np.int64))
        used = [s for s in expr.free_symbols if s in self.symbols]
        if self.mode == "longdouble":
            if not used:
                return self._values(expr, (), scalars)[()] * n
            return np.sum(self._values(expr, shape, scalars), dtype=np.longdouble)
        fixed = {s: scalars[s] for s in expr.free_symbols if s in scalars}
        if not used:
            return exact_number(at_point(expr, fixed) * n)
        combos, inverse = self._combinations(used, shape)
        counts = np.bincount(inverse.ravel(), minlength=len(combos))
        parts = [exact_number(at_point(expr, {**fixed, **dict(zip(used, c))})) * int(k)
                 for c, k in zip(combos, counts)]
        return exact_number(sp.Add(*parts))

    # --- the inputs ------------------------------------------------------------------
    def _combinations(self, used: list, shape: tuple):
        """The distinct value tuples of `used` over `shape`, and each element's tuple index."""
        code = np.zeros(shape, dtype=np.int64)
        tables = []
        stride = 1
        for s in used:
            values, inverse = self._input_codes(s)
            tables.append(values)
            code = code + np.broadcast_to(inverse, shape) * stride
            stride *= len(values)
        if stride == 1:
            return [tuple(t[0] for t in tables)], np.zeros(shape, dtype=np.int64)
        distinct, inverse = np.unique(code.ravel(), return_inverse=True)
        if len(distinct) > COMBINATION_LIMIT:
            raise _TooMany()
        combos = []
        for c in distinct.tolist():
            combo = []
            for values in tables:
                combo.append(values[c % len(values)])
                c //= len(values)
            combos.append(tuple(combo))
        return combos, inverse.reshape(shape)

    def _input_codes(self, symbol):
        if symbol not in self._codes:
            values, inverse = self.symbols[symbol].codes()
            self._codes[symbol] = ([rational(v) for v in values], inverse)
        return self._codes[symbol]

    def _longdouble(self, symbol):
        if symbol not in self._ld:
            self._ld[symbol] = self.symbols[symbol].longdouble()
        return self._ld[symbol]


def _ld(value):
    if isinstance(value, np.ndarray) and value.dtype != object:
        return value.astype(np.longdouble)
    if isinstance(value, (np.floating, float)):
        return np.longdouble(value)
    return longdouble.ld_number(as_sympy(value))


def all_exact(array: np.ndarray) -> bool:
    """Whether an object array holds only exact rationals."""
    if array.dtype != object:
        return False
    return all(is_exact(v) for v in distinct(array)[0])
