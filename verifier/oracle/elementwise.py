"""The generic-element path: differentiate once, evaluate vectorized.

See generic.py for the namespace and the reverse pass over sum nodes.  Here
the case is run with one symbol per input, the output is contracted with
the seed (itself one more generic symbol), and the derivative of each input
is one expression per summed shape, evaluated over the tensor and summed
back over broadcast dims.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from verifier.cases.model import Case
from verifier.contract import CaseError, hvp_direction
from verifier.lang import ir
from verifier.lang.interpreter import Interpreter, Limits
from verifier.oracle.derivation import DEFAULT_LIMITS, Derivation, check_seed, is_zero
from verifier.oracle.evaluate import as_sympy
from verifier.oracle.generic import Generic, GenericNamespace, NotElementwise
from verifier.oracle.point import PointInput
from verifier.oracle.values import Valuation

SEED = "seed"


class GenericDerivation(Derivation):
    path = "generic"

    def __init__(self, case: Case, point: dict, follow=None, limits: Limits = DEFAULT_LIMITS,
                 mode: str | None = None) -> None:
        super().__init__(case, point, follow, limits)
        if any(p.boolean for p in point.values()):
            # a mask is not a number that one generic element could stand for
            raise NotElementwise("a bool input (dtype: bool)")
        # Dummies: unforgeable, so an input named like another input's element cannot alias it
        self.input_symbols = {name: sp.Dummy(name, real=True) for name in point}
        self.valuation = Valuation({self.input_symbols[n]: p for n, p in point.items()}, mode)
        self.ns = GenericNamespace(self.valuation)
        env = {name: Generic(case.inputs[name].shape, self.input_symbols[name])
               for name in case.inputs}
        result, self.env, self.trace = Interpreter(self.ns, limits, follow).run(case.program, env)
        if isinstance(result, (list, bool)):
            raise CaseError("other", "the program's output is not a tensor")
        self.output = self.ns._generic(result)
        self.seed = Generic(point[SEED].shape, self.input_symbols[SEED]) if SEED in point else None
        check_seed(case, self.output.shape, None if self.seed is None else
                   np.broadcast_to(np.empty((), dtype=object), self.seed.shape))
        self.notes = self.ns.notes

    def derive(self) -> None:
        out = self.output
        seeded = out.expr if self.seed is None else out.expr * self.seed.expr
        total = self.ns.reduce_sum(seeded, out.shape)
        wrt = {name: self.input_symbols[name] for name in self.case.grad_inputs}
        once = self.ns.gradient(total, wrt)
        repeat = self.case.backward_repeat
        self.symbolic = {name: {s: e * repeat for s, e in terms.items()}
                         for name, terms in once.items()}
        self.value = self.ns.values(out)
        self.grads = {name: self._gradient_values(name, terms)
                      for name, terms in self.symbolic.items()}
        if self.case.order == 2:
            self.hvp = self._hvp(once, wrt)

    def _hvp(self, once: dict, wrt: dict) -> dict:
        # h = Σ_x <grad_x, v_x>; each term Σ_{i∈S} G(i) v_x(b(i)) is a sum over S.
        h = sp.Integer(0)
        for name, terms in once.items():
            v = sp.Dummy(f"v_{name}", real=True)
            shape = self.case.inputs[name].shape
            self.valuation.symbols[v] = PointInput(f"v_{name}", shape,
                                                   floats=hvp_direction(shape).astype(np.float64))
            for s, e in terms.items():
                h += self.ns.reduce_sum(e * v, s)
        second = self.ns.gradient(h, wrt)
        return {name: self._gradient_values(name, terms) for name, terms in second.items()}

    def _gradient_values(self, name: str, terms: dict) -> np.ndarray:
        shape = self.case.inputs[name].shape
        total = None
        for s, e in terms.items():
            part = _unbroadcast(self.ns.values(Generic(s, e)), shape)
            total = part if total is None else total + part
        if total is None:  # the output does not depend on this input
            total = self.ns.values(Generic(shape, sp.Integer(0)))
        return total if total.flags.c_contiguous else np.ascontiguousarray(total)

    def symbolic_grad(self, name: str):
        terms = self.symbolic[name]
        return sp.Add(*terms.values()) if terms else sp.Integer(0)

    # --- claims ----------------------------------------------------------------------
    def expansion(self) -> Derivation:
        """The same case on the expansion path, replaying this run's path (for claims
        that are not elementwise, such as a partial sum)."""
        if getattr(self, "_expansion", None) is None:
            from verifier.oracle.expand import ExpansionDerivation
            expanded = ExpansionDerivation(self.case, self.point, self.trace, self.limits,
                                           reason="a claim is not elementwise")
            expanded.derive()
            self._expansion = expanded
        return self._expansion

    def claim(self, expr: ir.Expr):
        env = dict(self.env)
        if self.seed is not None:
            env[SEED] = self.seed
        result, _, _ = Interpreter(self.ns, self.limits).run(ir.Program(body=(), result=expr), env)
        return self.ns._generic(result)

    def claim_numbers(self, claim: Generic, shape: tuple) -> np.ndarray:
        if np.broadcast_shapes(claim.shape, shape) != tuple(shape):
            raise ValueError(f"shape {list(claim.shape)} does not broadcast to {list(shape)}")
        values = self.ns.values(claim)
        if values.shape == tuple(shape):
            return values
        return np.ascontiguousarray(np.broadcast_to(values, shape))

    def identity(self, claim: Generic, field: str) -> bool:
        if field == "value":
            target = self.output.expr
            shape = self.output.shape
        else:
            name = field[len("grad."):]
            terms = self.symbolic[name]
            shape = self.case.inputs[name].shape
            if any(s != shape for s in terms):  # summed over broadcast dims: no one expression
                return False
            target = self.symbolic_grad(name)
        if np.broadcast_shapes(claim.shape, shape) != tuple(shape):
            return False
        d = as_sympy(claim.expr) - as_sympy(target)
        return is_zero(d)


def _unbroadcast(values: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum a gradient over the dims that broadcasting added or stretched."""
    if values.shape == tuple(shape):
        return values
    lead = values.ndim - len(shape)
    if lead > 0:
        values = values.sum(axis=tuple(range(lead)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and values.shape[i] != 1)
    if stretched:
        values = values.sum(axis=stretched, keepdims=True)
    return np.broadcast_to(values, shape)
