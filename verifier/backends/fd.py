"""`fd`: central finite differences in float64, on the engine with grad disabled.

The function differentiated is the scalar f(x) = sum(seed ⊙ out) (seed = 1 for
a scalar output), the same quantity backward differentiates.

Step rule (first order).  For input element x_i the step is
    h_i = eps^(1/3) · max(1, |x_i|),   eps = 2^-52,
the step that balances the central difference's truncation error
(h²·|f'''|/6) against its rounding error (eps·|f|/h).  The gradient reported
is D(h/2), D(h) = (f(x + h e_i) − f(x − h e_i)) / 2h, with the error estimate
    |D(h) − D(h/2)| / 3  +  8·eps·F / (h/2),       F = max |f| seen,
the first term Richardson's estimate of D(h/2)'s O(h²) truncation error,
the second its rounding error.  `backward.repeat: N` multiplies both by N, as
N accumulated backward passes do.

Second order.  hvp_i = d/dx_i <∇f, v> is a mixed second derivative, taken by
finite differences of f itself (no autograd: fd stays independent of the
engine's backward):
    M(h, t) = [f(x + h e_i + t v) − f(x + h e_i − t v)
               − f(x − h e_i + t v) + f(x − h e_i − t v)] / (4 h t)
with h = eps^(1/4)·max(1, |x_i|), t = eps^(1/4)·max(1, max|x|) (the step that
balances O(h²) truncation with eps·F/(h t) rounding); reported M(h/2, t/2)
with estimate |M(h, t) − M(h/2, t/2)| / 3 + 16·eps·F / (h t / 4).

Kinks.  Where f is not differentiable at x (relu at 0, a tie of amax), the
one-sided slopes differ by a jump that does not shrink with the step (see
`_kink`); the derivative there is a convention declared by the registry and
finite differences cannot check it: that element is NaN, estimate inf.

Where a perturbed evaluation takes another branch or loop count than the
unperturbed one (its trace differs), or fails, f is not smooth across the
step and the difference quotient means nothing: that element is NaN with an
infinite error estimate, and `notes` says why.
"""

from __future__ import annotations

import time

import numpy as np

from verifier.backends.base import Backend, LimitExceeded, Run, TimeLimit, hvp_direction
from verifier.backends.numeric import TensorNamespace, classify, scalar_variables, to_float64
from verifier.cases.model import Case
from verifier.lang.interpreter import Interpreter, Limits

EPS = float(np.finfo(np.float64).eps)
FIRST_ORDER_STEP = EPS ** (1 / 3)
SECOND_ORDER_STEP = EPS ** (1 / 4)
MAX_ELEMENTS = 256  # elements perturbed one at a time; beyond this fd is skipped
MAX_SECONDS = 10.0  # wall time of all of one case's evaluations
DEFAULT_LIMITS = Limits()


class _Diverged(Exception):
    """A perturbed evaluation took another path (or failed): no derivative there."""


class FiniteDifferences(Backend):
    name = "fd"
    dtypes = ("float64",)
    dtypes_reason = "finite differences run in float64 only"

    def __init__(self, max_elements: int = MAX_ELEMENTS, max_seconds: float = MAX_SECONDS,
                 limits: Limits = DEFAULT_LIMITS) -> None:
        self.max_elements = max_elements
        self.max_seconds = max_seconds
        self.limits = limits

    def run(self, case: Case, dtype: str) -> Run:
        run = Run(backend=self.name, dtype=dtype)
        if dtype != "float64":
            run.skipped = self.dtypes_reason
            return run
        if case.expect.error and case.expect.error != "shape":
            run.skipped = (f"finite differences run no autograd, so they cannot raise the "
                           f"expected error {case.expect.error}")
            return run
        count = sum(case.inputs[n].exact.size for n in case.grad_inputs)
        if count > self.max_elements:
            run.skipped = (f"finite differences perturb one element at a time; this case has "
                           f"{count} input elements that require grad, more than the cap of "
                           f"{self.max_elements}")
            return run
        run.inputs = {name: inp.rounded("float64") for name, inp in case.inputs.items()}
        started = time.perf_counter()
        try:
            _Differences(case, run, self.limits, started + self.max_seconds).compute()
        except TimeLimit:
            raise
        except Exception as exc:
            run.error_kind, run.error_message = classify(exc)
        run.seconds = time.perf_counter() - started
        return run


class _Differences:
    def __init__(self, case: Case, run: Run, limits: Limits, deadline: float) -> None:
        import verifier.engine as engine
        self.engine = engine
        self.case = case
        self.run = run
        self.ns = TensorNamespace(engine, uses_registry_torch=False)
        self.limits = limits
        self.deadline = deadline
        self.seed = None if case.seed is None else case.seed.rounded("float64")
        self.trace = None
        self.largest_f = 0.0
        self.f0 = 0.0

    def compute(self) -> None:
        run, case = self.run, self.case
        with self.engine.no_grad():
            out, variables, trace = self._forward(run.inputs)
        run.value = to_float64(out)
        run.trace = trace
        run.variables = scalar_variables(variables, self.engine.Tensor)
        self.trace = trace
        self.f0 = self._objective(out)
        self.largest_f = abs(self.f0)
        repeat = case.backward_repeat
        for name in case.grad_inputs:
            grad, estimate = self._first_order(name)
            run.grads[name] = grad * repeat
            run.error_estimate[name] = estimate * repeat
        if case.order >= 2:
            for name in case.grad_inputs:
                run.hvp[name], run.error_estimate["hvp." + name] = self._second_order(name)
        run.notes.append("fd: central differences, step eps^(1/3)·max(1,|x|), "
                         "error estimate Richardson + rounding")

    # --- evaluating f ----------------------------------------------------------
    def _forward(self, arrays: dict):
        if time.perf_counter() > self.deadline:
            raise LimitExceeded("finite differences took longer than their time limit; "
                                "the case's program is too slow to evaluate element by element")
        env = {name: self.engine.tensor(arrays[name], dtype=self.engine.float64)
               for name in arrays}
        result, variables, trace = Interpreter(self.ns, self.limits).run(self.case.program, env)
        if not isinstance(result, self.engine.Tensor):
            result = self.engine.tensor(result, dtype=self.engine.float64)
        return result, variables, trace

    def _objective(self, out) -> float:
        values = to_float64(out)
        if self.seed is None:
            if values.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs; "
                                   f"this output has shape {list(values.shape)} and the case "
                                   "gives no seed")
            return float(values.reshape(()))
        return float(np.sum(self.seed * values))

    def _f(self, arrays: dict) -> float:
        try:
            with self.engine.no_grad():
                out, _, trace = self._forward(arrays)
            value = self._objective(out)
        except LimitExceeded:
            raise
        except Exception as exc:
            raise _Diverged(f"the perturbed evaluation failed: {classify(exc)[1]}") from None
        if trace != self.trace:
            raise _Diverged(f"the perturbed evaluation took another path {trace} "
                            f"than the unperturbed one {self.trace}")
        self.largest_f = max(self.largest_f, abs(value))
        return value

    def _shifted(self, shifts: dict) -> dict:
        arrays = {n: a.copy() for n, a in self.run.inputs.items()}
        for name, delta in shifts.items():
            arrays[name] = arrays[name] + delta
        return arrays

    def _mark(self, name: str, index, reason: str) -> None:
        self.run.notes.append(f"fd {name}{list(index)}: not defined by finite differences: {reason}")

    # --- first order -----------------------------------------------------------
    def _first_order(self, name: str):
        x = self.run.inputs[name]
        grad = np.zeros(x.shape)
        estimate = np.zeros(x.shape)
        for index in np.ndindex(x.shape):
            h = FIRST_ORDER_STEP * max(1.0, abs(float(x[index])))
            try:
                plus_h, minus_h = self._pair(name, index, h)
                plus_half, minus_half = self._pair(name, index, h / 2)
            except _Diverged as exc:
                grad[index], estimate[index] = np.nan, np.inf
                self._mark(name, index, str(exc))
                continue
            rounding = 8 * EPS * self.largest_f / (h / 2)
            jump = self._kink(plus_h, minus_h, plus_half, minus_half, h, rounding)
            if jump is not None:
                grad[index], estimate[index] = np.nan, np.inf
                self._mark(name, index, f"f has a kink here (the one-sided slopes differ by "
                                        f"{jump:.3g}): its derivative is a convention of the "
                                        "registry, which finite differences cannot check")
                continue
            d_h = (plus_h - minus_h) / (2 * h)
            d_half = (plus_half - minus_half) / h
            grad[index] = d_half
            estimate[index] = abs(d_h - d_half) / 3 + rounding
        return grad, estimate

    def _pair(self, name: str, index, h: float) -> tuple[float, float]:
        """f(x + h e_i), f(x − h e_i)."""
        e = np.zeros(self.run.inputs[name].shape)
        e[index] = h
        return self._f(self._shifted({name: e})), self._f(self._shifted({name: -e}))

    def _kink(self, plus_h, minus_h, plus_half, minus_half, h, rounding) -> float | None:
        """The slope jump where f is not differentiable at x_i, else None.

        The gap between the one-sided slopes, (f(x+h) − 2 f(x) + f(x−h)) / h,
        is h·f'' + O(h³) where f is smooth: it halves with the step.  At a
        kink it tends to the jump of the slope and does not shrink.
        """
        gap_h = abs(plus_h - 2 * self.f0 + minus_h) / h
        gap_half = abs(plus_half - 2 * self.f0 + minus_half) / (h / 2)
        if gap_half > 4 * rounding and gap_half > 0.75 * gap_h:
            return gap_half
        return None

    # --- second order ----------------------------------------------------------
    def _second_order(self, name: str):
        x = self.run.inputs[name]
        direction = {n: hvp_direction(self.run.inputs[n].shape) for n in self.case.grad_inputs}
        largest = max([1.0] + [float(np.max(np.abs(self.run.inputs[n]), initial=0.0))
                               for n in direction])
        t = SECOND_ORDER_STEP * largest
        hvp = np.zeros(x.shape)
        estimate = np.zeros(x.shape)
        for index in np.ndindex(x.shape):
            h = SECOND_ORDER_STEP * max(1.0, abs(float(x[index])))
            try:
                m_full = self._mixed(name, index, h, t, direction)
                m_half = self._mixed(name, index, h / 2, t / 2, direction)
            except _Diverged as exc:
                hvp[index], estimate[index] = np.nan, np.inf
                self._mark("hvp." + name, index, str(exc))
                continue
            hvp[index] = m_half
            estimate[index] = abs(m_full - m_half) / 3 + 16 * EPS * self.largest_f / (h * t / 4)
        return hvp, estimate

    def _mixed(self, name: str, index, h: float, t: float, direction: dict) -> float:
        e = np.zeros(self.run.inputs[name].shape)
        e[index] = h
        total = 0.0
        for sign_h, sign_t in ((1, 1), (1, -1), (-1, 1), (-1, -1)):
            shifts = {n: sign_t * t * v for n, v in direction.items()}
            shifts[name] = shifts[name] + sign_h * e
            total += sign_h * sign_t * self._f(self._shifted(shifts))
        return total / (4 * h * t)
