"""The forward pass of a case, run once on plain numpy while the file loads: its output
shape, and the problems that show before anything is differentiated.

The loader needs the output shape to report "a non-scalar output with neither seed nor
expected error" (and a seed of the wrong shape) before anything runs.  Shapes can't be
inferred from the text alone (a `while` loop may depend on values), so the program runs
once in float64 through the registry's numpy forwards (no autograd, no torch import),
under tight limits.  That run also finds, with one message each, what would otherwise
surface as six error rows of six wordings:
  * operands whose shapes do not fit (`[3, 2] @ [3]`, a broadcast, a reshape);
  * a boolean mask used as an index (`m = x > 0; x[m]`);
  * a loop past the documented iteration cap (an endless `while`);
  * a function applied outside its real domain (`log(-2)`), named with its element,
    where the NaN reaches the output (`where(x > 0, sqrt(x), 0)` is fine).
Points where the function is merely undefined (0/0, a singular matrix) are not problems of
the case: the run reports them as "undefined", element by element.
Any other failure is the runner's to report, with its own kind.
"""

from __future__ import annotations

import math
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, replace

import numpy as np

from verifier.cases import budget
from verifier.cases.model import Input
from verifier.lang import ir
from verifier.lang.interpreter import Interpreter, IterationCapExceeded, Limits, Namespace
from verifier.limits import MAX_TENSOR_ELEMENTS
from verifier.ops.linalg import SingularMatrixError
from verifier.ops.registry import get

PROBE_LIMITS = Limits(max_iterations=Limits.max_iterations, max_steps=Limits.max_steps,
                      max_elements=MAX_TENSOR_ELEMENTS, seconds=2.0)
_BINARY = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.true_divide,
           "**": np.power, "@": lambda a, b: get("matmul").forward(a, b)}
# Forwards the probe computes itself: the registry's erf, erfc, erfinv, lgamma, digamma
# and polygamma import scipy (0.15 s), which loading case files must not.  math.erf gives
# erf's values; the others are elementwise, and the probe keeps only their shape (NaN
# values, not watched as domain errors).
_OWN_FORWARDS = {"erf": np.vectorize(math.erf, otypes=[np.float64])}
_SHAPE_ONLY = ("erfc", "erfinv", "lgamma", "digamma", "polygamma")
_OWN_FORWARDS.update({name: (lambda x, *rest, **params: np.full(np.shape(x), np.nan))
                      for name in _SHAPE_ONLY})


@contextmanager
def _own_forwards_inside_composites():
    """Composite ops (gelu calls erf) run their bodies on `RAW`, which caches each forward
    as an attribute: for the probe's duration those attributes are the probe's own."""
    from verifier.ops.raw import RAW
    saved = {name: RAW.__dict__.get(name) for name in _OWN_FORWARDS}
    RAW.__dict__.update(_OWN_FORWARDS)
    try:
        yield
    finally:
        for name, previous in saved.items():
            if previous is None:
                RAW.__dict__.pop(name, None)
            else:
                RAW.__dict__[name] = previous
MASK_MESSAGE = ("boolean-mask indexing is not supported: the result's shape would depend on the "
                "values; keep the shape with where(mask, x, 0)")


class _Undefined(Exception):
    """The forward pass reached a point where the function is undefined (a singular
    matrix): nothing to report at load; the run says "undefined" per element."""


class StaticProblem(Exception):
    """What the probe found wrong with the case, at a line of its program text."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message, self.line = message, line


@dataclass(frozen=True)
class Probe:
    shape: tuple[int, ...] | None  # None: the forward pass did not finish
    problem: StaticProblem | None = None


class NumpyForward(Namespace):
    """The interpreter's namespace over float64 numpy arrays, forward only."""

    def __init__(self) -> None:
        self.domain_event: str | None = None  # the first NaN made from finite operands

    def number(self, value, is_int: bool):
        return int(value) if is_int else float(value)

    def constant(self, name: str):
        return {"pi": math.pi, "e": math.e, "inf": math.inf, "nan": math.nan}[name]

    def call(self, func: str, args: list, kwargs: dict):
        op = get(func)
        tensors, params = op.bind(tuple(args), dict(kwargs))
        if op.variadic:  # the registry's variadic ops take the list unpacked: cat(*arrays, dim=0)
            tensors = tuple(_array(t) for t in tensors[0]) + tuple(_array(t) for t in tensors[1:])
        else:
            integers = op.extra.get("integer_inputs", ())
            tensors = tuple(np.asarray(t, dtype=np.int64) if i in integers and isinstance(t, list)
                            else _array(t) for i, t in enumerate(tensors))
        try:
            values = _OWN_FORWARDS.get(func, op.forward)(*tensors, **params)
            others = op.extra.get("others")
            rest = others(*tensors, **params) if others else None
        except (np.linalg.LinAlgError, SingularMatrixError):
            # A singular matrix: the function is undefined there, a verdict the oracle
            # gives per element ("undefined"), not a problem of the case file.
            raise _Undefined() from None
        except (ValueError, RuntimeError) as exc:  # numpy's and the registry's shape errors
            raise StaticProblem(f"{func}(): {exc}") from None
        if func not in _SHAPE_ONLY:
            arrays = [t for t in tensors if isinstance(t, np.ndarray) and t.dtype.kind == "f"]
            self._watch_domain(f"{func}()", arrays, values)
        # torch's named tuple (max with dim: values, indices), as the backends see it.
        return values if rest is None else op.outputs(values, tuple(rest))

    def binop(self, op: str, a, b):
        if isinstance(a, int) and isinstance(b, int) and op != "/":
            return _BINARY[op](float(a), float(b)) if op == "**" and b < 0 else _BINARY[op](a, b)
        a, b = _array(a), _array(b)
        try:
            result = _BINARY[op](a, b)
        except (ValueError, RuntimeError) as exc:
            raise StaticProblem(f"'{op}': {exc}") from None
        if op != "/":  # 0/0 is undefined (a verdict), not outside the real domain
            self._watch_domain(f"'{op}'", [a, b], result)
        return result

    def inplace(self, op: str, target, value):
        return self.binop(op, target, value)

    def subscript(self, value, index: tuple):
        if isinstance(value, tuple):
            return value[index[0] if len(index) == 1 else index]
        try:
            return _array(value)[index if len(index) != 1 else index[0]]
        except IndexError as exc:
            raise StaticProblem(f"index: {exc}") from None

    def integer(self, value) -> int:
        if isinstance(value, np.ndarray) and value.dtype == np.bool_ and value.size != 1:
            raise StaticProblem(MASK_MESSAGE)
        return int(value)

    def index_tensor(self, value):
        if not isinstance(value, np.ndarray) or value.ndim == 0:
            return None
        if value.dtype == np.bool_:
            raise StaticProblem(MASK_MESSAGE)
        return value.tolist() if value.dtype.kind in "iu" else None

    def transpose_all(self, value):
        return _array(value).T

    def numel(self, value):
        return int(np.size(value)) if isinstance(value, np.ndarray) else None

    def _watch_domain(self, what: str, operands: list, result) -> None:
        """Record the first operation that makes a NaN out of finite operands (log(-2),
        sqrt(-1), 0/0): outside the real domain, with the element where it happened."""
        if self.domain_event is not None or not isinstance(result, np.ndarray) or \
                result.dtype.kind != "f" or not np.isnan(result).any():
            return
        if not all(np.isfinite(o).all() for o in operands if o.dtype.kind == "f"):
            return  # inf - inf and the like: overflow, not a domain error
        where = tuple(int(i) for i in np.argwhere(np.isnan(result))[0])
        at = ", ".join(
            f"{_element(o, where)}" for o in operands if o.shape == result.shape and o.size > 1)
        scalars = ", ".join(f"{float(o):g}" for o in operands if o.size == 1)
        values = at or scalars
        self.domain_event = (f"{what} is not real at element {list(where)} of its result"
                             + (f" (operand {values})" if values else ""))


def _element(a: np.ndarray, where: tuple) -> str:
    return f"{float(a[where]):g}"


class _ProbeInterpreter(Interpreter):
    """The interpreter, attaching the program line to a StaticProblem."""

    def evaluate(self, e):
        try:
            return super().evaluate(e)
        except StaticProblem as problem:
            if problem.line is None and getattr(e, "line", 0):
                problem.line = e.line
            raise

    def _AugAssign(self, s):
        try:
            return super()._AugAssign(s)
        except StaticProblem as problem:
            problem.line = problem.line or s.line
            raise


def _array(value):
    if value is None or isinstance(value, np.ndarray):  # None: an optional input left out
        return value
    if isinstance(value, (bool, np.bool_)):  # a comparison of 0-d arrays: keep it a condition
        return np.asarray(value)
    return np.asarray(value, dtype=np.float64)


def _float64(inp: Input) -> np.ndarray:
    if inp.dtype is not None:
        return inp.native()  # an int64/int32/bool input keeps its dtype
    if inp.kind == "fill" and inp.exact.size:
        return np.full(inp.shape, float(inp.exact.flat[0]))  # skip converting a million equal Fractions
    return inp.rounded("float64")


def probe(program: ir.Program, inputs: dict[str, Input]) -> Probe:
    """Run the forward pass once; its output shape, or the problem it found."""
    load = budget.current()
    limits = PROBE_LIMITS
    if load is not None:
        # The probes of one load share a time budget: a thousand slow cases can't make
        # `verifier check` slow; past it, shapes and static problems are left to the runner.
        if load.probe_seconds_left() <= 0:
            return Probe(None)
        limits = replace(PROBE_LIMITS, seconds=min(PROBE_LIMITS.seconds, load.probe_seconds_left()))
    ns = NumpyForward()
    try:
        with np.errstate(all="ignore"), _own_forwards_inside_composites(), \
                (load.probing() if load is not None else nullcontext()):
            env = {name: _float64(inp) for name, inp in inputs.items()}
            result, _, _ = _ProbeInterpreter(ns, limits).run(program, env)
    except StaticProblem as problem:
        return Probe(None, problem)
    except IterationCapExceeded as exc:
        return Probe(None, StaticProblem(f"{exc} (the cap of one loop, docs/cases.md); make the "
                                         "loop's condition become false for these inputs"))
    except Exception:  # noqa: BLE001 - any other failure is the runner's to report
        return Probe(None)
    if isinstance(result, (bool, np.bool_)):
        return Probe(None)
    if ns.domain_event and np.isnan(np.asarray(result, dtype=np.float64)).any():
        return Probe(None, StaticProblem(f"{ns.domain_event}: the case leaves the real domain, so "
                                         "it has no real derivative to check; change the inputs"))
    return Probe(tuple(np.shape(result)))


def output_shape(program: ir.Program, inputs: dict[str, Input]) -> tuple[int, ...] | None:
    """The output's shape, or None where the forward pass fails or is not numeric."""
    return probe(program, inputs).shape
