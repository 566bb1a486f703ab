"""Elementwise ops: local derivatives from SymPy's differentiation of the op's SymPy form.

For an op f(a, b, ...; params) the registry's SymPy form is applied once to
placeholder symbols; SymPy differentiates the result (first partials, and
second partials when the case asks for order 2), and each expression is
compiled to an evaluator (compile.py).  The derivation is cached per op,
parameters and arity, so a loop of a thousand `tanh` calls derives tanh once.
The oracle's derivatives thus come from SymPy, never from the engine's
hand-written VJPs.
"""

from __future__ import annotations

import numpy as np
import sympy as sp
from flint import arb

from verifier.oracle.evaluate import as_sympy
from verifier.oracle.graph.compile import Compiled
from verifier.oracle.graph.rounding import ELEMENTWISE_ULPS, absolute, widen
from verifier.oracle.graph.tape import times_adjoint, unbroadcast

_DERIVED: dict = {}


class Derived:
    """f, its first partials and (lazily) second partials, compiled, for one op call shape.

    `slots` says, per tensor argument, ("x", differentiable, boolean) for a tensor, or
    ("c", number) for a constant scalar, which is put into the expression itself (x ** 2
    compiles to a square, not to a power of two tensors).
    """

    def __init__(self, op, params: dict, slots: tuple) -> None:
        self.symbols, args = [], []
        for i, slot in enumerate(slots):
            if slot[0] == "c":
                args.append(np.array(slot[1], dtype=object))
                continue
            # A boolean input (where's condition) is a plain symbol: SymPy takes it as a condition.
            s = sp.Dummy(f"c{i}") if slot[2] else sp.Dummy(f"a{i}", real=True)
            self.symbols.append(s)
            args.append(np.array(s, dtype=object))
        self.pow_exponent = op.name == "pow" and slots[1][0] == "x"
        expr = np.asarray(op.sympy(*args, **params), dtype=object)
        if expr.shape != ():
            raise ValueError(f"{op.name}() did not act elementwise")
        self.expr = as_sympy(expr.item())
        self.value = Compiled(self.expr, self.symbols)
        variables = [slot for slot in slots if slot[0] == "x"]
        self.differentiable = tuple(slot[1] for slot in variables)
        self.partials = [self._partial(op, i) if self.differentiable[i] else None
                         for i in range(len(variables))]
        self._second: dict = {}

    def _partial(self, op, i: int):
        d = sp.diff(self.expr, self.symbols[i])
        if op.name == "pow":
            d = _pow_partial(self.symbols, i, d, self.pow_exponent)
        if op.name == "norm_root":
            # the norm's convention at the zero vector (a real kink): gradient 0 (torch)
            d = sp.Piecewise((0, sp.Eq(self.symbols[0], 0)), (d, True))
        return d

    def first(self, i: int) -> Compiled:
        key = ("first", i)
        if key not in self._second:
            self._second[key] = Compiled(self.partials[i], self.symbols)
        return self._second[key]

    def second(self, i: int, j: int) -> Compiled:
        key = (min(i, j), max(i, j))
        if key not in self._second:
            self._second[key] = Compiled(sp.diff(self.partials[key[0]], self.symbols[key[1]]),
                                         self.symbols)
        return self._second[key]


def _pow_partial(symbols, i, d, exponent_is_tensor: bool):
    """pow's partials at a = 0, where SymPy's forms give 0 * log 0 or b * 0 / 0.

    d(a^b)/da = b a^(b-1) (powsimp of a^b b / a), which is 0 for b = 0: a^0 is identically 1
    as a function of a (0^0 = 1), where the form reads 0 * 0^-1.  d(a^b)/db = a^b log a,
    which is 0 at a = 0 for b > 0: a^b is identically 0 there as a function of b; at b = 0
    it jumps (0^b is 1 at 0, 0 above, inf below) and torch's convention is 0 too.
    """
    if len(symbols) == 1:  # one side is a constant
        return d if exponent_is_tensor else sp.powsimp(d)
    a, b = symbols
    if i == 0:
        return sp.Piecewise((0, sp.Eq(b, 0)), (sp.powsimp(d), True))
    return sp.Piecewise((0, sp.And(sp.Eq(a, 0), b >= 0)), (d, True))


def derived(op, params: dict, slots: tuple) -> Derived:
    key = (op.name, op.sympy, repr(sorted(params.items())), slots)
    if key not in _DERIVED:
        _DERIVED[key] = Derived(op, params, slots)
    return _DERIVED[key]


class ElementwiseRule:
    """One elementwise call: partials evaluated at the point, in the broadcast shape."""

    def __init__(self, derivation: Derived, args: list, shape: tuple, decisions) -> None:
        self.d = derivation
        self.shape = shape
        self.decisions = decisions
        self.flat = [np.broadcast_to(a, shape).ravel() for a in args]
        self.partials = []
        for i, wanted in enumerate(derivation.differentiable):
            if not wanted:
                self.partials.append(None)
                continue
            p = derivation.first(i)(self.flat, decisions).reshape(shape)
            self.partials.append((p, _all_finite(p)))

    def value(self) -> np.ndarray:
        return self.d.value(self.flat, self.decisions).reshape(self.shape)

    def round_forward(self, value, inputs, u):
        return widen(value, None, u * ELEMENTWISE_ULPS)

    def round_backward(self, grad, g, t, u):
        # g * partial (one rounding, two with a second-order term), then the broadcast sum
        terms = max(1, int(np.prod(self.shape, dtype=np.int64)) // max(1, t.size))
        grad = widen(grad, None, u * (2 + terms))
        if len(self.flat) != 1 or self.partials[0] is None:
            return grad
        # A backward that reads the rounded output (tanh' = 1 - out², sigmoid' = out(1 - out))
        # sees f perturbed by u|f|, i.e. x by u|f|/|f'|: the partial moves by |f''| u|f| / |f'|.
        f = self.d.value(self.flat, self.decisions)
        p = self.partials[0][0].reshape(-1)
        second = self.d.second(0, 0)(self.flat, self.decisions)
        sensitivity = np.empty(len(f), dtype=object)
        for i, (fi, pi, si) in enumerate(zip(f.tolist(), p.tolist(), second.tolist())):
            sensitivity[i] = _output_sensitivity(fi, pi, si)
        magnitude = unbroadcast(absolute(np.broadcast_to(g, self.shape)) *
                                sensitivity.reshape(self.shape), t.shape)
        return widen(grad, magnitude, u)

    def tangent(self, tangents: list, shape: tuple):
        total = None
        for i, t in enumerate(tangents):
            if t is None or self.partials[i] is None:
                continue
            term = self.partials[i][0] * np.broadcast_to(t, shape)
            total = term if total is None else total + term
        return total

    def backward(self, g, g_dot, inputs):
        out = []
        tangents = [getattr(t, "tangent", None) for t in inputs]
        for i, t in enumerate(inputs):
            if self.partials[i] is None or getattr(t, "node", None) is None:
                out.append(None)
                continue
            p, finite = self.partials[i]
            grad = unbroadcast(times_adjoint(g, p, finite), t.shape)
            grad_dot = None
            if g_dot is not None or any(x is not None for x in tangents):
                total = times_adjoint(g_dot, p, finite) if g_dot is not None else None
                for j, tj in enumerate(tangents):
                    if tj is None or self.partials[j] is None:
                        continue
                    h = self.d.second(i, j)(self.flat, self.decisions).reshape(self.shape)
                    term = times_adjoint(g, h * np.broadcast_to(tj, self.shape), False)
                    total = term if total is None else total + term
                grad_dot = None if total is None else unbroadcast(total, t.shape)
            out.append((grad, grad_dot))
        return out


def _output_sensitivity(f, p, second):
    from flint import fmpq
    values = [arb(v) if type(v) is fmpq else v for v in (f, p, second)]
    if any(not isinstance(v, arb) or not v.is_finite() for v in values):
        return fmpq(0)
    f, p, second = values
    if p.is_exact() and p.is_zero() or not abs(p) > 0:
        return fmpq(0)
    return abs(second) * abs(f) / abs(p)


def _all_finite(values: np.ndarray) -> bool:
    for v in values.reshape(-1).tolist():
        if type(v) is arb and not v.is_finite():
            return False
    return True
