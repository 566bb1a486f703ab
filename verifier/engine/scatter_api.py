"""torch's scatter family beyond the registry entries: scatter(reduce=...), scatter_reduce,
index_put/index_put_, and the memory-format/layout constants that come with such calls.

scatter_reduce's values come exactly from numpy; its gradient is torch's: 'sum' and
'mean' are linear, and 'amax'/'amin' share each result's gradient evenly among the
elements equal to it (self included when include_self), which is a constant
weighting of the inputs, so the composite weights·inputs carries it.
"""

from __future__ import annotations

import numpy as np

from verifier.engine.functional import FUNCTIONS as F
from verifier.engine.tensor import Tensor, _detached


class _Named:
    """A named constant (torch.strided, torch.channels_last, ...)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"torch.{self.name}"


strided = _Named("strided")
contiguous_format = _Named("contiguous_format")
preserve_format = _Named("preserve_format")
channels_last = _Named("channels_last")
channels_last_3d = _Named("channels_last_3d")


def _indices(values) -> Tensor:
    return _detached(np.asarray(values, dtype=np.int64))


def _source(src, index: Tensor, like: Tensor) -> Tensor:
    if isinstance(src, Tensor):
        return src
    return _detached(np.full(index.shape, src, dtype=like._array.dtype))


def scatter(input, dim=None, index=None, src=None, *, value=None, reduce=None,  # noqa: A002
            **aliases):
    """torch.scatter; reduce='add' accumulates (as scatter_add), 'multiply' is not supported.
    Other keywords (torch's axis= for dim) go to the registry entry, which decides on them."""
    source = value if src is None else src
    arguments = dict(aliases, index=index, src=source)
    if dim is not None:
        arguments["dim"] = dim
    if reduce is None:
        return F["scatter"](input, **arguments)
    if reduce == "add":
        arguments["src"] = _source(source, index, input)
        return F["scatter_add"](input, **arguments)
    raise NotImplementedError(f"scatter(reduce={reduce!r}) is not supported by the verifier "
                              "engine; reduce='add' and scatter_reduce(reduce='sum'|'mean'|'amax'|"
                              "'amin') are")


def _positions(input, dim, index):  # noqa: A002
    """For every index element: its flat target position in input."""
    grids = list(np.indices(index.shape, sparse=False))
    grids[dim % input.ndim] = index._array
    return np.ravel_multi_index(tuple(grids), input.shape)


def scatter_reduce(input, dim: int, index, src, reduce: str, *, include_self: bool = True):  # noqa: A002
    if reduce not in ("sum", "mean", "amax", "amin"):
        raise NotImplementedError(f"scatter_reduce(reduce={reduce!r}) is not supported by the "
                                  "verifier engine; 'sum', 'mean', 'amax' and 'amin' are")
    if tuple(src.shape) != tuple(index.shape):  # torch reads only src's leading index-shaped block
        src = src[tuple(slice(0, n) for n in index.shape)]
    targets = _positions(input, dim, index).reshape(-1)
    hit = np.zeros(input.numel(), dtype=bool)
    hit[targets] = True
    hit = hit.reshape(input.shape)
    base = input if include_self else F["where"](_detached(hit), _zero(input), input)
    if reduce in ("sum", "mean"):
        total = F["scatter_add"](base, dim, index, src)
        if reduce == "sum":
            return total
        counts = np.zeros(input.numel())
        np.add.at(counts, targets, 1)
        counts = counts.reshape(input.shape) + (1 if include_self else 0)
        divisor = np.where(hit, np.maximum(counts, 1), 1).astype(input._array.dtype)
        return total / _detached(divisor)
    return _extreme(input, dim, index, src, reduce, include_self, targets, hit)


def _zero(like: Tensor) -> Tensor:
    return _detached(np.zeros((), dtype=like._array.dtype))


def _extreme(input, dim, index, src, reduce, include_self, targets, hit):  # noqa: A002
    pick = np.maximum if reduce == "amax" else np.minimum
    flat_self = input._array.reshape(-1)
    values = flat_self.copy()
    start = np.full(values.size, -np.inf if reduce == "amax" else np.inf, dtype=values.dtype)
    result = np.where(include_self, values, np.where(hit.reshape(-1), start, values))
    source = src._array.reshape(-1)
    pick.at(result, targets, source)
    # torch's gradient: shared evenly among the elements equal to the result
    ties = np.zeros(values.size)
    self_wins = (values == result) & (include_self | ~hit.reshape(-1))
    ties += self_wins
    src_wins = source == result[targets]
    np.add.at(ties, targets, src_wins)
    ties = np.maximum(ties, 1)
    w_self = np.where(self_wins, 1 / ties, 0).reshape(input.shape).astype(values.dtype)
    w_src = np.where(src_wins, 1 / ties[targets], 0).reshape(src.shape).astype(values.dtype)
    composite = input * _detached(w_self) + F["scatter_add"](
        _detached(np.zeros(input.shape, dtype=values.dtype)), dim, index, src * _detached(w_src))
    exact = _detached(result.reshape(input.shape))
    return exact + (composite - composite.detach())


def index_put(input, indices, values, accumulate: bool = False):  # noqa: A002
    """input with values at input[indices] (added there when accumulate), out of place."""
    from verifier.engine.index_put import index_put_value
    index = tuple(i._array if isinstance(i, Tensor) else i for i in indices)
    return index_put_value(input, index, values, accumulate)


def index_put_(self, indices, values, accumulate: bool = False):
    return self.copy_(index_put(self, indices, values, accumulate))


def _embedded(input, index, src):  # noqa: A002
    from verifier.engine.index_put import index_put_value
    return index_put_value(input, index, src)


def select_scatter(input, src, dim: int, index: int):  # noqa: A002
    """input with src written into input.select(dim, index), out of place."""
    position = [slice(None)] * input.ndim
    position[dim] = index
    return _embedded(input, tuple(position), src)


def slice_scatter(input, src, dim: int = 0, start=None, end=None, step: int = 1):  # noqa: A002
    position = [slice(None)] * input.ndim
    position[dim] = slice(start, end, step)
    return _embedded(input, tuple(position), src)


def diagonal_scatter(input, src, offset: int = 0, dim1: int = 0, dim2: int = 1):  # noqa: A002
    """input with src written onto the diagonal input.diagonal(offset, dim1, dim2)."""
    d1, d2 = dim1 % input.ndim, dim2 % input.ndim
    length = src.shape[-1]
    rows = np.arange(length) + max(-offset, 0)
    cols = np.arange(length) + max(offset, 0)
    others = [d for d in range(input.ndim) if d not in (d1, d2)]
    # the diagonal becomes the last dim of input.diagonal(): index the other dims fully
    grids = np.ix_(*[np.arange(input.shape[d]) for d in others], np.arange(length)) \
        if others else (np.arange(length),)
    position = [None] * input.ndim
    for k, d in enumerate(others):
        position[d] = grids[k]
    position[d1] = rows[grids[-1]] if others else rows
    position[d2] = cols[grids[-1]] if others else cols
    return _embedded(input, tuple(position), src)


def masked_scatter(input, mask, source):  # noqa: A002
    """Where mask is True (broadcast), consecutive elements of source, in row-major order."""
    mask_array = np.broadcast_to(mask._array if isinstance(mask, Tensor) else mask, input.shape)
    count = int(mask_array.sum())
    taken = F["reshape"](source, (-1,))[:count]
    return _embedded(input, np.ascontiguousarray(mask_array), taken)


FUNCTIONS = {"scatter": scatter, "select_scatter": select_scatter, "slice_scatter": slice_scatter,
             "diagonal_scatter": diagonal_scatter, "masked_scatter": masked_scatter,
             "scatter_reduce": scatter_reduce, "index_put": index_put,
             "strided": strided, "contiguous_format": contiguous_format,
             "preserve_format": preserve_format, "channels_last": channels_last,
             "channels_last_3d": channels_last_3d}
