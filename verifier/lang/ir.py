"""The program IR: what the case language is parsed into.

Every node is an immutable dataclass with `line`, the 1-based line within the
expression or program text (the loader adds the YAML line of the field to
report `FILE:LINE`).  Backends never see Python's `ast`; they walk this IR.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Union


@dataclass(frozen=True)
class Num:
    """A numeric literal, exactly as written: `0.1` is Fraction(1, 10)."""
    value: Fraction
    is_int: bool  # written without a point or exponent (`2`, not `2.0`)
    line: int = 1


@dataclass(frozen=True)
class Bool:
    value: bool
    line: int = 1


@dataclass(frozen=True)
class Str:
    """A string literal, allowed only as a function argument naming an option
    (`gelu(x, approximate="tanh")`, `pad(x, [1, 1], mode="reflect")`) or where a function
    takes text (einsum's equation): data for the function, never evaluated."""
    value: str
    line: int = 1


@dataclass(frozen=True)
class Const:
    """A named mathematical constant: 'pi' or 'e'."""
    name: str
    line: int = 1


@dataclass(frozen=True)
class Name:
    """An input, a program variable, a loop counter, or `seed` in claims."""
    id: str
    line: int = 1


@dataclass(frozen=True)
class BinOp:
    op: str  # '+', '-', '*', '/', '**', '@'
    left: "Expr"
    right: "Expr"
    line: int = 1


@dataclass(frozen=True)
class UnaryOp:
    op: str  # '-', '+', 'not'
    operand: "Expr"
    line: int = 1


@dataclass(frozen=True)
class Compare:
    """One comparison; `a < b < c` is parsed as `a < b and b < c`."""
    op: str  # '<', '<=', '>', '>=', '==', '!='
    left: "Expr"
    right: "Expr"
    line: int = 1


@dataclass(frozen=True)
class BoolOp:
    op: str  # 'and', 'or'
    values: tuple["Expr", ...]
    line: int = 1


@dataclass(frozen=True)
class Call:
    """A registered function; methods `x.f(a)` are normalized to `f(x, a)`.

    `func` is always a key of the registry (or `numel`, `range` is not a Call).
    """
    func: str
    args: tuple["Expr", ...]
    kwargs: tuple[tuple[str, "Expr"], ...] = ()
    line: int = 1


@dataclass(frozen=True)
class ListExpr:
    """A list or tuple literal used as an argument (`cat([a, b])`, `reshape(x, [2, 3])`)."""
    items: tuple["Expr", ...]
    line: int = 1


@dataclass(frozen=True)
class Attribute:
    """`.T`, or a field of torch's named result (`max(x, 1).values`: `position` 0)."""
    value: "Expr"
    attr: str  # 'T' or a field name
    line: int = 1
    position: int = 0


@dataclass(frozen=True)
class Slice:
    lower: "Expr | None"
    upper: "Expr | None"
    step: "Expr | None"
    line: int = 1


@dataclass(frozen=True)
class Subscript:
    """`x[i]`, `x[:, 1]`, `x[1:3]`, `x[[0, 2]]`: index is one item or a tuple of items.

    An item is an Expr (an integer), a Slice, or a ListExpr (integer list).
    """
    value: "Expr"
    index: tuple["Expr | Slice", ...]
    line: int = 1


Expr = Union[Num, Bool, Str, Const, Name, BinOp, UnaryOp, Compare, BoolOp, Call, ListExpr,
             Attribute, Subscript]


@dataclass(frozen=True)
class Assign:
    target: str
    value: Expr
    line: int = 1


@dataclass(frozen=True)
class AugAssign:
    """`name op= value`: the in-place op, as in torch (`+=` is `add_`)."""
    target: str
    op: str  # '+', '-', '*', '/'
    value: Expr
    line: int = 1


@dataclass(frozen=True)
class If:
    test: Expr
    body: tuple["Stmt", ...]
    orelse: tuple["Stmt", ...] = ()
    line: int = 1


@dataclass(frozen=True)
class While:
    test: Expr
    body: tuple["Stmt", ...]
    line: int = 1


@dataclass(frozen=True)
class For:
    """`for var in range(start, stop, step)`: bounds are integer expressions."""
    var: str
    start: Expr
    stop: Expr
    step: Expr
    body: tuple["Stmt", ...]
    line: int = 1


Stmt = Union[Assign, AugAssign, If, While, For]


@dataclass(frozen=True)
class Program:
    """A computation: statements, then the result expression.

    An `expr:` case is `Program(body=(), result=<the expression>)`; a `program:`
    case has `result=Name(output)`.
    """
    body: tuple[Stmt, ...]
    result: Expr
    variables: tuple[str, ...] = field(default=())  # names assigned anywhere in body
