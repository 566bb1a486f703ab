"""A typical outside operator-test harness, run with torch and with the engine as `torch`.

The harness (as operator suites write it): float32 leaves drawn uniformly in [-2, 2),
`out = f(torch, *leaves)`, then `(out.float() + 1).square().mean().backward()`; the
engine's output (value, shape, dtype) and every leaf's gradient must match torch's
to float32 accuracy (rtol 1e-4, atol 1e-5).  The cases mix registry functions,
Tensor methods, keywords and call forms that such suites use.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import verifier.engine as engine


def nnf(lib):
    """torch.nn.functional of either library."""
    return lib.nn.functional


def helper(lib, shapes, f):
    rng = np.random.default_rng(0)
    leaves = [lib.tensor(rng.uniform(-2, 2, size=s).astype(np.float32), requires_grad=True)
              for s in shapes]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = f(lib, *leaves)
    (out.float() + 1).square().mean().backward()
    return [out.detach().numpy()] + [None if t.grad is None else t.grad.numpy() for t in leaves]


CASES = {
 "add_bcast": ([(3,1),(1,4)], lambda t,a,b: a+b),
 "pow_scalar": ([(5,)], lambda t,a: a.abs()**1.5),
 "rpow": ([(5,)], lambda t,a: 2.0**a),
 "sum_keep": ([(3,4,5)], lambda t,a: a.sum(1, keepdim=True)),
 "max_dim": ([(3,4)], lambda t,a: a.max(dim=1)[0]),
 "argmax_gather": ([(3,4)], lambda t,a: a.gather(1, a.argmax(1, keepdim=True))),
 "softmax": ([(3,4)], lambda t,a: a.softmax(-1)),
 "log_softmax_F": ([(3,4)], lambda t,a: nnf(t).log_softmax(a, dim=1)),
 "cumsum": ([(3,4)], lambda t,a: a.cumsum(1)),
 "cumprod": ([(3,4)], lambda t,a: t.cumprod(a, dim=0)),
 "flip": ([(3,4)], lambda t,a: a.flip((0, 1))),
 "pad_reflect": ([(1,2,5)], lambda t,a: nnf(t).pad(a, (2, 1), mode="reflect")),
 "pad_replicate": ([(1,2,4,5)], lambda t,a: nnf(t).pad(a, (1, 2, 0, 1), mode="replicate")),
 "pad_circular": ([(1,2,4,5)], lambda t,a: nnf(t).pad(a, (1, 2, 0, 1), mode="circular")),
 "conv2d_groups": ([(1,4,5,5),(4,2,3,3)], lambda t,a,w: nnf(t).conv2d(a, w, groups=2, padding=1)),
 "conv_transpose2d": ([(1,2,4,4),(2,3,3,3)], lambda t,a,w:
    nnf(t).conv_transpose2d(a, w, stride=2, padding=1, output_padding=1)),
 "conv1d_str_pad": ([(1,2,7),(3,2,3)], lambda t,a,w: nnf(t).conv1d(a, w, padding="same")),
 "max_pool2d_dil": ([(1,1,6,6)], lambda t,a: nnf(t).max_pool2d(a, 2, stride=1, dilation=2)),
 "avg_pool2d_ceil": ([(1,1,5,5)], lambda t,a: nnf(t).avg_pool2d(a, 2, ceil_mode=True)),
 "avg_pool1d": ([(1,2,7)], lambda t,a: nnf(t).avg_pool1d(a, 3, stride=2, padding=1)),
 "interpolate": ([(1,1,3,3)], lambda t,a:
    nnf(t).interpolate(a, scale_factor=2, mode="bilinear", align_corners=False)),
 "std": ([(3,4)], lambda t,a: a.std(dim=1, correction=0)),
 "var_unbiased": ([(3,4)], lambda t,a: t.var(a, 1, unbiased=True)),
 "einsum_ell": ([(2,3,4),(2,4,5)], lambda t,a,b: t.einsum("...ij,...jk->...ik", a, b)),
 "masked_fill": ([(3,4)], lambda t,a: a.masked_fill(a > 0.5, 0.0)),
 "where_scalar": ([(3,4)], lambda t,a: t.where(a > 0, a, 0.1)),
 "clamp_both": ([(3,4)], lambda t,a: a.clamp(-0.5, 0.5)),
 "layer_norm": ([(2,3,4),(4,),(4,)], lambda t,a,w,b: nnf(t).layer_norm(a, (4,), w, b)),
 "group_norm": ([(2,4,3),(4,),(4,)], lambda t,a,w,b: nnf(t).group_norm(a, 2, w, b)),
 "cross_entropy_ls": ([(4,5)], lambda t,a: nnf(t).cross_entropy(a, t.tensor([0,1,4,2]), label_smoothing=0.1)),
 "cross_entropy_prob": ([(4,5),(4,5)], lambda t,a,b: nnf(t).cross_entropy(a, b.softmax(-1))),
 "nll_ignore": ([(4,5)], lambda t,a: nnf(t).nll_loss(a.log_softmax(-1), t.tensor([0,-100,4,2]))),
 "bce_logits_pos": ([(4,5),(4,5)], lambda t,a,b:
    nnf(t).binary_cross_entropy_with_logits(a, b.sigmoid(), pos_weight=t.ones(5)*2)),
 "sdpa": ([(1,2,3,4),(1,2,3,4),(1,2,3,4)], lambda t,q,k,v:
    nnf(t).scaled_dot_product_attention(q, k, v, is_causal=True)),
 "sdpa_mask": ([(1,2,3,4),(1,2,3,4),(1,2,3,4)], lambda t,q,k,v:
    nnf(t).scaled_dot_product_attention(q, k, v, attn_mask=t.ones(3,3, dtype=t.bool).tril())),
 "gelu_tanh": ([(3,4)], lambda t,a: nnf(t).gelu(a, approximate="tanh")),
 "glu": ([(3,4)], lambda t,a: nnf(t).glu(a, dim=-1)),
 "normalize": ([(3,4)], lambda t,a: nnf(t).normalize(a, p=2.0, dim=1)),
 "cosine_sim": ([(3,4),(3,4)], lambda t,a,b: nnf(t).cosine_similarity(a, b, dim=1)),
 "cdist": ([(3,4),(2,4)], lambda t,a,b: t.cdist(a, b, p=2.0)),
 "matmul_batched": ([(2,3,4),(4,5)], lambda t,a,b: a @ b),
 "topk_values": ([(3,5)], lambda t,a: a.topk(2, dim=1, largest=False).values),
 "sort_desc": ([(3,5)], lambda t,a: t.sort(a, dim=-1, descending=True)[0]),
 "median_dim": ([(3,5)], lambda t,a: a.median(dim=1).values),
 "logcumsumexp": ([(3,5)], lambda t,a: t.logcumsumexp(a, dim=1)),
 "cummax": ([(3,5)], lambda t,a: t.cummax(a, dim=1).values),
 "roll": ([(3,5)], lambda t,a: a.roll(shifts=(1, -2), dims=(0, 1))),
 "tril": ([(4,4)], lambda t,a: a.tril(-1)),
 "diagonal": ([(3,4,4)], lambda t,a: a.diagonal(offset=1, dim1=-2, dim2=-1)),
 "repeat": ([(2,3)], lambda t,a: a.repeat(2, 1, 2)),
 "tile": ([(2,3)], lambda t,a: a.tile((2,))),
 "narrow_split": ([(4,6)], lambda t,a: t.cat(a.split(2, dim=1)[::-1], dim=0)),
 "chunk_uneven": ([(5,3)], lambda t,a: t.stack([c.sum(0) for c in a.chunk(3)])),
 "index_list": ([(4,5)], lambda t,a: a[[0, 2, 3]][:, [1, 1, 4]]),
 "bool_index": ([(4,5)], lambda t,a: a[a > 0] * 2),
 "none_ellipsis": ([(2,3,4)], lambda t,a: a[..., None, 1:3].sum(-1)),
 "neg_step_free": ([(6,)], lambda t,a: a[1::2]),
 "expand_minus1": ([(1,4)], lambda t,a: a.expand(3, -1) * t.arange(3.).reshape(3,1)),
 "view_permute": ([(2,3,4)], lambda t,a: a.permute(2, 0, 1).reshape(4, -1)),
 "int_pow": ([(3,)], lambda t,a: a ** 3),
 "sqrt_abs": ([(5,)], lambda t,a: a.abs().sqrt()),
 "erfinv": ([(5,)], lambda t,a: t.erfinv(a * 0.4)),
 "lgamma": ([(5,)], lambda t,a: t.lgamma(a.abs() + 0.5)),
 "xlogy": ([(5,),(5,)], lambda t,a,b: t.xlogy(a, b.abs())),
 "atan2": ([(5,),(5,)], lambda t,a,b: t.atan2(a, b)),
 "hypot": ([(5,),(5,)], lambda t,a,b: t.hypot(a, b)),
 "lerp": ([(5,),(5,)], lambda t,a,b: t.lerp(a, b, 0.3)),
 "logaddexp": ([(5,),(5,)], lambda t,a,b: t.logaddexp(a, b)),
 "mish": ([(5,)], lambda t,a: nnf(t).mish(a)),
 "hardswish": ([(5,)], lambda t,a: nnf(t).hardswish(a)),
 "softplus_beta": ([(5,)], lambda t,a: nnf(t).softplus(a, beta=2.0, threshold=1.0)),
 "elu_alpha": ([(5,)], lambda t,a: nnf(t).elu(a, alpha=0.5)),
 "leaky": ([(5,)], lambda t,a: nnf(t).leaky_relu(a, negative_slope=0.2)),
 "linalg_solve": ([(3,3),(3,2)], lambda t,a,b: t.linalg.solve(a + 3*t.eye(3), b)),
 "linalg_norm": ([(3,4)], lambda t,a: t.linalg.vector_norm(a, ord=3, dim=1)),
 "matrix_norm": ([(3,3)], lambda t,a: t.linalg.matrix_norm(a)),
 "det": ([(3,3)], lambda t,a: t.det(a + 2*t.eye(3))),
 "inv": ([(3,3)], lambda t,a: t.linalg.inv(a + 3*t.eye(3))),
 "outer": ([(3,),(4,)], lambda t,a,b: t.outer(a, b)),
 "dot": ([(3,),(3,)], lambda t,a,b: t.dot(a, b)),
 "trace": ([(3,3)], lambda t,a: t.trace(a)),
 "to_double": ([(3,)], lambda t,a: a.double() * 2),
 "type_float": ([(3,)], lambda t,a: a.type(t.float64).float()),
 "comparison": ([(3,)], lambda t,a: (a > 0).float() * a),
 "sign_relu": ([(5,)], lambda t,a: a.sign() * a.relu()),
 "zeros_like_plus": ([(3,)], lambda t,a: t.zeros_like(a) + a * 2),
 "stack_unsq": ([(3,),(3,)], lambda t,a,b: t.stack((a, b), 1).unsqueeze(0)),
 "amax_multi": ([(2,3,4)], lambda t,a: a.amax(dim=(0, 2))),
 "mean_neg": ([(2,3,4)], lambda t,a: a.mean(-1)),
 "prod_dim": ([(3,4)], lambda t,a: a.prod(1)),
 "logsumexp_keep": ([(3,4)], lambda t,a: a.logsumexp(1, keepdim=True)),
 "norm_p1": ([(3,4)], lambda t,a: a.norm(p=1, dim=1)),
 "norm_fro": ([(3,4)], lambda t,a: t.norm(a, p="fro")),
 "square_rsqrt": ([(3,)], lambda t,a: (a.square() + 1).rsqrt()),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_engine_matches_torch_under_the_harness(name):
    shapes, f = CASES[name]
    theirs, ours = helper(torch, shapes, f), helper(engine, shapes, f)
    for what, expected, got in zip(["output"] + [f"grad {i}" for i in range(len(shapes))],
                                   theirs, ours):
        assert (expected is None) == (got is None), f"{name} {what}: None vs not None"
        if expected is None:
            continue
        assert got.shape == expected.shape and got.dtype == expected.dtype, \
            f"{name} {what}: {got.shape} {got.dtype} vs {expected.shape} {expected.dtype}"
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5, err_msg=f"{name} {what}")
