"""Every backend, in the contract's order: engine, torch, torch-cuda, sympy, fd,
with each other way of differentiating next to the one it varies (engine-fwd
after engine, torch's modes after torch, their CUDA twins after torch-cuda).
A backend with `opt_in` true is left out of the default selection.

Constructing a backend imports neither torch nor SymPy: the oracle's module is
imported only when `all_backends()` is called, torch only when a case runs.
"""

from __future__ import annotations

from verifier.backends.base import Backend

ORDER = ("engine", "engine-fwd", "torch", "torch-fwd", "torch-func", "torch-vmap", "torch-compile",
         "torch-cuda", "torch-fwd-cuda", "torch-func-cuda", "torch-vmap-cuda",
         "torch-compile-cuda", "sympy", "fd")


def all_backends() -> dict[str, Backend]:
    from verifier.backends.engine_backend import EngineBackend
    from verifier.backends.fd import FiniteDifferences
    from verifier.backends.torch_backend import TorchBackend, TorchCudaBackend
    from verifier.backends.torch_modes import (
        EngineForward,
        TorchCompile,
        TorchCompileCuda,
        TorchForward,
        TorchForwardCuda,
        TorchFunc,
        TorchFuncCuda,
        TorchVmap,
        TorchVmapCuda,
    )
    from verifier.oracle.backend import SympyOracle

    backends: list[Backend] = [
        EngineBackend(), EngineForward(), TorchBackend(), TorchForward(), TorchFunc(),
        TorchVmap(), TorchCompile(), TorchCudaBackend(), TorchForwardCuda(), TorchFuncCuda(),
        TorchVmapCuda(), TorchCompileCuda(), SympyOracle(), FiniteDifferences()]
    table = {b.name: b for b in backends}
    return {name: table[name] for name in ORDER}
