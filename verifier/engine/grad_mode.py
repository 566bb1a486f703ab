"""Whether operations record a graph: `no_grad()` and `enable_grad()`."""

from __future__ import annotations

import functools

# A one-element list so that the hot path reads a global without a call.
GRAD_ENABLED = [True]


def is_grad_enabled() -> bool:
    return GRAD_ENABLED[0]


class _GradMode:
    """Context manager and decorator, as torch's (`@no_grad()` and bare `@no_grad`)."""

    enabled = True

    def __new__(cls, orig_func=None):
        if cls is not set_grad_enabled and callable(orig_func):
            return cls()(orig_func)  # used as a bare decorator
        return super().__new__(cls)

    def __init__(self, orig_func=None) -> None:
        pass

    def __enter__(self):
        self._previous = GRAD_ENABLED[0]
        GRAD_ENABLED[0] = self.enabled

    def __exit__(self, *exc):
        GRAD_ENABLED[0] = self._previous
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with type(self)():
                return fn(*args, **kwargs)
        return wrapper


class no_grad(_GradMode):  # noqa: N801  torch's name
    enabled = False


class enable_grad(_GradMode):  # noqa: N801  torch's name
    enabled = True


class inference_mode(_GradMode):  # noqa: N801  torch's name
    """No graph is recorded (mode=True), as no_grad: the engine has no inference tensors."""

    def __new__(cls, mode=True):
        if callable(mode):
            return cls()(mode)
        return object.__new__(cls)

    def __init__(self, mode: bool = True) -> None:
        self.enabled = not mode

    def __call__(self, fn):
        enabled = self.enabled

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            previous = GRAD_ENABLED[0]
            GRAD_ENABLED[0] = enabled
            try:
                return fn(*args, **kwargs)
            finally:
                GRAD_ENABLED[0] = previous
        return wrapper


def is_inference_mode_enabled() -> bool:
    """Always False: the engine's inference_mode is no_grad, it makes no inference tensors."""
    return False


class set_grad_enabled(_GradMode):  # noqa: N801  torch's name
    """Sets the mode at once (usable as a plain call), restores it on leaving a `with`."""

    def __new__(cls, mode: bool):
        return object.__new__(cls)

    def __init__(self, mode: bool) -> None:
        self.enabled = bool(mode)
        self._previous = GRAD_ENABLED[0]
        GRAD_ENABLED[0] = self.enabled

    def __enter__(self):
        pass

    def __call__(self, fn):
        # Used as a decorator: the mode applies inside calls of fn only.
        GRAD_ENABLED[0] = self._previous
        enabled = self.enabled

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(enabled):
                return fn(*args, **kwargs)
        return wrapper
