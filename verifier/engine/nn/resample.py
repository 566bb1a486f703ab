"""Resampling for the engine's torch.nn.functional: interpolate (nearest, nearest-exact,
linear/bilinear/trilinear, bicubic, area) and adaptive average/max pooling.

Each mode is separable: along one spatial dim at a time, every output is a fixed
combination of inputs, i.e. a constant matrix (out, in) applied with matmul, so
values and gradients come from registry functions.  The source coordinates follow
torch's: with align_corners, output i maps to i·(in-1)/(out-1); without, to
(i + 0.5)·scale - 0.5, where scale is 1/scale_factor when one was given, else in/out.
"""

from __future__ import annotations

import math

import numpy as np

from verifier.engine.functional import FUNCTIONS as F
from verifier.engine.tensor import Tensor, _detached


def _const(array, like: Tensor) -> Tensor:
    return _detached(np.asarray(array, dtype=like._array.dtype))


def _along(x: Tensor, dim: int, matrix: np.ndarray) -> Tensor:
    """Apply matrix (out, in) to dim of x: each output is a fixed combination of inputs."""
    moved = F["transpose"](x, dim, -1)
    result = F["matmul"](moved, _const(matrix.T, x))
    return F["transpose"](result, dim, -1)


def _nearest_matrix(n_in, n_out, scale, exact: bool) -> np.ndarray:
    positions = (np.arange(n_out) + (0.5 if exact else 0.0)) * scale
    source = np.minimum(np.floor(positions).astype(np.int64), n_in - 1)
    matrix = np.zeros((n_out, n_in))
    matrix[np.arange(n_out), source] = 1
    return matrix


def _linear_matrix(n_in, n_out, scale, align_corners: bool) -> np.ndarray:
    if align_corners:
        positions = np.arange(n_out) * ((n_in - 1) / (n_out - 1) if n_out > 1 else 0.0)
    else:
        positions = np.maximum((np.arange(n_out) + 0.5) * scale - 0.5, 0.0)
    low = np.minimum(np.floor(positions).astype(np.int64), n_in - 1)
    high = np.minimum(low + 1, n_in - 1)
    weight = positions - low
    matrix = np.zeros((n_out, n_in))
    np.add.at(matrix, (np.arange(n_out), low), 1 - weight)
    np.add.at(matrix, (np.arange(n_out), high), weight)
    return matrix


_CUBIC_A = -0.75  # torch's (and OpenCV's) cubic convolution parameter


def _cubic_matrix(n_in, n_out, scale, align_corners: bool) -> np.ndarray:
    """Keys' cubic convolution over the 4 nearest inputs, indices clamped at the borders."""
    if align_corners:
        positions = np.arange(n_out) * ((n_in - 1) / (n_out - 1) if n_out > 1 else 0.0)
    else:
        positions = (np.arange(n_out) + 0.5) * scale - 0.5  # not clamped at 0 for cubic
    base = np.floor(positions).astype(np.int64)
    t = positions - base
    a = _CUBIC_A

    def near(x):  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    weights = [far(t + 1), near(t), near(1 - t), far(2 - t)]
    matrix = np.zeros((n_out, n_in))
    for k, w in enumerate(weights):
        np.add.at(matrix, (np.arange(n_out), np.clip(base - 1 + k, 0, n_in - 1)), w)
    return matrix


def _area_matrix(n_in, n_out) -> np.ndarray:
    """adaptive average pooling: output i averages inputs [floor(i·in/out), ceil((i+1)·in/out))."""
    matrix = np.zeros((n_out, n_in))
    for i in range(n_out):
        start, end = (i * n_in) // n_out, -((-(i + 1) * n_in) // n_out)
        matrix[i, start:end] = 1 / (end - start)
    return matrix


def _spatial(value, count: int, name: str) -> list:
    if value is None:
        return [None] * count
    if isinstance(value, (tuple, list)):
        if len(value) != count:
            raise ValueError(f"{name} has {len(value)} entries for {count} spatial dimensions")
        return list(value)
    return [value] * count


def interpolate(input, size=None, scale_factor=None, mode: str = "nearest",  # noqa: A002
                align_corners=None, recompute_scale_factor=None, antialias: bool = False):
    """Resize the spatial dims (all after N, C): nearest, nearest-exact, (bi/tri)linear, area."""
    spatial = input.ndim - 2
    if spatial < 1:
        raise ValueError(f"interpolate expects a batched input (N, C, ...), got shape "
                         f"{list(input.shape)}")
    if (size is None) == (scale_factor is None):
        raise ValueError("only one of size or scale_factor should be defined")
    linear_modes = {"linear": 1, "bilinear": 2, "trilinear": 3, "bicubic": 2}
    if mode in linear_modes and linear_modes[mode] != spatial:
        raise NotImplementedError(f"Got {input.ndim}D input, but {mode} mode needs "
                                  f"{linear_modes[mode] + 2}D input")
    if mode not in ("nearest", "nearest-exact", "area", *linear_modes):
        raise NotImplementedError(f"interpolate(mode={mode!r}) is not supported by the verifier "
                                  "engine; supported: nearest, nearest-exact, linear, bilinear, "
                                  "bicubic, trilinear, area")
    if antialias:
        raise NotImplementedError("interpolate(antialias=True) is not supported by the verifier "
                                  "engine")
    if align_corners is not None and mode not in linear_modes:
        raise ValueError("align_corners option can only be set with the interpolating modes: "
                         "linear | bilinear | bicubic | trilinear")
    sizes_in = list(input.shape[2:])
    factors = _spatial(scale_factor, spatial, "scale_factor")
    if size is not None:
        sizes_out = [int(s) for s in _spatial(size, spatial, "size")]
    else:
        sizes_out = [int(math.floor(n * f)) for n, f in zip(sizes_in, factors)]
    x = input
    for k in range(spatial):
        n_in, n_out = sizes_in[k], sizes_out[k]
        # torch maps output to input coordinates with 1/scale_factor when one was given
        scale = 1.0 / factors[k] if factors[k] is not None and not recompute_scale_factor \
            else n_in / n_out
        if mode in ("nearest", "nearest-exact"):
            matrix = _nearest_matrix(n_in, n_out, scale, mode == "nearest-exact")
        elif mode == "area":
            matrix = _area_matrix(n_in, n_out)
        elif mode == "bicubic":
            matrix = _cubic_matrix(n_in, n_out, scale, bool(align_corners))
        else:
            matrix = _linear_matrix(n_in, n_out, scale, bool(align_corners))
        x = _along(x, 2 + k, matrix)
    return x


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):  # noqa: A002
    return interpolate(input, size, scale_factor, mode, align_corners)


def _adaptive_avg(input, output_size, spatial: int):  # noqa: A002
    sizes = _spatial(output_size, spatial, "output_size")
    x = input
    for k in range(spatial):
        dim = input.ndim - spatial + k
        n_in = input.shape[dim]
        n_out = n_in if sizes[k] is None else int(sizes[k])
        x = _along(x, dim, _area_matrix(n_in, n_out))
    return x


def adaptive_avg_pool1d(input, output_size):  # noqa: A002
    return _adaptive_avg(input, output_size, 1)


def adaptive_avg_pool2d(input, output_size):  # noqa: A002
    return _adaptive_avg(input, output_size, 2)


def adaptive_avg_pool3d(input, output_size):  # noqa: A002
    return _adaptive_avg(input, output_size, 3)


def _adaptive_max(input, output_size, spatial: int, return_indices: bool):  # noqa: A002
    if return_indices:
        raise NotImplementedError("adaptive_max_pool(return_indices=True) is not supported by the "
                                  "verifier engine")
    sizes = _spatial(output_size, spatial, "output_size")
    lead = input.ndim - spatial
    windows = []
    for k in range(spatial):
        n_in = input.shape[lead + k]
        n_out = n_in if sizes[k] is None else int(sizes[k])
        windows.append([((i * n_in) // n_out, -((-(i + 1) * n_in) // n_out)) for i in range(n_out)])
    cells = []
    for corner in np.ndindex(*(len(w) for w in windows)):
        index = (slice(None),) * lead + tuple(slice(*windows[k][c]) for k, c in enumerate(corner))
        cells.append(F["amax"](input[index], dim=tuple(range(lead, input.ndim)), keepdim=False))
    stacked = F["stack"](cells, dim=-1)
    return F["reshape"](stacked, tuple(input.shape[:lead]) + tuple(len(w) for w in windows))


def adaptive_max_pool1d(input, output_size, return_indices: bool = False):  # noqa: A002
    return _adaptive_max(input, output_size, 1, return_indices)


def adaptive_max_pool2d(input, output_size, return_indices: bool = False):  # noqa: A002
    return _adaptive_max(input, output_size, 2, return_indices)


FUNCTIONS = {name: value for name, value in globals().items()
             if callable(value) and not name.startswith("_")
             and getattr(value, "__module__", "") == __name__}
