"""A validated case, as the loader hands it to the runner.

Backends never read YAML: they receive a `Case`.  Exact values are kept as
numpy object arrays of `fractions.Fraction` so that `0.1` means 1/10.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from verifier.float_formats import DEFAULT_DTYPES, FORMATS, round_to
from verifier.lang.ir import Expr, Program

# `dtype:` of an input: an integer or bool tensor in every run (indices, masks, counts).
INTEGER_DTYPES = {"int64": np.int64, "int32": np.int32, "bool": np.bool_}


@dataclass(frozen=True)
class Input:
    """One input tensor (or the backward seed).

    exact: object ndarray of Fraction, the values as the case means them
      (a `random` input is exactly the float64 that was drawn).
    dtype: None (a float tensor of the run's dtype), or 'int64', 'int32', 'bool': a tensor
      of that dtype in every run, never rounded and never differentiated (exact holds
      integers; 0 and 1 for bool).
    """
    name: str
    exact: np.ndarray
    requires_grad: bool = True
    kind: str = "value"  # 'value', 'fill', 'random'
    line: int = 0
    dtype: str | None = None

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.exact.shape)

    def tensor_dtype(self, run_dtype: str) -> str:
        """The dtype of this input's tensor in a run of `run_dtype` ('bool', 'int64', ...)."""
        return self.dtype or run_dtype

    def native(self) -> np.ndarray:
        """An integer or bool input's values in its own numpy dtype."""
        if self.kind == "fill" and self.exact.size:  # one value: no walk over a large tensor
            return np.full(self.shape, int(self.exact.flat[0])).astype(INTEGER_DTYPES[self.dtype])
        integers = np.array([int(v) for v in self.exact.ravel().tolist()], dtype=object)
        return integers.astype(INTEGER_DTYPES[self.dtype]).reshape(self.shape)

    def rounded(self, dtype: str) -> np.ndarray:
        """The values a backend of `dtype` receives (round to nearest); an integer or bool
        input keeps its own dtype and values."""
        if self.dtype is not None:
            return self.native()
        as64 = _to_float64(self.exact)
        if dtype == "float64":
            return as64
        if dtype in FORMATS:
            # Fraction -> float64 -> float32 (float16, bfloat16) can double-round; exact ties
            # are rare enough for case data, and the oracle is evaluated at these values.
            return round_to(dtype, as64)
        raise ValueError(f"unknown dtype {dtype!r}")

    def rounded_exact(self, dtype: str) -> np.ndarray:
        """The rounded values as exact Fractions (where the oracle evaluates)."""
        if dtype == "exact" or self.dtype is not None:
            return self.exact
        r = self.rounded(dtype)
        return _from_floats(r)


def _to_float64(exact: np.ndarray) -> np.ndarray:
    return np.vectorize(float, otypes=[np.float64])(exact) if exact.size else \
        np.zeros(exact.shape, dtype=np.float64)


def exact_or_ieee(v):
    """A float's exact value as a Fraction; inf, -inf and nan stay floats (IEEE values)."""
    v = float(v)
    return Fraction(v) if math.isfinite(v) else v


def _from_floats(values: np.ndarray) -> np.ndarray:
    flat = [exact_or_ieee(v) for v in values.ravel()]
    out = np.empty(values.shape, dtype=object)
    for i, v in enumerate(flat):
        out.flat[i] = v
    return out


@dataclass(frozen=True)
class Claim:
    """What the case expects: an exact literal (array of Fraction) or an expression."""
    literal: np.ndarray | None = None
    expr: Expr | None = None
    text: str = ""
    line: int = 0


@dataclass(frozen=True)
class Expect:
    value: Claim | None = None
    grad: dict[str, Claim] = field(default_factory=dict)
    error: str | None = None  # nonscalar_output backward_twice inplace_saved inplace_leaf shape


@dataclass(frozen=True)
class Marker:
    """xfail or skip: why, and (for xfail) which backends and dtypes it covers."""
    reason: str
    backends: tuple[str, ...] = ()  # empty: all
    dtypes: tuple[str, ...] = ()

    def covers(self, backend: str, dtype: str) -> bool:
        return (not self.backends or backend in self.backends) and \
            (not self.dtypes or dtype in self.dtypes)


@dataclass(frozen=True)
class Tolerance:
    rtol: float
    atol: float


@dataclass(frozen=True)
class Case:
    name: str
    file: str
    line: int
    program: Program
    inputs: dict[str, Input]
    description: str = ""
    tags: tuple[str, ...] = ()
    source: str = ""  # the expr/program text, for reports
    seed: Input | None = None
    backward_repeat: int = 1
    # None: not given, so backward() is called without it (torch's default frees the graph).
    retain_graph: bool | None = None
    order: int = 1
    expect: Expect = field(default_factory=Expect)
    xfail: Marker | None = None
    skip: Marker | None = None
    dtypes: tuple[str, ...] = DEFAULT_DTYPES
    backends: tuple[str, ...] = ()  # empty: every available backend
    tolerance: dict[str, Tolerance] = field(default_factory=dict)
    # seconds for the numeric backends together, and as much again for the exact oracle;
    # None: the run's --timeout
    timeout: float | None = None

    @property
    def grad_inputs(self) -> list[str]:
        return [n for n, i in self.inputs.items() if i.requires_grad]
