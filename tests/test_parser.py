"""The case-language parser: every allowed construct → the right IR; everything else → ParseError."""

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from verifier.lang import ir
from verifier.lang.parser import (
    MAX_BRACKET_DEPTH,
    MAX_SOURCE_CHARS,
    ParseError,
    parse_expression,
    parse_program,
)

X = ir.Name("x")


def num(v, is_int=True):
    return ir.Num(Fraction(v), is_int)


@pytest.mark.parametrize("text, expected", [
    ("x", X),
    ("2", num(2)),
    ("0.1", num(Fraction(1, 10), False)),
    ("1e-3", num(Fraction(1, 1000), False)),
    (".5", num(Fraction(1, 2), False)),
    ("2.0", num(2, False)),
    ("1_000", num(1000)),
    ("true", ir.Bool(True)), ("False", ir.Bool(False)),
    ("pi", ir.Const("pi")), ("e", ir.Const("e")),
    ("x + 2", ir.BinOp("+", X, num(2))),
    ("x - 2", ir.BinOp("-", X, num(2))),
    ("x * 2", ir.BinOp("*", X, num(2))),
    ("x / 2", ir.BinOp("/", X, num(2))),
    ("x ** 2", ir.BinOp("**", X, num(2))),
    ("x @ x", ir.BinOp("@", X, X)),
    ("-x", ir.UnaryOp("-", X)), ("+x", ir.UnaryOp("+", X)), ("not x", ir.UnaryOp("not", X)),
    ("x < 1", ir.Compare("<", X, num(1))),
    ("x != 1", ir.Compare("!=", X, num(1))),
    ("0 < x <= 1", ir.BoolOp("and", (ir.Compare("<", num(0), X), ir.Compare("<=", X, num(1))))),
    ("x > 0 or x == 1", ir.BoolOp("or", (ir.Compare(">", X, num(0)), ir.Compare("==", X, num(1))))),
    ("exp(x)", ir.Call("exp", (X,))),
    ("x.exp()", ir.Call("exp", (X,))),
    ("sum(x, dim=0, keepdim=true)", ir.Call("sum", (X,), (("dim", num(0)), ("keepdim", ir.Bool(True))))),
    ("x.sum(0)", ir.Call("sum", (X, num(0)))),
    ("reshape(x, [2, 3])", ir.Call("reshape", (X, ir.ListExpr((num(2), num(3)))))),
    ("reshape(x, (2, 3))", ir.Call("reshape", (X, ir.ListExpr((num(2), num(3)))))),
    ("x.T", ir.Attribute(X, "T")),
    ("x[0]", ir.Subscript(X, (num(0),))),
    ("x[-1]", ir.Subscript(X, (ir.UnaryOp("-", num(1)),))),
    ("x[:, 1]", ir.Subscript(X, (ir.Slice(None, None, None), num(1)))),
    ("x[1:3]", ir.Subscript(X, (ir.Slice(num(1), num(3), None),))),
    ("x[::2]", ir.Subscript(X, (ir.Slice(None, None, num(2)),))),
    ("x[[0, 2]]", ir.Subscript(X, (ir.ListExpr((num(0), num(2))),))),
])
def test_allowed_constructs_parse_to_ir(text, expected):
    assert parse_expression(text) == expected


def test_registered_list_functions():
    out = parse_expression("cat([x, x], dim=0)")
    assert out == ir.Call("cat", (ir.ListExpr((X, X)),), (("dim", num(0)),))


def test_numbers_are_exact():
    e = parse_expression("0.1 + 0.2")
    assert e.left.value + e.right.value == Fraction(3, 10)
    assert parse_expression("0x10").value == 16
    assert parse_expression("2").is_int and not parse_expression("2.").is_int


def test_lines_are_recorded():
    e = parse_expression("(x +\n exp(x))")
    assert e.line == 1 and e.right.line == 2


@pytest.mark.parametrize("text, words", [
    ("__import__('os')", "unknown function '__import__'"),
    ("x.__class__", "'.__class__' is not allowed"),
    ("().__class__.__bases__", "is not allowed"),
    ("lambda: 1", "lambda"),
    ("[i for i in x]", "comprehension"),
    ("{i for i in x}", "comprehension"),
    ("(i for i in x)", "generator"),
    ("open('f')", "unknown function 'open'"),
    ("x.foo()", "unknown method 'foo'"),
    ("x.shape", "'.shape' is not part"),
    ("x.exp", "is a method; call it"),
    ("exp", "is a function; call it"),
    ("'text'", "strings"),
    ("f'{x}'", "f-strings"),
    ("{1: 2}", "dict literals"),
    ("{1, 2}", "set literals"),
    ("exp(*x)", "starred"),
    ("exp(**x)", "**kwargs"),
    ("x if x else x", "where(c, a, b)"),
    ("(y := 1)", ":="),
    ("x // 2", "'//'"), ("x % 2", "'%'"), ("~x", "'~'"),
    ("x is x", "'is'"), ("x in x", "'in'"),
    ("1j", "complex"),
    ("None", "None"),
    ("[x, x]", "only allowed as function arguments"),
    ("exq(x)", "did you mean 'exp'"),
    ("sum(x, dmi=0)", "did you mean 'dim'"),
    ("exp(x, x)", "at most 1 positional"),
    ("clamp()", "missing"),
    ("x[None]", "new axis"),
    ("x[...]", "'...'"),
    ("9**9**9", "exponent"),
    ("10**20000", "exponent"),
    ("123456789**9000", "digits"),
    ("x ** 100000", "exponent"),
    ("1" * 200, "too long"),
    ("x +", "invalid syntax"),
    ("", "empty"),
    ("x\0", "null"),
])
def test_forbidden_constructs_are_rejected(text, words):
    with pytest.raises(ParseError) as info:
        parse_expression(text)
    assert words in info.value.message
    assert info.value.line >= 1


def test_error_line_is_reported():
    with pytest.raises(ParseError) as info:
        parse_expression("(x +\n  open(x))")
    assert info.value.line == 2 and info.value.col == 3


def test_limits():
    with pytest.raises(ParseError, match="nested more than"):
        parse_expression("(" * (MAX_BRACKET_DEPTH + 1) + "x" + ")" * (MAX_BRACKET_DEPTH + 1))
    with pytest.raises(ParseError, match="characters"):
        parse_expression("x+" * MAX_SOURCE_CHARS + "x")
    with pytest.raises(ParseError, match="levels deep"):
        parse_expression("+".join(["x"] * 400))
    with pytest.raises(ParseError):
        parse_expression("-" * 5000 + "x")
    with pytest.raises(ParseError):
        parse_program("\n".join(" " * i + "if x:" for i in range(300)) + "\n" + " " * 300 + "y = x", "y",
                      {"x"})


def test_undefined_names_with_names_given():
    assert parse_expression("x + y", {"x", "y"}) == ir.BinOp("+", X, ir.Name("y"))
    with pytest.raises(ParseError, match="name 'z' is not defined"):
        parse_expression("x + z", {"x", "y"})
    with pytest.raises(ParseError, match="did you mean 'seed'"):
        parse_expression("sed * 2", {"x", "seed"})


PROGRAM = """\
k = 0
y = x
while k < 3 and y[0] < 100:
    y = y * 2
    k += 1
for i in range(2):
    if i > 0:
        z = z + prev
    elif i == 0:
        z = x
    else:
        pass
    prev = x * i
for j in range(1, 5, 2):
    y -= x
y *= 2
y /= 2
"""


def test_program_parses_every_statement_kind():
    p = parse_program(PROGRAM, "y", {"x"})
    assert p.result == ir.Name("y")
    assert p.variables == ("k", "y", "i", "z", "prev", "j")
    kinds = [type(s).__name__ for s in p.body]
    assert kinds == ["Assign", "Assign", "While", "For", "For", "AugAssign", "AugAssign"]
    loop = p.body[3]
    assert (loop.var, loop.start.value, loop.stop.value, loop.step.value) == ("i", 0, 2, 1)
    assert isinstance(loop.body[0], ir.If) and isinstance(loop.body[0].orelse[0], ir.If)
    assert p.body[4].start.value == 1 and p.body[4].step.value == 2
    assert p.body[2].body[1] == ir.AugAssign("k", "+", ir.Num(Fraction(1), True, 5), line=5)


@pytest.mark.parametrize("text, words", [
    ("y = z", "name 'z' is not defined"),
    ("y = w\nw = x", "'w' is used before it is assigned"),
    ("y += 1", "before it is assigned"),
    ("x[0] = 1\ny = x", "subscript assignment"),
    ("x.a = 1\ny = x", "attribute assignment"),
    ("a, b = x, x\ny = a", "tuple unpacking"),
    ("y = a = x", "chained assignment"),
    ("import os\ny = x", "import"),
    ("from os import path\ny = x", "import"),
    ("def f():\n    pass\ny = x", "def"),
    ("class A:\n    pass\ny = x", "class"),
    ("y = x\nreturn y", "return"),
    ("with x:\n    y = x", "with"),
    ("try:\n    y = x\nexcept Exception:\n    pass", "try"),
    ("y = x\ndel y", "del"),
    ("global y\ny = x", "global"),
    ("y = x\nwhile y:\n    break", "break"),
    ("y = x\nx.backward()", "bare expression"),
    ("pi = 3\ny = x", "cannot assign to 'pi'"),
    ("seed = 3\ny = x", "cannot assign to 'seed'"),
    ("exp = 3\ny = exp(x)", "is a variable here"),
    ("y = x\ny **= 2", "only +=, -=, *= and /="),
    ("for i in x:\n    y = x", "range("),
    ("for i in range(1, 2, 3, 4):\n    y = x", "1 to 3"),
    ("for a, b in range(3):\n    y = x", "tuple unpacking"),
    ("y = x\nfor i in range(3):\n    y = y\nelse:\n    pass", "for ... else"),
    ("z = x", "never assigned"),
])
def test_program_rejections(text, words):
    with pytest.raises(ParseError) as info:
        parse_program(text, "y", {"x"})
    assert words in info.value.message


def test_program_error_line():
    with pytest.raises(ParseError) as info:
        parse_program("y = x\ny = y * 2\ny = open(y)", "y", {"x"})
    assert info.value.line == 3


def test_loop_carried_variable_passes_and_output_may_be_an_input():
    text = "for i in range(3):\n    if i > 0:\n        y = y + prev\n    prev = x\n    y = x"
    assert parse_program(text, "y", {"x"}).variables == ("i", "y", "prev")
    assert parse_program("x += 1", "x", {"x"}).variables == ("x",)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=60))
def test_random_text_raises_only_parse_error(text):
    for parse in (lambda: parse_expression(text, {"x"}), lambda: parse_program(text, "y", {"x"})):
        try:
            parse()
        except ParseError:
            pass


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["x", "(", ")", "[", "]", "+", "*", "**", "-", ".", "T", "exp", ",", ":",
                                 "1", "0.5", "=", "\n", " ", "if", "for", "in", "range", "9", "sum"]),
                max_size=40))
def test_random_token_soup_raises_only_parse_error(tokens):
    text = "".join(tokens)
    try:
        parse_program(text, "y", {"x"})
    except ParseError:
        pass
