"""Hand-built cases for the numeric backend and comparison tests.

Built from the IR directly so these tests do not depend on the parser.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from verifier.cases.model import Case, Expect, Input
from verifier.lang import ir


def exact(values) -> np.ndarray:
    """An object array of Fractions (what the loader gives)."""
    arr = np.array(values, dtype=object)
    out = np.empty(arr.shape, dtype=object)
    for i, v in enumerate(arr.ravel()):
        out.flat[i] = Fraction(v) if not isinstance(v, float) else Fraction(str(v))
    return out


def inp(name, values, requires_grad=True) -> Input:
    return Input(name=name, exact=exact(values), requires_grad=requires_grad)


def N(v, is_int=None):  # noqa: N802
    f = Fraction(v) if not isinstance(v, float) else Fraction(str(v))
    return ir.Num(f, isinstance(v, int) if is_int is None else is_int)


def V(name):  # noqa: N802
    return ir.Name(name)


def call(func, *args, **kwargs):
    return ir.Call(func, tuple(args), tuple(kwargs.items()))


def op(symbol, a, b):
    return ir.BinOp(symbol, a, b)


def make_case(name, inputs, result, body=(), **kw) -> Case:
    program = ir.Program(body=tuple(body), result=result)
    return Case(name=name, file="test.yaml", line=1, program=program,
                inputs={i.name: i for i in inputs}, **kw)


def notebook_mean_case(**kw) -> Case:
    """mean(3 * (x + 2) ** 2) at x = ones(2, 2): value 27, grad 4.5."""
    x = inp("x", [[1, 1], [1, 1]])
    expr = call("mean", op("*", N(3), op("**", op("+", V("x"), N(2)), N(2))))
    return make_case("mean_of_affine_square", [x], expr, **kw)


def doubling_loop_case(seed_values, x_values=(0.5, -0.25, 0.75), **kw) -> Case:
    """y = x * 2; k = 1; while sum(y * y) < 1000**2: y = y * 2; k += 1 (the notebook's loop)."""
    body = (
        ir.Assign("y", op("*", V("x"), N(2)), line=1),
        ir.Assign("k", N(1), line=2),
        ir.While(ir.Compare("<", call("sum", op("*", V("y"), V("y"))), N(1000000)),
                 (ir.Assign("y", op("*", V("y"), N(2)), line=4),
                  ir.AugAssign("k", "+", N(1), line=5)), line=3),
    )
    return make_case("doubling_loop", [inp("x", list(x_values))], V("y"), body=body,
                     seed=inp("seed", list(seed_values), requires_grad=False), **kw)


def expect_error(kind) -> Expect:
    return Expect(error=kind)


def program_case(name, inputs, program, output, **kw) -> Case:
    """A case from program text (parsed by the case language's parser)."""
    from verifier.lang.parser import parse_program
    parsed = parse_program(program, output, {i.name for i in inputs})
    return Case(name=name, file="test.yaml", line=1, program=parsed,
                inputs={i.name: i for i in inputs}, **kw)


def expr_case(name, inputs, expr, **kw) -> Case:
    from verifier.lang.parser import parse_expression
    program = ir.Program(body=(), result=parse_expression(expr, {i.name for i in inputs}))
    return Case(name=name, file="test.yaml", line=1, program=program,
                inputs={i.name: i for i in inputs}, **kw)
