"""The difference quotients of `fd` (the rules are in fd.py's docstring)."""

from __future__ import annotations

import time

import numpy as np

from verifier.backends.base import LimitExceeded, Run, hvp_direction
from verifier.backends.fd_forward import EngineForward, ForwardFailed, PreciseForward
from verifier.backends.numeric import scalar_variables, to_float64
from verifier.cases.model import Case
from verifier.lang.interpreter import Limits

# Element-operations the precise forward may evaluate for one case's differences (about
# 100 µs each at 50 digits: a few seconds at most).
PRECISE_BUDGET = 2_500
NONCONVERGED = 0.6  # successive differences that shrink less than this: no convergence
KINK = 0.75  # a slope gap that shrinks less than this when the step halves: a kink
SETTLED = 1e-18  # two quotients this close (relative) need no third step
EVALUATIONS_PER_ELEMENT = (7, 12)  # first order (6 + one-sided spares), second order


class Unusable(Exception):
    """This element has no finite-difference derivative; the message says why."""


class Differences:
    def __init__(self, case: Case, run: Run, limits: Limits, deadline: float) -> None:
        self.case, self.run, self.limits, self.deadline = case, run, limits, deadline
        self.forward = None
        self.f0 = None
        self.trace: tuple = ()
        self.largest_f = 0.0
        self.kinks: set = set()

    def compute(self) -> None:
        run, case = self.run, self.case
        engine = EngineForward(case, run.inputs, self.limits)
        out, variables, trace = engine.run(run.inputs)
        run.value = to_float64(out)
        run.trace = trace
        run.variables = scalar_variables(variables, engine.engine.Tensor)
        self.forward = self._choose(engine)
        if self.forward is not engine:
            run.value = self.forward.value()
        try:
            self.f0, self.trace = self._call({})
        except ForwardFailed as exc:
            self.f0 = None
            run.notes.append(f"fd: f is not a finite real number at the point ({exc}); "
                             "no element can be differentiated")
        run.trace = self.trace or run.trace
        repeat = case.backward_repeat
        for name in case.grad_inputs:
            grad, estimate = self._each(name, self._first_order)
            run.grads[name] = grad * repeat
            run.error_estimate[name] = estimate * repeat
        if case.order >= 2:
            for name in case.grad_inputs:
                hvp, estimate = self._each(name, self._second_order, "hvp.")
                run.hvp[name], run.error_estimate["hvp." + name] = hvp, estimate
        kind = ("a 50-digit forward through the registry's SymPy forms (independent of the "
                "engine and of SymPy's diff)" if self.forward.independent else
                "the engine's float64 forward (too slow at 50 digits here: not independent of "
                "the engine)")
        run.notes.append(f"fd: central differences of {kind}, steps h, h/2, h/4 with a "
                         "convergence and kink test")

    def _choose(self, engine: EngineForward):
        """The precise forward where its cost fits PRECISE_BUDGET, else the engine's.

        The cost is counted, not timed, so that the choice (and fd's numbers) is the same
        on a loaded machine, in parallel runs and in the baseline: evaluations × operations
        executed × elements of the largest input.
        """
        from verifier.compare.tolerance import _count, _iterations
        operations, _ = _count(self.case.program, _iterations(self.run.trace))
        largest = max([1] + [a.size for a in self.run.inputs.values()])
        n = sum(self.run.inputs[name].size for name in self.case.grad_inputs)
        per = EVALUATIONS_PER_ELEMENT[0] + (EVALUATIONS_PER_ELEMENT[1] if self.case.order >= 2 else 0)
        if per * max(1, n) * max(1, operations) * largest > PRECISE_BUDGET:
            return engine
        try:
            precise = PreciseForward(self.case, self.run.inputs, self.limits)
            precise({})
        except (ForwardFailed, LimitExceeded, Exception):  # noqa: BLE001 - fall back, said in notes
            return engine
        return precise

    # --- evaluating f ----------------------------------------------------------
    def _call(self, shifts: dict):
        if time.perf_counter() > self.deadline:
            raise LimitExceeded("finite differences took longer than their time limit; "
                                "the case's program is too slow to evaluate element by element")
        value, trace = self.forward(shifts)
        self.largest_f = max(self.largest_f, abs(float(value)))
        return value, trace

    def _f(self, shifts: dict):
        value, trace = self._call(shifts)
        if trace != self.trace:
            raise Unusable(f"a step of the difference takes another path {trace} than the "
                           f"point's {self.trace}, so f is not smooth across it")
        return value

    def _step(self, name: str, index, h: float) -> dict:
        e = np.zeros(self.run.inputs[name].shape)
        e[index] = h
        return {name: e}

    def _each(self, name: str, method, prefix: str = ""):
        x = self.run.inputs[name]
        values = np.full(x.shape, np.nan)
        estimate = np.full(x.shape, np.inf)
        for index in np.ndindex(x.shape):
            try:
                if self.f0 is None:
                    raise Unusable("f is not a finite real number at the point")
                values[index], estimate[index] = method(name, index)
            except Unusable as exc:
                label = f"{prefix or 'grad.'}{name}{list(index) if index else ''}"
                self.run.notes.append(f"fd {label}: not checked: {exc}")
        return values, estimate

    # --- first order -----------------------------------------------------------
    def _first_order(self, name: str, index) -> tuple[float, float]:
        x = float(self.run.inputs[name][index])
        h = self.forward.first_step * max(1.0, abs(x))
        steps = (h, h / 2, h / 4)
        try:
            pairs = [self._pair(name, index, s) for s in steps[:2]]
            if not self._settled(pairs, steps):
                pairs.append(self._pair(name, index, steps[2]))
        except ForwardFailed:
            return self._one_sided(name, index, steps)
        used = steps[:len(pairs)]
        rounding = 8 * self.forward.eps * self.largest_f / used[-1]
        gaps = [abs(float(p + m - 2 * self.f0)) / s for (p, m), s in zip(pairs, used)]
        if gaps[-1] > 4 * rounding and gaps[-1] > KINK * gaps[-2]:
            self.kinks.add((name, index))
            raise Unusable(f"f has a kink here (the one-sided slopes differ by {gaps[-1]:.3g}): "
                           "its derivative is a convention of the registry, which finite "
                           "differences cannot check")
        quotients = [float((p - m) / (2 * self._num(s))) for (p, m), s in zip(pairs, used)]
        return self._converged(quotients, rounding)

    def _pair(self, name: str, index, s: float):
        return self._f(self._step(name, index, s)), self._f(self._step(name, index, -s))

    def _settled(self, pairs, steps) -> bool:
        """Two steps already agree far below float64's resolution, without a kink: the
        third step would only confirm it (the precise forward's common case, 4 evaluations
        instead of 6)."""
        if not self.forward.independent:
            return False
        (p1, m1), (p2, m2) = pairs
        q1, q2 = float((p1 - m1) / (2 * self._num(steps[0]))), float((p2 - m2) / (2 * self._num(steps[1])))
        g1 = abs(float(p1 + m1 - 2 * self.f0)) / steps[0]
        g2 = abs(float(p2 + m2 - 2 * self.f0)) / steps[1]
        return abs(q1 - q2) <= SETTLED * abs(q2) and g2 <= KINK * g1 + SETTLED * abs(q2)

    def _one_sided(self, name: str, index, steps) -> tuple[float, float]:
        for sign, side in ((1, "right"), (-1, "left")):
            try:
                values = [(self._f(self._step(name, index, sign * s)),
                           self._f(self._step(name, index, 2 * sign * s))) for s in steps]
            except ForwardFailed:
                continue
            quotients = [float((-3 * self.f0 + 4 * a - b) / (2 * sign * self._num(s)))
                         for (a, b), s in zip(values, steps)]
            rounding = 16 * self.forward.eps * self.largest_f / steps[-1]
            value, estimate = self._converged(quotients, rounding)
            self.run.notes.append(f"fd {name}{list(index)}: at a domain edge, one-sided "
                                  f"({side}) differences")
            return value, estimate
        raise Unusable("the forward fails on both sides of the point (outside the domain)")

    def _converged(self, quotients: list[float], rounding: float) -> tuple[float, float]:
        """The last quotient and its error estimate; two quotients come settled (see
        `_settled`), three are tested for convergence."""
        if not all(np.isfinite(quotients)):
            raise Unusable("the difference quotients are not finite")
        last = abs(quotients[-1] - quotients[-2])
        if len(quotients) == 3 and last > 2 * rounding and \
                last > NONCONVERGED * abs(quotients[0] - quotients[1]):
            raise Unusable(f"the difference quotients do not converge ({quotients[0]:.6g}, "
                           f"{quotients[1]:.6g}, {quotients[2]:.6g} at steps h, h/2, h/4)")
        # plus the rounding of the reported float64 number itself
        return quotients[-1], last + rounding + abs(quotients[-1]) * 2.0 ** -52

    def _vector(self, a: np.ndarray) -> np.ndarray:
        if not hasattr(self.forward, "number"):
            return a
        return np.vectorize(self.forward.number, otypes=[object])(a)

    def _num(self, x: float):
        return self.forward.number(x) if hasattr(self.forward, "number") else x

    # --- second order ----------------------------------------------------------
    def _second_order(self, name: str, index) -> tuple[float, float]:
        if (name, index) in self.kinks:
            raise Unusable("the first derivative has a kink here, so there is no second")
        direction = {n: hvp_direction(self.run.inputs[n].shape) for n in self.case.grad_inputs}
        largest = max([1.0] + [float(np.max(np.abs(self.run.inputs[n]), initial=0.0))
                               for n in direction])
        h = self.forward.second_step * max(1.0, abs(float(self.run.inputs[name][index])))
        t = self.forward.second_step * largest
        try:
            levels = [self._mixed(name, index, h / k, t / k, direction) for k in (1, 2)]
            (m1, g1), (m2, g2) = levels
            settled = self.forward.independent and abs(m1 - m2) <= SETTLED * abs(m2) and \
                g2 <= KINK * g1 + SETTLED * abs(m2)
            if not settled:
                levels.append(self._mixed(name, index, h / 4, t / 4, direction))
        except ForwardFailed as exc:
            raise Unusable(f"a step leaves the domain ({exc})") from None
        k = 2 ** (len(levels) - 1)
        rounding = 16 * self.forward.eps * self.largest_f / (h * t / k ** 2)
        gaps = [gap for _, gap in levels]
        if gaps[-1] > 4 * rounding and gaps[-1] > KINK * gaps[-2]:
            raise Unusable(f"the first derivative has a kink here (its one-sided slopes differ "
                           f"by {gaps[-1]:.3g}): the second derivative is a convention of the "
                           "registry, which finite differences cannot check")
        return self._converged([m for m, _ in levels], rounding)

    def _mixed(self, name: str, index, h: float, t: float, direction: dict):
        """(M(h, t), the gap between the one-sided slopes of the directional derivative).

        g(y) = (f(y + t v) − f(y − t v)) / 2t is the derivative along v; M is its central
        difference along e_i, and |g(x+h) − 2 g(x) + g(x−h)| / h its slope gap, which
        shrinks with h unless g has a kink at x (a C¹ switch such as a Huber loss).
        """
        e = np.zeros(self.run.inputs[name].shape)
        e[index] = h

        # Shifts summed in the forward's own precision: in float64, t·v + h − t·v is not h,
        # and that rounding, divided by h, would look like a kink of the first derivative.
        along = {n: self._vector(v) for n, v in direction.items()}
        step = self._vector(e)

        def g(sign_h: int):
            values = []
            for sign_t in (1, -1):
                shifts = {n: self._num(sign_t * t) * v for n, v in along.items()}
                shifts[name] = shifts[name] + sign_h * step
                values.append(self._f(shifts))
            return (values[0] - values[1]) / (2 * self._num(t))

        plus, middle, minus = g(1), g(0), g(-1)
        return float((plus - minus) / (2 * self._num(h))), abs(float(plus - 2 * middle + minus)) / h
