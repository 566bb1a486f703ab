"""Linear ops (reshape, indexing, cat, sum over a dim, mean, trace, ...) as sparse maps.

Which element of the output is which combination of the inputs' elements is
read off the op's own SymPy form: it is applied to arrays of `Lin` tokens
(one per input element) and the result says, for every output element, its
coefficients.  No rule is written per op, so an op added to the registry is
picked up as long as its SymPy form is linear (a form that multiplies two
tokens or applies a function to one is not, and the probe says so).  The
map depends only on the op, its parameters and the shapes, so it is built
once and reused across loop iterations.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import sympy as sp
from flint import fmpq

from verifier.contract import TimeLimit
from verifier.oracle.graph.numbers import exact, zeros
from verifier.oracle.graph.rounding import absolute, widen


def _objects(counts: np.ndarray) -> np.ndarray:
    out = np.empty(counts.shape, dtype=object)
    for i, c in enumerate(counts.reshape(-1).tolist()):
        out.reshape(-1)[i] = fmpq(int(c))
    return out


class NotLinear(Exception):
    pass


class Lin:
    """A linear form over input elements, kept as a tree (sums are O(1), flattened once)."""
    __slots__ = ("kind", "a", "b")

    def __init__(self, kind, a, b=None) -> None:
        self.kind, self.a, self.b = kind, a, b  # 'leaf' (key), 'sum' (x, y), 'scale' (c, x)

    def __add__(self, other):
        if _is_zero(other):
            return self
        if not isinstance(other, Lin):
            raise NotLinear("a constant added")
        return Lin("sum", self, other)

    __radd__ = __add__

    def __neg__(self):
        return Lin("scale", fmpq(-1), self)

    def __sub__(self, other):
        return self + (-other if isinstance(other, Lin) else _number(other) * -1)

    def __rsub__(self, other):
        return (-self) + other

    def __mul__(self, other):
        if isinstance(other, Lin):
            raise NotLinear("a product of two inputs")
        c = _number(other)
        return Lin("scale", c, self)

    __rmul__ = __mul__

    def __truediv__(self, other):
        c = _number(other)
        if c == 0:
            raise NotLinear("division by zero")
        return Lin("scale", 1 / c, self)

    def __pos__(self):
        return self


def _is_zero(v) -> bool:
    return not isinstance(v, Lin) and isinstance(v, (int, fmpq, Fraction, sp.Rational)) and v == 0


def _number(v) -> fmpq:
    if isinstance(v, sp.Basic):
        if not v.is_Rational:
            raise NotLinear("a non-rational coefficient")
        return fmpq(int(v.p), int(v.q))
    if isinstance(v, (int, fmpq, Fraction)) and not isinstance(v, bool):
        return exact(v)
    raise NotLinear(f"a coefficient of type {type(v).__name__}")


def _flatten(form) -> dict:
    """{(input, flat index): coefficient} of a Lin tree, iteratively (sums can be deep)."""
    out: dict = {}
    stack = [(form, fmpq(1))]
    while stack:
        f, c = stack.pop()
        if _is_zero(f):
            continue
        if not isinstance(f, Lin):
            raise NotLinear("a constant term")
        if f.kind == "leaf":
            out[f.a] = out.get(f.a, fmpq(0)) + c
        elif f.kind == "sum":
            stack.append((f.a, c))
            stack.append((f.b, c))
        else:
            stack.append((f.b, c * f.a))
    return out


class LinearMap:
    """For each tensor input k: rows (output flat index), cols (input flat index), coefficients."""

    def __init__(self, out_shape: tuple, parts: list) -> None:
        self.out_shape = out_shape
        self.parts = parts  # per input: (rows, cols, coeffs or None where all are 1)

    def apply(self, k: int, x: np.ndarray) -> np.ndarray:
        rows, cols, coeffs = self.parts[k]
        out = zeros(int(np.prod(self.out_shape, dtype=np.int64)))
        if len(rows):
            terms = x.ravel()[cols]
            np.add.at(out, rows, terms if coeffs is None else terms * coeffs)
        return out.reshape(self.out_shape)

    def transpose_apply(self, k: int, g: np.ndarray, in_shape: tuple) -> np.ndarray:
        rows, cols, coeffs = self.parts[k]
        out = zeros(int(np.prod(in_shape, dtype=np.int64)))
        if len(rows):
            terms = np.asarray(g, dtype=object).ravel()[rows]
            np.add.at(out, cols, terms if coeffs is None else terms * coeffs)
        return out.reshape(in_shape)


_MAPS: dict = {}


def linear_map(op, params: dict, shapes: list, variadic: bool) -> LinearMap:
    """The op's map for these input shapes, from its SymPy form on tokens (cached)."""
    key = (op.name, op.sympy, repr(sorted(params.items(), key=lambda kv: kv[0])), tuple(shapes))
    if key not in _MAPS:
        found = _gather(op, params, shapes) if op.kind in ("shape", "index") else None
        if found is not None:
            _MAPS[key] = found
        elif op.name in ("sum", "mean"):
            _MAPS[key] = _reduction(op.name, params, shapes[0])
        else:
            _MAPS[key] = _probe(op, params, shapes, variadic)
    result = _MAPS[key]
    if isinstance(result, NotLinear):
        raise result
    return result


def _probe(op, params, shapes, variadic):
    tokens = []
    for k, shape in enumerate(shapes):
        n = int(np.prod(shape, dtype=np.int64))
        flat = np.empty(n, dtype=object)
        for i in range(n):
            flat[i] = Lin("leaf", (k, i))
        tokens.append(flat.reshape(shape))
    try:
        result = op.sympy(*tokens, **params) if not variadic else op.sympy(*tokens, **params)
        result = np.asarray(result, dtype=object)
        parts = [([], [], []) for _ in shapes]
        for r, form in enumerate(result.ravel()):
            for (k, i), c in _flatten(form).items():
                if c != 0:
                    parts[k][0].append(r)
                    parts[k][1].append(i)
                    parts[k][2].append(c)
    except TimeLimit:
        raise
    except NotLinear as exc:
        return exc
    except Exception as exc:  # noqa: BLE001 - a form that does not take tokens is not linear
        return NotLinear(f"{type(exc).__name__}: {exc}")
    built = []
    for rows, cols, coeffs in parts:
        ones = all(c == 1 for c in coeffs)
        coeff_array = None
        if not ones:
            coeff_array = np.empty(len(coeffs), dtype=object)
            coeff_array[:] = coeffs
        built.append((np.asarray(rows, dtype=np.intp), np.asarray(cols, dtype=np.intp),
                      coeff_array))
    return LinearMap(result.shape, built)


def _gather(op, params, shapes):
    """A shape or indexing op that moves elements: its SymPy form applied to element numbers
    (an integer array per input, offset so the inputs' numbers differ) says which
    element lands where, without a token per element.  Numbers start at 1: a 0 in the
    result is a zero the op wrote (tril's masked triangle), not an input's element."""
    offsets = 1 + np.cumsum([0] + [int(np.prod(s, dtype=np.int64)) for s in shapes])
    numbers = [np.arange(offsets[k], offsets[k + 1], dtype=np.int64).reshape(shape)
               for k, shape in enumerate(shapes)]
    try:
        result = np.asarray(op.sympy(*numbers, **params))
    except TimeLimit:
        raise
    except Exception:  # noqa: BLE001 - the probe with tokens decides
        return None
    if result.dtype == object and all(type(v) is int for v in result.ravel().tolist()):
        result = result.astype(np.int64)
    if result.dtype.kind not in "iu":
        return None  # not only moves: the probe with tokens decides
    flat = result.ravel()
    if flat.size and (flat.min() < 0 or flat.max() >= offsets[-1]):
        return None  # numbers the op made up: the probe with tokens decides
    owner = np.searchsorted(offsets, flat, side="right") - 1  # -1: a zero the op wrote
    parts = []
    for k in range(len(shapes)):
        rows = np.flatnonzero(owner == k)
        parts.append((rows.astype(np.intp), (flat[rows] - offsets[k]).astype(np.intp), None))
    return LinearMap(result.shape, parts)


def _reduction(name, params, shape):
    """sum and mean over `dim`: each element goes to its slice's output with weight 1 (or
    1/n), the definitions of the two ops."""
    from verifier.ops.dims import axes
    ndim = len(shape)
    ax = axes(params.get("dim"), ndim)
    ax = tuple(range(ndim)) if ax is None else tuple(sorted(set(ax)))
    kept_shape = tuple(1 if i in ax else n for i, n in enumerate(shape))
    count = int(np.prod([shape[i] for i in ax], dtype=np.int64))
    out_index = np.arange(int(np.prod(kept_shape, dtype=np.int64))).reshape(kept_shape)
    rows = np.broadcast_to(out_index, shape).ravel().astype(np.intp)
    cols = np.arange(rows.size, dtype=np.intp)
    out_shape = kept_shape if params.get("keepdim") else \
        tuple(n for i, n in enumerate(shape) if i not in ax)
    coeffs = None
    if name == "mean":
        if count == 0:
            return NotLinear("the mean of no elements")
        coeffs = np.empty(rows.size, dtype=object)
        coeffs.fill(fmpq(1, count))
    return LinearMap(out_shape, [(rows, cols, coeffs)])


class LinearRule:
    def __init__(self, lmap: LinearMap) -> None:
        self.map = lmap

    def _moves_only(self) -> bool:
        return all(coeffs is None and len(np.unique(rows)) == len(rows)
                   for rows, cols, coeffs in self.map.parts)

    def round_forward(self, value, inputs, u):
        """A sum of k terms rounds by at most (k-1)u Σ|terms|; moving elements not at all."""
        if self._moves_only():
            return value
        size = int(np.prod(self.map.out_shape, dtype=np.int64))
        counts = sum(np.bincount(rows, minlength=size) for rows, _, _ in self.map.parts)
        magnitude = None
        for k, t in enumerate(inputs):
            term = self.map.apply(k, absolute(t.value))
            magnitude = term if magnitude is None else magnitude + term
        weight = np.maximum(counts, 1).reshape(self.map.out_shape)
        return widen(value, magnitude * _objects(weight), u)

    def round_backward(self, grad, g, t, u):
        if self._moves_only():
            return grad
        k = next(i for i, x in enumerate(self._inputs) if x is t) if hasattr(self, "_inputs") \
            else 0
        rows, cols, coeffs = self.map.parts[k]
        counts = np.bincount(cols, minlength=t.size).reshape(t.shape)
        magnitude = self.map.transpose_apply(k, absolute(g), t.shape)
        return widen(grad, magnitude * _objects(np.maximum(counts, 1)), u)

    def value(self, values: list) -> np.ndarray:
        total = None
        for k, v in enumerate(values):
            term = self.map.apply(k, v)
            total = term if total is None else total + term
        return total

    def tangent(self, tangents: list, shape: tuple):
        total = None
        for k, t in enumerate(tangents):
            if t is None:
                continue
            term = self.map.apply(k, np.asarray(t, dtype=object))
            total = term if total is None else total + term
        return total

    def backward(self, g, g_dot, inputs):
        self._inputs = inputs
        out = []
        for k, t in enumerate(inputs):
            if getattr(t, "node", None) is None:
                out.append(None)
                continue
            grad = self.map.transpose_apply(k, g, t.shape)
            grad_dot = None if g_dot is None else self.map.transpose_apply(k, g_dot, t.shape)
            out.append((grad, grad_dot))
        return out
