"""max_pool1d/2d(return_indices=True) and max_unpool1d/2d for the engine.

The values are the registry's max_pool (its VJP sends a window's gradient to the
window's first maximum); the indices say where that maximum is, as torch gives
them: the flat position within each sample's and channel's spatial plane.
max_unpool puts each value back at its index in a zero plane: a scatter, so its
gradient is the gather of the upstream gradient at those indices.
"""

from __future__ import annotations

import numpy as np

from verifier.engine.functional import FUNCTIONS as F
from verifier.engine.tensor import Tensor, _detached
from verifier.ops import pooling


def _tuple(value, nd):
    if isinstance(value, (list, tuple)):
        return tuple(int(v) for v in value) if len(value) == nd else (int(value[0]),) * nd
    return (int(value),) * nd


def max_pool_indices(x: Tensor, nd: int, kernel_size, stride, padding, dilation, ceil_mode,
                     name: str) -> Tensor:
    """int64 indices of each window's first maximum in the flattened spatial plane."""
    values = x._array
    windows, flat = pooling._max_windows(values, nd, kernel_size, stride, padding, dilation,
                                         ceil_mode, name)
    chosen = pooling._first_max(flat)
    k_pos = np.unravel_index(chosen, windows.kernel)
    grids = np.indices(chosen.shape, sparse=True)
    lead = values.ndim - nd
    coords = [grids[lead + axis] * windows.stride[axis] + k_pos[axis] * windows.dilation[axis]
              - windows.padding[axis] for axis in range(nd)]
    coords = np.broadcast_arrays(*coords)
    return _detached(np.ravel_multi_index(coords, windows.spatial).astype(np.int64))


def with_indices(registered, nd: int, name: str):
    """The registry's max_pool, returning (values, indices) when return_indices=True."""
    def max_pool(input, kernel_size, stride=None, padding=0, dilation=1,  # noqa: A002
                 ceil_mode=False, return_indices=False):
        values = registered(input, kernel_size, stride, padding, dilation, ceil_mode)
        if not return_indices:
            return values
        return values, max_pool_indices(input, nd, kernel_size, stride, padding, dilation,
                                        ceil_mode, name)
    max_pool.__name__ = name
    max_pool.__wrapped__ = registered
    return max_pool


def _unpool(input, indices, nd, kernel_size, stride, padding, output_size):  # noqa: A002
    kernel = _tuple(kernel_size, nd)
    strides = _tuple(stride if stride not in (None, [], ()) else kernel_size, nd)
    pads = _tuple(padding, nd)
    spatial_in = tuple(input.shape[-nd:])
    if output_size is None:
        spatial_out = tuple((n - 1) * s - 2 * p + k
                            for n, s, p, k in zip(spatial_in, strides, pads, kernel))
    else:
        spatial_out = tuple(int(n) for n in tuple(output_size)[-nd:])
    lead = tuple(input.shape[:-nd])
    plane = int(np.prod(spatial_out))
    flat_values = F["reshape"](input, lead + (-1,))
    flat_indices = _detached(indices._array.reshape(lead + (-1,)).astype(np.int64))
    if flat_indices._array.size and (flat_indices._array.max() >= plane
                                     or flat_indices._array.min() < 0):
        raise RuntimeError(f"Found an invalid max index: {int(flat_indices._array.max())} (output "
                           f"volumes are of size {'x'.join(map(str, spatial_out))})")
    zeros = _detached(np.zeros(lead + (plane,), dtype=input._array.dtype))
    placed = F["scatter"](zeros, -1, flat_indices, flat_values)
    return F["reshape"](placed, lead + spatial_out)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):  # noqa: A002
    return _unpool(input, indices, 1, kernel_size, stride, padding, output_size)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):  # noqa: A002
    return _unpool(input, indices, 2, kernel_size, stride, padding, output_size)
