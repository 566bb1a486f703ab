"""Every numeric backend, in the contract's order: engine, torch, torch-cuda, fd, with each
other way of differentiating next to the one it varies (engine-fwd after engine, torch's
modes after torch, their CUDA twins after torch-cuda).  A backend with `opt_in` true is
left out of the default selection.

The exact oracle is not a backend: its row ('sympy', dtype 'exact') comes from
the case's Reference (verifier/reference.py) and sits before fd in every report
(`ORDER`).  Constructing a backend imports neither torch nor SymPy; torch is
imported only when a case runs.
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

    backends: list[Backend] = [
        EngineBackend(), EngineForward(), TorchBackend(), TorchForward(), TorchFunc(),
        TorchVmap(), TorchCompile(), TorchCudaBackend(), TorchForwardCuda(), TorchFuncCuda(),
        TorchVmapCuda(), TorchCompileCuda(), FiniteDifferences()]
    table = {b.name: b for b in backends}
    return {name: table[name] for name in ORDER if name in table}
