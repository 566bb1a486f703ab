"""Process-wide switches tests set up: torch.backends flags, deterministic algorithms, threads.

The engine computes with numpy on the CPU, deterministically: the flags are kept
(so that reading them back gives what was set, as in torch) and change nothing.
"""

from __future__ import annotations

import types

_DETERMINISTIC = {"mode": False, "warn_only": False}
_THREADS = [1]


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    _DETERMINISTIC["mode"], _DETERMINISTIC["warn_only"] = bool(mode), bool(warn_only)


def are_deterministic_algorithms_enabled() -> bool:
    return _DETERMINISTIC["mode"]


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    return _DETERMINISTIC["warn_only"]


def get_num_threads() -> int:
    return _THREADS[0]


def set_num_threads(number: int) -> None:
    if int(number) <= 0:
        raise RuntimeError("set_num_threads expects a positive integer")
    _THREADS[0] = int(number)


def _unavailable() -> bool:
    return False


backends = types.SimpleNamespace(
    cudnn=types.SimpleNamespace(enabled=True, deterministic=False, benchmark=False,
                                allow_tf32=True, is_available=_unavailable),
    cuda=types.SimpleNamespace(matmul=types.SimpleNamespace(allow_tf32=False),
                               is_built=_unavailable),
    mps=types.SimpleNamespace(is_available=_unavailable, is_built=_unavailable),
)

FUNCTIONS = {f.__name__: f for f in (
    use_deterministic_algorithms, are_deterministic_algorithms_enabled,
    is_deterministic_algorithms_warn_only_enabled, get_num_threads, set_num_threads)}
FUNCTIONS["backends"] = backends
