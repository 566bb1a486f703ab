"""Whether operations record a graph: `no_grad()` and `enable_grad()`."""

from __future__ import annotations

import functools

# A one-element list so that the hot path reads a global without a call.
GRAD_ENABLED = [True]


def is_grad_enabled() -> bool:
    return GRAD_ENABLED[0]


class _GradMode:
    """Context manager and decorator, as torch's."""

    enabled = True

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


class set_grad_enabled(_GradMode):  # noqa: N801  torch's name
    """Sets the mode at once (usable as a plain call), restores it on leaving a `with`."""

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
