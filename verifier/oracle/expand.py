"""The expansion path: one SymPy symbol per element of every input that requires grad.

For structure that mixes elements (matmul, indexing, partial reductions) or
for small inputs.  The program is run once over arrays of symbols, deciding
each condition at the point; the output is contracted with the seed and
differentiated symbol by symbol.  Cost grows like N^1.75, so more than
`EXPAND_LIMIT` symbols is an error, not a hang.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from verifier.cases.model import Case
from verifier.contract import CaseError, hvp_direction
from verifier.lang import ir
from verifier.lang.interpreter import Interpreter, Limits
from verifier.oracle.derivation import DEFAULT_LIMITS, Derivation, check_seed, element_symbols, is_zero
from verifier.oracle.evaluate import as_sympy, at_point, exact_number, rational
from verifier.oracle.point_namespace import PointNamespace

EXPAND_LIMIT = 2000  # symbols (elements of inputs that require grad)
ELEMENT_LIMIT = 20000  # elements of all inputs together


class ExpansionDerivation(Derivation):
    path = "expand"

    def __init__(self, case: Case, point: dict, follow=None, limits: Limits = DEFAULT_LIMITS,
                 reason: str = "the program is not only elementwise ops and full reductions"
                 ) -> None:
        super().__init__(case, point, follow, limits)
        n_symbols = sum(int(np.prod(case.inputs[n].shape, dtype=np.int64))
                        for n in case.grad_inputs)
        n_elements = sum(int(np.prod(p.shape, dtype=np.int64)) for p in point.values())
        if n_symbols > EXPAND_LIMIT or n_elements > ELEMENT_LIMIT:
            raise CaseError("other", f"the oracle would expand {n_symbols} symbols "
                                     f"({n_elements} input elements; limits {EXPAND_LIMIT} and "
                                     f"{ELEMENT_LIMIT}): {reason}. Use smaller inputs, or "
                                     "elementwise ops and full reductions, which the oracle "
                                     "differentiates for one generic element")
        self.symbols: dict[str, np.ndarray] = {}
        self.at: dict = {}  # Symbol -> Rational
        env = {}
        for name, spec in case.inputs.items():
            values = point[name].rationals()
            if spec.requires_grad:
                symbols = element_symbols(name, spec.shape)
                self.symbols[name] = symbols
                self.at.update(zip(symbols.flat, values.flat))
                env[name] = symbols
            else:
                env[name] = values
        self.ns = PointNamespace(self.at)
        result, self.env, self.trace = Interpreter(self.ns, limits, follow).run(case.program, env)
        self.output = self.ns._array(result)
        self.seed = point["seed"].rationals() if "seed" in point else None
        check_seed(case, self.output.shape, self.seed)
        self.notes = self.ns.notes

    def derive(self) -> None:
        seeded = self.output if self.seed is None else self.output * self.seed
        s = sp.Add(*seeded.flat)
        once = {name: _diff(s, syms) for name, syms in self.symbols.items()}
        repeat = self.case.backward_repeat
        self.symbolic = {name: g * repeat if repeat != 1 else g for name, g in once.items()}
        self.value = self.evaluate(self.output)
        self.grads = {name: self.evaluate(g) for name, g in self.symbolic.items()}
        if self.case.order == 2:
            h = sp.Add(*[sp.Add(*(g * _direction(g.shape)).flat) for g in once.values()])
            self.hvp = {name: self.evaluate(_diff(h, syms)) for name, syms in self.symbols.items()}

    def evaluate(self, array) -> np.ndarray:
        array = self.ns._array(array)
        out = np.empty(array.shape, dtype=object)
        for i, e in enumerate(array.flat):
            out.flat[i] = exact_number(at_point(as_sympy(e), self.at))
        return out

    def symbolic_grad(self, name: str):
        g = self.symbolic[name]
        return g.reshape(()).item() if g.ndim == 0 else sp.Array(g.tolist())

    # --- claims ----------------------------------------------------------------------
    def claim(self, expr: ir.Expr):
        env = dict(self.env)
        if self.seed is not None:
            env["seed"] = self.seed
        interpreter = Interpreter(self.ns, self.limits)
        result, _, _ = interpreter.run(ir.Program(body=(), result=expr), env)
        return self.ns._array(result)

    def claim_numbers(self, claim, shape: tuple) -> np.ndarray:
        return self.evaluate(np.broadcast_to(claim, shape))

    def identity(self, claim, field: str) -> bool:
        target = self.output if field == "value" else self.symbolic[field[len("grad."):]]
        claim = np.broadcast_to(claim, target.shape)
        return all(is_zero(as_sympy(c) - as_sympy(t)) for c, t in zip(claim.flat, target.flat))


def _diff(s, symbols: np.ndarray) -> np.ndarray:
    out = np.empty(symbols.shape, dtype=object)
    for i, x in enumerate(symbols.flat):
        out.flat[i] = sp.diff(s, x)
    return out


def _direction(shape) -> np.ndarray:
    v = hvp_direction(shape)
    out = np.empty(v.shape, dtype=object)
    for i, f in enumerate(v.flat):
        out.flat[i] = rational(float(f))
    return out
