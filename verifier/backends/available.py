"""Every numeric backend, in the contract's order: engine, torch, torch-cuda, fd.

The exact oracle is not a backend: its row ('sympy', dtype 'exact') comes from
the case's Reference (verifier/reference.py) and sits before fd in every report
(`ORDER`).  Constructing a backend imports neither torch nor SymPy; torch is
imported only when a case runs.
"""

from __future__ import annotations

from verifier.backends.base import Backend

ORDER = ("engine", "torch", "torch-cuda", "sympy", "fd")


def all_backends() -> dict[str, Backend]:
    from verifier.backends.engine_backend import EngineBackend
    from verifier.backends.fd import FiniteDifferences
    from verifier.backends.torch_backend import TorchBackend, TorchCudaBackend

    backends: list[Backend] = [EngineBackend(), TorchBackend(), TorchCudaBackend(),
                               FiniteDifferences()]
    return {b.name: b for b in backends}
