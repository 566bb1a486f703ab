"""Random examples for issue 11's torch.nn.functional entries (see op_examples.py).

A builder returns (shapes, params); a shape may be None (an optional input left
out) or a ready array (class indices, fixed weights, which torch never
differentiates).
"""

from __future__ import annotations

import numpy as np

from tests.op_examples import shape


def _maybe(d, value):
    return value if d.choice((True, False)) else None


def _reduction(d, *extra):
    return d.choice(("mean", "sum", "none") + extra)


def linear(d):
    k, m = d.int(1, 3), d.int(1, 3)
    lead = d.choice(((2,), (2, 3), ()))
    return [lead + (k,), (m, k), _maybe(d, (m,))], {}


def conv(nd):
    def build(d):
        groups = d.choice((1, 1, 2))
        c, o = 2 * groups, 2 * groups
        kernel = tuple(d.int(1, 3) for _ in range(nd))
        spatial = tuple(d.int(5, 6) for _ in range(nd))
        params = {"stride": d.choice((1, 2)), "padding": d.choice((0, 1)),
                  "dilation": d.choice((1, 2)), "groups": groups}
        if params["stride"] == 1 and d.choice((True, False)):
            params["padding"] = "same"
        batch = d.choice(((2,), ()))
        return [batch + (c,) + spatial, (o, c // groups) + kernel, _maybe(d, (o,))], params
    return build


def conv_transpose2d(d):
    groups = d.choice((1, 2))
    c, per_out = 2 * groups, d.int(1, 2)
    stride = d.choice((1, 2))
    params = {"stride": stride, "padding": d.choice((0, 1)), "groups": groups,
              "output_padding": d.choice((0, stride - 1)), "dilation": 1}
    kernel = (d.int(2, 3), d.int(2, 3))
    return [(2, c, d.int(2, 3), d.int(2, 3)), (c, per_out) + kernel,
            _maybe(d, (per_out * groups,))], params


def max_pool(nd):
    def build(d):
        k = d.int(1, 3)
        params = {"kernel_size": k, "stride": d.choice((None, 1, 2)), "padding": d.int(0, k // 2),
                  "dilation": d.choice((1, 2)), "ceil_mode": d.choice((False, True))}
        return [(2, 2) + tuple(d.int(5, 6) for _ in range(nd))], params
    return build


def avg_pool(nd):
    def build(d):
        k = d.int(1, 3)
        params = {"kernel_size": k, "stride": d.choice((None, 1, 2)), "padding": d.int(0, k // 2),
                  "ceil_mode": d.choice((False, True)),
                  "count_include_pad": d.choice((False, True))}
        if nd == 2 and d.choice((False, True)):
            params["divisor_override"] = 2
        return [(2, 2) + tuple(d.int(3, 5) for _ in range(nd))], params
    return build


def pad(d):
    mode = d.choice(("constant", "reflect", "replicate", "circular"))
    widths = [d.int(0, 2) for _ in range(4)]
    params = {"pad": widths, "mode": mode}
    if mode == "constant":
        params["value"] = d.choice((0.0, 0.5))
        widths[0] = -1 if d.choice((False, True)) else widths[0]
    return [(2, 3, 4)], params


def _affine(d, n):
    # both or neither: torch's double backward fails with a bias but no weight
    return [(n,), (n,)] if d.choice((True, False)) else [None, None]


def layer_norm(d):
    return [(2, 3, 4)] + _affine(d, 4), d.choice((
        {"normalized_shape": [4]}, {"normalized_shape": [4], "eps": 0.1}))


def group_norm(d):
    return [(2, 4, 3)] + _affine(d, 4), {"num_groups": d.choice((1, 2, 4))}


def normalize(d):
    s = shape(d, min_dims=2)
    return [s], {"dim": d.int(-len(s), len(s) - 1), "p": d.choice((2.0, 1.0))}


def dropout(d):
    return [shape(d)], d.choice(({"p": 0.0}, {"p": 0.5, "training": False}))


def attention(d):
    e, length, source = d.int(1, 3), d.int(1, 3), d.int(1, 3)
    causal = d.choice((False, True))
    mask = None if causal or d.choice((True, False)) else (length, source)
    params = {"is_causal": causal}
    if d.choice((False, True)):
        params["scale"] = 0.5
    return [(2, length, e), (2, source, e), (2, source, d.int(1, 3)), mask], params


def pointwise_loss(weighted=True):
    def build(d):
        s = shape(d, min_dims=1)
        shapes = [s, s] + ([_maybe(d, s)] if weighted else [])
        return shapes, {"reduction": _reduction(d)}
    return build


def smooth_l1(d):
    shapes, params = pointwise_loss(False)(d)
    params["beta"] = d.choice((1.0, 0.5, 0.0))
    return shapes, params


def huber(d):
    shapes, params = pointwise_loss()(d)
    params["delta"] = d.choice((1.0, 0.5))
    return shapes, params


def _classes(d, n, c, spatial=()):
    rng = np.random.default_rng(d.int(0, 1000))
    return rng.integers(0, c, size=(n,) + spatial)


def nll_loss(d):
    n, c = d.int(1, 3), d.int(2, 4)
    spatial = d.choice(((), (2,)))
    target = _classes(d, n, c, spatial)
    params = {"reduction": _reduction(d)}
    if d.choice((False, True)):
        params["ignore_index"] = 1
    weight = _maybe(d, np.linspace(0.5, 1.5, c))
    return [(n, c) + spatial, target, weight], params


def cross_entropy(d):
    shapes, params = nll_loss(d)
    if d.choice((False, True)):
        shapes[1] = shapes[0]  # class probabilities, differentiable
        params.pop("ignore_index", None)
    if d.choice((False, True)):
        params["label_smoothing"] = 0.2
    return shapes, params


def bce(d):
    s = shape(d, min_dims=1)
    return [s, s, _maybe(d, np.full(s, 0.75))], {"reduction": _reduction(d)}


def bce_logits(d):
    s = shape(d, min_dims=1)
    pos_weight = _maybe(d, np.linspace(0.5, 2.0, s[-1]))
    return [s, s, _maybe(d, np.full(s, 0.75)), pos_weight], {"reduction": _reduction(d)}


def kl_div(d):
    s = shape(d, min_dims=1)
    return [s, s], {"reduction": _reduction(d, "batchmean"), "log_target": d.choice((False, True))}


def cosine_similarity(d):
    # at least 2 elements per slice: over one element the similarity is +-1, flat, and
    # float32's second derivative is pure rounding noise
    s = shape(d, min_dims=2, low=2)
    return [s, s], {"dim": d.int(-len(s), len(s) - 1)}


def pairwise_distance(d):
    s = shape(d, min_dims=1)
    return [s, s], {"p": d.choice((2.0, 1.0, 3.0)), "keepdim": d.choice((False, True))}


NN_BUILDERS = {
    "linear": linear, "conv1d": conv(1), "conv2d": conv(2), "conv_transpose2d": conv_transpose2d,
    "max_pool1d": max_pool(1), "max_pool2d": max_pool(2), "avg_pool1d": avg_pool(1),
    "avg_pool2d": avg_pool(2), "pad": pad, "layer_norm": layer_norm, "group_norm": group_norm,
    "normalize": normalize, "dropout": dropout, "scaled_dot_product_attention": attention,
    "mse_loss": pointwise_loss(), "l1_loss": pointwise_loss(), "smooth_l1_loss": smooth_l1,
    "huber_loss": huber, "nll_loss": nll_loss, "cross_entropy": cross_entropy,
    "binary_cross_entropy": bce, "binary_cross_entropy_with_logits": bce_logits,
    "kl_div": kl_div, "cosine_similarity": cosine_similarity,
    "pairwise_distance": pairwise_distance,
}
