"""The forwards finite differences differentiate: f(x) = <seed, out(x)> at shifted inputs.

`PreciseForward` runs the case's program through the registry's SymPy forms
on 50-digit floats: a forward that is neither the engine's nor torch's code,
and whose derivative is not SymPy's `diff`, so fd's evidence is independent
of every backend it judges and of the oracle's derivation.  At 50 digits the
steps can be tiny (1e-12 relative) and rounding is negligible, so a correct
derivative is confirmed to ~20 digits and an overflow in float64 (exp(900))
is no overflow here.

`EngineForward` is the float64 engine with grad disabled, used where the
precise forward would be too slow (many elements or a long program): fd then
says in its notes that its evidence is not independent of the engine's
forward.
"""

from __future__ import annotations

import warnings

import numpy as np

from verifier.backends.base import LimitExceeded
from verifier.cases.model import Case
from verifier.lang.interpreter import Interpreter, Limits

DIGITS = 50


class ForwardFailed(Exception):
    """The forward failed or left the real numbers at these inputs (a domain edge)."""


def _precise_namespace():
    """SymPy's namespace at 50 digits: literals rounded to float64 as the backends hold them,
    comparisons of numbers decided at once (an unevaluated `Float <= 1` inside a Piecewise
    makes SymPy divide by zero canonicalizing it)."""
    import sympy as sp

    from verifier.oracle.namespace import RELATIONS, SympyNamespace

    class PreciseNamespace(SympyNamespace):
        def number(self, value, is_int: bool):
            # A literal as the float64 backends hold it (0.1 is 0.1000000000000000055…):
            # fd is judged at the literals it used, like its inputs.
            return super().number(value, is_int) if is_int else sp.Float(float(value), DIGITS)

        def compare(self, op: str, a, b):
            relation = RELATIONS[op]
            decide = np.frompyfunc(lambda u, v: relation(u, v), 2, 1)
            if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
                return np.asarray(decide(self._array(a), self._array(b)), dtype=object)
            return relation(a, b)

    return PreciseNamespace()


class PreciseForward:
    independent = True
    eps = 10.0 ** -(DIGITS - 2)  # relative rounding of one evaluation
    first_step = 1e-12  # relative steps: truncation (1e-24) far above rounding (1e-38)
    second_step = 1e-10

    def __init__(self, case: Case, inputs: dict[str, np.ndarray], limits: Limits) -> None:
        import sympy as sp
        self.sp = sp
        self.case = case
        self.limits = limits
        self.base = {n: self._floats(a) for n, a in inputs.items()}
        self.seed = None if case.seed is None else self._floats(case.seed.rounded("float64"))

    def number(self, x: float):
        return self.sp.Float(float(x), DIGITS)

    def _floats(self, array: np.ndarray) -> np.ndarray:
        array = np.asarray(array)
        out = np.empty(np.shape(array), dtype=object)
        if array.dtype.kind in "biu":  # an int64/int32/bool input (`dtype:`): exact, a mask
            exact = (lambda v: self.sp.true if v else self.sp.false) if array.dtype == bool \
                else (lambda v: self.sp.Integer(int(v)))
            for index in np.ndindex(out.shape):
                out[index] = exact(array[index])
            return out
        for index in np.ndindex(out.shape):
            out[index] = self.sp.Float(float(array[index]), DIGITS)
        return out

    def __call__(self, shifts: dict) -> tuple[object, tuple]:
        """(f at 50 digits, trace) at base + shifts {name: array}."""
        env = {}
        for name, base in self.base.items():
            if name in shifts:
                delta = np.asarray(shifts[name])
                if delta.dtype != object:  # float64 steps: exact as 50-digit floats
                    delta = np.vectorize(self.number, otypes=[object])(delta)
                env[name] = base + delta
            else:
                env[name] = base.copy()
        try:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                # SymPy's evalf probes magnitudes (log of 1e391) through numpy floats.
                warnings.simplefilter("ignore", RuntimeWarning)
                out, _, trace = Interpreter(_precise_namespace(), self.limits).run(
                    self.case.program, env)
        except LimitExceeded:
            raise
        except Exception as exc:  # noqa: BLE001 - any failure here is a domain problem
            raise ForwardFailed(f"the forward fails there ({_short(exc)})") from None
        values = np.asarray(out, dtype=object)
        if self.seed is None:
            if values.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs; this "
                                   f"output has shape {list(values.shape)} and the case gives no seed")
            total = values.reshape(-1)[0]
        else:
            total = self.sp.Add(*[s * v for s, v in zip(np.broadcast_to(self.seed, values.shape).ravel(),
                                                        values.ravel())])
        total = self.sp.N(total, DIGITS) if not getattr(total, "is_Float", False) else total
        if not (getattr(total, "is_Float", False) or getattr(total, "is_Rational", False)) \
                or not total.is_finite:
            raise ForwardFailed(f"f is {total} there: not a finite real number")
        return total, tuple(trace)

    def value(self) -> np.ndarray:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            out, _, _ = Interpreter(_precise_namespace(), self.limits).run(
                self.case.program, {n: b.copy() for n, b in self.base.items()})
        values = np.asarray(out, dtype=object)
        result = np.empty(values.shape, dtype=np.float64)
        for index in np.ndindex(values.shape):
            v = values[index]
            try:
                result[index] = float(v)
            except (TypeError, ValueError):
                result[index] = np.nan
        return result


class EngineForward:
    independent = False
    eps = float(np.finfo(np.float64).eps)
    first_step = eps ** (1 / 3)
    second_step = eps ** (1 / 4)

    def __init__(self, case: Case, inputs: dict[str, np.ndarray], limits: Limits) -> None:
        import verifier.engine as engine
        from verifier.backends.numeric import TensorNamespace
        self.engine = engine
        self.ns = TensorNamespace(engine, uses_registry_torch=False)
        self.case = case
        self.limits = limits
        self.base = inputs
        self.seed = None if case.seed is None else case.seed.rounded("float64")

    def run(self, arrays: dict):
        env = {n: self.engine.tensor(a, dtype=self.engine.float64 if np.asarray(a).dtype.kind == "f"
                                     else None) for n, a in arrays.items()}
        with self.engine.no_grad():
            result, variables, trace = Interpreter(self.ns, self.limits).run(self.case.program, env)
        if not isinstance(result, self.engine.Tensor):
            result = self.engine.tensor(result, dtype=self.engine.float64)
        return result, variables, tuple(trace)

    def __call__(self, shifts: dict) -> tuple[float, tuple]:
        arrays = {n: a + shifts[n] if n in shifts else a.copy() for n, a in self.base.items()}
        try:
            out, _, trace = self.run(arrays)
        except LimitExceeded:
            raise
        except Exception as exc:  # noqa: BLE001
            raise ForwardFailed(f"the forward fails there ({_short(exc)})") from None
        values = np.asarray(out.detach().numpy(), dtype=np.float64)
        if self.seed is None:
            if values.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs; this "
                                   f"output has shape {list(values.shape)} and the case gives no seed")
            total = float(values.reshape(()))
        else:
            total = float(np.sum(self.seed * values))
        if not np.isfinite(total):
            raise ForwardFailed(f"f is {total} there in float64")
        return total, trace

    def value(self) -> np.ndarray:
        out, _, _ = self.run({n: a.copy() for n, a in self.base.items()})
        return np.asarray(out.detach().numpy(), dtype=np.float64)


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:120]
