"""torch's reshaping, stacking and splitting functions outside the registry, built from
registry functions (differentiable): unbind, movedim, swapaxes, broadcast_to/shapes/tensors,
atleast_nd, hstack/vstack/dstack/column_stack, concat, unflatten, meshgrid.
"""

from __future__ import annotations

import numpy as np

from verifier.engine.functional import FUNCTIONS as F
from verifier.engine.tensor import Tensor


def unbind(input, dim: int = 0):  # noqa: A002
    """The slices along dim, as a tuple (each an indexing op of input)."""
    index = [slice(None)] * input.ndim
    pieces = []
    for i in range(input.shape[dim]):
        index[dim] = i
        pieces.append(input[tuple(index)])
    return tuple(pieces)


def movedim(input, source, destination):  # noqa: A002
    sources = [source] if isinstance(source, int) else list(source)
    targets = [destination] if isinstance(destination, int) else list(destination)
    nd = input.ndim
    sources = [s % nd for s in sources]
    targets = [t % nd for t in targets]
    order = [None] * nd
    for s, t in zip(sources, targets):
        order[t] = s
    rest = iter(d for d in range(nd) if d not in sources)
    order = [next(rest) if o is None else o for o in order]
    return F["permute"](input, tuple(order))


def swapaxes(input, axis0: int, axis1: int):  # noqa: A002
    return F["transpose"](input, axis0, axis1)


def broadcast_to(input, size):  # noqa: A002
    return F["expand"](input, tuple(size))


def broadcast_shapes(*shapes):
    from verifier.engine.tensor import Size
    shapes = [(s,) if isinstance(s, int) else tuple(s) for s in shapes]
    try:
        return Size(np.broadcast_shapes(*shapes))
    except ValueError:
        raise RuntimeError(f"Shape mismatch: objects cannot be broadcast to a single shape: "
                           f"{shapes}") from None


def broadcast_tensors(*tensors):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    shape = broadcast_shapes(*(t.shape for t in tensors))
    return tuple(t if t.shape == shape else F["expand"](t, tuple(shape)) for t in tensors)


def atleast_1d(*tensors):
    return _atleast(tensors, 1)


def atleast_2d(*tensors):
    return _atleast(tensors, 2)


def atleast_3d(*tensors):
    return _atleast(tensors, 3)


def _atleast(tensors, nd):
    single = len(tensors) == 1 and isinstance(tensors[0], Tensor)
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    shaped = []
    for t in tensors:
        shape = tuple(t.shape)
        if len(shape) < nd:
            # torch: 1-d (n) -> (1, n) -> (1, n, 1); 0-d -> (1,) -> (1, 1) -> (1, 1, 1)
            if nd == 3 and len(shape) == 2:
                shape = shape + (1,)
            elif nd == 3 and len(shape) == 1:
                shape = (1,) + shape + (1,)
            else:
                shape = (1,) * (nd - len(shape)) + shape
            t = F["reshape"](t, shape)
        shaped.append(t)
    return shaped[0] if single else tuple(shaped)


def hstack(tensors, *, out=None):
    tensors = _atleast(tuple(tensors), 1)
    tensors = tensors if isinstance(tensors, tuple) else (tensors,)
    return F["cat"](list(tensors), dim=0 if tensors[0].ndim == 1 else 1)


def vstack(tensors, *, out=None):
    tensors = _atleast(tuple(tensors), 2)
    return F["cat"](list(tensors if isinstance(tensors, tuple) else (tensors,)), dim=0)


def dstack(tensors, *, out=None):
    tensors = _atleast(tuple(tensors), 3)
    return F["cat"](list(tensors if isinstance(tensors, tuple) else (tensors,)), dim=2)


def column_stack(tensors, *, out=None):
    columns = [F["reshape"](t, (-1, 1)) if t.ndim <= 1 else t for t in tensors]
    return F["cat"](columns, dim=1)


def concat(tensors, dim: int = 0, *, out=None):
    return F["cat"](list(tensors), dim=dim)


def unflatten(input, dim: int, sizes):  # noqa: A002
    shape = list(input.shape)
    dim = dim % len(shape)
    return F["reshape"](input, tuple(shape[:dim]) + tuple(sizes) + tuple(shape[dim + 1:]))


def meshgrid(*tensors, indexing: str | None = None):
    """Grids from 1-D tensors; indexing 'ij' (torch's default) or 'xy' (first two swapped)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise ValueError(f"torch.meshgrid: indexing must be one of 'xy' or 'ij', got {indexing!r}")
    swap = indexing == "xy" and len(tensors) >= 2
    ordered = list(tensors)
    if swap:
        ordered[0], ordered[1] = ordered[1], ordered[0]
    shape = tuple(t.numel() for t in ordered)
    grids = []
    for k, t in enumerate(ordered):
        view = [1] * len(ordered)
        view[k] = t.numel()
        grids.append(F["expand"](F["reshape"](t, tuple(view)), shape))
    if swap:
        grids[0], grids[1] = grids[1], grids[0]
        grids = [F["transpose"](g, 0, 1) for g in grids]
    return tuple(grids)


FUNCTIONS = {name: value for name, value in globals().items()
             if callable(value) and not name.startswith("_") and getattr(value, "__module__", "")
             == __name__}
FUNCTIONS.update(concatenate=concat, swapdims=swapaxes, moveaxis=movedim, row_stack=vstack)
