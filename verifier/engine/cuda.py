"""`engine.cuda`: the engine computes with numpy on the CPU, so CUDA is never available."""


def is_available() -> bool:
    return False


def device_count() -> int:
    return 0


class CudaUnavailableError(RuntimeError, AssertionError):
    """Raised by `.cuda()`: a RuntimeError, and an AssertionError as CPU-only torch raises."""
