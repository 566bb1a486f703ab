"""torch's dtypes for the graph oracle's integer and bool constants.

The oracle computes exactly, but torch gives an operation whose tensor operands are all
integer or bool tensors (or Python numbers) an integer result (`n + 1`, `sum(mask)`), or
a float result of its *default* dtype, float32, whatever the run's dtype: `n / 3`,
`n * 0.5`, `exp(n)`, `sum(x > 0) / 2` are float32 in a float64 run too.  So such a
result is rounded to float32 here, in every dtype's run (the exact one included: it is
what the program means in torch), and judged from there on like any constant.

The result's dtype is read off the registry's numpy forward applied to stand-in arrays of
the operands' dtypes (ones of the same shapes): torch's promotion as the engine follows it,
without reading any value or VJP of the engine.  A float tensor among the operands makes
the result a float tensor of the run's dtype: nothing to do.
"""

from __future__ import annotations

import numpy as np
from flint import arb

from verifier.oracle.graph.numbers import exact, is_nan, to_float
from verifier.oracle.graph.tape import T

WEAK_INT, WEAK_FLOAT = "int", "float"  # Python numbers: they never decide a tensor's dtype


# In the error-bound run a float32 result of integers is a ball one float32 ulp wide: torch
# computes it with float32's own functions (exp, sqrt... within about an ulp), not exactly.
FLOAT32_ULP = 2.0 ** -23


class IntegerTyping:
    """The dtypes of the run's integer and bool constants (by identity of their T).

    bounds: the namespace computes attainable error bounds (rounding.py), so a float32
    result is widened by one float32 ulp instead of taken as exact.
    """

    def __init__(self, bounds: bool = False) -> None:
        self._dtypes: dict[int, tuple[T, object]] = {}
        self.bounds = bounds

    def mark(self, t: T, dtype) -> T:
        self._dtypes[id(t)] = (t, dtype)  # the T is kept alive, so its id stays its own
        return t

    def dtype_of(self, t):
        """np.dtype for an integer or bool tensor, WEAK_INT/WEAK_FLOAT for a literal, None
        for a float tensor."""
        entry = self._dtypes.get(id(t))
        if entry is not None and entry[0] is t:
            return entry[1]
        if isinstance(t, T) and t.node is None and t.value.size and \
                isinstance(t.value.flat[0], (bool, np.bool_)):
            return np.dtype(np.bool_)  # a comparison's result
        return None

    def settle(self, op, tensors: tuple, params: dict, result):
        """`result` of op(tensors), as torch types it: marked integer, or rounded to float32."""
        if not self._dtypes and not any(self.dtype_of(t) is not None for t in tensors
                                        if isinstance(t, T)):
            return result  # no integer or bool constant in this run so far
        if op.kind == "logical":
            return self.mark(result, np.dtype(np.bool_ if op.name != "count_nonzero" else np.int64))
        if not isinstance(result, T) or result.node is not None:
            return result
        kinds = [self.dtype_of(t) if isinstance(t, T) else None for t in tensors]
        if any(k is None for k in kinds) or all(isinstance(k, str) for k in kinds):
            return result  # a float tensor takes part, or only Python numbers do
        out = _result_dtype(op, tensors, kinds, params)
        if out is None:
            return result
        if out.kind in "biu":
            return self.mark(result, out)
        values = np.empty(result.shape, dtype=object)
        values.ravel()[:] = [_float32(v) for v in result.value.ravel().tolist()]
        if self.bounds:
            from verifier.oracle.graph.rounding import as_ball
            values.ravel()[:] = [as_ball(v, FLOAT32_ULP) for v in values.ravel().tolist()]
        return T(values)


def mark_literal(typing: IntegerTyping, t: T, is_int: bool) -> T:
    return typing.mark(t, WEAK_INT if is_int else WEAK_FLOAT)


def _result_dtype(op, tensors, kinds, params):
    """The numpy dtype of op's forward on stand-ins of the operands' dtypes (None: unknown)."""
    stand_ins = []
    for t, k in zip(tensors, kinds):
        if k == WEAK_INT:
            stand_ins.append(1)
        elif k == WEAK_FLOAT:
            stand_ins.append(1.0)
        else:
            stand_ins.append(np.ones(t.shape, dtype=k))
    plain = {name: _plain(v) for name, v in params.items()}
    try:
        with np.errstate(all="ignore"):
            out = op.forward(*stand_ins, **plain)
    except Exception:  # noqa: BLE001 - no verdict on the dtype: leave the result exact
        return None
    if isinstance(out, tuple):
        return None
    dtype = np.asarray(out).dtype
    # numpy's float64 from integers is torch's default dtype (float32); float16 from bool too
    return dtype if dtype.kind in "biuf" else None


def _plain(value):
    """A parameter as the numpy forward takes it (SymPy numbers as Python numbers)."""
    if hasattr(value, "is_Integer") and value.is_Integer:
        return int(value)
    if hasattr(value, "is_Rational") and value.is_Rational:
        return float(value)
    return value


def _float32(v):
    """v rounded to float32 (through its float64 rounding, as the literals are)."""
    if isinstance(v, (bool, np.bool_)):
        return exact(int(v))
    if is_nan(v):
        return arb("nan")
    with np.errstate(over="ignore"):
        f = float(np.float32(to_float(v)))
    if not np.isfinite(f):
        return arb("inf") if f > 0 else arb("-inf")
    return exact(f)
