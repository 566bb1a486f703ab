"""Operator-test idioms, part 5: how operator tests call the registry's functions —
methods, keywords, dims given as tuples or negatives, indexing forms, multi-output
results — plus torch.nn.functional beyond the registry and torch.nn.Parameter/init.

Each body runs with real torch and with the engine imported as `torch`; values
are compared with numpy or exact literals, gradients with hand-derived values.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch as real_torch

import verifier.engine as engine

pytestmark = pytest.mark.parametrize("torch", [real_torch, engine], ids=["torch", "engine"])


def _x(torch, *shape, dtype=None, requires_grad=False):
    values = np.arange(1, int(np.prod(shape)) + 1, dtype=np.float64).reshape(shape) / 10
    return torch.tensor(values, dtype=dtype or torch.float32, requires_grad=requires_grad)


def test_reductions_with_dim_forms(torch):
    x = _x(torch, 2, 3, 4)
    assert x.sum(dim=(0, 2)).shape == (3,) and torch.sum(x, 0).shape == (3, 4)
    assert x.mean(dim=[1, 2], keepdim=True).shape == (2, 1, 1)
    assert x.amax(-1).shape == (2, 3) and x.std(dim=0, unbiased=False).shape == (3, 4)
    assert x.var(1, correction=0).shape == (2, 4) and x.prod(dim=-1).shape == (2, 3)
    values, indices = torch.max(x, dim=1)
    assert values.shape == (2, 4) and indices.dtype == torch.int64
    assert x.max(1)[0].shape == (2, 4) and x.min(dim=-1, keepdim=True).values.shape == (2, 3, 1)
    assert torch.max(x).item() == pytest.approx(2.4) and x.min().item() == pytest.approx(0.1)
    assert torch.logsumexp(x, dim=-1).shape == (2, 3) and x.norm(dim=1).shape == (2, 4)
    assert torch.norm(x).item() == pytest.approx(float(np.linalg.norm(np.arange(1, 25) / 10)),
                                                 rel=1e-6)
    assert x.cumsum(dim=2).shape == (2, 3, 4) and torch.cumprod(x, 0).shape == (2, 3, 4)
    assert x.sum().dim() == 0 and x.sum(dtype=torch.float64).dtype == torch.float64
    assert torch.mean(x, dim=(-1, -2)).shape == (2,)


def test_shape_and_indexing_forms(torch):
    x = _x(torch, 2, 3, 4)
    assert x.view(-1).shape == (24,) and x.reshape(4, -1).shape == (4, 6)
    assert x.permute(0, 2, 1).shape == (2, 4, 3) and x.permute((2, 0, 1)).shape == (4, 2, 3)
    assert x.transpose(0, 1).shape == (3, 2, 4) and x.flatten(1).shape == (2, 12)
    assert x[..., None].shape == (2, 3, 4, 1) and x[None].shape == (1, 2, 3, 4)
    assert x[:, 1:3].shape == (2, 2, 4) and x[0, :, -1].shape == (3,)
    assert x[[0, 1], [2, 0]].shape == (2, 4) and x[torch.tensor([1, 0])].shape == (2, 3, 4)
    assert x[x > 1.0].shape == (14,) and x[:, :, ::2].shape == (2, 3, 2)
    assert x.unsqueeze(-1).shape == (2, 3, 4, 1) and x[:, :1].squeeze(1).shape == (2, 4)
    assert x[:1].expand(5, -1, -1).shape == (5, 3, 4) and x.repeat(1, 2, 1).shape == (2, 6, 4)
    a, b = x.chunk(2, dim=2)
    assert a.shape == b.shape == (2, 3, 2)
    parts = torch.split(x, [1, 3], dim=2)
    assert [p.shape[2] for p in parts] == [1, 3] and len(x.split(1)) == 2
    assert torch.cat((x, x), 1).shape == (2, 6, 4) and torch.stack([x, x], dim=-1).shape[-1] == 2
    assert x.flip(dims=(0,))[0, 0, 0].item() == pytest.approx(1.3) and x.flip(2).shape == x.shape
    assert x.roll(1, dims=2)[0, 0, 0].item() == pytest.approx(0.4)
    assert x.narrow(1, 1, 2).shape == (2, 2, 4)
    assert x[0].t().shape == (4, 3) and x.contiguous().view(6, 4).shape == (6, 4)
    assert torch.gather(x, 2, torch.zeros(2, 3, 1, dtype=torch.long)).shape == (2, 3, 1)
    assert x.index_select(1, torch.tensor([0, 2])).shape == (2, 2, 4)
    assert x.masked_fill(x > 1.0, 0.0).max().item() == pytest.approx(1.0)
    assert torch.einsum("bij,bjk->bik", x, x.transpose(1, 2)).shape == (2, 3, 3)
    assert torch.tril(x[0]).shape == (3, 4) and x[0].triu(1)[0, 0].item() == 0.0
    assert x.sort(dim=-1, descending=True).values[0, 0, 0].item() == pytest.approx(0.4)
    assert torch.topk(x, 2).indices.tolist()[0][0] == [3, 2]


def test_gradients_through_indexing_and_views(torch):
    x = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    (x[:, ::2] * 2).sum().backward()
    assert x.grad.tolist() == [[2.0, 0.0, 2.0], [2.0, 0.0, 2.0]]
    x.grad = None
    x[[0, 0, 1], [1, 1, 2]].sum().backward()
    assert x.grad.tolist() == [[0.0, 2.0, 0.0], [0.0, 0.0, 1.0]]
    x.grad = None
    x.view(-1)[::2].sum().backward()
    assert x.grad.tolist() == [[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]]
    x.grad = None
    torch.max(x, dim=1).values.sum().backward()
    assert x.grad.tolist() == [[0.0, 0.0, 1.0], [0.0, 0.0, 1.0]]


def test_scalar_and_broadcast_arithmetic(torch):
    x = torch.tensor([1.0, 4.0], requires_grad=True)
    y = torch.pow(2, x) + x ** 0.5 + 2 ** x + x.pow(2) - 1 / x + torch.sqrt(x) * 3
    y.sum().backward()
    expected = 2 * np.log(2) * 2 ** np.array([1.0, 4.0]) + 4 * 0.5 / np.sqrt([1.0, 4.0]) \
        + 2 * np.array([1.0, 4.0]) + 1 / np.array([1.0, 4.0]) ** 2
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-5)
    m = torch.ones(2, 3) * torch.tensor([[1.0], [2.0]])
    assert m.tolist() == [[1.0, 1.0, 1.0], [2.0, 2.0, 2.0]]
    assert (torch.tensor([1, 2]) * 1.5).dtype == torch.float32
    assert (torch.tensor([3, 4]) / 2).tolist() == [1.5, 2.0]
    assert torch.add(torch.ones(2), torch.ones(2), alpha=2).tolist() == [3.0, 3.0]
    assert torch.clamp(torch.tensor([-1.0, 2.0]), min=0).tolist() == [0.0, 2.0]


def test_functional_layers_by_keyword(torch):
    F = torch.nn.functional  # noqa: N806  the usual alias
    x = _x(torch, 1, 2, 5, 5, requires_grad=True)
    w = _x(torch, 3, 2, 3, 3)
    y = F.conv2d(x, w, bias=torch.zeros(3), stride=2, padding=1)
    assert y.shape == (1, 3, 3, 3)
    assert F.max_pool2d(x, kernel_size=2).shape == (1, 2, 2, 2)
    assert F.avg_pool2d(x, 2, stride=1).shape == (1, 2, 4, 4)
    assert F.pad(x, (1, 1, 2, 0)).shape == (1, 2, 7, 7)
    assert F.pad(x, (1, 1, 1, 1), mode="reflect").shape == (1, 2, 7, 7)
    assert F.linear(x.reshape(2, 25), torch.ones(4, 25)).shape == (2, 4)
    assert F.softmax(x, dim=-1).sum(-1).allclose(torch.ones(1, 2, 5))
    assert F.log_softmax(x, 1).shape == x.shape and F.relu(x - 1).min().item() == 0.0
    assert F.gelu(x, approximate="tanh").shape == x.shape and F.silu(x).shape == x.shape
    assert F.layer_norm(x, (5,)).shape == x.shape and F.normalize(x, dim=1).shape == x.shape
    assert F.dropout(x, p=0.0, training=True).equal(x) and F.dropout(x, 0.5, False).equal(x)
    target = torch.tensor([1])
    loss = F.cross_entropy(x.reshape(1, 50)[:, :4], target)
    assert loss.dim() == 0 and F.mse_loss(x, x + 1).item() == pytest.approx(1.0)
    assert F.mse_loss(x, torch.zeros_like(x), reduction="sum").item() > 0
    assert F.nll_loss(F.log_softmax(x.reshape(2, 25), 1), torch.tensor([0, 3])).dim() == 0
    y.sum().backward()
    assert x.grad.shape == x.shape


def test_functional_beyond_the_registry(torch):
    F = torch.nn.functional  # noqa: N806  the usual alias
    x = _x(torch, 1, 1, 2, 2)
    up = F.interpolate(x, scale_factor=2, mode="nearest")
    assert up.shape == (1, 1, 4, 4) and up[0, 0, 1, 1].item() == pytest.approx(0.1)
    bi = F.interpolate(x, size=(3, 3), mode="bilinear", align_corners=True)
    np.testing.assert_allclose(bi[0, 0].detach().numpy(),
                               [[0.1, 0.15, 0.2], [0.2, 0.25, 0.3], [0.3, 0.35, 0.4]], rtol=1e-5)
    half = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
    np.testing.assert_allclose(half[0, 0, 0].detach().numpy(), [0.1, 0.125, 0.175, 0.2], rtol=1e-5)
    line = F.interpolate(_x(torch, 1, 1, 3), size=5, mode="linear", align_corners=True)
    np.testing.assert_allclose(line[0, 0].detach().numpy(), [0.1, 0.15, 0.2, 0.25, 0.3], rtol=1e-5)
    hot = F.one_hot(torch.tensor([0, 2]), num_classes=3)
    assert hot.tolist() == [[1, 0, 0], [0, 0, 1]] and hot.dtype == torch.int64
    assert F.one_hot(torch.tensor([1, 0])).shape == (2, 2)
    table = _x(torch, 4, 3)
    assert F.embedding(torch.tensor([[0, 3]]), table).shape == (1, 2, 3)
    pooled = F.adaptive_avg_pool2d(_x(torch, 1, 1, 4, 4), (2, 2))
    np.testing.assert_allclose(pooled[0, 0].numpy(), [[0.35, 0.55], [1.15, 1.35]], rtol=1e-5)
    assert F.adaptive_avg_pool2d(_x(torch, 1, 2, 4, 4), 1).shape == (1, 2, 1, 1)
    np.testing.assert_allclose(F.adaptive_max_pool2d(_x(torch, 1, 1, 4, 4), 2)[0, 0].numpy(),
                               [[0.6, 0.8], [1.4, 1.6]], rtol=1e-6)
    v = torch.tensor([-2.0, -0.2, 0.3, 2.0])
    assert F.softmin(v, dim=0).argmax().item() == 0 and F.tanhshrink(v).shape == (4,)
    assert F.hardshrink(v, 0.5).tolist() == [-2.0, 0.0, 0.0, 2.0]
    np.testing.assert_allclose(F.softshrink(v, 0.5).numpy(), [-1.5, 0.0, 0.0, 1.5])
    assert F.threshold(v, 0.25, -1.0).tolist() == [-1.0, -1.0, pytest.approx(0.3), 2.0]
    np.testing.assert_allclose(F.prelu(v, torch.tensor([0.1])).numpy(), [-0.2, -0.02, 0.3, 2.0],
                               rtol=1e-6)


def test_batch_and_instance_norm(torch):
    F = torch.nn.functional  # noqa: N806  the usual alias
    x = _x(torch, 3, 2, 4, dtype=torch.float64, requires_grad=True)
    y = F.batch_norm(x, None, None, training=True)
    flat = x.detach().numpy().transpose(1, 0, 2).reshape(2, -1)
    expected = (x.detach().numpy() - flat.mean(1)[None, :, None]) / \
        np.sqrt(flat.var(1)[None, :, None] + 1e-5)
    np.testing.assert_allclose(y.detach().numpy(), expected, rtol=1e-10)
    mean, var = torch.zeros(2, dtype=torch.float64), torch.ones(2, dtype=torch.float64)
    F.batch_norm(x, mean, var, weight=torch.ones(2, dtype=torch.float64),
                 bias=torch.zeros(2, dtype=torch.float64), training=True, momentum=0.5)
    np.testing.assert_allclose(mean.numpy(), 0.5 * flat.mean(1), rtol=1e-10)
    np.testing.assert_allclose(var.numpy(), 0.5 + 0.5 * flat.var(1, ddof=1), rtol=1e-10)
    evaluated = F.batch_norm(x, mean, var, training=False)
    np.testing.assert_allclose(evaluated.detach().numpy(),
                               (x.detach().numpy() - mean.numpy()[None, :, None])
                               / np.sqrt(var.numpy()[None, :, None] + 1e-5), rtol=1e-10)
    inst = F.instance_norm(x)
    per = x.detach().numpy()
    np.testing.assert_allclose(inst.detach().numpy(), (per - per.mean(2, keepdims=True))
                               / np.sqrt(per.var(2, keepdims=True) + 1e-5), rtol=1e-10)
    assert torch.autograd.gradcheck(lambda a: F.batch_norm(a, None, None, training=True), (x,))


def test_parameter_and_init(torch):
    w = torch.nn.Parameter(torch.zeros(3, 2))
    assert w.requires_grad and w.is_leaf and isinstance(w, torch.Tensor)
    assert isinstance(w, torch.nn.Parameter)
    frozen = torch.nn.Parameter(torch.ones(2), requires_grad=False)
    assert not frozen.requires_grad
    torch.nn.init.constant_(w, 0.5)
    assert w.sum().item() == 3.0 and w.requires_grad
    torch.nn.init.zeros_(w)
    torch.nn.init.ones_(w)
    assert w.sum().item() == 6.0
    torch.nn.init.uniform_(w, -0.1, 0.1)
    assert float(w.abs().max()) <= 0.1
    torch.nn.init.normal_(w, std=0.01)
    torch.nn.init.xavier_uniform_(w)
    bound = np.sqrt(6 / (2 + 3))
    assert float(w.abs().max()) <= bound
    torch.nn.init.kaiming_uniform_(w, a=np.sqrt(5))
    torch.nn.init.eye_(w)
    assert w.tolist() == [[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]
    (w * 2).sum().backward()
    assert w.grad.tolist() == [[2.0, 2.0]] * 3


def test_functional_inplace_activations(torch):
    F = torch.nn.functional  # noqa: N806  the usual alias
    x = torch.tensor([-1.0, 2.0], requires_grad=True)
    z = x * 1
    assert F.elu(z, inplace=True) is z
    z.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [np.exp(-1.0), 1.0], rtol=1e-6)
    v = torch.tensor([-2.0, 3.0])
    F.relu(v, inplace=True)
    assert v.tolist() == [0.0, 3.0]
    w = torch.tensor([-2.0, 3.0])
    F.leaky_relu_(w, 0.5)
    assert w.tolist() == [-1.0, 3.0]
    assert F.hardtanh(torch.tensor([-2.0, 0.5]), inplace=True).tolist() == [-1.0, 0.5]


def test_max_pool_indices_and_unpool(torch):
    F = torch.nn.functional  # noqa: N806  the usual alias
    values = np.random.default_rng(3).standard_normal((1, 2, 5, 5))
    x = torch.tensor(values, requires_grad=True)
    pooled, indices = F.max_pool2d(x, 2, stride=2, padding=1, return_indices=True)
    assert indices.dtype == torch.int64 and indices.shape == pooled.shape == (1, 2, 3, 3)
    flat = values.reshape(1, 2, 25)
    np.testing.assert_array_equal(np.take_along_axis(flat, indices.numpy().reshape(1, 2, 9), 2),
                                  pooled.detach().numpy().reshape(1, 2, 9))
    restored = F.max_unpool2d(pooled, indices, 2, stride=2, padding=1, output_size=x.shape)
    assert restored.shape == x.shape and (restored != 0).sum().item() == 18
    (restored * torch.arange(50.0, dtype=torch.float64).reshape(1, 2, 5, 5)).sum().backward()
    assert x.grad.sum().item() == float(indices.numpy().sum() + 25 * 9)
    _, line = F.max_pool1d(x[0, :, 0], 2, return_indices=True)
    assert line.shape == (2, 2)
    assert F.max_unpool1d(torch.ones(1, 2), torch.tensor([[0, 3]]), 2).tolist() == [[1.0, 0, 0, 1.0]]
