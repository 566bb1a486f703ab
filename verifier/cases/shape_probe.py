"""The output shape of a case, found by running its forward pass once on plain numpy.

The loader needs it to report "a non-scalar output with neither seed nor
expected error" (and a seed of the wrong shape) before anything runs.  Shapes
can't be inferred from the text alone (a `while` loop may depend on values),
so the program runs once in float64 through the registry's numpy forwards
(no autograd, no torch import), under tight limits.  Any failure returns None:
run-time errors are the runner's to report, not the loader's.
"""

from __future__ import annotations

import math

import numpy as np

from verifier.cases.model import Input
from verifier.lang import ir
from verifier.lang.interpreter import Interpreter, Limits, Namespace
from verifier.ops.registry import get

PROBE_LIMITS = Limits(max_iterations=10_000, max_steps=50_000, max_elements=10_000_000, seconds=2.0)
_BINARY = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.true_divide,
           "**": np.power, "@": np.matmul}


class NumpyForward(Namespace):
    """The interpreter's namespace over float64 numpy arrays, forward only."""

    def number(self, value, is_int: bool):
        return int(value) if is_int else float(value)

    def constant(self, name: str):
        return math.pi if name == "pi" else math.e

    def call(self, func: str, args: list, kwargs: dict):
        op = get(func)
        tensors, params = op.bind(tuple(args), dict(kwargs))
        if op.variadic:
            tensors = ([_array(t) for t in tensors[0]],) + tuple(_array(t) for t in tensors[1:])
        else:
            integers = op.extra.get("integer_inputs", ())
            tensors = tuple(np.asarray(t, dtype=np.int64) if i in integers and isinstance(t, list)
                            else _array(t) for i, t in enumerate(tensors))
        values = op.forward(*tensors, **params)
        others = op.extra.get("others")
        rest = others(*tensors, **params) if others else None
        # torch's named tuple (max with dim: values, indices), as the backends see it.
        return values if rest is None else op.outputs(values, tuple(rest))

    def binop(self, op: str, a, b):
        if isinstance(a, int) and isinstance(b, int) and op != "/":
            return _BINARY[op](float(a), float(b)) if op == "**" and b < 0 else _BINARY[op](a, b)
        return _BINARY[op](_array(a), _array(b))

    def inplace(self, op: str, target, value):
        return self.binop(op, target, value)

    def subscript(self, value, index: tuple):
        if isinstance(value, tuple):
            return value[index[0] if len(index) == 1 else index]
        return _array(value)[index if len(index) != 1 else index[0]]

    def transpose_all(self, value):
        return _array(value).T

    def numel(self, value):
        return int(np.size(value)) if isinstance(value, np.ndarray) else None


def _array(value):
    return value if isinstance(value, np.ndarray) else np.asarray(value, dtype=np.float64)


# Full reductions: one tensor argument, no dim, always a scalar; no need to run anything.
_FULL_REDUCTIONS = {"sum", "mean", "prod", "amax", "amin", "norm", "logsumexp", "dot", "trace", "det",
                    "numel"}


def _obviously_scalar(e: ir.Expr) -> bool:
    return isinstance(e, ir.Call) and e.func in _FULL_REDUCTIONS and len(e.args) == 1 and not e.kwargs \
        and not isinstance(e.args[0], ir.ListExpr)


def _float64(inp: Input) -> np.ndarray:
    if inp.kind == "fill" and inp.exact.size:
        return np.full(inp.shape, float(inp.exact.flat[0]))  # skip converting a million equal Fractions
    return inp.rounded("float64")


def output_shape(program: ir.Program, inputs: dict[str, Input]) -> tuple[int, ...] | None:
    """The output's shape, or None where the forward pass fails or is not numeric."""
    if _obviously_scalar(program.result):
        return ()
    env = {name: _float64(inp) for name, inp in inputs.items()}
    try:
        with np.errstate(all="ignore"):
            result, _, _ = Interpreter(NumpyForward(), PROBE_LIMITS).run(program, env)
    except Exception:  # noqa: BLE001 - any failure is the runner's to report
        return None
    if isinstance(result, (bool, np.bool_)):
        return None
    return tuple(np.shape(result))
