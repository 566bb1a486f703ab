"""The engine's functions outside the registry against torch 2.13: value and gradient.

Each case is a function of (library, x, y, z) over three float64 leaves; the
engine's value and every leaf's gradient (of a weighted sum of the output)
must agree with torch's to 1e-12 relative to their size.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import verifier.engine as engine

RNG = np.random.default_rng(2)
A, B, C = (RNG.standard_normal((4, 5)) for _ in range(3))
SIGNS = np.sign(RNG.standard_normal((4, 5)))
ROW_SIGNS = np.sign(RNG.standard_normal(4))
BITS = (RNG.random((4, 5)) > 0.5) * 1.0
IMAGE = RNG.standard_normal((2, 8, 4, 6))


def F(t):  # noqa: N802  torch.nn.functional of either library
    return t.nn.functional


CASES = {
    "margin_ranking_loss": lambda t, x, y, z: F(t).margin_ranking_loss(x, y, t.tensor(SIGNS),
                                                                       margin=0.3),
    "soft_margin_loss": lambda t, x, y, z: F(t).soft_margin_loss(x, t.tensor(SIGNS), reduction="sum"),
    "hinge_embedding_loss": lambda t, x, y, z: F(t).hinge_embedding_loss(
        x, t.tensor(SIGNS), margin=0.5, reduction="none"),
    "poisson_nll_loss": lambda t, x, y, z: F(t).poisson_nll_loss(x, t.tensor(np.abs(B) * 3),
                                                                 full=True),
    "poisson_nll_loss_linear": lambda t, x, y, z: F(t).poisson_nll_loss(
        x.abs() + 0.1, t.tensor(np.abs(B)), log_input=False, reduction="none"),
    "gaussian_nll_loss": lambda t, x, y, z: F(t).gaussian_nll_loss(x, y, z.abs() * 0.1 + 1e-7,
                                                                   full=True),
    "gaussian_nll_loss_row_var": lambda t, x, y, z: F(t).gaussian_nll_loss(x, y, z[:, 0].abs()),
    "triplet_margin_loss": lambda t, x, y, z: F(t).triplet_margin_loss(x, y, z, margin=2.0,
                                                                       swap=True),
    "cosine_embedding_loss": lambda t, x, y, z: F(t).cosine_embedding_loss(
        x, y, t.tensor(ROW_SIGNS), margin=0.1, reduction="none"),
    "multilabel_soft_margin_loss": lambda t, x, y, z: F(t).multilabel_soft_margin_loss(
        x, t.tensor(BITS), weight=t.tensor(np.arange(5.0))),
    "interpolate_bicubic": lambda t, x, y, z: F(t).interpolate(x[None, None], size=(7, 3),
                                                               mode="bicubic"),
    "interpolate_bicubic_corners": lambda t, x, y, z: F(t).interpolate(
        x[None, None], scale_factor=1.7, mode="bicubic", align_corners=True),
    "interpolate_bilinear": lambda t, x, y, z: F(t).interpolate(x[None, None], scale_factor=0.6,
                                                                mode="bilinear"),
    "interpolate_nearest_exact": lambda t, x, y, z: F(t).interpolate(
        x[None], scale_factor=2.5, mode="nearest-exact"),
    "interpolate_area": lambda t, x, y, z: F(t).interpolate(x[None, None], size=(3, 2), mode="area"),
    "adaptive_max_pool2d": lambda t, x, y, z: F(t).adaptive_max_pool2d(x[None, None], (3, 2)),
    "pixel_shuffle": lambda t, x, y, z: F(t).pixel_shuffle(x.reshape(1, 4, 1, 5), 2),
    "pixel_unshuffle": lambda t, x, y, z: F(t).pixel_unshuffle(x.reshape(1, 1, 4, 5)[..., :4], 2),
    "unfold": lambda t, x, y, z: F(t).unfold(x[None, None], (2, 3), dilation=(1, 2), padding=1,
                                             stride=(2, 1)),
    "fold": lambda t, x, y, z: F(t).fold(x.reshape(1, 4, 5), (2, 6), 2),
    "rms_norm": lambda t, x, y, z: F(t).rms_norm(x, [5], weight=y[0], eps=1e-6),
    "local_response_norm": lambda t, x, y, z: F(t).local_response_norm(x[None], 3, alpha=0.1, k=2.0),
    "batch_norm": lambda t, x, y, z: F(t).batch_norm(x[None], None, None, weight=y[:, 0],
                                                     bias=z[:, 0], training=True),
    "instance_norm": lambda t, x, y, z: F(t).instance_norm(x[None], weight=y[:, 0]),
    "embedding_padding": lambda t, x, y, z: F(t).embedding(t.tensor([[0, 2], [3, 2]]), x,
                                                           padding_idx=2),
    "prelu": lambda t, x, y, z: F(t).prelu(x[None], y[:, 0]),
    "softshrink": lambda t, x, y, z: F(t).softshrink(x, 0.4),
    "quantile": lambda t, x, y, z: t.quantile(x, t.tensor([0.1, 0.5, 0.9], dtype=t.float64),
                                                  dim=1),
    "cov_corrcoef": lambda t, x, y, z: t.cov(x) + t.corrcoef(y),
    "tensordot_kron": lambda t, x, y, z: t.tensordot(x, y, dims=([1], [1])) + t.kron(x[:2, :2],
                                                                                     z[:2, :2]),
    "addmm_baddbmm": lambda t, x, y, z: t.addmm(x[:, :4], x, y.T[:, :4], beta=0.5, alpha=2.0)
    + t.baddbmm(z[None, :, :4], x[None], y.T[None, :, :4])[0],
    "remainder_fmod": lambda t, x, y, z: t.remainder(x, 0.7) + t.fmod(y, -0.3) + x.detach() // 0.5,
    "clamp_tensor_bounds": lambda t, x, y, z: t.clamp(x, min=y - 0.5, max=z + 0.5),
    "index_put_in_graph": lambda t, x, y, z: _index_put(x, y),
    "nan_to_num": lambda t, x, y, z: t.nan_to_num(x / (y > 0), posinf=3.0, neginf=-2.0),
}


def test_floor_divide_has_no_derivative_as_in_torch():
    for lib in (torch, engine):
        x = lib.tensor([1.5, -2.5], requires_grad=True)
        y = x // 0.5
        assert y.tolist() == [3.0, -5.0] and y.requires_grad
        with pytest.raises(RuntimeError, match="derivative for aten::floor_divide is not implemented"):
            y.sum().backward()


def _index_put(x, y):
    out = x * 1
    out[1:3, 0] = y[0, :2] * 2
    out[out > 1.0] = 0.5
    return out


@pytest.mark.parametrize("name", sorted(CASES))
def test_value_and_gradients_match_torch(name):
    results = []
    for lib in (torch, engine):
        leaves = [lib.tensor(v, requires_grad=True) for v in (A, B, C)]
        out = CASES[name](lib, *leaves)
        weights = lib.tensor(np.linspace(-1, 1, out.numel()).reshape(tuple(out.shape)))
        (out * weights).sum().backward()
        grads = [np.zeros_like(v) if t.grad is None else t.grad.numpy() for t, v in
                 zip(leaves, (A, B, C))]
        results.append([out.detach().numpy()] + grads)
    for what, theirs, ours in zip(("value", "grad x", "grad y", "grad z"), *results):
        assert ours.shape == theirs.shape, f"{name} {what}: shape {ours.shape} vs {theirs.shape}"
        scale = 1.0 + np.abs(theirs).max(initial=0.0)
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12 * scale, err_msg=f"{name} {what}")


EINSUM_OPERANDS = {"A": RNG.standard_normal((2, 3, 4)), "B": RNG.standard_normal((2, 4, 5)),
                   "S": RNG.standard_normal((3, 3)), "V": RNG.standard_normal(4),
                   "Q": RNG.standard_normal((2, 3, 3))}
EINSUMS = [("...ij,...jk->...ik", "AB"), ("...ij,...jk", "AB"), ("bij,bjk", "AB"), ("ii->i", "S"),
           ("ii", "S"), ("...ii->...i", "Q"), ("bii->b", "Q"), ("i,i", "VV"), ("...j,j->...", "AV"),
           ("ij...->ji...", "A"), ("Ab,bc", "SS"), ("a b , b c -> a c", "SS")]


@pytest.mark.parametrize("equation, names", EINSUMS, ids=[e for e, _ in EINSUMS])
def test_einsum_forms_match_torch(equation, names):
    """Ellipses, diagonals and implicit outputs, rewritten for the registry's einsum."""
    results = []
    for lib in (torch, engine):
        leaves = [lib.tensor(EINSUM_OPERANDS[n], requires_grad=True) for n in names]
        out = lib.einsum(equation, *leaves)
        weights = lib.tensor(np.linspace(-1, 1, out.numel()).reshape(tuple(out.shape)))
        (out * weights).sum().backward()
        results.append([out.detach().numpy()] + [t.grad.numpy() for t in leaves])
    for theirs, ours in zip(*results):
        assert ours.shape == theirs.shape
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12 * (1 + np.abs(theirs).max()))


def test_einsum_call_forms():
    a, b = engine.tensor(EINSUM_OPERANDS["A"]), engine.tensor(EINSUM_OPERANDS["B"])
    expected = engine.einsum("bij,bjk->bik", a, b)
    assert engine.einsum("bij,bjk->bik", [a, b]).equal(expected)
    assert engine.einsum(a, [0, 1, 2], b, [0, 2, 3], [0, 1, 3]).equal(expected)
    assert engine.einsum(a, [Ellipsis, 1, 2], b, [Ellipsis, 2, 3]).equal(expected)


SCATTER_INDEX = np.array([[0, 0], [1, 3], [2, 2], [4, 4]])


@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("reduce", ["sum", "mean", "amax", "amin"])
def test_scatter_reduce_matches_torch_with_ties(reduce, include_self):
    source = B[:, :2].copy()
    source[0, 1] = source[0, 0]  # two sources tie at one target
    results = []
    for lib in (torch, engine):
        x = lib.tensor(A, requires_grad=True)
        src = lib.tensor(source, requires_grad=True)
        out = lib.scatter_reduce(x, 1, lib.tensor(SCATTER_INDEX), src, reduce,
                                 include_self=include_self)
        (out * lib.tensor(np.arange(20.0).reshape(4, 5))).sum().backward()
        results.append((out.detach().numpy(), x.grad.numpy(), src.grad.numpy()))
    for theirs, ours in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)


def test_index_put_and_scatter_add_forms():
    for accumulate in (False, True):
        results = []
        for lib in (torch, engine):
            x = lib.tensor(A, requires_grad=True)
            v = lib.tensor(B[0, :3], requires_grad=True)
            rows = lib.tensor([0, 2, 0] if accumulate else [0, 2, 1])
            out = x.index_put((rows, lib.tensor([1, 1, 1])), v * 2, accumulate=accumulate)
            (out * lib.tensor(np.arange(20.0).reshape(4, 5))).sum().backward()
            results.append((out.detach().numpy(), x.grad.numpy(), v.grad.numpy()))
        for theirs, ours in zip(*results):
            np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)
    for lib in (torch, engine):
        y = lib.zeros(2, 3).scatter(1, lib.tensor([[0, 0], [2, 1]]), lib.ones(2, 2), reduce="add")
        assert y.tolist() == [[2.0, 0.0, 0.0], [0.0, 1.0, 1.0]]
        assert lib.zeros(2, 2).T.contiguous().is_contiguous() and not lib.zeros(2, 2).T.is_contiguous()
        assert lib.zeros(1).layout == lib.strided
        assert lib.zeros(2, 2).contiguous(memory_format=lib.contiguous_format).shape == (2, 2)


SIGNAL = RNG.standard_normal((2, 3, 6))
KERNEL = RNG.standard_normal((3, 2, 3))
IMAGES = RNG.standard_normal((2, 3, 4, 6))
ROWS = RNG.standard_normal((5, 3))
BILINEAR = RNG.standard_normal((4, 3, 3))
MORE = {
    "conv_transpose1d": ([SIGNAL, KERNEL], lambda t, x, w: F(t).conv_transpose1d(
        x, w, stride=2, padding=1, output_padding=1)),
    "conv_transpose1d_dilated": ([SIGNAL[:, :2], KERNEL[:2]], lambda t, x, w:
                                 F(t).conv_transpose1d(x, w, dilation=2)),
    "bilinear": ([ROWS, ROWS, BILINEAR], lambda t, a, b, w: F(t).bilinear(
        a, b, w, t.ones(4, dtype=t.float64))),
    "lp_pool1d": ([SIGNAL], lambda t, x: F(t).lp_pool1d(x.abs() + 0.1, 2.0, 3, stride=2)),
    "lp_pool2d": ([IMAGES], lambda t, x: F(t).lp_pool2d(x.abs() + 0.1, 3, 2)),
    "rrelu_eval": ([SIGNAL], lambda t, x: F(t).rrelu(x)),
    "pdist": ([ROWS], lambda t, x: F(t).pdist(x, p=3) + t.pdist(x)),
    "upsample": ([IMAGES], lambda t, x: F(t).upsample_bilinear(x, scale_factor=2)[..., :5, :7]
                 + F(t).upsample_nearest(x, size=(5, 7))),
    "dropout2d_eval": ([IMAGES], lambda t, x: F(t).dropout2d(x, 0.3, training=False)),
    "max_pool2d_with_indices": ([IMAGES], lambda t, x: F(t).max_pool2d_with_indices(x, 2)[0]),
    "fmax_fmin": ([SIGNAL, IMAGES[:, :, 0]], lambda t, x, y: t.fmax(x, y) + t.fmin(x, y * 2)),
    "addr": ([ROWS[:, 0], ROWS[0], BILINEAR[0]], lambda t, a, b, c: t.addr(
        c.repeat(2, 1)[:5], a, b, beta=0.5, alpha=3)),
    "cumulative_trapezoid": ([SIGNAL, SIGNAL[0, 0]], lambda t, y, x: t.cumulative_trapezoid(y, x)
                             + t.cumulative_trapezoid(y, dx=0.5)),
    "chain_matmul": ([BILINEAR[0], BILINEAR[1], BILINEAR[2]], lambda t, a, b, c:
                     t.chain_matmul(a, b, c)),
    "div_rounding": ([SIGNAL], lambda t, x: t.div(x, 0.3, rounding_mode="trunc") + x),
}


@pytest.mark.parametrize("name", sorted(MORE))
def test_more_functions_match_torch(name):
    operands, function = MORE[name]
    results = []
    for lib in (torch, engine):
        leaves = [lib.tensor(v, requires_grad=True) for v in operands]
        out = function(lib, *leaves)
        weights = lib.tensor(np.linspace(-1, 1, out.numel()).reshape(tuple(out.shape)))
        (out * weights).sum().backward()
        results.append([out.detach().numpy()] + [t.grad.numpy() for t in leaves])
    for theirs, ours in zip(*results):
        assert ours.shape == theirs.shape
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12 * (1 + np.abs(theirs).max()))


VOLUME = RNG.standard_normal((3, 4, 4))
PLANE = RNG.standard_normal((3, 4))
MASK = RNG.random((3, 4, 4)) > 0.5
EMBEDDINGS = {
    "select_scatter": ([VOLUME, PLANE], lambda t, x, s: t.select_scatter(x, s, 1, 2)),
    "slice_scatter": ([VOLUME, VOLUME[:, :, :2]], lambda t, x, s: t.slice_scatter(
        x, s, dim=2, start=1, step=2)),
    "diagonal_scatter": ([VOLUME, PLANE[:, :3]], lambda t, x, s: t.diagonal_scatter(x, s, 1, 1, 2)),
    "diagonal_scatter_outer_dims": ([VOLUME, PLANE.T[:, :3].copy()], lambda t, x, s:
                                    t.diagonal_scatter(x, s, 0, 0, 2)),
    "masked_scatter": ([VOLUME, RNG.standard_normal(60)], lambda t, x, q: x.masked_scatter(
        t.tensor(MASK), q)),
}


@pytest.mark.parametrize("name", sorted(EMBEDDINGS))
def test_scatter_embeddings_match_torch(name):
    operands, function = EMBEDDINGS[name]
    results = []
    for lib in (torch, engine):
        leaves = [lib.tensor(v, requires_grad=True) for v in operands]
        out = function(lib, *leaves)
        weights = lib.tensor(np.linspace(-1, 1, out.numel()).reshape(tuple(out.shape)))
        (out * weights).sum().backward()
        results.append([out.detach().numpy()] + [t.grad.numpy() for t in leaves])
    for theirs, ours in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)
