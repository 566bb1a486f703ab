"""The case language: text → verifier.lang.ir, through Python's `ast` only.

Never `eval`, `exec`, `compile`-to-code, `sympify` or `parse_expr`: the text is
parsed by `ast.parse` and every node is converted by a whitelist
(expressions.py, statements.py).  Limits are checked before `ast.parse` where
the parser itself could be hurt (length, bracket nesting) and after it on the
tree (depth), so hostile text ends in a ParseError, never a crash.

Names: `pi` and `e` are always the constants and `true/false/True/False` the
booleans; a case can't shadow them (the loader refuses such input names and
the program parser refuses such assignment targets).
"""

from __future__ import annotations

import ast
import warnings

from verifier.lang import ir
from verifier.lang.errors import ParseError
from verifier.lang.expressions import ExpressionBuilder, suggest
from verifier.lang.statements import ProgramBuilder
from verifier.ops.registry import language_functions

__all__ = ["ParseError", "parse_expression", "parse_program", "MAX_SOURCE_CHARS",
           "MAX_BRACKET_DEPTH", "MAX_TREE_DEPTH"]

MAX_SOURCE_CHARS = 20_000
MAX_BRACKET_DEPTH = 50
MAX_TREE_DEPTH = 200  # nodes from the root to the deepest leaf of the syntax tree


def parse_expression(text: str, names: set[str] | None = None) -> ir.Expr:
    """One expression (an `expr:` or a claim).  With `names`, any other name is an error."""
    if isinstance(text, str):
        # `ast.parse` refuses leading spaces in eval mode; strip them on the first line only,
        # so line numbers stay those of the text.
        text = text.lstrip(" \t")
    tree = _parse(text, "eval")
    builder = ExpressionBuilder(text, language_functions(), names or ())
    expr = _guarded(lambda: builder.build(tree.body))
    if names is not None:
        for name in builder.used:
            if name.id not in names:
                raise ParseError(f"name '{name.id}' is not defined{suggest(name.id, names)}; known "
                                 f"names: {', '.join(sorted(names)) or 'none'}", name.line)
    return expr


def parse_program(text: str, output: str, inputs: set[str]) -> ir.Program:
    """Statements, whose result is the variable `output`."""
    tree = _parse(text, "exec")
    builder = ProgramBuilder(text, set(inputs), language_functions())
    body = _guarded(lambda: builder.build(tree))
    variables = tuple(builder.variables)
    if output not in variables and output not in inputs:
        last = max((n.lineno for n in tree.body), default=1)
        raise ParseError(f"the output '{output}' is never assigned by the program"
                         f"{suggest(output, variables)}; assigned names: "
                         f"{', '.join(variables) or 'none'}", last)
    return ir.Program(body=body, result=ir.Name(output), variables=variables)


def _parse(text: str, mode: str) -> ast.AST:
    if not isinstance(text, str):
        raise ParseError(f"expected text, found {type(text).__name__}")
    if len(text) > MAX_SOURCE_CHARS:
        raise ParseError(f"the text has {len(text)} characters, beyond the limit of {MAX_SOURCE_CHARS}")
    if not text.strip():
        raise ParseError("the text is empty")
    _check_brackets(text)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # SyntaxWarnings (`1 is 1`) are not the user's business
            tree = ast.parse(text, mode=mode)
    except SyntaxError as exc:
        message = exc.msg if exc.msg.startswith("invalid syntax") else f"invalid syntax: {exc.msg}"
        raise ParseError(message, exc.lineno or 1, exc.offset or 0) from None
    except (ValueError, MemoryError, RecursionError) as exc:
        # Python's own parser gave up (MemoryError, RecursionError carry no message): too complex.
        why = str(exc).strip() or "too complex for Python's parser"
        raise ParseError(f"the text could not be parsed ({why}); simplify it") from None
    _check_depth(tree)
    return tree


def _guarded(build):
    try:
        return build()
    except RecursionError:
        raise ParseError(f"the expression is nested too deeply (limit {MAX_TREE_DEPTH})") from None


def _check_brackets(text: str) -> None:
    """Deep bracket nesting can exhaust the parser itself: count it first."""
    depth, line = 0, 1
    for ch in text:
        if ch == "\n":
            line += 1
        elif ch in "([{":
            depth += 1
            if depth > MAX_BRACKET_DEPTH:
                raise ParseError(f"brackets are nested more than {MAX_BRACKET_DEPTH} deep", line)
        elif ch in ")]}":
            depth = max(depth - 1, 0)


def _check_depth(tree: ast.AST) -> None:
    """Iteratively, since a deep tree would overflow a recursive walk."""
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_TREE_DEPTH:
            raise ParseError(f"the text is nested more than {MAX_TREE_DEPTH} levels deep (long chains "
                             "such as a + b + c + ... count one level per operator); split it into "
                             "steps", getattr(node, "lineno", 1))
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
