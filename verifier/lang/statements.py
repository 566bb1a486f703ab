"""Python `ast` statements → the program IR, with a check of names used before assignment.

The check is "before any possible assignment": a name read at a point that no
path from the start can have assigned it (inputs count as assigned).  Inside a
loop body, a name assigned anywhere in that body counts as possibly assigned
(by an earlier iteration), so legitimate loop-carried variables pass; the
interpreter still reports, at run time, the uses that really fail.
"""

from __future__ import annotations

import ast
from fractions import Fraction

from verifier.lang import ir
from verifier.lang.errors import ParseError
from verifier.lang.expressions import BOOL_NAMES, CONSTANTS, ExpressionBuilder, suggest
from verifier.ops.registry import Op

_AUG_OPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}
_REJECTED_STATEMENTS = {
    "FunctionDef": "function definitions (def)", "AsyncFunctionDef": "function definitions (def)",
    "ClassDef": "class definitions", "Return": "return", "Delete": "del", "Import": "import",
    "ImportFrom": "import", "Global": "global", "Nonlocal": "nonlocal", "With": "with",
    "AsyncWith": "with", "Try": "try", "TryStar": "try", "Raise": "raise", "Assert": "assert",
    "AnnAssign": "annotated assignments", "Break": "break (use the while condition)",
    "Continue": "continue", "Match": "match", "AsyncFor": "async for",
}
RESERVED_TARGETS = set(CONSTANTS) | set(BOOL_NAMES) | {"seed", "range"}


def possibly_assigned(body: list[ast.stmt]) -> set[str]:
    """Names that a plain `=` or a `for` anywhere in `body` binds (not `op=`, which reads first)."""
    out: set[str] = set()
    for node in body:
        for sub in ast.walk(node):
            if isinstance(sub, ast.Assign):
                out.update(t.id for t in sub.targets if isinstance(t, ast.Name))
            elif isinstance(sub, ast.For) and isinstance(sub.target, ast.Name):
                out.add(sub.target.id)
    return out


class ProgramBuilder:
    def __init__(self, source: str, inputs: set[str], functions: dict[str, Op]) -> None:
        self.source = source
        self.inputs = set(inputs)
        self.functions = functions
        self.variables: list[str] = []  # in order of first assignment
        self.all_targets: set[str] = set()

    def build(self, module: ast.Module) -> tuple[ir.Stmt, ...]:
        self.all_targets = possibly_assigned(module.body) | {
            n.target.id for n in ast.walk(module)
            if isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Name)}
        body, _ = self._block(module.body, set(self.inputs))
        return body

    # --- helpers -----------------------------------------------------------------
    def _error(self, node: ast.AST, message: str) -> ParseError:
        return ParseError(message, getattr(node, "lineno", 1), getattr(node, "col_offset", -1) + 1)

    def _expression(self, node: ast.AST, defined: set[str]) -> ir.Expr:
        # Every name the program binds anywhere shadows a function of that name, as a local
        # does in a Python function.
        builder = ExpressionBuilder(self.source, self.functions, self.inputs | self.all_targets)
        expr = builder.build(node)
        for name in builder.used:
            if name.id not in defined:
                raise self._undefined(name, node)
        return expr

    def _undefined(self, name: ir.Name, node: ast.AST) -> ParseError:
        if name.id in self.all_targets:
            return ParseError(f"'{name.id}' is used before it is assigned", name.line,
                              getattr(node, "col_offset", -1) + 1)
        known = self.inputs | self.all_targets
        return ParseError(f"name '{name.id}' is not defined{suggest(name.id, known)}; known names: "
                          f"{', '.join(sorted(known)) or 'none'}", name.line,
                          getattr(node, "col_offset", -1) + 1)

    def _target(self, node: ast.AST, what: str) -> str:
        if isinstance(node, ast.Name):
            name = node.id
            if name in RESERVED_TARGETS:
                raise self._error(node, f"cannot assign to '{name}': the name is reserved; "
                                        "choose another name")
            if name.startswith("__"):
                raise self._error(node, f"cannot assign to the dunder name '{name}'")
            if name not in self.variables:
                self.variables.append(name)
            return name
        if isinstance(node, ast.Subscript):
            raise self._error(node, f"subscript {what} (x[0] = ...) is not supported: assign a whole "
                                    "name, e.g. build the tensor with cat or stack")
        if isinstance(node, ast.Attribute):
            raise self._error(node, f"attribute {what} (x.a = ...) is not supported")
        if isinstance(node, (ast.Tuple, ast.List)):
            raise self._error(node, f"tuple unpacking in {what} (a, b = ...) is not supported; "
                                    "assign one name per statement")
        raise self._error(node, f"cannot use a {type(node).__name__} as the target of {what}")

    # --- statements ----------------------------------------------------------------
    def _block(self, stmts: list[ast.stmt], defined: set[str]) -> tuple[tuple[ir.Stmt, ...], set[str]]:
        out = []
        for node in stmts:
            stmt, defined = self._statement(node, defined)
            if stmt is not None:
                out.append(stmt)
        return tuple(out), defined

    def _statement(self, node: ast.stmt, defined: set[str]):
        kind = type(node).__name__
        if kind == "Pass":
            return None, defined
        method = getattr(self, "_" + kind, None)
        if method is not None:
            return method(node, defined)
        if kind == "Expr":
            raise self._error(node, "a bare expression has no effect; assign its value (name = ...)")
        what = _REJECTED_STATEMENTS.get(kind, f"the statement '{kind}'")
        raise self._error(node, f"this program uses {what}, which is not part of the case language; "
                                "programs have =, +=, -=, *=, /=, if/elif/else, while and "
                                "for ... in range(...)")

    def _Assign(self, node: ast.Assign, defined: set[str]):
        if len(node.targets) != 1:
            raise self._error(node, "chained assignment (a = b = ...) is not supported; "
                                    "assign one name per statement")
        target = self._target(node.targets[0], "assignment")
        value = self._expression(node.value, defined)
        return ir.Assign(target, value, node.lineno), defined | {target}

    def _AugAssign(self, node: ast.AugAssign, defined: set[str]):
        op = _AUG_OPS.get(type(node.op))
        if op is None:
            raise self._error(node, "only +=, -=, *= and /= are supported (they are torch's in-place "
                                    "add_, sub_, mul_, div_)")
        target = self._target(node.target, "augmented assignment")
        value = self._expression(node.value, defined)
        if target not in defined:
            raise self._error(node, f"'{target}' is updated with {op}= before it is assigned; "
                                    f"assign it first ({target} = ...)")
        return ir.AugAssign(target, op, value, node.lineno), defined

    def _If(self, node: ast.If, defined: set[str]):
        test = self._expression(node.test, defined)
        body, after_body = self._block(node.body, set(defined))
        orelse, after_else = self._block(node.orelse, set(defined))
        return ir.If(test, body, orelse, node.lineno), after_body | after_else

    def _While(self, node: ast.While, defined: set[str]):
        if node.orelse:
            raise self._error(node, "while ... else is not supported")
        test = self._expression(node.test, defined)
        inside = defined | possibly_assigned(node.body)
        body, after = self._block(node.body, inside)
        return ir.While(test, body, node.lineno), defined | after

    def _For(self, node: ast.For, defined: set[str]):
        if node.orelse:
            raise self._error(node, "for ... else is not supported")
        it = node.iter
        if not (isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id == "range"):
            raise self._error(it, "a for loop runs over range(N), range(a, b) or range(a, b, step) only")
        if it.keywords or not 1 <= len(it.args) <= 3 or any(isinstance(a, ast.Starred) for a in it.args):
            raise self._error(it, "range() takes 1 to 3 positional arguments: range(N), range(a, b) "
                                  "or range(a, b, step)")
        bounds = [self._expression(a, defined) for a in it.args]
        if len(bounds) == 1:
            bounds = [ir.Num(Fraction(0), True, node.lineno), bounds[0]]
        if len(bounds) == 2:
            bounds.append(ir.Num(Fraction(1), True, node.lineno))
        var = self._target(node.target, "a for loop")
        inside = defined | {var} | possibly_assigned(node.body)
        body, after = self._block(node.body, inside)
        return ir.For(var, *bounds, body=body, line=node.lineno), defined | after | {var}
