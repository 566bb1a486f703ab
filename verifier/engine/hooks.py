"""Tensor.register_hook: functions that see (and may replace) the gradient of a tensor.

A hook lives on the node that receives the tensor's gradient (its grad_fn, or
the AccumulateGrad sink of a leaf) and runs when that gradient is complete,
before it flows on or is accumulated into `.grad`, as torch's tensor hooks do.
"""

from __future__ import annotations

import itertools

import numpy as np

from verifier.engine.tensor import Tensor, _detached, edge_of

_ids = itertools.count()


class RemovableHandle:
    """What register_hook returns: `handle.remove()` unregisters the hook."""

    def __init__(self, hooks: dict, key: int) -> None:
        self._hooks = hooks
        self.id = key

    def remove(self) -> None:
        self._hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()
        return False


def register_hook(self: Tensor, hook) -> RemovableHandle:
    if not self.requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    node = edge_of(self)
    if node.hooks is None:
        node.hooks = {}
    key = next(_ids)
    node.hooks[key] = hook
    return RemovableHandle(node.hooks, key)


def run_hooks(hooks: dict, g):
    """g after every hook in registration order; a hook returning None keeps g."""
    raw = not isinstance(g, Tensor)
    t = _detached(np.asarray(g)) if raw else g
    for hook in list(hooks.values()):
        result = hook(t)
        if result is not None:
            if not isinstance(result, Tensor) or result._array.shape != t._array.shape:
                raise RuntimeError(f"hook returned a value of shape "
                                   f"{list(np.shape(getattr(result, '_array', result)))} for a "
                                   f"gradient of shape {list(t._array.shape)}: a hook must "
                                   "return None or a tensor of the gradient's shape")
            t = result
    return t._array if raw else t
