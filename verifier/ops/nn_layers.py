"""torch.nn.functional's layers that are compositions: linear pad layer_norm group_norm
normalize dropout scaled_dot_product_attention.

Each is a composite (composite.py): the body below *is* the definition, run on
numpy (forward), on engine tensors (VJP, any order) and on SymPy (the oracle).
`pad` gathers with an index map (reflect, replicate, circular) and masks the
constant border, so its VJP is the scatter-add of indexing.
"""

from __future__ import annotations

import math

import numpy as np

from verifier.ops.composite import constant, number, register_composite
from verifier.ops.registry import Domain, Param
from verifier.ops.symbolic import sp

OPTIONAL = Domain()


# --- linear ---------------------------------------------------------------------------
def _linear(ns, x, weight, bias=None):
    # x W^T + b
    w_t = ns.transpose(weight, -1, -2) if len(weight.shape) == 2 else weight
    out = ns.matmul(x, w_t)
    return out if bias is None else out + bias


register_composite("linear", ("input", "weight", "bias"), _linear, optional=("bias",),
                   doc="torch.nn.functional.linear(input, weight, bias=None): x W^T + b")


# --- pad --------------------------------------------------------------------------------
def _source_index(n, before, after, mode):
    """For each position of the padded dim, the input position it reads (and validity)."""
    positions = np.arange(-before, n + after)
    valid = (positions >= 0) & (positions < n)
    if mode == "constant":
        return np.clip(positions, 0, max(n - 1, 0)), valid
    if mode == "reflect":
        if before >= n or after >= n:
            raise RuntimeError(f"Argument #4: Padding size should be less than the corresponding "
                               f"input dimension, but got: padding ({before}, {after}) at "
                               f"dimension of input {n}")
        period = 2 * (n - 1)
        p = np.mod(positions, period) if period else np.zeros_like(positions)
        return np.where(p < n, p, period - p), valid
    if mode == "replicate":
        return np.clip(positions, 0, n - 1), valid
    if mode == "circular":
        if before > n or after > n:
            raise RuntimeError("Padding value causes wrapping around more than once.")
        return np.mod(positions, n), valid
    raise NotImplementedError(f"Unrecognised padding mode {mode}; torch.nn.functional.pad takes "
                              "constant, reflect, replicate or circular")


def pad_body(ns, x, pad, mode="constant", value=None):
    pad = [int(p) for p in pad]
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    ndim = len(x.shape)
    if len(pad) // 2 > ndim:
        raise RuntimeError(f"Padding length should be less than or equal to two times the input "
                           f"dimension but got padding length {len(pad)} and input of dimension "
                           f"{ndim}")
    if mode != "constant" and value not in (None, 0):
        raise RuntimeError(f"Padding mode \"{mode}\" doesn't take in value argument.")
    out = x
    for k in range(len(pad) // 2):
        d = ndim - 1 - k  # pad lists (left, right) of the last dim first
        before, after = pad[2 * k], pad[2 * k + 1]
        if before == 0 and after == 0:
            continue
        index, valid = _source_index(out.shape[d], before, after, mode)
        lead = (slice(None),) * d
        out = ns.index(out, lead + (index,))
        if mode == "constant" and not valid.all():
            mask = valid.reshape((-1,) + (1,) * (ndim - 1 - d))
            fill = 0 if value is None else value
            out = ns.where(constant(ns, np.broadcast_to(mask, tuple(out.shape)).copy()), out, fill)
    return out


register_composite("pad", ("input",), pad_body,
                   params=(Param("pad", kind="shape"), Param("mode", "constant", "str"),
                           Param("value", None, "number")),
                   node_name="IndexBackward0", saves=(),
                   doc='torch.nn.functional.pad(input, pad, mode="constant", value=None): pad '
                       "lists (left, right) pairs from the last dim; constant, reflect, "
                       "replicate or circular")


# --- normalization ---------------------------------------------------------------------
def _normalized(ns, x, dims, eps):
    # (x - mean) / sqrt(var + eps), var the biased variance over dims
    mean = ns.mean(x, dim=dims, keepdim=True)
    centered = x - mean
    var = ns.mean(centered * centered, dim=dims, keepdim=True)
    return centered * ns.rsqrt(var + eps)


def _layer_norm(ns, x, weight=None, bias=None, normalized_shape=(), eps=1e-5):
    k = len(normalized_shape)
    if tuple(x.shape[len(x.shape) - k:]) != tuple(int(n) for n in normalized_shape):
        raise RuntimeError(f"Given normalized_shape={list(normalized_shape)}, expected input with "
                           f"shape [*, {', '.join(map(str, normalized_shape))}], but got input of "
                           f"size{list(x.shape)}")
    y = _normalized(ns, x, list(range(len(x.shape) - k, len(x.shape))), eps)
    if weight is not None:
        y = y * weight
    return y if bias is None else y + bias


register_composite("layer_norm", ("input", "weight", "bias"), _layer_norm,
                   params=(Param("normalized_shape", kind="shape"), Param("eps", 1e-5, "number")),
                   optional=("weight", "bias"),
                   positional=("input", "normalized_shape", "weight", "bias", "eps"),
                   node_name="NativeLayerNormBackward0",
                   doc="torch.nn.functional.layer_norm(input, normalized_shape, weight=None, "
                       "bias=None, eps=1e-05)")


def _group_norm(ns, x, weight=None, bias=None, num_groups=1, eps=1e-5):
    shape = tuple(x.shape)
    n, c = shape[0], shape[1]
    g = int(num_groups)
    if c % g:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, "
                           f"but got input of shape {list(shape)} and num_groups={g}")
    grouped = ns.reshape(x, (n, g, -1))
    y = ns.reshape(_normalized(ns, grouped, [2], eps), shape)
    per_channel = (c,) + (1,) * (len(shape) - 2)
    if weight is not None:
        y = y * ns.reshape(weight, per_channel)
    return y if bias is None else y + ns.reshape(bias, per_channel)


register_composite("group_norm", ("input", "weight", "bias"), _group_norm,
                   params=(Param("num_groups", kind="int"), Param("eps", 1e-5, "number")),
                   optional=("weight", "bias"),
                   positional=("input", "num_groups", "weight", "bias", "eps"),
                   node_name="NativeGroupNormBackward0",
                   doc="torch.nn.functional.group_norm(input, num_groups, weight=None, "
                       "bias=None, eps=1e-05)")


def _normalize(ns, x, p=2.0, dim=1, eps=1e-12, out=None):
    if out is not None:
        raise NotImplementedError("normalize(out=...) is not supported by the verifier engine")
    # x / max(||x||_p, eps), as torch composes it (norm'(0) = 0, clamp inclusive)
    norm = ns.clamp(ns.norm(x, p, dim, True), min=eps)
    return x / norm


register_composite("normalize", ("input",), _normalize,
                   params=(Param("p", 2.0, "number"), Param("dim", 1, "int"),
                           Param("eps", 1e-12, "number"), Param("out", None, "any")),
                   node_name="DivBackward0",
                   kinks="x / clamp(norm(x), min=eps): at the zero vector the value is 0 and "
                         "the gradient 1/eps (torch's composition)",
                   doc="torch.nn.functional.normalize(input, p=2, dim=1, eps=1e-12)")


# --- dropout --------------------------------------------------------------------------
def _dropout(ns, x, p=0.5, training=True, inplace=False):
    if p < 0 or p > 1:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if training and p != 0:
        raise NotImplementedError("dropout with p > 0 in training mode is random; a verified case "
                                  "must be deterministic: use p=0 or training=false")
    return x


_dropout_op = register_composite(
    "dropout", ("input",), _dropout,
    params=(Param("p", 0.5, "number"), Param("training", True, "bool"),
            Param("inplace", False, "bool")),
    doc="torch.nn.functional.dropout with p=0 or training=false: the input itself (torch "
        "returns the very tensor); random dropout is refused")
# torch returns the input tensor itself when dropout does nothing.
_dropout_op.extra["returns_input"] = lambda a, p=0.5, training=True, inplace=False: (
    _dropout(None, a, p, training) is a)


# --- attention --------------------------------------------------------------------------
def _attention(ns, q, k, v, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
               enable_gqa=False):
    if dropout_p:
        raise NotImplementedError("scaled_dot_product_attention with dropout_p > 0 is random; "
                                  "a verified case must use dropout_p=0")
    if is_causal and attn_mask is not None:
        raise RuntimeError("_scaled_dot_product_attention: Explicit attn_mask should not be set "
                           "when is_causal=True")
    if enable_gqa and q.shape[-3] != k.shape[-3]:
        raise NotImplementedError("enable_gqa with different head counts is not supported by the "
                                  "verifier engine")
    length, source, width = q.shape[-2], k.shape[-2], q.shape[-1]
    if scale is None:
        factor = number(ns, 1 / math.sqrt(width), lambda: 1 / sp.sqrt(width))
    else:
        factor = scale
    scores = ns.matmul(q, ns.transpose(k, -2, -1)) * factor
    if is_causal:
        keep = np.tril(np.ones((length, source), dtype=bool))
        scores = ns.where(constant(ns, np.broadcast_to(keep, tuple(scores.shape)).copy()),
                          scores, -math.inf)
    elif attn_mask is not None:
        if _is_bool(attn_mask):
            scores = ns.where(attn_mask, scores, -math.inf)
        else:
            scores = scores + attn_mask
    return ns.matmul(ns.softmax(scores, -1), v)


def _is_bool(mask) -> bool:
    dtype = getattr(mask, "dtype", None)
    return str(dtype) in ("bool", "torch.bool") or getattr(dtype, "kind", "") == "b"


register_composite("scaled_dot_product_attention", ("query", "key", "value", "attn_mask"),
                   _attention,
                   params=(Param("dropout_p", 0.0, "number"), Param("is_causal", False, "bool"),
                           Param("scale", None, "number"), Param("enable_gqa", False, "bool")),
                   optional=("attn_mask",), saves=(2,),
                   domain=(Domain(), Domain(), Domain(), OPTIONAL),
                   kinks="masked scores are -inf: their softmax weight is exactly 0",
                   doc="torch.nn.functional.scaled_dot_product_attention(query, key, value, "
                       "attn_mask=None, dropout_p=0.0, is_causal=False, scale=None): "
                       "softmax(q k^T * scale + mask) v")

