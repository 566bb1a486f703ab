"""The generic-element namespace: a whole tensor as one expression of one element.

A program built from elementwise ops and full reductions (sum, mean, norm,
logsumexp over every dim) is run once with one symbol per input, which
stands for the input's element at a generic index (broadcast like numpy).
A full reduction becomes a *sum symbol* σ = Σ_i f(element i), recorded as a
`SumNode`; the reduction's result is an expression in σ (mean = σ/n,
norm = sqrt(σ)).  Differentiation is reverse mode over the sum nodes:

    ∂H/∂x_p = Σ_j λ_j Σ_{i→p} ∂f_j/∂x (i),   λ_j = dH/dσ_j,
    λ_k += λ_j Σ_i ∂f_j/∂σ_k (i)   (itself a new sum node when it varies with i)

so the cost does not grow with the number of elements; only the final
evaluation does, and it is vectorized (values.py).  Anything else raises
`NotElementwise` and the oracle expands the program symbol by symbol.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp

from verifier.contract import CaseError
from verifier.oracle import longdouble
from verifier.oracle.evaluate import as_sympy, decide
from verifier.oracle.namespace import RELATION_OPS, RELATIONS, SympyNamespace
from verifier.oracle.reductions import sum_form
from verifier.oracle.values import Valuation


class NotElementwise(Exception):
    """The program needs the expansion path; the message says which operation."""


class Undecidable(Exception):
    """A condition too close to call in extended precision."""


@dataclass(frozen=True)
class Generic:
    """A tensor of `shape` whose element at a generic index is `expr`."""
    shape: tuple
    expr: object

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))


@dataclass(frozen=True)
class SumNode:
    symbol: sp.Symbol
    expr: object  # f: the summand, in input symbols and earlier sum symbols
    shape: tuple  # the elements summed over


def torch_size(shape) -> str:
    return f"torch.Size([{', '.join(map(str, shape))}])"


class GenericNamespace(SympyNamespace):
    def __init__(self, valuation: Valuation) -> None:
        super().__init__()
        self.valuation = valuation
        self.sums: list[SumNode] = []
        self.nodes: dict[sp.Symbol, SumNode] = {}
        self._interned: dict = {}
        self._values: dict = {}

    # --- operations --------------------------------------------------------------
    def call(self, func: str, args: list, kwargs: dict):
        op = self._op(func)
        if op.sympy is None:
            raise NotElementwise(f"{func}() has no SymPy implementation")
        if op.kind == "meta":
            tensors, params = op.bind(tuple(args), dict(kwargs))
            placeholders = [np.broadcast_to(np.empty((), dtype=object), t.shape)
                            if isinstance(t, Generic) else t for t in tensors]
            return self._result(op.sympy(*placeholders, **params), False)
        if op.variadic or op.kind not in ("elementwise", "binary", "reduction"):
            raise NotElementwise(f"{func}() ({op.kind}) is not elementwise")
        try:
            tensors, params = op.bind(tuple(args), dict(kwargs))
        except (TypeError, KeyError) as exc:
            raise CaseError("other", str(exc).strip("'\"")) from None
        params = {name: self._param(op, name, v) for name, v in params.items()}
        if any(isinstance(t, (list, np.ndarray)) for t in tensors):
            raise NotElementwise(f"{func}() with a list argument")
        if op.kind == "reduction":
            return self._reduce(op, self._generic(tensors[0]), params)
        return self._elementwise(op, tensors, params)

    def _elementwise(self, op, tensors, params):
        shapes = [t.shape for t in tensors if isinstance(t, Generic)]
        try:
            shape = np.broadcast_shapes(*shapes) if shapes else None
        except ValueError:
            raise CaseError("shape", f"{op.name}(): the shapes "
                                     f"{' and '.join(torch_size(s) for s in shapes)} do not "
                                     "broadcast; make the sizes equal or 1 in each dim") from None
        exprs = [np.asarray(t.expr if isinstance(t, Generic) else t, dtype=object) for t in tensors]
        result = self._apply(op, exprs, params)
        result = np.asarray(result, dtype=object)
        if result.shape != ():
            raise NotElementwise(f"{op.name}() did not act elementwise")
        return result.item() if shape is None else Generic(shape, result.item())

    def _reduce(self, op, x: Generic, params):
        form = sum_form(op, params, len(x.shape))
        if form is None:
            raise NotElementwise(f"{op.name}() over part of the dims")
        inner, outer = form
        sigma = self.reduce_sum(inner(x.expr), x.shape)
        value = outer(sigma, x.size)
        shape = (1,) * len(x.shape) if params.get("keepdim") else ()
        return Generic(shape, value)

    def _generic(self, value) -> Generic:
        return value if isinstance(value, Generic) else Generic((), as_sympy(value))

    def binop(self, op: str, a, b):
        if op == "@":
            raise NotElementwise("matmul is not elementwise")
        return super().binop(op, a, b)

    def inplace(self, op: str, target, value):
        result = self.binop(op, target, value)
        if _shape(result) != _shape(target):
            raise CaseError("shape", f"output with shape {list(_shape(target))} doesn't match "
                                     f"the broadcast shape {list(_shape(result))} (in-place "
                                     f"'{op}='); write 'y = y {op} ...' to get a new tensor")
        return result

    def subscript(self, value, index: tuple):
        raise NotElementwise("indexing is not elementwise")

    def transpose_all(self, value):
        raise NotElementwise(".T is not elementwise")

    def integer(self, value) -> int:
        if isinstance(value, Generic):
            raise NotElementwise("a tensor used as an integer")
        return super().integer(value)

    def numel(self, value) -> int | None:
        return value.size if isinstance(value, Generic) else None

    # --- sums ------------------------------------------------------------------------
    def reduce_sum(self, f, shape: tuple):
        """Σ over `shape` of f: a sum symbol, or n·f where f is the same at every element."""
        f = as_sympy(f)
        n = int(np.prod(shape, dtype=np.int64))
        if not any(s in self.valuation.symbols for s in f.free_symbols):
            return f * n
        key = (f, shape)
        if key not in self._interned:
            name = f"sum({f})"
            while sp.Symbol(name) in {node.symbol for node in self.sums}:
                name += "'"
            symbol = sp.Symbol(name, real=True, nonnegative=True if f.is_nonnegative else None)
            node = SumNode(symbol, f, shape)
            self.sums.append(node)
            self.nodes[symbol] = node
            self._interned[key] = symbol
        return self._interned[key]

    def scalars_for(self, expr) -> dict:
        """The values of the sum symbols in expr (computed once, in creation order)."""
        out = {}
        for s in as_sympy(expr).free_symbols:
            if s in self.nodes:
                out[s] = self.sum_value(s)
        return out

    def sum_value(self, symbol):
        if symbol not in self._values:
            node = self.nodes[symbol]
            self._values[symbol] = self.valuation.total(node.expr, node.shape,
                                                        self.scalars_for(node.expr))
        return self._values[symbol]

    def values(self, g: Generic) -> np.ndarray:
        return self.valuation.values(g.expr, g.shape, self.scalars_for(g.expr))

    def gradient(self, total, wrt: dict) -> dict:
        """d total/d input, total an expression in sum symbols: {name: {shape: expr}}."""
        adjoint = {s: sp.diff(total, s) for s in as_sympy(total).free_symbols
                   if s in self.nodes}
        grads: dict = {name: {} for name in wrt}
        for node in reversed(list(self.sums)):
            lam = adjoint.pop(node.symbol, 0)
            if lam == 0:
                continue
            for s in node.expr.free_symbols:
                if s in self.nodes:
                    through = self.reduce_sum(sp.diff(node.expr, s), node.shape)
                    adjoint[s] = adjoint.get(s, 0) + lam * through
            for name, x in wrt.items():
                d = sp.diff(node.expr, x)
                if d != 0:
                    grads[name][node.shape] = grads[name].get(node.shape, 0) + lam * d
        return grads

    # --- conditions ------------------------------------------------------------------
    def compare(self, op: str, a, b):
        if isinstance(a, Generic) or isinstance(b, Generic):
            ga, gb = self._generic(a), self._generic(b)
            shape = np.broadcast_shapes(ga.shape, gb.shape)
            return Generic(shape, RELATIONS[op](ga.expr, gb.expr, evaluate=False))
        return super().compare(op, a, b)

    def truth(self, value) -> bool:
        if not isinstance(value, Generic):
            return super().truth(value)
        if value.size != 1:
            raise CaseError("other", f"Boolean value of Tensor with more than one value is "
                                     f"ambiguous (a condition of shape {list(value.shape)}); "
                                     "reduce it first, e.g. with sum() or amax()")
        e = value.expr
        if isinstance(e, sp.logic.boolalg.BooleanAtom):
            return bool(e)
        if isinstance(e, sp.core.relational.Relational) and type(e) in RELATION_OPS:
            op, lhs, rhs = RELATION_OPS[type(e)], e.lhs, e.rhs
        else:
            op, lhs, rhs = "!=", e, sp.Integer(0)
        a = self.values(Generic(value.shape, lhs)).ravel()[0]
        b = self.values(Generic(value.shape, rhs)).ravel()[0]
        if self.valuation.mode == "longdouble":
            return _decide_longdouble(op, a, b)
        result, note = decide(op, a, b)
        if note:
            self.notes.append(note)
        return result


def _decide_longdouble(op: str, a, b) -> bool:
    a, b = np.longdouble(a), np.longdouble(b)
    scale = max(abs(a), abs(b), np.longdouble(1e-300))
    if abs(a - b) <= scale * np.longdouble(10.0) ** (4 - longdouble.DIGITS):
        raise Undecidable(f"a condition compares {a} with {b}, too close to decide in "
                          f"{longdouble.DIGITS}-digit precision")
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b, "==": False, "!=": True}[op]


def _shape(value) -> tuple:
    return value.shape if isinstance(value, Generic) else ()
