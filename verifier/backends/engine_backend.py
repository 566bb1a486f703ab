"""`engine`: the project's own autograd engine (numpy), through the shared interpreter."""

from __future__ import annotations

from verifier.backends.autograd_run import run_on_module
from verifier.backends.base import Backend, Run
from verifier.cases.model import Case


class EngineBackend(Backend):
    name = "engine"

    def run(self, case: Case, dtype: str) -> Run:
        import verifier.engine as engine
        return run_on_module(case, dtype, backend=self.name, module=engine,
                             uses_registry_torch=False)
