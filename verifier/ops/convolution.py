"""conv1d, conv2d and conv_transpose2d as composites: gather the patches, multiply.

out[n, o, i, j] = b[o] + sum_{c, p, q} w[o, c, p, q] x_pad[n, c, i s + p d, j s + q d]

The patches are one indexing op (its VJP is the scatter-add), the sum is one
matmul; groups place each group's weights in a block-diagonal weight (one
scatter), so the whole convolution is exact registry primitives, differentiable
to any order.  conv_transpose2d is the convolution of the stride-dilated input
with the flipped, transposed weight, as its definition as conv2d's adjoint gives.
"""

from __future__ import annotations

import numpy as np

from verifier.ops.composite import register_composite
from verifier.ops.nn_layers import pad_body
from verifier.ops.registry import Param


def _tuple(value, n, name):
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise RuntimeError(f"expected {name} to be a single integer value or a list of {n} "
                               f"values to match the convolution dimensions, but got {name}="
                               f"{list(value)}")
        return tuple(int(v) for v in value)
    return (int(value),) * n


def _same_padding(kernel, dilation, stride):
    if any(s != 1 for s in stride):
        raise RuntimeError("padding='same' is not supported for strided convolutions")
    pads = []
    for k, d in zip(kernel, dilation):
        total = d * (k - 1)
        pads.append((total // 2, total - total // 2))  # torch puts the odd one on the right
    return pads


def convolution(ns, x, weight, bias, stride, padding, dilation, groups, nd):
    """N-d convolution (nd spatial dims) of a batched or unbatched input."""
    batched = len(x.shape) == nd + 2
    if not batched:
        if len(x.shape) != nd + 1:
            raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to "
                               f"conv{nd}d, but got input of size: {list(x.shape)}")
        x = ns.unsqueeze(x, 0)
    n, c = x.shape[0], x.shape[1]
    out_channels, group_channels = weight.shape[0], weight.shape[1]
    kernel = tuple(weight.shape[2:])
    groups = int(groups)
    if c != group_channels * groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {list(weight.shape)}, expected "
                           f"input{list(x.shape)} to have {group_channels * groups} channels, but "
                           f"got {c} channels instead")
    stride, dilation = _tuple(stride, nd, "stride"), _tuple(dilation, nd, "dilation")
    if isinstance(padding, str):
        if padding == "valid":
            pads = [(0, 0)] * nd
        elif padding == "same":
            pads = _same_padding(kernel, dilation, stride)
        else:
            raise RuntimeError(f"Invalid padding string '{padding}'; use 'valid' or 'same'")
    else:
        pads = [(p, p) for p in _tuple(padding, nd, "padding")]
    flat = [p for pair in reversed(pads) for p in pair]
    if any(flat):
        x = pad_body(ns, x, flat)
    sizes = tuple(x.shape[2:])
    outs = tuple((size - d * (k - 1) - 1) // s + 1
                 for size, k, s, d in zip(sizes, kernel, stride, dilation))
    if any(o <= 0 for o in outs):
        raise RuntimeError(f"Calculated output size {list(outs)} is too small for input of "
                           f"spatial size {list(sizes)} (after padding) and kernel {list(kernel)}")
    # patches[n, c, o_1..o_nd, k_1..k_nd] = x[n, c, o_1 s + k_1 d, ...]
    index = [slice(None), slice(None)]
    for axis, (o, k, s, d) in enumerate(zip(outs, kernel, stride, dilation)):
        positions = (np.arange(o) * s)[:, None] + (np.arange(k) * d)[None, :]
        index.append(positions.reshape([o if i == axis else k if i == nd + axis else 1
                                        for i in range(2 * nd)]))
    patches = ns.index(x, tuple(index))
    # (n, o..., c, k...) -> rows of c * prod(k) numbers, one row per output position
    order = (0,) + tuple(range(2, 2 + nd)) + (1,) + tuple(range(2 + nd, 2 + 2 * nd))
    rows = ns.reshape(ns.permute(patches, order), (n, int(np.prod(outs)), -1))
    full = _block_diagonal(ns, weight, groups, c) if groups > 1 else weight
    out = ns.matmul(rows, ns.transpose(ns.reshape(full, (out_channels, -1)), 0, 1))
    out = ns.reshape(ns.transpose(out, 1, 2), (n, out_channels) + outs)
    if bias is not None:
        out = out + ns.reshape(bias, (out_channels,) + (1,) * nd)
    return out if batched else ns.squeeze(out, 0)


def _block_diagonal(ns, weight, groups, channels):
    """(O, C/groups, k...) weights -> (O, C, k...), zero outside each output's group."""
    out_channels, per_group = weight.shape[0], weight.shape[1]
    group_of = np.arange(out_channels) // (out_channels // groups)
    rows = np.arange(out_channels)[:, None]
    cols = (group_of * per_group)[:, None] + np.arange(per_group)[None, :]
    shape = (out_channels, channels) + tuple(weight.shape[2:])
    return ns.index_scatter(weight, shape, (rows, cols))


def _conv(nd):
    def body(ns, x, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
        if len(weight.shape) != nd + 2:
            raise RuntimeError(f"conv{nd}d: expected a {nd + 2}D weight, got size "
                               f"{list(weight.shape)}")
        return convolution(ns, x, weight, bias, stride, padding, dilation, groups, nd)
    return body


CONV_PARAMS = (Param("stride", 1, "shape"), Param("padding", 0, "shape"), Param("dilation", 1, "shape"),
               Param("groups", 1, "int"))

for _nd in (1, 2):
    register_composite(
        f"conv{_nd}d", ("input", "weight", "bias"), _conv(_nd), params=CONV_PARAMS,
        optional=("bias",), node_name="ConvolutionBackward0", saves=(0, 1),
        torch=lambda torch, *t, _name=f"conv{_nd}d", **p: getattr(torch.nn.functional, _name)(*t, **p),
        doc=f"torch.nn.functional.conv{_nd}d(input, weight, bias=None, stride=1, padding=0, "
            "dilation=1, groups=1); padding may be 'valid' or 'same'")


def _conv_transpose2d(ns, x, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                      dilation=1):
    nd = 2
    batched = len(x.shape) == 4
    if not batched:
        x = ns.unsqueeze(x, 0)
    stride, padding = _tuple(stride, nd, "stride"), _tuple(padding, nd, "padding")
    output_padding, dilation = _tuple(output_padding, nd, "output_padding"), _tuple(dilation, nd,
                                                                                   "dilation")
    groups = int(groups)
    in_channels, per_group_out = weight.shape[0], weight.shape[1]
    kernel = tuple(weight.shape[2:])
    if any(op >= max(s, d) for op, s, d in zip(output_padding, stride, dilation)):
        raise RuntimeError("output padding must be smaller than either stride or dilation")
    # 1. the input with stride - 1 zeros between neighbours
    n, c = x.shape[0], x.shape[1]
    spread = tuple((size - 1) * s + 1 for size, s in zip(x.shape[2:], stride))
    index = (slice(None), slice(None),
             (np.arange(x.shape[2]) * stride[0])[:, None], (np.arange(x.shape[3]) * stride[1])[None, :])
    x = ns.index_scatter(x, (n, c) + spread, index) if any(s > 1 for s in stride) else x
    # 2. a border of d (k - 1) - p, and output_padding more at the end
    pads = []
    for k, d, p, op in reversed(list(zip(kernel, dilation, padding, output_padding))):
        pads += [d * (k - 1) - p, d * (k - 1) - p + op]
    x = pad_body(ns, x, pads)
    # 3. the flipped weight, (C_in, C_out/g, k) -> (C_out, C_in/g, k) group by group
    flipped = ns.index(weight, (slice(None), slice(None), np.arange(kernel[0])[::-1][:, None],
                                np.arange(kernel[1])[::-1][None, :]))
    grouped = ns.reshape(flipped, (groups, in_channels // groups, per_group_out) + kernel)
    conv_weight = ns.reshape(ns.permute(grouped, (0, 2, 1, 3, 4)),
                             (groups * per_group_out, in_channels // groups) + kernel)
    out = convolution(ns, x, conv_weight, bias, 1, 0, dilation, groups, nd)
    return out if batched else ns.squeeze(out, 0)


register_composite(
    "conv_transpose2d", ("input", "weight", "bias"), _conv_transpose2d,
    params=(Param("stride", 1, "shape"), Param("padding", 0, "shape"),
            Param("output_padding", 0, "shape"), Param("groups", 1, "int"),
            Param("dilation", 1, "shape")),
    optional=("bias",), node_name="ConvolutionBackward0", saves=(0, 1),
    doc="torch.nn.functional.conv_transpose2d(input, weight, bias=None, stride=1, padding=0, "
        "output_padding=0, groups=1, dilation=1)")
