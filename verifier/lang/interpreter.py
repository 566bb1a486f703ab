"""One interpreter of the program IR for every backend.

The engine, torch and the SymPy oracle differ only in the `Namespace` they
pass: how a literal becomes a value, how a registered function is called, how
a condition becomes a Python bool.  The interpreter records the path it took
(branch taken, loop counts) so that the comparison can tell a backend that
diverged from the oracle (float32 near a threshold) from a wrong gradient.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from verifier import limits as resource_limits
from verifier.contract import CaseError, LimitExceeded
from verifier.lang import ir
from verifier.ops.registry import get as get_op


@dataclass(frozen=True)
class Limits:
    max_iterations: int = 10_000  # per loop
    max_steps: int = 200_000  # statements executed in one run
    max_elements: int = resource_limits.MAX_TENSOR_ELEMENTS  # elements of any tensor
    seconds: float = 60.0  # wall time of one run


class IterationCapExceeded(LimitExceeded):
    """A loop went past Limits.max_iterations (the documented cap of one loop)."""


class PathMismatch(Exception):
    """A followed trace does not fit the program (it came from another program)."""


class Namespace:
    """The operations a backend supplies to the interpreter."""

    def number(self, value, is_int: bool):
        """A literal (value is a Fraction)."""
        raise NotImplementedError

    def constant(self, name: str):
        """'pi' or 'e'."""
        raise NotImplementedError

    def call(self, func: str, args: list, kwargs: dict):
        raise NotImplementedError

    def binop(self, op: str, a, b):
        raise NotImplementedError

    def unary(self, op: str, a):
        return -a if op == "-" else a

    def compare(self, op: str, a, b):
        return _COMPARE[op](a, b)

    def truth(self, value) -> bool:
        """A condition as a Python bool (numeric backends: bool(tensor))."""
        return bool(value)

    def inplace(self, op: str, target, value):
        """`target op= value`, torch's in-place op; returns the new binding."""
        raise NotImplementedError

    def subscript(self, value, index: tuple):
        return value[index if len(index) != 1 else index[0]]

    def transpose_all(self, value):
        """`.T`: reverse every dim."""
        raise NotImplementedError

    def index_list(self, items: list):
        """An integer list inside a subscript."""
        return list(items)

    def integer(self, value) -> int:
        """A loop bound or index as a Python int."""
        return int(value)

    def index_tensor(self, value):
        """An integer tensor with dims used as an index (`x[i]`, i an int64 input), as a
        (nested) list of ints; None for a number or a 0-d tensor (`integer` reads those)."""
        return None

    def numel(self, value) -> int | None:
        """Element count, to enforce Limits.max_elements (None: not a tensor)."""
        return None


MASK_INDEX_MESSAGE = ("boolean-mask indexing is not supported: the result's shape would depend "
                      "on the values; keep the shape with where(mask, x, 0)")


# Each operator means its registered function: x + y is add(x, y), as torch's Tensor.__add__.
OPERATOR_FUNCTIONS = {"+": "add", "-": "sub", "*": "mul", "/": "div", "**": "pow", "@": "matmul"}


class RegistryOperators:
    """Operators as calls of their registered functions, for the namespaces that compute
    everything through `call` (the oracles); put it before Namespace in the bases."""

    def binop(self, op: str, a, b):
        return self.call(OPERATOR_FUNCTIONS[op], [a, b], {})

    def unary(self, op: str, a):
        return self.call("neg", [a], {}) if op == "-" else a

    def subscript(self, value, index: tuple):
        if isinstance(value, tuple):
            return value[index[0] if len(index) == 1 else index]  # a field of a named tuple
        return self.call("index", [value], {"index": index if len(index) != 1 else index[0]})


_COMPARE = {
    "<": lambda a, b: a < b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b, "==": lambda a, b: a == b, "!=": lambda a, b: a != b,
}


class Interpreter:
    """Runs a Program in a Namespace.

    `follow`: a trace recorded by another run (a float32 backend that took
    another branch, say).  Branches and loop counts are then taken from it
    instead of being decided, so the oracle can differentiate exactly the
    path that backend took.
    """

    def __init__(self, ns: Namespace, limits: Limits = Limits(), follow: tuple | None = None) -> None:
        self.ns = ns
        self.limits = limits
        self.follow = follow

    def run(self, program: ir.Program, env: dict) -> tuple[object, dict, tuple]:
        """Execute; returns (result, variables after the run, trace)."""
        self.env = dict(env)
        self.trace: list = []
        self._forced = iter(self.follow) if self.follow is not None else None
        self.steps = 0
        self.deadline = time.monotonic() + self.limits.seconds
        self._block(program.body)
        result = self.evaluate(program.result)
        return result, self.env, tuple(self.trace)

    # --- statements ----------------------------------------------------------
    def _block(self, body) -> None:
        for stmt in body:
            self._tick(stmt.line)
            getattr(self, "_" + type(stmt).__name__)(stmt)

    def _tick(self, line: int) -> None:
        self.steps += 1
        if self.steps > self.limits.max_steps:
            raise LimitExceeded(f"program line {line}: more than {self.limits.max_steps} "
                                "statements executed; is a loop unbounded?")
        if time.monotonic() > self.deadline:
            raise LimitExceeded(f"program line {line}: the run took longer than "
                                f"{self.limits.seconds:g} s")

    def _Assign(self, s: ir.Assign) -> None:
        self.env[s.target] = self._checked(self.evaluate(s.value), s.line)

    def _AugAssign(self, s: ir.AugAssign) -> None:
        if s.target not in self.env:
            raise NameError(f"line {s.line}: '{s.target}' is used before it is assigned")
        value = self.evaluate(s.value)
        self._before("matmul" if s.op == "@" else "add", [self.env[s.target], value], {}, s.line)
        self.env[s.target] = self._checked(self.ns.inplace(s.op, self.env[s.target], value), s.line)

    def _decision(self, kind: str, line: int):
        """The next recorded decision, when following another run's trace."""
        if self._forced is None:
            return None
        entry = next(self._forced, None)
        if entry is None or entry[0] != kind or entry[1] != line:
            raise PathMismatch(f"line {line}: the trace to follow has {entry}, expected a {kind}")
        return entry[2]

    def _If(self, s: ir.If) -> None:
        forced = self._decision("if", s.line)
        taken = self.ns.truth(self.evaluate(s.test)) if forced is None else forced
        self.trace.append(("if", s.line, taken))
        self._block(s.body if taken else s.orelse)

    def _While(self, s: ir.While) -> None:
        # The loop's entry is placed before its body's decisions (pre-order),
        # so a replay knows the count before it runs the body.
        slot = len(self.trace)
        self.trace.append(None)
        forced = self._decision("while", s.line)
        count = 0
        while (count < forced) if forced is not None else self.ns.truth(self.evaluate(s.test)):
            count += 1
            if count > self.limits.max_iterations:
                raise IterationCapExceeded(f"program line {s.line}: the while loop ran more than "
                                    f"{self.limits.max_iterations} iterations")
            self._block(s.body)
        self.trace[slot] = ("while", s.line, count)

    def _For(self, s: ir.For) -> None:
        start, stop, step = (self.ns.integer(self.evaluate(e)) for e in (s.start, s.stop, s.step))
        if step == 0:
            raise ValueError(f"line {s.line}: range() step must not be zero")
        bounds = range(start, stop, step)
        if len(bounds) > self.limits.max_iterations:
            raise IterationCapExceeded(f"program line {s.line}: the for loop would run {len(bounds)} "
                                f"iterations (limit {self.limits.max_iterations})")
        self.trace.append(("for", s.line, len(bounds)))
        self._decision("for", s.line)
        for i in bounds:
            self.env[s.var] = i
            self._block(s.body)

    def _before(self, func: str, args: list, params: dict, line: int) -> None:
        """Refuse a call whose result would pass the element limit, before it allocates it
        (x of shape [25000, 1] times y of shape [1, 25000] is 5 GB on any backend)."""
        why = resource_limits.call_problem(func, [_shape_of(a) for a in args], params,
                                           self.limits.max_elements)
        if why is not None:
            raise LimitExceeded(f"program line {line}: {why}")

    def _checked(self, value, line: int):
        n = self.ns.numel(value)
        if n is not None and n > self.limits.max_elements:
            raise LimitExceeded(f"program line {line}: a tensor of {n} elements exceeds the "
                                f"limit of {self.limits.max_elements}")
        return value

    # --- expressions ---------------------------------------------------------
    def evaluate(self, e):
        return getattr(self, "_e_" + type(e).__name__)(e)

    def _e_Num(self, e: ir.Num):
        return self.ns.number(e.value, e.is_int)

    def _e_Bool(self, e: ir.Bool):
        return e.value

    def _e_Str(self, e: ir.Str):
        return e.value

    def _e_Const(self, e: ir.Const):
        return self.ns.constant(e.name)

    def _e_Name(self, e: ir.Name):
        try:
            return self.env[e.id]
        except KeyError:
            raise NameError(f"line {e.line}: name '{e.id}' is not defined") from None

    def _e_BinOp(self, e: ir.BinOp):
        left, right = self.evaluate(e.left), self.evaluate(e.right)
        self._before("matmul" if e.op == "@" else "add", [left, right], {}, e.line)
        return self._checked(self.ns.binop(e.op, left, right), e.line)

    def _e_UnaryOp(self, e: ir.UnaryOp):
        value = self.evaluate(e.operand)
        if e.op == "not":
            return not self.ns.truth(value)
        return self.ns.unary(e.op, value)

    def _e_Compare(self, e: ir.Compare):
        return self.ns.compare(e.op, self.evaluate(e.left), self.evaluate(e.right))

    def _e_BoolOp(self, e: ir.BoolOp):
        # Short-circuit as Python does; each operand is decided by the namespace.
        if e.op == "and":
            return all(self.ns.truth(self.evaluate(v)) for v in e.values)
        return any(self.ns.truth(self.evaluate(v)) for v in e.values)

    def _e_Call(self, e: ir.Call):
        args = [self.evaluate(a) for a in e.args]
        kwargs = {k: self.evaluate(v) for k, v in e.kwargs}
        try:
            tensors, params = get_op(e.func).bind(tuple(args), dict(kwargs))
        except Exception:  # noqa: BLE001 - a wrong call: the namespace reports it in its own words
            tensors, params = (), {}
        self._before(e.func, list(tensors), params, e.line)
        return self._checked(self.ns.call(e.func, args, kwargs), e.line)

    def _e_ListExpr(self, e: ir.ListExpr):
        return [self.evaluate(item) for item in e.items]

    def _e_Attribute(self, e: ir.Attribute):
        value = self.evaluate(e.value)
        if e.attr == "T":
            return self.ns.transpose_all(value)
        if not isinstance(value, tuple):  # max(x, y) of two tensors is maximum(x, y)
            raise CaseError("other", f"line {e.line}: .{e.attr}: this call returns a tensor, "
                                     "not a named tuple (max(x, y) of two tensors is maximum)")
        return value[e.position]

    def _e_Subscript(self, e: ir.Subscript):
        value = self.evaluate(e.value)
        index = tuple(self._index_item(item) for item in e.index)
        return self.ns.subscript(value, index)

    def _index_item(self, item):
        if isinstance(item, ir.Slice):
            parts = [None if p is None else self.ns.integer(self.evaluate(p))
                     for p in (item.lower, item.upper, item.step)]
            return slice(*parts)
        if isinstance(item, ir.ListExpr):
            return self.ns.index_list([self.ns.integer(self.evaluate(i)) for i in item.items])
        value = self.evaluate(item)
        listed = self.ns.index_tensor(value)
        if listed is not None:  # an integer tensor: the same as the list of its values
            return self.ns.index_list(listed)
        return self.ns.integer(value)


def _shape_of(value):
    """A value's shape as a tuple of ints (a list of them for a list argument); () for a number."""
    if isinstance(value, (list, tuple)):
        return [_shape_of(v) for v in value]
    shape = getattr(value, "shape", None)
    try:
        return tuple(int(s) for s in shape) if shape is not None else ()
    except (TypeError, ValueError):
        return ()
