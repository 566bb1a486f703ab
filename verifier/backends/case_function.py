"""A case as a function of its differentiable inputs, for the backends that transform functions.

`.backward()` differentiates a graph recorded while a program ran; forward
mode, `torch.func` transforms, `vmap` and `torch.compile` differentiate a
*function*.  `CaseFunction` is that function: the inputs that require grad in,
the program's output out, the other inputs rebuilt as constants on every call
(the program may change them in place).  The quantity differentiated is the one
`.backward(seed)` differentiates: <seed, out> (seed = 1 for a scalar output).

`run_functional` wraps one backend's computation into a `Run` the judge reads
like any other, with the applicability rules every such backend shares.
"""

from __future__ import annotations

import time
from typing import Callable

import numpy as np

from verifier.backends.base import Run, TimeLimit
from verifier.backends.numeric import TensorNamespace, classify, scalar_variables, to_float64
from verifier.cases.model import Case
from verifier.lang.interpreter import Interpreter, Limits

DEFAULT_LIMITS = Limits()
SCALAR_ONLY = "grad can be implicitly created only for scalar outputs"


class NotApplicable(Exception):
    """This differentiation path does not apply to the case; the message says why (a skip)."""


class CaseFunction:
    """f(*primals) -> the program's output, on `module` (torch or verifier.engine)."""

    def __init__(self, case: Case, dtype: str, module, device: str = "cpu",
                 limits: Limits = DEFAULT_LIMITS, uses_registry_torch: bool = True) -> None:
        self.case = case
        self.module = module
        self.device = device
        self.dtype = getattr(module, dtype)
        self.limits = limits
        self.ns = TensorNamespace(module, uses_registry_torch, dtype, device)
        self.arrays = {name: inp.rounded(dtype) for name, inp in case.inputs.items()}
        self.names = list(case.grad_inputs)
        self.seed_array = None if case.seed is None else case.seed.rounded(dtype)
        self.trace: tuple = ()
        self.variables: dict = {}
        # A trace to follow instead of deciding branches and loop counts (see
        # `fix_path`); None: decide them from the values, as every backend does.
        self.follow: tuple | None = None

    def tensor(self, array, requires_grad: bool = False):
        return self.module.tensor(array, dtype=self.dtype, device=self.device,
                                  requires_grad=requires_grad)

    def primals(self, requires_grad: bool = False) -> list:
        return [self.tensor(self.arrays[n], requires_grad) for n in self.names]

    def seed(self):
        return None if self.seed_array is None else self.tensor(self.seed_array)

    def __call__(self, *primals):
        env = {}
        given = dict(zip(self.names, primals))
        for name, inp in self.case.inputs.items():
            if name in given:
                env[name] = given[name]
            elif inp.dtype is not None:  # an int64/int32/bool input keeps its dtype
                env[name] = self.module.tensor(self.arrays[name], device=self.device,
                                               dtype=getattr(self.module, inp.dtype))
            else:
                env[name] = self.tensor(self.arrays[name])
        interpreter = Interpreter(self.ns, self.limits, follow=self.follow)
        result, variables, trace = interpreter.run(self.case.program, env)
        self.trace = trace
        self.variables = variables
        if not isinstance(result, self.module.Tensor):
            # A program whose output is a plain number: it does not depend on the inputs.
            result = self.tensor(result)
        return result

    def fix_path(self) -> None:
        """Decide the program's path once, eagerly, and follow it from now on.

        Tracing (make_fx) and batching (vmap) cannot branch on a tensor's value;
        following the path the program takes at these inputs makes the traced
        or batched function the program along that path, the same function
        whose derivative every other backend computes here.
        """
        self.follow = None
        self(*self.primals())
        self.follow = tuple(self.trace)

    def objective(self, *primals):
        """<seed, f(primals)>: the scalar whose gradient `.backward(seed)` computes."""
        return self.contract(self(*primals))

    def contract(self, out, seed=None):
        seed = self.seed() if seed is None else seed
        if seed is None:
            if out.numel() != 1:
                raise RuntimeError(f"{SCALAR_ONLY}; this output has shape {list(out.shape)} and "
                                   "the case gives no seed")
            return out.reshape(())
        return (seed * out).sum()

    def record(self, run: Run, value) -> None:
        """The value, path and scalar variables of the last evaluation, into `run`."""
        run.value = to_float64(value)
        run.trace = tuple(self.trace)
        run.variables = scalar_variables(self.variables, self.module.Tensor)


# Why each expected error belongs to .backward()'s graph, not to a transformed function.
_ERROR_ORIGINS = {
    "nonscalar_output": "raised by .backward() without a seed on a non-scalar output",
    "backward_twice": "raised by a second .backward() through a graph already freed",
    "inplace_saved": "raised by .backward() finding a saved tensor changed in place",
    "inplace_leaf": "raised by an in-place op on a leaf tensor that requires grad",
}


def expected_error_reason(case: Case, path: str) -> str | None:
    """Why a path that differentiates a function cannot raise the case's expected error."""
    error = case.expect.error
    if not error or error == "shape":
        return None  # shape errors arise in the forward computation, on every path
    origin = _ERROR_ORIGINS.get(error, "an error of .backward()'s recorded graph")
    return (f"the case expects {error}, {origin}; {path} differentiates the program as a "
            "function of plain input tensors, with an explicit seed and no graph kept between "
            "calls, so this error does not apply to it")


def run_functional(case: Case, dtype: str, backend: str, path: str,
                   compute: Callable[[Run], None]) -> Run:
    """A Run of `compute(run)`, never raising except the case's time limit.

    `compute` fills value, grads (and hvp for order 2); it may raise
    NotApplicable for a skip with its reason.
    """
    run = Run(backend=backend, dtype=dtype)
    reason = expected_error_reason(case, path)
    if reason is not None:
        run.skipped = reason
        return run
    run.inputs = {name: inp.rounded(dtype) for name, inp in case.inputs.items()}
    started = time.perf_counter()
    try:
        compute(run)
        repeat = case.backward_repeat
        if repeat != 1:  # N accumulated backward passes add the gradient N times
            run.grads = {n: g * repeat for n, g in run.grads.items()}
    except TimeLimit:
        raise
    except NotApplicable as exc:
        run = Run(backend=backend, dtype=dtype, inputs=run.inputs, skipped=str(exc))
    except Exception as exc:  # a case's failure is data, not a crash of the runner
        run.error_kind, run.error_message = classify(exc)
    run.seconds = time.perf_counter() - started
    return run


def zeros_for(names: list[str], arrays: dict) -> dict[str, np.ndarray]:
    return {n: np.zeros(np.shape(arrays[n]), dtype=np.float64) for n in names}
