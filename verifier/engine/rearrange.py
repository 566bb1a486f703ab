"""torch's picking and rearranging functions outside the registry, built from registry
functions (differentiable): rot90, fliplr/flipud, ravel, select, tensor_split and
h/v/dsplit, Tensor.unfold, repeat_interleave, take, take_along_dim, block_diag,
cartesian_prod, vander, diagflat, index_add/index_copy/index_fill.
"""

from __future__ import annotations

import numpy as np

from verifier.engine.functional import FUNCTIONS as F
from verifier.engine.tensor import Tensor, _detached


def _indices(values) -> Tensor:
    return _detached(np.asarray(values, dtype=np.int64))


def rot90(input, k: int = 1, dims=(0, 1)):  # noqa: A002  torch's argument name
    """Rotate by 90° k times in the plane dims (from the first axis towards the second)."""
    d0, d1 = dims
    k %= 4
    if k == 1:
        return F["transpose"](F["flip"](input, (d1,)), d0, d1)
    if k == 2:
        return F["flip"](input, (d0, d1))
    if k == 3:
        return F["flip"](F["transpose"](input, d0, d1), (d1,))
    return F["clone"](input)


def fliplr(input):  # noqa: A002
    return F["flip"](input, (1,))


def flipud(input):  # noqa: A002
    return F["flip"](input, (0,))


def ravel(input):  # noqa: A002
    return F["reshape"](input, (-1,))


def select(input, dim: int, index: int):  # noqa: A002
    position = [slice(None)] * input.ndim
    position[dim] = index
    return input[tuple(position)]


def narrow_copy(input, dim: int, start: int, length: int):  # noqa: A002
    return F["clone"](F["narrow"](input, dim, start, length))


def tensor_split(input, indices_or_sections, dim: int = 0):  # noqa: A002
    """n nearly equal pieces (the first ones one longer), or pieces cut at the given indices."""
    size = input.shape[dim]
    if isinstance(indices_or_sections, Tensor):
        indices_or_sections = indices_or_sections.tolist()
    if isinstance(indices_or_sections, int):
        n = indices_or_sections
        lengths = [size // n + (1 if i < size % n else 0) for i in range(n)]
        cuts = np.cumsum([0] + lengths)
    else:
        cuts = [0] + [min(max(int(c), 0), size) for c in indices_or_sections] + [size]
    return tuple(F["narrow"](input, dim, int(a), max(int(b) - int(a), 0))
                 for a, b in zip(cuts[:-1], cuts[1:]))


def _split_evenly(input, sections, dim: int, name: str):  # noqa: A002
    if isinstance(sections, int) and input.shape[dim] % sections:
        raise RuntimeError(f"torch.{name} attempted to split along dimension {dim}, but the size "
                           f"of the dimension {input.shape[dim]} is not divisible by the split_size"
                           f" {sections}!")
    return tensor_split(input, sections, dim)


def hsplit(input, sections):  # noqa: A002
    return _split_evenly(input, sections, 1 if input.ndim > 1 else 0, "hsplit")


def vsplit(input, sections):  # noqa: A002
    return _split_evenly(input, sections, 0, "vsplit")


def dsplit(input, sections):  # noqa: A002
    return _split_evenly(input, sections, 2, "dsplit")


def unfold(input, dimension: int, size: int, step: int):  # noqa: A002
    """Tensor.unfold: windows of `size` every `step` along dimension, as a new last dim."""
    dim = dimension % max(input.ndim, 1)
    count = (input.shape[dim] - size) // step + 1
    if count < 1:
        raise RuntimeError(f"maximum size for tensor at dimension {dim} is {input.shape[dim]} but "
                           f"size is {size}")
    windows = np.arange(count)[:, None] * step + np.arange(size)[None, :]
    moved = F["transpose"](input, dim, -1) if dim != input.ndim - 1 else input
    picked = moved[..., windows]  # (..., count, size)
    if dim != input.ndim - 1:
        picked = F["transpose"](picked, dim, -2)
    return picked


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):  # noqa: A002
    """Each element (along dim; of the flattened input when dim is None) repeated."""
    if repeats is None:  # repeat_interleave(repeats): indices repeated by their counts
        counts = input._array.astype(np.int64)
        return _indices(np.repeat(np.arange(counts.size), counts))
    if dim is None:
        input, dim = F["reshape"](input, (-1,)), 0
    counts = repeats._array if isinstance(repeats, Tensor) else np.asarray(repeats)
    picks = np.repeat(np.arange(input.shape[dim]), np.broadcast_to(counts, (input.shape[dim],)))
    return F["index_select"](input, dim, _indices(picks))


def take(input, index):  # noqa: A002
    return F["reshape"](input, (-1,))[index._array if isinstance(index, Tensor) else index]


def take_along_dim(input, indices, dim=None):  # noqa: A002
    if dim is None:
        return F["gather"](F["reshape"](input, (-1,)), 0, F["reshape"](indices, (-1,)))
    shape_in, shape_ix = list(input.shape), list(indices.shape)
    shape_in[dim] = shape_ix[dim] = 1
    common = list(np.broadcast_shapes(tuple(shape_in), tuple(shape_ix)))
    target_in, target_ix = list(common), list(common)
    target_in[dim], target_ix[dim] = input.shape[dim], indices.shape[dim]
    expanded = F["expand"](input, tuple(target_in)) if tuple(target_in) != tuple(input.shape) \
        else input
    index = _indices(np.broadcast_to(indices._array, tuple(target_ix)))
    return F["gather"](expanded, dim, index)


def block_diag(*tensors):
    """The tensors (0-d, 1-d as rows, 2-d) on the diagonal of a zero matrix."""
    blocks = [F["reshape"](t, (1, -1)) if t.ndim < 2 else t for t in tensors]
    widths = [b.shape[1] for b in blocks]
    rows = []
    for i, b in enumerate(blocks):
        before, after = sum(widths[:i]), sum(widths[i + 1:])
        rows.append(F["pad"](b, (before, after)))
    return F["cat"](rows, dim=0)


def cartesian_prod(*tensors):
    from verifier.engine.layout import meshgrid
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return F["stack"]([F["reshape"](g, (-1,)) for g in grids], dim=1)


def vander(x, N=None, increasing: bool = False):  # noqa: N803  torch's argument name
    """Columns x^(N-1), ..., x, 1 (or increasing powers)."""
    n = x.shape[0] if N is None else N
    powers = np.arange(n) if increasing else np.arange(n)[::-1].copy()
    ones = _detached(np.ones(x.shape, dtype=x._array.dtype))  # x**0 without 0·x^-1 at 0
    columns = [F["pow"](x, float(p)) if p else ones for p in powers]
    return F["stack"](columns, dim=1)


def diagflat(input, offset: int = 0):  # noqa: A002
    return F["diag"](F["reshape"](input, (-1,)), offset)


def _along(input, dim, index):  # noqa: A002
    """index (1-d) broadcast to an index tensor for scatter/gather along dim."""
    return index._array.astype(np.int64), dim % input.ndim


def index_add(input, dim: int, index, source, *, alpha=1):  # noqa: A002
    """input with alpha·source[i] added into slice index[i] along dim (repeats accumulate)."""
    positions, dim = _along(input, dim, index)
    shape = [1] * source.ndim
    shape[dim] = positions.size
    full = np.broadcast_to(positions.reshape(shape), tuple(source.shape))
    scaled = source if alpha == 1 else source * alpha
    return F["scatter_add"](input, dim, _indices(full), scaled)


def index_copy(input, dim: int, index, source):  # noqa: A002
    positions, dim = _along(input, dim, index)
    shape = [1] * source.ndim
    shape[dim] = positions.size
    full = np.broadcast_to(positions.reshape(shape), tuple(source.shape))
    return F["scatter"](input, dim, _indices(full), source)


def index_fill(input, dim: int, index, value):  # noqa: A002
    positions, dim = _along(input, dim, index)
    mask = np.zeros(input.shape[dim], dtype=np.bool_)
    mask[positions] = True
    shape = [1] * input.ndim
    shape[dim] = input.shape[dim]
    return F["masked_fill"](input, _detached(mask.reshape(shape)), value)


FUNCTIONS = {name: value for name, value in globals().items()
             if callable(value) and not name.startswith("_") and name != "unfold"
             and getattr(value, "__module__", "") == __name__}
# torch has unfold as a Tensor method only (torch.nn.functional.unfold is im2col).
METHODS_ONLY = {"unfold": unfold}
