"""Rearranging layers of torch.nn.functional, from registry functions (differentiable):
pixel_shuffle, pixel_unshuffle, channel_shuffle, unfold (im2col) and fold (col2im),
plus rms_norm and local_response_norm.
"""

from __future__ import annotations

import numpy as np

from verifier.engine.functional import FUNCTIONS as F


def _pair(value) -> tuple[int, int]:
    if isinstance(value, (tuple, list)):
        return int(value[0]), int(value[-1])
    return int(value), int(value)


def pixel_shuffle(input, upscale_factor: int):  # noqa: A002  torch's argument name
    """(..., C·r², H, W) -> (..., C, H·r, W·r)."""
    r = int(upscale_factor)
    *lead, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be divisible "
                           f"by the square of upscale_factor, but input.size(-3)={c} is not "
                           f"divisible by {r * r}")
    n = len(lead)
    x = F["reshape"](input, tuple(lead) + (c // (r * r), r, r, h, w))
    order = tuple(range(n)) + (n, n + 3, n + 1, n + 4, n + 2)
    return F["reshape"](F["permute"](x, order), tuple(lead) + (c // (r * r), h * r, w * r))


def pixel_unshuffle(input, downscale_factor: int):  # noqa: A002
    """(..., C, H·r, W·r) -> (..., C·r², H, W)."""
    r = int(downscale_factor)
    *lead, c, h, w = input.shape
    n = len(lead)
    x = F["reshape"](input, tuple(lead) + (c, h // r, r, w // r, r))
    order = tuple(range(n)) + (n, n + 2, n + 4, n + 1, n + 3)
    return F["reshape"](F["permute"](x, order), tuple(lead) + (c * r * r, h // r, w // r))


def channel_shuffle(input, groups: int):  # noqa: A002
    n, c = input.shape[0], input.shape[1]
    rest = tuple(input.shape[2:])
    x = F["reshape"](input, (n, groups, c // groups) + rest)
    return F["reshape"](F["transpose"](x, 1, 2), (n, c) + rest)


def _patch_index(spatial, kernel, dilation, padding, stride):
    """Per kernel offset and block, the (row, col) read in the zero-padded image."""
    outs = [(s + 2 * p - d * (k - 1) - 1) // st + 1
            for s, k, d, p, st in zip(spatial, kernel, dilation, padding, stride)]
    if any(o <= 0 for o in outs):
        raise RuntimeError(f"Given input with spatial size {list(spatial)}, kernel_size="
                           f"{list(kernel)}, dilation={list(dilation)}, padding={list(padding)}, "
                           f"calculated shape of the array of sliding blocks as {outs}, but its "
                           "components must be at least one.")
    rows = (np.arange(kernel[0]) * dilation[0])[:, None, None, None] + \
        (np.arange(outs[0]) * stride[0])[None, None, :, None]
    cols = (np.arange(kernel[1]) * dilation[1])[None, :, None, None] + \
        (np.arange(outs[1]) * stride[1])[None, None, None, :]
    rows, cols = np.broadcast_arrays(rows, cols)  # (kh, kw, oh, ow)
    return rows, cols, outs


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):  # noqa: A002
    """im2col: (N, C, H, W) -> (N, C·kh·kw, L), L blocks in row-major order."""
    kernel, dil, pad, step = _pair(kernel_size), _pair(dilation), _pair(padding), _pair(stride)
    n, c = input.shape[0], input.shape[1]
    padded = F["pad"](input, (pad[1], pad[1], pad[0], pad[0])) if any(pad) else input
    rows, cols, outs = _patch_index(tuple(input.shape[2:]), kernel, dil, pad, step)
    patches = padded[:, :, rows, cols]  # (N, C, kh, kw, oh, ow)
    return F["reshape"](patches, (n, c * kernel[0] * kernel[1], outs[0] * outs[1]))


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):  # noqa: A002
    """col2im, unfold's adjoint: blocks summed back into (N, C, H, W); overlaps add up."""
    kernel, dil, pad, step = _pair(kernel_size), _pair(dilation), _pair(padding), _pair(stride)
    size = _pair(output_size)
    n = input.shape[0]
    c = input.shape[1] // (kernel[0] * kernel[1])
    padded_size = (size[0] + 2 * pad[0], size[1] + 2 * pad[1])
    rows, cols, outs = _patch_index(size, kernel, dil, pad, step)
    if outs[0] * outs[1] != input.shape[2]:
        raise RuntimeError(f"Given output_size={list(size)}, kernel_size={list(kernel)}, "
                           f"dilation={list(dil)}, padding={list(pad)}, stride={list(step)}, "
                           f"expected size of input's dimension 2 to match the calculated number "
                           f"of sliding blocks {outs[0]} * {outs[1]} = {outs[0] * outs[1]}, but "
                           f"got input.size(2)={input.shape[2]}.")
    blocks = F["reshape"](input, (n, c) + kernel + tuple(outs))
    index = (slice(None), slice(None), rows, cols)
    image = F["index_scatter"](blocks, shape=(n, c) + padded_size, index=index)
    return image[:, :, pad[0]:pad[0] + size[0], pad[1]:pad[1] + size[1]]


def rms_norm(input, normalized_shape, weight=None, eps=None):  # noqa: A002
    """x / sqrt(mean(x², over the last dims) + eps)·weight; eps defaults to the dtype's eps."""
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    dims = tuple(range(input.ndim - len(shape), input.ndim))
    if eps is None:
        eps = float(np.finfo(input._array.dtype).eps)
    y = input * F["rsqrt"](F["mean"](input * input, dims, keepdim=True) + eps)
    return y if weight is None else y * weight


def local_response_norm(input, size: int, alpha: float = 1e-4, beta: float = 0.75,  # noqa: A002
                        k: float = 1.0):
    """x / (k + alpha/size · sum of x² over `size` neighbouring channels)^beta."""
    squares = input * input
    n, c = input.shape[0], input.shape[1]
    rest = tuple(input.shape[2:])
    flat = F["reshape"](squares, (n, 1, c, -1))
    front, back = size // 2, (size - 1) // 2
    padded = F["pad"](flat, (0, 0, front, back))
    windows = F["avg_pool2d"](padded, (size, 1), stride=1)
    denominator = F["pow"](F["reshape"](windows, (n, c) + rest) * alpha + k, beta)
    return input / denominator


FUNCTIONS = {f.__name__: f for f in (pixel_shuffle, pixel_unshuffle, channel_shuffle, unfold,
                                       fold, rms_norm, local_response_norm)}
