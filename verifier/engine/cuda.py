"""`engine.cuda`: the engine computes with numpy on the CPU, so CUDA is never available."""


def is_available() -> bool:
    return False


def device_count() -> int:
    return 0


class CudaUnavailableError(RuntimeError, AssertionError):
    """Raised by `.cuda()`: a RuntimeError, and an AssertionError as CPU-only torch raises."""


def manual_seed(seed: int) -> None:
    """No CUDA generator to seed: silently nothing, as CPU-only torch does."""


def manual_seed_all(seed: int) -> None:
    """No CUDA generators to seed: silently nothing, as CPU-only torch does."""


def synchronize(device=None) -> None:
    raise CudaUnavailableError("Torch not compiled with CUDA enabled (the verifier engine runs "
                               "on numpy; engine.cuda.is_available() is False)")
