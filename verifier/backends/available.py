"""Every backend, in the contract's order: engine, torch, torch-cuda, sympy, fd.

Constructing a backend imports neither torch nor SymPy: the oracle's module is
imported only when `all_backends()` is called, torch only when a case runs.
"""

from __future__ import annotations

from verifier.backends.base import Backend

ORDER = ("engine", "torch", "torch-cuda", "sympy", "fd")


def all_backends() -> dict[str, Backend]:
    from verifier.backends.engine_backend import EngineBackend
    from verifier.backends.fd import FiniteDifferences
    from verifier.backends.torch_backend import TorchBackend, TorchCudaBackend
    from verifier.oracle.backend import SympyOracle

    backends: list[Backend] = [EngineBackend(), TorchBackend(), TorchCudaBackend(),
                               SympyOracle(), FiniteDifferences()]
    return {b.name: b for b in backends}
