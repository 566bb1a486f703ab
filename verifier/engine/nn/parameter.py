"""torch.nn.Parameter: a leaf tensor that requires grad by default (no nn.Module needed)."""

from __future__ import annotations

import numpy as np

from verifier.engine.tensor import Tensor, _init_state


class Parameter(Tensor):
    """Shares `data`'s storage; results of operations on it are plain Tensors, as in torch."""

    __slots__ = ()

    def __new__(cls, data=None, requires_grad: bool = True):
        p = Tensor.__new__(cls)
        array = np.zeros(0, dtype=np.float32) if data is None else data._array
        _init_state(p, array)
        if requires_grad:
            p.requires_grad_(True)
        return p

    def __init__(self, data=None, requires_grad: bool = True) -> None:
        pass

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()
