"""`GraphDerivation`: the program run once on a tape, differentiated by reverse accumulation.

Its cost grows with the computation, not with the size of an expression:
every operation is one node, evaluated exactly (rationals) or in certified
ball arithmetic, and the reverse sweep visits each node once.  The run is
repeated with more bits when a condition cannot be decided or a result has
fewer than `TARGET_DIGITS` certified digits (cancellation).

Claims are checked at the point from the same numbers; an identity proof
(claim - derivative == 0 as SymPy expressions) is attempted on the old
symbolic path only within `PROOF_SECONDS`.
"""

from __future__ import annotations

import math

import numpy as np

from verifier.cases.model import Case
from verifier.contract import hvp_direction
from verifier.lang import ir
from verifier.lang.interpreter import Interpreter, Limits
from verifier.oracle.derivation import DEFAULT_LIMITS, Derivation, check_seed
from verifier.oracle.graph.namespace import GraphNamespace
from verifier.oracle.graph.numbers import (
    MAX_PREC,
    START_PREC,
    TARGET_DIGITS,
    Decisions,
    Precision,
    Undecided,
    certified_digits,
    exact,
    is_nan,
    number,
    object_array,
    to_float,
    to_sympy,
)
from verifier.oracle.graph.tape import T, Tape

PROOF_SECONDS = 1.0  # for an identity proof of a claim on the symbolic path
# Past this many recorded operations a proof is not attempted: the monolithic expression of
# an unrolled loop swells with every step (the reason for the graph oracle).
PROOF_NODES = 48


class GraphDerivation(Derivation):
    path = "graph"

    def __init__(self, case: Case, point: dict, follow=None, limits: Limits = DEFAULT_LIMITS,
                 dtype: str = "exact") -> None:
        super().__init__(case, point, follow, limits)
        self.dtype = dtype
        self.digits = math.inf
        self.bits = START_PREC
        self.raw: dict = {}
        self.undefined: dict[str, np.ndarray] = {}

    # --- the run -----------------------------------------------------------------------
    def derive(self) -> None:
        bits = START_PREC
        while True:
            with Precision(bits):
                try:
                    self._run()
                    digits = self._certified_digits()
                except Undecided:
                    digits = -1.0
                if digits >= TARGET_DIGITS or bits >= MAX_PREC:
                    self.bits, self.digits = bits, digits
                    self._publish()
                    return
            bits = min(bits * 4, MAX_PREC)

    def _run(self) -> None:
        case = self.case
        self.decisions = Decisions()
        tape = Tape(tangents=case.order == 2)
        self.ns = GraphNamespace(tape, self.dtype, self.decisions)
        env, leaves = {}, {}
        for name, spec in case.inputs.items():
            values = _values(self.point[name])
            if spec.requires_grad:
                tangent = _exact_array(hvp_direction(spec.shape)) if case.order == 2 else None
                leaves[name] = env[name] = tape.leaf(values, tangent)
            else:
                env[name] = _constant(self.ns, spec, values)
        result, self.env, self.trace = Interpreter(self.ns, self.limits, self.follow).run(
            case.program, env)
        output = self.ns.tensor(result)
        self.output = output
        self.seed_values = _values(self.point["seed"]) if "seed" in self.point else None
        check_seed(case, output.shape, self.seed_values)
        seed = self.seed_values if self.seed_values is not None else \
            object_array([exact(1)] * output.size, output.shape)
        grads, dots = tape.backward(output, seed, leaves)
        repeat = case.backward_repeat
        self.raw = {"value": output.value}
        for name, g in grads.items():
            self.raw[f"grad.{name}"] = g * repeat if repeat != 1 else g
        if case.order == 2:
            for name, h in dots.items():
                self.raw[f"hvp.{name}"] = h
        self.notes = self.decisions.notes

    def _certified_digits(self) -> float:
        digits = math.inf
        for values in self.raw.values():
            for v in values.ravel():
                digits = min(digits, certified_digits(v))
        return digits

    def _publish(self) -> None:
        """SymPy numbers for the judge and the claims, undefined masks, provenance."""
        converted = {k: _sympy_array(v) for k, v in self.raw.items()}
        self.value = converted["value"]
        self.grads = {k[5:]: v for k, v in converted.items() if k.startswith("grad.")}
        self.hvp = {k[4:]: v for k, v in converted.items() if k.startswith("hvp.")}
        self.undefined = {k: _nan_mask(v) for k, v in self.raw.items()}
        self.floats = {k: _float_array(v) for k, v in self.raw.items()}

    def precision(self) -> str:
        if self.digits == math.inf:
            return "exact"
        if self.digits < TARGET_DIGITS:
            return (f"{max(int(self.digits), 0)} certified digits (ball arithmetic at "
                    f"{self.bits} bits; some values cancel to near 0)")
        return f"{int(self.digits)} certified digits (ball arithmetic)"

    def symbolic_grad(self, name: str):
        return None

    def variables(self) -> dict:
        out = {}
        for name, v in self.env.items():
            if name in self.case.inputs:
                continue
            if isinstance(v, (bool, int)):
                out[name] = v
            elif isinstance(v, T) and v.size == 1 and v.node is None:
                x = v.value.reshape(()).item()
                if isinstance(x, bool):
                    continue
                s = to_sympy(x)
                out[name] = int(s) if s.is_Integer else s
        return out

    # --- claims ------------------------------------------------------------------------
    def claim(self, expr: ir.Expr, bits: int | None = None):
        # A claim needs values only: the variables enter as constants, so no rule is asked
        # for derivatives (inverse() in the claim of an order-2 case has none to give).
        env = {k: T(v.value) if isinstance(v, T) else v for k, v in self.env.items()}
        if self.seed_values is not None:
            env["seed"] = T(self.seed_values)
        with Precision(bits or self.bits):
            result, _, _ = Interpreter(self.ns, self.limits).run(ir.Program(body=(), result=expr),
                                                                 env)
            return ClaimValue(expr, self.ns.tensor(result))

    def check_claim(self, field: str, claim, result_type):
        """A closed-form claim at the point (exactly, or to certified digits), then, if it
        holds there, an identity proof within PROOF_SECONDS."""
        from verifier.oracle.claims import EXACT, IDENTITY, SHOWN
        exact_values = self.raw.get(field)
        value = self.claim(claim.expr)
        try:
            claimed = np.broadcast_to(value.tensor.value, exact_values.shape)
        except ValueError:
            return result_type(field, "error", message=f"{field}: the claim {claim.text!r} has "
                                                       f"shape {list(value.shape)}, the quantity "
                                                       f"{list(exact_values.shape)}; they do not "
                                                       "broadcast")
        bad, max_err, all_exact = [], 0.0, True
        with Precision(self.bits):
            for i, (c, e) in enumerate(zip(claimed.ravel(), exact_values.ravel())):
                holds, err, both_exact = _claim_holds(c, e)
                all_exact = all_exact and both_exact
                max_err = max(max_err, err)
                if not holds:
                    bad.append(i)
        if bad:
            parts = []
            for i in bad[:SHOWN]:
                index = np.unravel_index(i, exact_values.shape) if exact_values.shape else ()
                where = f"{field}{list(map(int, index))}" if exact_values.shape else field
                parts.append(f"{where}: claimed {_text(claimed.flat[i])}, exact "
                             f"{_text(exact_values.flat[i])}")
            more = f" (and {len(bad) - SHOWN} more elements)" if len(bad) > SHOWN else ""
            return result_type(field, "fail", EXACT if all_exact else self._digits_how(),
                               max_err, f"the claim {claim.text!r} is wrong at {len(bad)} of "
                                        f"{exact_values.size} elements: " + "; ".join(parts) + more)
        if self.identity(value, field):
            return result_type(field, "pass", IDENTITY, max_err)
        if not all_exact:
            refuted = self._refute(claim, exact_values)
            if refuted is not None:
                index, bits, difference = refuted
                where = f"{field}{list(map(int, index))}" if exact_values.shape else field
                return result_type(field, "fail", f"certified at {bits} bits", difference,
                                   f"the claim {claim.text!r} is wrong: at {where} it differs "
                                   f"from the exact value {_text(exact_values[index])} by "
                                   f"{difference:.3g}, beyond {TARGET_DIGITS} digits "
                                   f"(certified at {bits} bits)")
        return result_type(field, "pass", EXACT if all_exact else self._digits_how(), max_err)

    def _refute(self, claim, exact_values: np.ndarray):
        """Where the exact value is a rational and the claim a ball that agrees to the target
        digits (sqrt(2) claimed for six Newton steps, off by 3e-49), the claim at more bits
        may be certified to differ: (index, bits, |difference|) then, else None."""
        from flint import arb, fmpq
        rational = [i for i, e in enumerate(exact_values.ravel()) if type(number(e)) is fmpq]
        if not rational:
            return None
        bits = self.bits
        while bits < MAX_PREC:
            bits = min(4 * bits, MAX_PREC)
            with Precision(bits):
                claimed = np.broadcast_to(self.claim(claim.expr, bits).tensor.value,
                                          exact_values.shape)
                for i in rational:
                    c = number(claimed.ravel()[i])
                    if type(c) is fmpq:
                        continue  # compared exactly already
                    d = arb(c) - arb(number(exact_values.ravel()[i]))
                    if d.is_finite() and not d.contains(0):
                        index = np.unravel_index(i, exact_values.shape) if exact_values.shape \
                            else ()
                        return index, bits, abs(float(d.mid()))
        return None

    def _digits_how(self) -> str:
        return f"{TARGET_DIGITS} certified digits at these inputs"

    def claim_numbers(self, claim: "ClaimValue", shape: tuple) -> np.ndarray:
        with Precision(self.bits):
            return _sympy_array(np.broadcast_to(claim.tensor.value, shape))

    def identity(self, claim: "ClaimValue", field: str) -> bool:
        """claim == derivative as expressions, on the symbolic path, within PROOF_SECONDS."""
        from verifier.contract import TimeLimit
        from verifier.runner.timeout import CaseTimeout, time_limit
        if len(self.ns.tape.nodes) > PROOF_NODES:
            self.notes.append(f"{field}: no identity proof attempted ({len(self.ns.tape.nodes)} "
                              f"operations); checked at these inputs")
            return False
        try:
            with time_limit(PROOF_SECONDS, "an identity proof"):
                symbolic = self.symbolic_derivation()
                return symbolic.identity(symbolic.claim(claim.expr), field)
        except CaseTimeout:
            self.notes.append(f"{field}: no identity proof within {PROOF_SECONDS:g} s; checked "
                              "at these inputs")
            return False
        except TimeLimit:
            raise
        except Exception:  # noqa: BLE001 - no proof is not an error: the numbers decide
            return False

    def symbolic_derivation(self):
        """The monolithic SymPy derivation at the same point and path (small cases)."""
        if getattr(self, "_symbolic", None) is None:
            from verifier.oracle.backend import symbolic_derivation
            self._symbolic = symbolic_derivation(self.case, self.point, self.trace, self.limits)
        return self._symbolic


def error_bounds(case: Case, point: dict, trace: tuple, dtype: str,
                 limits: Limits = DEFAULT_LIMITS) -> dict[str, np.ndarray]:
    """The attainable error bound of every quantity at `dtype` (rounding.py): the radii of
    the same graph evaluated with inputs and operations widened by their rounding."""
    from verifier.oracle.graph.rounding import UNIT_ROUNDOFF, as_ball, radii
    u = UNIT_ROUNDOFF[dtype]
    with Precision(START_PREC):
        tape = Tape(tangents=case.order == 2, rounding=u)
        ns = GraphNamespace(tape, dtype, MidpointDecisions(), literal_rounding=u)
        env, leaves = {}, {}
        for name, spec in case.inputs.items():
            values = _values(point[name])
            if spec.dtype is None:  # an int64/int32/bool input is not rounded: exact
                values = _balls(values, u, as_ball)
            if spec.requires_grad:
                tangent = _exact_array(hvp_direction(spec.shape)) if case.order == 2 else None
                leaves[name] = env[name] = tape.leaf(values, tangent)
            else:
                env[name] = _constant(ns, spec, values)
        result, _, _ = Interpreter(ns, limits, trace).run(case.program, env)
        output = ns.tensor(result)
        seed = _balls(_values(point["seed"]), u, as_ball) if "seed" in point else \
            object_array([exact(1)] * output.size, output.shape)
        grads, dots = tape.backward(output, seed, leaves)
        bounds = {"value": radii(output.value)}
        for name, g in grads.items():
            bounds[f"grad.{name}"] = radii(g) * case.backward_repeat
        if case.order == 2:
            for name, h in dots.items():
                bounds[f"hvp.{name}"] = radii(h)
        return bounds


def _constant(ns, spec, values: np.ndarray) -> T:
    """An input that is not differentiated; an int64/int32 one keeps its dtype for torch's
    promotion (integer_typing.py; a bool one is recognized by its values)."""
    if spec.dtype in ("int64", "int32"):
        return ns.integers.mark(T(values), np.dtype(spec.dtype))
    return T(values)


def _balls(values: np.ndarray, u: float, as_ball) -> np.ndarray:
    return object_array([as_ball(v, u) for v in values.ravel().tolist()], values.shape)


class MidpointDecisions(Decisions):
    """Conditions decided at the balls' midpoints: the bound follows the exact run's path."""

    def compare(self, op: str, a, b) -> bool:
        from flint import arb
        a = a.mid() if isinstance(a, arb) and a.is_finite() else a
        b = b.mid() if isinstance(b, arb) and b.is_finite() else b
        return super().compare(op, a, b)


class ClaimValue:
    def __init__(self, expr, tensor: T) -> None:
        self.expr = expr
        self.tensor = tensor

    @property
    def shape(self) -> tuple:
        return self.tensor.shape


def _claim_holds(c, e) -> tuple[bool, float, bool]:
    """(the claimed number equals the exact one, |difference| as a float, both exact)."""
    from flint import arb, fmpq
    if isinstance(c, bool) or isinstance(e, bool):
        return c == e, 0.0, True
    c, e = number(c), number(e)
    if type(c) is fmpq and type(e) is fmpq:
        d = c - e
        return d == 0, abs(to_float(d)), True
    if is_nan(c) or is_nan(e):
        return False, math.nan, False
    if isinstance(c, arb) and not c.is_finite() or isinstance(e, arb) and not e.is_finite():
        return to_float(c) == to_float(e), 0.0, False
    d = arb(c) - arb(e)
    err = abs(float(d.mid()))
    # equal to TARGET_DIGITS digits of the exact value: the difference ball lies inside that
    scale = max(abs(arb(e)).upper(), arb(10) ** -300)
    return bool(abs(d).upper() <= scale * arb(10) ** (1 - TARGET_DIGITS)), err, False


def _text(v) -> str:
    from flint import fmpq
    v = number(v)
    if type(v) is fmpq:
        return str(v)
    return v.str(20, radius=False) if v.is_finite() else str(to_float(v))


def _values(p) -> np.ndarray:
    """A point input's values as exact rationals (a bool input's as Python bools)."""
    if p.boolean:
        return object_array([bool(v != 0) for v in p.as_fractions().ravel().tolist()], p.shape)
    if p.uniform is not None:
        return object_array([exact(p.uniform)] * int(np.prod(p.shape, dtype=np.int64)), p.shape)
    if p.floats is not None:
        return _exact_array(p.floats)
    return _exact_array(p.fractions)


def _exact_array(values) -> np.ndarray:
    values = np.asarray(values)
    return object_array([exact(v) for v in values.ravel().tolist()], values.shape)


# Past this many elements exact rationals are handed on as Fractions (every consumer takes
# them; a SymPy Rational costs several times more to make).
SYMPY_ELEMENTS = 10_000


def _sympy_array(values: np.ndarray) -> np.ndarray:
    from fractions import Fraction

    from flint import fmpq
    values = np.asarray(values, dtype=object)
    if values.size > SYMPY_ELEMENTS:
        flat = [Fraction(int(v.p), int(v.q)) if type(v) is fmpq else to_sympy(v)
                for v in values.ravel().tolist()]
    else:
        flat = [to_sympy(v) for v in values.ravel().tolist()]
    return object_array(flat, np.shape(values))


def _float_array(values: np.ndarray) -> np.ndarray:
    return np.array([to_float(v) for v in values.ravel()], dtype=np.float64).reshape(values.shape)


def _nan_mask(values: np.ndarray) -> np.ndarray:
    return np.array([is_nan(v) for v in values.ravel()], dtype=bool).reshape(values.shape)
