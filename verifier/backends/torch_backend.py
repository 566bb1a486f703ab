"""`torch` (CPU) and `torch-cuda`: PyTorch itself, through the shared interpreter.

torch is imported only when a case runs (or CUDA is probed), never when this
module is imported: `verifier check` must stay free of the 1.5 s torch import.
"""

from __future__ import annotations

from verifier.backends.autograd_run import run_on_module
from verifier.backends.base import Backend, Run
from verifier.cases.model import Case


class TorchBackend(Backend):
    name = "torch"
    device = "cpu"

    def run(self, case: Case, dtype: str) -> Run:
        reason = self.unavailable()
        if reason is not None:
            return Run(backend=self.name, dtype=dtype, skipped=reason)
        import torch
        # Results are copied to the CPU as float64 by the shared runner.
        return run_on_module(case, dtype, backend=self.name, module=torch, device=self.device,
                             uses_registry_torch=True)


class TorchCudaBackend(TorchBackend):
    name = "torch-cuda"
    device = "cuda"

    def unavailable(self) -> str | None:
        import torch
        if not torch.cuda.is_available():
            return "CUDA is not available (torch.cuda.is_available() is False)"
        return None
