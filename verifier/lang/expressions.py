"""Python `ast` expressions → the program IR, whitelisted node by node.

Anything not named here is rejected with a message that names the construct
and its line.  Numbers are exact: a literal's own source text becomes a
Fraction, so `0.1` is 1/10 and never passes through a binary float.
"""

from __future__ import annotations

import ast
import difflib
import math
import re
from fractions import Fraction

from verifier import limits
from verifier.lang import ir
from verifier.lang.errors import ParseError
from verifier.ops.registry import Op

# The limits live in verifier/limits.py with every other one (docs/security.md lists them).
MAX_LITERAL_CHARS = limits.MAX_LITERAL_CHARS  # digits of one number literal
MAX_EXPONENT = limits.MAX_EXPONENT  # |n| in `a ** n` when n is a literal
# Decimal digits of a constant (sub-)expression computed exactly: `9 ** 10000` (9 543 digits)
# is refused here, not on every row of the run (Python won't even print a 4 300-digit int).
MAX_POWER_DIGITS = limits.MAX_POWER_DIGITS
MAX_DECIMAL_EXPONENT = limits.MAX_DECIMAL_EXPONENT  # |k| in `1e<k>`
MAX_OPTION_CHARS = limits.MAX_OPTION_CHARS  # a string argument names an option: mode="reflect"

CONSTANTS = ("pi", "e", "inf", "nan")  # inf and nan: IEEE values, as math.inf, math.nan
BOOL_NAMES = {"true": True, "false": False}

_BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**", ast.MatMult: "@"}
_UNARY = {ast.USub: "-", ast.UAdd: "+", ast.Not: "not"}
_COMPARE = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!="}
_REJECTED_OPERATORS = {
    ast.FloorDiv: "floor division '//'", ast.Mod: "the '%' operator", ast.LShift: "the '<<' operator",
    ast.RShift: "the '>>' operator", ast.BitOr: "the '|' operator", ast.BitXor: "the '^' operator",
    ast.BitAnd: "the '&' operator", ast.Invert: "the '~' operator",
    ast.Is: "'is' comparisons", ast.IsNot: "'is not' comparisons", ast.In: "'in' comparisons",
    ast.NotIn: "'not in' comparisons",
}
# Constructs people try, with what to write instead.
_REJECTED_NODES = {
    "Lambda": "lambda expressions are not part of the case language",
    "ListComp": "comprehensions are not part of the case language",
    "SetComp": "comprehensions are not part of the case language",
    "DictComp": "comprehensions are not part of the case language",
    "GeneratorExp": "generator expressions are not part of the case language",
    "JoinedStr": "f-strings are not part of the case language (strings are not values here)",
    "FormattedValue": "f-strings are not part of the case language",
    "Dict": "dict literals are not part of the case language",
    "Set": "set literals are not part of the case language",
    "NamedExpr": "assignment expressions (:=) are not part of the case language",
    "IfExp": "conditional expressions (a if c else b) are not supported; use where(c, a, b) "
             "or an if statement in a program",
    "Starred": "starred arguments (*args) are not part of the case language",
    "Await": "await is not part of the case language",
    "Yield": "yield is not part of the case language",
    "YieldFrom": "yield is not part of the case language",
}
# Receivers that are modules people write out of habit (np.sum(x), torch.linalg.det(A)):
# the case language calls functions by their bare name.
MODULE_PREFIXES = frozenset({"np", "numpy", "torch", "math", "linalg", "scipy", "special",
                             "sympy", "jnp", "jax", "nn", "functional"})
_MASK_MESSAGE = ("boolean-mask indexing (x[x > 0]) is not supported: the result's shape would "
                 "depend on the values; keep the shape with where(x > 0, x, 0)")
_DECIMAL = re.compile(r"(\d*)\.?(\d*)(?:[eE]([+-]?\d+))?$")


def literal_number(text: str, is_int: bool, line: int, col: int) -> Fraction:
    """The exact value of a Python number literal, from its source text."""
    clean = text.replace("_", "")
    if len(clean) > MAX_LITERAL_CHARS:
        raise ParseError(f"number literal of {len(clean)} characters is too long "
                         f"(limit {MAX_LITERAL_CHARS})", line, col)
    if is_int:
        # int(..., 0) reads 0x/0o/0b prefixes; a plain decimal may have leading zeros only if all zero.
        return Fraction(int(clean, 0) if clean[:2].lower() in ("0x", "0o", "0b") else int(clean))
    match = _DECIMAL.match(clean)
    if match and match.group(3) and abs(int(match.group(3))) > MAX_DECIMAL_EXPONENT:
        raise ParseError(f"number literal {text} has an exponent beyond ±{MAX_DECIMAL_EXPONENT}", line, col)
    return Fraction(clean)


def literal_value(e: ir.Expr) -> Fraction | None:
    """The exact value of a constant sub-expression of literals, or None.

    Used only to refuse huge powers (`9**9**9`) before anything evaluates them;
    it never computes a power whose size was not checked first.
    """
    if isinstance(e, ir.Num):
        return e.value
    if isinstance(e, ir.UnaryOp) and e.op in "+-":
        v = literal_value(e.operand)
        return None if v is None else (-v if e.op == "-" else v)
    if isinstance(e, ir.BinOp) and e.op in ("+", "-", "*", "/", "**"):
        a, b = literal_value(e.left), literal_value(e.right)
        if a is None or b is None:
            return None
        if e.op == "**":
            return a ** int(b) if b.denominator == 1 and a != 0 else None
        if e.op == "/":
            return a / b if b != 0 else None
        return a + b if e.op == "+" else a - b if e.op == "-" else a * b
    return None


def check_power(base: ir.Expr, exponent: ir.Expr, line: int, col: int) -> None:
    """Refuse `a ** n` whose exact value would be astronomically large."""
    n = literal_value(exponent)
    if n is None:
        return
    if abs(n) > MAX_EXPONENT:
        raise ParseError(f"the exponent of '**' is {_short(n)}, beyond the limit of {MAX_EXPONENT}; "
                         "an exact power that large cannot be computed", line, col)
    a = literal_value(base)
    if a is None or a == 0 or n.denominator != 1:
        return
    size = max(abs(a.numerator), a.denominator)
    digits = abs(int(n)) * math.log10(size) if size > 1 else 0.0
    if digits > MAX_POWER_DIGITS:
        raise ParseError(f"the power {_short(a)} ** {int(n)} has about {digits:.0f} digits, beyond the "
                         f"limit of {MAX_POWER_DIGITS}", line, col)


def check_constant(e: ir.Expr, line: int, col: int) -> None:
    """Refuse a constant sub-expression whose exact value has more than MAX_POWER_DIGITS digits
    (`9**900 * 9**900`); each operand was checked when it was built, so this never computes
    anything larger than a product of two checked values."""
    value = literal_value(e)
    if value is None:
        return
    size = max(abs(value.numerator), value.denominator)
    if size.bit_length() > MAX_POWER_DIGITS * 3.33:  # log2(10) = 3.32...: more digits than allowed
        raise ParseError(f"this constant has about {int(size.bit_length() / 3.3219)} digits, beyond the "
                         f"limit of {MAX_POWER_DIGITS}", line, col)


def _is_condition(e) -> bool:
    return isinstance(e, (ir.Compare, ir.BoolOp, ir.Bool)) or (isinstance(e, ir.UnaryOp) and e.op == "not")


def _mentions_a_name(e) -> bool:
    """Whether an IR expression reads any input or variable (iteratively: trees may be deep)."""
    stack = [e]
    while stack:
        node = stack.pop()
        if isinstance(node, ir.Name):
            return True
        if isinstance(node, (list, tuple)):
            stack.extend(node)
        elif hasattr(node, "__dataclass_fields__"):
            stack.extend(getattr(node, f) for f in node.__dataclass_fields__)
    return False


def _short(v: Fraction) -> str:
    s = str(v)
    return s if len(s) <= 30 else s[:12] + "…" + s[-6:]


def suggest(name: str, candidates) -> str:
    """' (did you mean 'x'?)' or ''."""
    close = difflib.get_close_matches(name, sorted(candidates), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


class ExpressionBuilder:
    """Converts one `ast` expression tree; records every name it reads in `used`."""

    def __init__(self, source: str, functions: dict[str, Op], variables=frozenset()) -> None:
        self.source = source
        self.functions = functions
        # Inputs and program variables: they shadow functions of the same name, as in Python
        # (an input `t` is a tensor here; `t(x)` then cannot be called, `x.t()` still can).
        self.variables = frozenset(variables)
        self.used: list[ir.Name] = []

    def build(self, node: ast.AST) -> ir.Expr:
        if isinstance(node, (ast.List, ast.Tuple)):
            raise self.error(node, "list and tuple literals are only allowed as function arguments "
                                   "(cat([a, b], dim=0), reshape(x, [2, 3]))")
        return self._expr(node)

    def error(self, node: ast.AST, message: str) -> ParseError:
        return ParseError(message, getattr(node, "lineno", 1), getattr(node, "col_offset", -1) + 1)

    # --- dispatch --------------------------------------------------------------
    def _expr(self, node: ast.AST) -> ir.Expr:
        method = getattr(self, "_" + type(node).__name__, None)
        if method is None:
            name = type(node).__name__
            message = _REJECTED_NODES.get(name, f"'{name}' is not part of the case language")
            raise self.error(node, message)
        return method(node)

    def _argument(self, node: ast.AST) -> ir.Expr:
        """A call argument: an expression, or a (nested) list/tuple literal."""
        if isinstance(node, (ast.List, ast.Tuple)):
            return ir.ListExpr(tuple(self._argument(e) for e in node.elts), node.lineno)
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            # An option's name (mode="reflect"): data for the function, never evaluated.
            if len(node.value) > MAX_OPTION_CHARS or not node.value.replace("_", "").isalnum():
                raise self.error(node, f"the string {node.value[:40]!r} is not an option name "
                                       "(letters, digits and _ only)")
            return ir.Str(node.value, node.lineno)
        return self._expr(node)

    # --- leaves ----------------------------------------------------------------
    def _Constant(self, node: ast.Constant) -> ir.Expr:
        v = node.value
        if isinstance(v, bool):
            return ir.Bool(v, node.lineno)
        if isinstance(v, (int, float)):
            text = ast.get_source_segment(self.source, node) or repr(v)
            value = literal_number(text, isinstance(v, int), node.lineno, node.col_offset + 1)
            return ir.Num(value, isinstance(v, int), node.lineno)
        if isinstance(v, complex):
            raise self.error(node, "complex numbers (1j) are not supported")
        if isinstance(v, (str, bytes)):
            raise self.error(node, "strings are only allowed as function arguments that name an "
                                   'option (gelu(x, approximate="tanh"))')
        if v is None:
            raise self.error(node, "None is not part of the case language; leave the argument out "
                                   "to get its default")
        raise self.error(node, f"the literal {v!r} is not part of the case language")

    def _Name(self, node: ast.Name) -> ir.Expr:
        name = node.id
        if name in BOOL_NAMES:
            return ir.Bool(BOOL_NAMES[name], node.lineno)
        if name in CONSTANTS:
            return ir.Const(name, node.lineno)
        if name in self.functions and name not in self.variables:
            raise self.error(node, f"'{name}' is a function; call it, as in {name}(x)")
        if name.startswith("__"):
            raise self.error(node, f"the name '{name}' is not allowed (dunder names are never part "
                                   "of the case language)")
        out = ir.Name(name, node.lineno)
        self.used.append(out)
        return out

    # --- operators ---------------------------------------------------------------
    def _BinOp(self, node: ast.BinOp) -> ir.Expr:
        op = _BINARY.get(type(node.op))
        if isinstance(node.op, ast.BitXor):
            base = ast.get_source_segment(self.source, node.left) or "x"
            exponent = ast.get_source_segment(self.source, node.right) or "2"
            raise self.error(node, f"the '^' operator is not supported (in Python it is bitwise xor, "
                                   f"not a power); for a power write {base} ** {exponent}")
        if op is None:
            raise self.error(node, f"{_REJECTED_OPERATORS[type(node.op)]} is not supported")
        left, right = self._expr(node.left), self._expr(node.right)
        if op == "**":
            check_power(left, right, node.lineno, node.col_offset + 1)
        out = ir.BinOp(op, left, right, node.lineno)
        check_constant(out, node.lineno, node.col_offset + 1)
        return out

    def _UnaryOp(self, node: ast.UnaryOp) -> ir.Expr:
        op = _UNARY.get(type(node.op))
        if op is None:
            raise self.error(node, f"{_REJECTED_OPERATORS[type(node.op)]} is not supported")
        return ir.UnaryOp(op, self._expr(node.operand), node.lineno)

    def _BoolOp(self, node: ast.BoolOp) -> ir.Expr:
        op = "and" if isinstance(node.op, ast.And) else "or"
        return ir.BoolOp(op, tuple(self._expr(v) for v in node.values), node.lineno)

    def _Compare(self, node: ast.Compare) -> ir.Expr:
        # `a < b < c` means `a < b and b < c`, as in Python.
        parts = []
        left = self._expr(node.left)
        for op_node, right_node in zip(node.ops, node.comparators):
            op = _COMPARE.get(type(op_node))
            if op is None:
                raise self.error(node, f"{_REJECTED_OPERATORS[type(op_node)]} are not supported; "
                                       "use < <= > >= == !=")
            right = self._expr(right_node)
            parts.append(ir.Compare(op, left, right, node.lineno))
            left = right
        return parts[0] if len(parts) == 1 else ir.BoolOp("and", tuple(parts), node.lineno)

    # --- calls, attributes, subscripts ---------------------------------------------
    def _Call(self, node: ast.Call) -> ir.Expr:
        func = node.func
        receiver = None
        if isinstance(func, ast.Name):
            name = func.id
            if name in self.variables and name in self.functions:
                raise self.error(func, f"'{name}' is a variable here (an input or an assigned name), "
                                       f"so it cannot be called; rename the variable to call {name}()")
        elif isinstance(func, ast.Attribute):
            name, receiver = func.attr, func.value
            if name.startswith("_"):
                raise self.error(func, f"the attribute '.{name}' is not allowed (private and dunder "
                                       "attributes are never part of the case language)")
            prefix = self._module_prefix(receiver)
            if prefix is not None:
                call = ast.get_source_segment(self.source, node) or f"{prefix}.{name}(...)"
                bare = call[len(prefix) + 1:] if call.startswith(prefix + ".") else f"{name}(...)"
                known = "" if name in self.functions else \
                    f" ('{name}' is not a function of the case language{suggest(name, self.functions)})"
                raise self.error(func, f"functions are called without a module prefix: write {bare}, "
                                       f"not {call}{known}")
        else:
            raise self.error(node, "only registered functions can be called, as f(x) or x.f(); "
                                   f"found a call of a {type(func).__name__} expression")
        op = self.functions.get(name)
        if op is None:
            what = "method" if receiver is not None else "function"
            raise self.error(func, f"unknown {what} '{name}'{suggest(name, self.functions)}; "
                                   "only registered functions can be called")
        if receiver is not None and not op.method:
            raise self.error(func, f"'{name}' has no method form; call it as {name}(x, ...)")
        args = [] if receiver is None else [self._expr(receiver)]
        for position, a in enumerate(node.args):
            if isinstance(a, ast.Starred):
                raise self.error(a, _REJECTED_NODES["Starred"])
            if position == 0 and _is_text(a) and op.extra.get("leading_param"):
                if len(a.value) > MAX_LITERAL_CHARS:
                    raise self.error(a, f"the text argument of {name}() is longer than "
                                        f"{MAX_LITERAL_CHARS} characters")
                args.append(ir.Str(a.value, a.lineno))  # einsum's equation: text, never code
                continue
            args.append(self._argument(a))
        kwargs = []
        accepted = op.inputs + op.param_names() + tuple(op.extra.get("aliases", ()))
        for kw in node.keywords:
            if kw.arg is None:
                raise self.error(kw, "**kwargs are not part of the case language; "
                                     "write each keyword argument out")
            if kw.arg not in accepted:
                raise self.error(kw, f"{name}() has no argument '{kw.arg}'{suggest(kw.arg, accepted)}; "
                                     f"it takes {', '.join(accepted)}")
            kwargs.append((kw.arg, self._argument(kw.value)))
        try:
            tensors, params = op.bind(tuple(args), dict(kwargs))
        except TypeError as exc:
            raise self.error(node, f"{exc}; the signature is {name}({', '.join(accepted)})") from None
        self._strings_name_options(node, op, tensors, params)
        if name == "where" and tensors and _is_condition(tensors[0]) and not _mentions_a_name(tensors[0]):
            # `where(2 > 0.5, x, y)`: a Python bool, not a tensor, on every backend (torch refuses
            # it, the oracle compared SymPy infinities): say so here, not on every row.
            raise self.error(node, "where()'s condition compares constants only, so it is always true "
                                   "or always false; compare an input or a variable (where(x > 0, ...)) "
                                   "or write the branch it picks")
        return ir.Call(name, tuple(args), tuple(kwargs), node.lineno)

    def _strings_name_options(self, node: ast.Call, op: Op, tensors: tuple, params: dict) -> None:
        """A string argument names an option (gelu's approximate, conv's padding, einsum's
        equation): in a tensor's place (`sum("ij")`) it is refused here, not on every row."""
        values = list(tensors[0]) if op.variadic and tensors and isinstance(tensors[0], list) \
            else list(tensors)
        misplaced = [v for v in values if isinstance(v, ir.Str)]
        if misplaced:
            raise self.error(node, f"strings are not part of the case language except as an option "
                                   f"of {op.name}() ({misplaced[0].value!r} is in a tensor's place)")

    def _module_prefix(self, receiver: ast.AST) -> str | None:
        """'np' for np.sum(x), 'torch.linalg' for torch.linalg.det(A); None for a tensor."""
        parts = []
        while isinstance(receiver, ast.Attribute):
            parts.append(receiver.attr)
            receiver = receiver.value
        if not isinstance(receiver, ast.Name) or receiver.id in self.variables:
            return None
        if receiver.id not in MODULE_PREFIXES:
            return None
        return ".".join([receiver.id, *reversed(parts)])

    def _Attribute(self, node: ast.Attribute) -> ir.Expr:
        if node.attr == "T":
            return ir.Attribute(self._expr(node.value), "T", node.lineno)
        if node.attr.startswith("_"):
            raise self.error(node, f"the attribute '.{node.attr}' is not allowed (private and dunder "
                                   "attributes are never part of the case language)")
        if node.attr in self.functions:
            raise self.error(node, f"'.{node.attr}' is a method; call it: x.{node.attr}()")
        if isinstance(node.value, ast.Call):
            field = self._named_field(node)
            if field is not None:
                return field
        raise self.error(node, f"the attribute '.{node.attr}' is not part of the case language; "
                               "only .T, method calls of registered functions and the fields "
                               "of a named result (max(x, 1).values) are")

    def _named_field(self, node: ast.Attribute) -> ir.Expr | None:
        """`max(x, 1).values`, `slogdet(A).logabsdet`: a field of torch's named tuple, read by
        its position (as `[0]`) from the tuple every backend returns."""
        call = self._expr(node.value)
        op = self.functions.get(call.func) if isinstance(call, ir.Call) else None
        fields = (op.extra.get("return_type", (None, ()))[1] or op.extra.get("fields", ())) \
            if op is not None else ()
        if node.attr not in fields:
            if fields:
                raise self.error(node, f"{call.func}() returns the fields {', '.join(fields)}; "
                                       f"it has no field '.{node.attr}'")
            return None
        _, params = op.bind(call.args, dict(call.kwargs))
        dim = next((p for p in op.params if p.name == "dim"), None)
        if dim is not None and dim.default is None and params.get("dim") is None:
            raise self.error(node, f"{call.func}() without dim returns a tensor, not "
                                   f"({', '.join(fields)}); give dim (e.g. {call.func}(x, 0)"
                                   f".{node.attr})")
        return ir.Attribute(call, node.attr, node.lineno, fields.index(node.attr))

    def _Subscript(self, node: ast.Subscript) -> ir.Expr:
        value = self._expr(node.value)
        items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        for item in items:
            if isinstance(item, (ast.Compare, ast.BoolOp)) or \
                    (isinstance(item, ast.UnaryOp) and isinstance(item.op, ast.Not)):
                raise self.error(item, _MASK_MESSAGE)
        index = tuple(self._index_item(item) for item in items)
        return ir.Subscript(value, index, node.lineno)

    def _index_item(self, node: ast.AST):
        if isinstance(node, ast.Slice):
            parts = [None if p is None else self._expr(p) for p in (node.lower, node.upper, node.step)]
            return ir.Slice(*parts, line=getattr(node, "lineno", 1))
        if isinstance(node, (ast.List, ast.Tuple)):
            for item in node.elts:
                if isinstance(item, (ast.List, ast.Tuple, ast.Slice)):
                    raise self.error(node, "an index list holds integers only, as in x[[0, 2]]")
            return ir.ListExpr(tuple(self._expr(i) for i in node.elts), node.lineno)
        if isinstance(node, ast.Constant) and (node.value is None or node.value is Ellipsis):
            what = "None (a new axis)" if node.value is None else "'...'"
            raise self.error(node, f"{what} in a subscript is not supported; use unsqueeze or "
                                   "write every index")
        return self._expr(node)


def _is_text(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)

