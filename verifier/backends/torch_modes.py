"""The backends for torch's other ways of differentiating, and the engine's forward mode.

    engine-fwd      the engine's forward mode (JVPs derived from its VJPs)
    torch-fwd       torch.autograd.forward_ad: one JVP per input element
    torch-func      torch.func.vjp; order 2 by torch.func.hessian (jvp(grad) if large)
    torch-vmap      the same under vmap over a batch of inputs
    torch-compile   torch.compile (inductor), then the compiled backward; opt-in

Each torch one has a CUDA twin (`torch-fwd-cuda`, ...) that runs where CUDA is
present.  Where it is absent the twins are left out of the default selection
(no column of identical skip rows) and, named with --backend, skip with the
reason.  torch is imported only when a case runs.
"""

from __future__ import annotations

from verifier.backends.base import Backend, Run
from verifier.backends.case_function import CaseFunction, NotApplicable, run_functional
from verifier.backends.warning_notes import warnings_as_notes
from verifier.cases.model import Case


class _FunctionBackend(Backend):
    """A backend that differentiates the case's function along one path of torch."""

    device = "cpu"
    path = ""  # what it computes, for skip reasons and blame messages
    # bfloat16 (an ml_dtypes array on our side) is not wired into these paths yet: its rows
    # are left out with this reason (`verifier run` says so once).
    dtypes = ("float64", "float32", "float16")
    dtypes_reason = "the functional paths (forward mode, torch.func, vmap, compile) run in " \
                    "float64, float32 and float16 only"

    def compute(self, fn: CaseFunction, run: Run) -> None:
        raise NotImplementedError

    def module(self):
        import torch
        return torch

    def run(self, case: Case, dtype: str) -> Run:
        reason = self.unavailable()
        if reason is not None:
            return Run(backend=self.name, dtype=dtype, skipped=reason)

        def compute(run: Run) -> None:
            module = self.module()
            fn = CaseFunction(case, dtype, module, self.device,
                              uses_registry_torch=module.__name__ == "torch")
            try:
                with warnings_as_notes(run):
                    self.compute(fn, run)
            except NotImplementedError as exc:
                if module.__name__ != "torch":
                    raise  # the engine's own gap is an error, not a skip
                # torch has no forward-AD (or batching) formula for an op on this path:
                # the path does not apply to this case, which is no wrong answer.
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                raise NotApplicable(f"{self.path}: torch does not implement this ({first})") from None
        return run_functional(case, dtype, self.name, self.path, compute)


class EngineForward(_FunctionBackend):
    name = "engine-fwd"
    path = "the engine's forward mode (a JVP per input element, derived from the VJPs)"

    def module(self):
        import verifier.engine as engine
        return engine

    def compute(self, fn, run):
        from verifier.backends.forward_mode import forward_mode
        forward_mode(fn, run)


class TorchForward(_FunctionBackend):
    name = "torch-fwd"
    path = "torch's forward mode (torch.autograd.forward_ad, a JVP per input element)"

    def compute(self, fn, run):
        from verifier.backends.forward_mode import forward_mode
        forward_mode(fn, run)


class TorchFunc(_FunctionBackend):
    name = "torch-func"
    path = "torch.func (vjp; order 2 by hessian)"

    def compute(self, fn, run):
        from verifier.backends.torch_func import func_transforms
        func_transforms(fn, run)


class TorchVmap(_FunctionBackend):
    name = "torch-vmap"
    path = "torch.func under vmap (vmap(vjp); order 2 by vmap(jvp(grad)))"

    def compute(self, fn, run):
        from verifier.backends.torch_func import vmapped_transforms
        vmapped_transforms(fn, run)


class TorchCompile(_FunctionBackend):
    name = "torch-compile"
    path = "torch.compile (inductor graphs, compiled backward)"
    opt_in = True  # seconds of compilation per case: run only when named with --backend

    def unavailable(self) -> str | None:
        from verifier.backends.torch_compile import compiler_problem
        return compiler_problem()

    def compute(self, fn, run):
        from verifier.backends.torch_compile import compiled_gradients
        compiled_gradients(fn, run)


def _cuda_problem() -> str | None:
    import torch
    if not torch.cuda.is_available():
        return "CUDA is not available (torch.cuda.is_available() is False)"
    return None


def cuda_twin(cls: type) -> type:
    """`cls` on the GPU: named NAME-cuda, default only where CUDA is present."""
    base_unavailable = cls.unavailable

    class Twin(cls):
        name = cls.name + "-cuda"
        device = "cuda"

        @property
        def opt_in(self) -> bool:
            return getattr(cls, "opt_in", False) or _cuda_problem() is not None

        def unavailable(self) -> str | None:
            return _cuda_problem() or base_unavailable(self)

    Twin.__name__ = Twin.__qualname__ = cls.__name__ + "Cuda"
    return Twin


TorchForwardCuda = cuda_twin(TorchForward)
TorchFuncCuda = cuda_twin(TorchFunc)
TorchVmapCuda = cuda_twin(TorchVmap)
TorchCompileCuda = cuda_twin(TorchCompile)
