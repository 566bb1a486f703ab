"""Default tolerances per dtype, the one place they are defined.

A numeric result passes when, for every element i of a quantity,

    |got_i − exact_i|  <=  atol + rtol · ‖exact‖∞          (normwise relative error)

with exact evaluated at the very inputs the backend received.  Normwise, not
elementwise: an element that is small only because of cancellation (an entry
of an inverse near 0, a softmax gradient summing to 0) carries the rounding
error of the large terms it was computed from, and a correct float32 result
must not fail on it.

The defaults follow the standard rounding-error model.  Each floating-point
operation contributes a relative error of at most u = eps/2; errors of a
computation with K operations along its deepest path and reductions over N
terms accumulate, for rounding errors that behave like independent random
variables (Higham, "Accuracy and Stability of Numerical Algorithms", §2.8),
as u·sqrt(K·N).  Hence

    rtol = SAFETY · eps · sqrt(K · N) · A,     atol = rtol · 1

  eps     machine epsilon of the dtype: 2^-52 (float64), 2^-23 (float32);
  K       operations executed: the program's calls and operators, those in a
          loop body counted once per iteration the run made;
  N       the largest input's element count (the longest possible reduction);
  A       conditioning: the largest input dimension for each det/inverse,
          whose errors grow with the matrix's condition number (about n for
          the random matrices of test cases);
  SAFETY  16, headroom for libraries' summation orders (torch's float32 sum
          of 1e6 elements, numpy's pairwise sum).
Second derivatives (hvp) get 4× the first-order tolerance: they run the
computation's graph twice.  `atol` equals rtol in absolute units: it is the
allowance where the exact quantity is 0 (and the inputs are of order 1).

Finite differences are judged by their own error estimate (see
`verifier.backends.fd`): got may differ from exact by 2·estimate plus the
float64 tolerance with a floor of FD_RTOL = 10·eps^(2/3), the error of a
central difference at the optimal step on a well-scaled function.
A case's `tolerance: {float32: {rtol, atol}}` replaces the default.
"""

from __future__ import annotations

import math

from verifier.cases.model import Case, Tolerance
from verifier.float_formats import FORMATS, eps
from verifier.lang import ir

EPS = {name: eps(name) for name in FORMATS}  # 2^-52 float64 ... 2^-7 bfloat16
SAFETY = 16.0
SECOND_ORDER_FACTOR = 4.0
FD_RTOL = 10 * EPS["float64"] ** (2 / 3)
ILL_CONDITIONED = ("det", "inverse")


def tolerance_for(case: Case, dtype: str, quantity: str, trace: tuple = (),
                  backend: str = "") -> Tolerance:
    """The tolerance for one quantity ('value', 'grad.x', 'hvp.x') of one run."""
    if backend == "fd" and "fd" in case.tolerance:
        return case.tolerance["fd"]
    if dtype in case.tolerance:
        return case.tolerance[dtype]
    base = default_tolerance(case, dtype, trace)
    rtol = base.rtol
    if backend == "fd":
        rtol = max(rtol, FD_RTOL)
    if quantity.startswith("hvp."):
        rtol *= SECOND_ORDER_FACTOR
    return Tolerance(rtol=rtol, atol=rtol)


def default_tolerance(case: Case, dtype: str, trace: tuple = ()) -> Tolerance:
    """SAFETY · eps · sqrt(K · N) · A, as the module docstring derives."""
    operations, amplification = _count(case.program, _iterations(trace))
    elements = max([1] + [i.exact.size for i in case.inputs.values()])
    largest_dim = max([1] + [max(i.shape, default=1) for i in case.inputs.values()])
    rtol = SAFETY * EPS[dtype] * math.sqrt(max(1, operations) * elements)
    rtol *= largest_dim ** amplification
    return Tolerance(rtol=rtol, atol=rtol)


def _iterations(trace: tuple) -> dict[int, int]:
    """Loop line -> total iterations the run made there (a nested loop sums)."""
    counts: dict[int, int] = {}
    for entry in trace:
        if entry and entry[0] in ("while", "for"):
            counts[entry[1]] = counts.get(entry[1], 0) + int(entry[2])
    return counts


def _count(program: ir.Program, iterations: dict[int, int]) -> tuple[int, int]:
    """(operations executed, number of det/inverse calls) of a program."""
    ops, ill = 0, 0
    for stmt in program.body:
        o, i = _count_stmt(stmt, iterations)
        ops, ill = ops + o, ill + i
    o, i = _count_expr(program.result)
    return ops + o, ill + i


def _count_stmt(stmt, iterations) -> tuple[int, int]:
    if isinstance(stmt, (ir.Assign, ir.AugAssign)):
        o, i = _count_expr(stmt.value)
        return o + isinstance(stmt, ir.AugAssign), i
    parts = [_count_expr(stmt.test)] if isinstance(stmt, (ir.If, ir.While)) else []
    bodies = list(stmt.body) + list(getattr(stmt, "orelse", ()))
    parts += [_count_stmt(s, iterations) for s in bodies]
    o, i = sum(p[0] for p in parts), sum(p[1] for p in parts)
    if isinstance(stmt, (ir.While, ir.For)):
        times = max(1, iterations.get(stmt.line, 1))
        return o * times, i * times
    return o, i


def _count_expr(e) -> tuple[int, int]:
    if e is None:
        return 0, 0
    ops = int(isinstance(e, (ir.BinOp, ir.Call, ir.UnaryOp)))
    ill = int(isinstance(e, ir.Call) and e.func in ILL_CONDITIONED)
    for child in _children(e):
        o, i = _count_expr(child)
        ops, ill = ops + o, ill + i
    return ops, ill


def _children(e) -> list:
    if isinstance(e, ir.BinOp) or isinstance(e, ir.Compare):
        return [e.left, e.right]
    if isinstance(e, ir.UnaryOp):
        return [e.operand]
    if isinstance(e, (ir.BoolOp,)):
        return list(e.values)
    if isinstance(e, ir.Call):
        return list(e.args) + [v for _, v in e.kwargs]
    if isinstance(e, ir.ListExpr):
        return list(e.items)
    if isinstance(e, ir.Attribute):
        return [e.value]
    if isinstance(e, ir.Subscript):
        return [e.value]
    return []
