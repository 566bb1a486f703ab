"""torch.nn.functional beyond the registry, built from registry functions (differentiable
through them): interpolate, adaptive pooling, batch_norm, instance_norm, embedding,
one_hot, softmin, the shrink/threshold activations and prelu.

Not in the case language: the oracle never sees these names, only what they are made of.
"""

from __future__ import annotations

import math

import numpy as np

from verifier.engine.functional import FUNCTIONS as F
from verifier.engine.grad_mode import no_grad
from verifier.engine.tensor import Tensor, _detached


def _const(array, like: Tensor) -> Tensor:
    return _detached(np.asarray(array, dtype=like._array.dtype))


# --- resampling along one dim at a time ----------------------------------------------------
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
    linear_modes = {"linear": 1, "bilinear": 2, "trilinear": 3}
    if mode in linear_modes and linear_modes[mode] != spatial:
        raise NotImplementedError(f"Got {input.ndim}D input, but {mode} mode needs "
                                  f"{linear_modes[mode] + 2}D input")
    if mode not in ("nearest", "nearest-exact", "area", *linear_modes):
        raise NotImplementedError(f"interpolate(mode={mode!r}) is not supported by the verifier "
                                  "engine; supported: nearest, nearest-exact, linear, bilinear, "
                                  "trilinear, area")
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


# --- normalization with batch statistics ------------------------------------------------------
def _channel_shape(x: Tensor) -> tuple:
    return (1, x.shape[1]) + (1,) * (x.ndim - 2)


def _affine(y, weight, bias, x):
    if weight is not None:
        y = y * F["reshape"](weight, _channel_shape(x))
    if bias is not None:
        y = y + F["reshape"](bias, _channel_shape(x))
    return y


def batch_norm(input, running_mean, running_var, weight=None, bias=None,  # noqa: A002
               training: bool = False, momentum: float = 0.1, eps: float = 1e-05):
    """(x - mean)/sqrt(var + eps)·weight + bias per channel (dim 1).

    training: the batch's statistics (biased variance), and the running ones updated
    in place with `momentum` (the unbiased variance, as torch); else the running ones.
    """
    dims = (0,) + tuple(range(2, input.ndim))
    if training or running_mean is None or running_var is None:
        count = input.numel() // input.shape[1]
        if training and count <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input "
                             f"size {list(input.shape)}")
        mean = F["mean"](input, dim=dims, keepdim=True)
        var = F["var"](input, dim=dims, keepdim=True, correction=0)
        if training and running_mean is not None and running_var is not None:
            with no_grad():
                flat_mean = mean.detach().reshape(-1)
                unbiased = var.detach().reshape(-1) * (count / max(count - 1, 1))
                running_mean.mul_(1 - momentum).add_(flat_mean * momentum)
                running_var.mul_(1 - momentum).add_(unbiased * momentum)
    else:
        mean = F["reshape"](running_mean, _channel_shape(input))
        var = F["reshape"](running_var, _channel_shape(input))
    y = (input - mean) / F["sqrt"](var + eps)
    return _affine(y, weight, bias, input)


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,  # noqa: A002
                  use_input_stats: bool = True, momentum: float = 0.1, eps: float = 1e-05):
    """Normalize each (sample, channel) over its spatial dims."""
    if not use_input_stats:
        return batch_norm(input, running_mean, running_var, weight, bias, False, momentum, eps)
    dims = tuple(range(2, input.ndim))
    mean = F["mean"](input, dim=dims, keepdim=True)
    var = F["var"](input, dim=dims, keepdim=True, correction=0)
    if running_mean is not None and running_var is not None:
        count = int(np.prod(input.shape[2:]))
        with no_grad():
            running_mean.mul_(1 - momentum).add_(mean.detach().mean(0).reshape(-1) * momentum)
            running_var.mul_(1 - momentum).add_(
                var.detach().mean(0).reshape(-1) * (count / max(count - 1, 1)) * momentum)
    return _affine((input - mean) / F["sqrt"](var + eps), weight, bias, input)


# --- lookups ------------------------------------------------------------------------------------
def one_hot(tensor, num_classes: int = -1):
    """int64 one-hot rows; num_classes=-1 means max(tensor) + 1."""
    labels = tensor._array
    if labels.dtype.kind not in "iu":
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if num_classes == -1:
        num_classes = int(labels.max()) + 1 if labels.size else 0
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise RuntimeError("Class values must be smaller than num_classes.")
    return _detached((labels[..., None] == np.arange(num_classes)).astype(np.int64))


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type: float = 2.0,  # noqa: A002
              scale_grad_by_freq: bool = False, sparse: bool = False):
    """Rows of weight picked by the integer input; the padding_idx row gets no gradient."""
    if max_norm is not None:
        raise NotImplementedError("embedding(max_norm=...) renormalizes the weight in place; the "
                                  "verifier engine does not support it")
    indices = input._array if isinstance(input, Tensor) else np.asarray(input)
    rows = F["index_select"](weight, 0, _detached(indices.reshape(-1).astype(np.int64)))
    result = F["reshape"](rows, tuple(indices.shape) + (weight.shape[1],))
    if padding_idx is not None:
        padding = padding_idx % weight.shape[0]
        mask = _detached(np.broadcast_to((indices == padding)[..., None], result.shape))
        result = F["where"](mask, result.detach(), result)
    return result


# --- activations made of others --------------------------------------------------------------------
def softmin(input, dim=None, _stacklevel: int = 3, dtype=None):  # noqa: A002
    x = input if dtype is None else input.to(dtype)
    return F["softmax"](-x, dim)


def tanhshrink(input):  # noqa: A002
    return input - F["tanh"](input)


def hardshrink(input, lambd: float = 0.5):  # noqa: A002
    return F["where"](F["abs"](input) > lambd, input, _const(0.0, input))


def softshrink(input, lambd: float = 0.5):  # noqa: A002
    zero = _const(0.0, input)
    return F["where"](input > lambd, input - lambd, F["where"](input < -lambd, input + lambd, zero))


def threshold(input, threshold: float, value: float, inplace: bool = False):  # noqa: A002
    result = F["where"](input > threshold, input, _const(value, input))
    return input.copy_(result) if inplace else result


def prelu(input, weight):  # noqa: A002
    """max(0, x) + weight·min(0, x), weight per channel (dim 1) or one for all."""
    if weight.numel() > 1 and input.ndim >= 2:
        weight = F["reshape"](weight, _channel_shape(input))
    return F["where"](input >= 0, input, weight * input)


FUNCTIONS = {name: value for name, value in globals().items()
             if callable(value) and not name.startswith("_")
             and getattr(value, "__module__", "") == __name__}
