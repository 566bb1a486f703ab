"""Operator-test idioms, part 4: Tensor methods and properties, in-place operations,
and the torch functions outside the registry that operator tests lean on.

Each body runs with real torch and with the engine imported as `torch`.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch as real_torch

import verifier.engine as engine

pytestmark = pytest.mark.parametrize("torch", [real_torch, engine], ids=["torch", "engine"])


def test_shape_properties(torch):
    x = torch.arange(6.0).reshape(2, 3)
    assert x.T.shape == (3, 2) and x.mT.shape == (3, 2) and x.H.shape == (3, 2)
    assert x.mH.tolist() == x.T.tolist()
    assert torch.ones(4, 2, 3).mT.shape == (4, 3, 2)
    assert x.shape[0] == 2 and x.size(-1) == 3 and x.size(dim=0) == 2
    assert x.dim() == 2 and x.ndim == 2 and x.ndimension() == 2 and x.numel() == 6 and len(x) == 2
    assert x.nelement() == 6 and x.element_size() == 4 and x.nbytes == 24 and x.itemsize == 4
    assert x.is_contiguous() and x.contiguous().tolist() == x.tolist()
    assert x.stride() == (3, 1) and x.stride(0) == 3
    assert not x.is_cuda and x.device.type == "cpu" and x.is_floating_point()
    assert not x.is_complex() and x.dtype.is_floating_point


def test_conversions(torch):
    x = torch.tensor([1.5, -2.5])
    assert x.tolist() == [1.5, -2.5] and x[0].item() == 1.5 and isinstance(x[0].item(), float)
    assert torch.tensor(3).item() == 3 and isinstance(torch.tensor(3).item(), int)
    assert isinstance(x.numpy(), np.ndarray) and x.numpy().dtype == np.float32
    assert x.double().dtype == torch.float64 and x.float().dtype == torch.float32
    assert x.long().tolist() == [1, -2] and x.int().dtype == torch.int32
    assert x.bool().tolist() == [True, True] and x.half().dtype == torch.float16
    assert x.to(torch.float64).dtype == torch.float64 and x.to("cpu") is x
    assert x.to(device="cpu", dtype=torch.float64).dtype == torch.float64
    assert x.to("cpu", torch.float64).dtype == torch.float64
    assert x.to(torch.ones(1, dtype=torch.float64)).dtype == torch.float64
    assert x.type(torch.float64).dtype == torch.float64 and x.type() == "torch.FloatTensor"
    assert x.type_as(torch.ones(1, dtype=torch.float64)).dtype == torch.float64
    assert x.cpu() is x and x.detach().cpu().numpy().tolist() == [1.5, -2.5]
    assert float(torch.tensor(2.5)) == 2.5 and int(torch.tensor(3)) == 3
    assert x.to(dtype=torch.float32) is x


def test_conversion_keeps_the_gradient_path(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    (x.double() * 3).sum().backward()
    assert x.grad.dtype == torch.float32 and x.grad.tolist() == [3.0, 3.0]


def test_new_tensors_and_as_shapes(torch):
    x = torch.ones(2, 3, dtype=torch.float64)
    assert x.new_zeros(4).dtype == torch.float64 and x.new_zeros((2, 2)).shape == (2, 2)
    assert x.new_ones(2, 2).sum().item() == 4.0 and x.new_full((3,), 2.0).tolist() == [2.0] * 3
    assert x.new_empty(5).shape == (5,) and x.new_tensor([1.0, 2.0]).dtype == torch.float64
    assert x.new_zeros(2, dtype=torch.float32).dtype == torch.float32
    y = torch.arange(6.0)
    assert y.view_as(x).shape == (2, 3) and y.reshape_as(x).shape == (2, 3)
    assert torch.ones(3).expand_as(x).shape == (2, 3)
    assert y.view(2, -1).shape == (2, 3) and y.view(-1, 2).shape == (3, 2)
    assert y.unflatten(0, (2, 3)).shape == (2, 3)


def test_in_place_arithmetic(torch):
    x = torch.tensor([1.0, 2.0])
    assert x.add_(1) is x and x.tolist() == [2.0, 3.0]
    x.mul_(2).sub_(1).div_(3)
    assert x.tolist() == [1.0, 5.0 / 3.0] or np.allclose(x.tolist(), [1.0, 5 / 3])
    x.add_(torch.ones(2), alpha=2)
    x.sub_(torch.ones(2), alpha=0.5)
    np.testing.assert_allclose(x.numpy(), [2.5, 5 / 3 + 1.5], rtol=1e-6)
    x.copy_(torch.tensor([4.0, 9.0]))
    assert x.tolist() == [4.0, 9.0]
    x.sqrt_().neg_().abs_()
    assert x.tolist() == [2.0, 3.0]
    x.fill_(7)
    assert x.tolist() == [7.0, 7.0]
    x.zero_()
    assert x.tolist() == [0.0, 0.0]
    x.clamp_(min=1.0)
    assert x.tolist() == [1.0, 1.0]
    y = torch.tensor([1.0, -1.0, 3.0])
    y.clamp_min_(0.0).clamp_max_(2.0)
    assert y.tolist() == [1.0, 0.0, 2.0]
    y.masked_fill_(y > 1.5, -1.0)
    assert y.tolist() == [1.0, 0.0, -1.0]
    y.addcmul_(torch.ones(3), torch.full((3,), 2.0), value=0.5)
    assert y.tolist() == [2.0, 1.0, 0.0]
    y.pow_(2)
    assert y.tolist() == [4.0, 1.0, 0.0]
    y.exp_().log_()
    np.testing.assert_allclose(y.numpy(), [4.0, 1.0, 0.0], atol=1e-6)
    y.copy_(torch.tensor([4.0, 1.0, 0.0]))
    y.lerp_(torch.zeros(3), 0.5)
    assert y.tolist() == [2.0, 0.5, 0.0]
    y.unsqueeze_(0)
    assert y.shape == (1, 3)
    y.squeeze_()
    assert y.shape == (3,)
    z = torch.zeros(3, 3)
    z.fill_diagonal_(2.0)
    assert z.trace().item() == 6.0


def test_in_place_on_graph_values_keeps_gradients(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y.add_(1).mul_(3)
    y.sum().backward()
    assert x.grad.tolist() == [6.0, 6.0]
    a = torch.tensor([1.0, 2.0], requires_grad=True)
    b = a.exp()  # exp's backward reads its output, which add_ then changes
    b.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        b.sum().backward()


def test_index_put_under_no_grad_and_clone_then_modify(torch):
    x = torch.zeros(3)
    x[1] = 5.0
    x[torch.tensor([True, False, False])] = 2.0
    assert x.tolist() == [2.0, 5.0, 0.0]
    w = torch.ones(3, requires_grad=True)
    v = w.clone()
    v2 = v * 1
    assert v2.requires_grad and not v.is_leaf


def test_index_assignment_inside_a_graph(torch):
    x = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    y = x * 2
    y[:, 0] = x[:, 2] * 10
    y[y > 50] = 0.0
    y[1, [1, 2]] = torch.tensor([-1.0, -2.0])
    y.sum().backward()
    assert y.tolist() == [[30.0, 4.0, 6.0], [0.0, -1.0, -2.0]]
    assert x.grad.tolist() == [[0.0, 2.0, 12.0], [0.0, 0.0, 0.0]]
    out = torch.zeros(3)
    w = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    for i in range(3):
        out[i] = w[i] ** 2
    out.sum().backward()
    assert w.grad.tolist() == [2.0, 4.0, 6.0]
    with pytest.raises(RuntimeError, match="leaf"):
        w[0] = 1.0


def test_functions_outside_the_registry(torch):
    a = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    b = torch.tensor([[0.0, 1.0], [1.0, 0.0]])
    assert torch.mm(a, b).tolist() == [[2.0, 1.0], [4.0, 3.0]] and a.mm(b).shape == (2, 2)
    assert torch.bmm(a[None], b[None]).shape == (1, 2, 2)
    assert torch.mv(a, torch.tensor([1.0, 1.0])).tolist() == [3.0, 7.0]
    assert torch.addmm(torch.ones(2, 2), a, b, beta=2, alpha=1).tolist() == [[4.0, 3.0], [6.0, 5.0]]
    assert torch.argmax(a).item() == 3 and a.argmax(dim=1).tolist() == [1, 1]
    assert torch.argmin(a, dim=0, keepdim=True).tolist() == [[0, 0]]
    assert torch.sub(a, b, alpha=2).tolist() == [[1.0, 0.0], [1.0, 4.0]]
    assert torch.add(a, 1, alpha=3).tolist() == [[4.0, 5.0], [6.0, 7.0]]
    assert torch.clip(a, 1.5, 3.5).tolist() == [[1.5, 2.0], [3.0, 3.5]]
    assert torch.clamp_min(a, 2.5).tolist() == [[2.5, 2.5], [3.0, 4.0]] and a.clamp_max(2).max() == 2
    assert [t.tolist() for t in torch.unbind(a)] == [[1.0, 2.0], [3.0, 4.0]]
    assert [t.tolist() for t in a.unbind(1)] == [[1.0, 3.0], [2.0, 4.0]]
    assert torch.movedim(torch.ones(2, 3, 4), 0, -1).shape == (3, 4, 2)
    assert torch.swapaxes(torch.ones(2, 3), 0, 1).shape == (3, 2)
    assert torch.broadcast_to(torch.ones(3), (2, 3)).shape == (2, 3)
    p, q = torch.broadcast_tensors(torch.ones(2, 1), torch.ones(3))
    assert p.shape == q.shape == (2, 3) and torch.broadcast_shapes((2, 1), (3,)) == (2, 3)
    assert torch.concat([a, b]).shape == (4, 2) and torch.hstack([a, b]).shape == (2, 4)
    assert torch.vstack([a, b]).shape == (4, 2) and torch.concatenate([a, b], dim=1).shape == (2, 4)
    assert torch.true_divide(a, 2).tolist() == [[0.5, 1.0], [1.5, 2.0]]
    assert torch.masked_select(a, a > 2).tolist() == [3.0, 4.0]
    assert torch.nonzero(b).tolist() == [[0, 1], [1, 0]]
    assert torch.argsort(torch.tensor([3.0, 1.0, 2.0])).tolist() == [1, 2, 0]
    assert torch.sgn(torch.tensor([-2.0, 0.0])).tolist() == [-1.0, 0.0]
    assert torch.logical_and(a > 1, a < 4).tolist() == [[False, True], [True, False]]
    assert torch.logical_not(a > 1).tolist() == [[True, False], [False, False]]
    assert ((a > 1) & (a < 4)).tolist() == [[False, True], [True, False]]
    assert ((a < 2) | (a > 3)).tolist() == [[True, False], [False, True]] and (~(a > 1)).sum() == 1
    assert torch.where(a > 2, a, 0.0).tolist() == [[0.0, 0.0], [3.0, 4.0]]
    assert torch.where(a > 2)[0].tolist() == [1, 1]
    assert torch.std_mean(a)[1].item() == 2.5 and torch.var_mean(a, dim=0)[0].tolist() == [2.0, 2.0]
    assert torch.diag_embed(torch.tensor([1.0, 2.0])).tolist() == [[1.0, 0.0], [0.0, 2.0]]
    assert torch.tensordot(a, b, dims=1).tolist() == torch.mm(a, b).tolist()
    assert torch.kron(torch.eye(2), a).shape == (4, 4)
    assert torch.addcmul(torch.zeros(2), torch.ones(2), torch.full((2,), 3.0), value=2).tolist() == [6.0, 6.0]
    assert torch.addcdiv(torch.zeros(2), torch.ones(2), torch.full((2,), 4.0)).tolist() == [0.25, 0.25]
    assert torch.diff(torch.tensor([1.0, 4.0, 9.0])).tolist() == [3.0, 5.0]
    assert torch.floor_divide(torch.tensor([7, -7]), 2).tolist() == [3, -4]
    assert torch.remainder(torch.tensor([5.0, -5.0]), 3).tolist() == [2.0, 1.0]
    assert torch.fmod(torch.tensor([5.0, -5.0]), 3).tolist() == [2.0, -2.0]
    assert torch.matrix_power(a, 2).tolist() == (a @ a).tolist()
    assert torch.meshgrid(torch.arange(2), torch.arange(3), indexing="ij")[0].shape == (2, 3)
    assert torch.triu_indices(3, 3).shape == (2, 6) and torch.tril_indices(3, 3, -1).shape == (2, 3)


def test_non_registry_functions_are_differentiable(torch):
    a = torch.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=torch.float64, requires_grad=True)
    b = torch.tensor([[0.5, 1.0], [1.0, -0.5]], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x, y: torch.addmm(x, x, y, beta=0.5, alpha=2), (a, b))
    assert torch.autograd.gradcheck(lambda x, y: torch.bmm(x[None], y[None]), (a, b))
    assert torch.autograd.gradcheck(lambda x: torch.movedim(x, 0, 1).unbind(0)[1], (a,))
    assert torch.autograd.gradcheck(lambda x: torch.clip(x, 1.5, 3.5), (a,))
    assert torch.autograd.gradcheck(lambda x, y: torch.sub(x, y, alpha=3), (a, b))
    assert torch.autograd.gradcheck(lambda x, y: torch.addcdiv(x, x, y + 2, value=0.5), (a, b))
    assert torch.autograd.gradcheck(lambda x: torch.diff(x, dim=1), (a,))
    assert torch.autograd.gradcheck(lambda x, y: torch.tensordot(x, y, dims=([1], [0])), (a, b))
    assert torch.autograd.gradcheck(lambda x: torch.masked_select(x, x > 2.5), (a,))
    assert torch.autograd.gradcheck(lambda x, y: torch.kron(x, y), (a, b))
    assert torch.autograd.gradcheck(lambda x: torch.matrix_power(x, 3), (a,))
    assert torch.autograd.gradcheck(lambda x: torch.where(x > 2.5, x, 0.0), (a,))


def test_iteration_and_python_protocols(torch):
    x = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert [row.tolist() for row in x] == [[1.0, 2.0], [3.0, 4.0]]
    assert 2.0 in x and 5.0 not in x
    assert bool(torch.tensor(True)) and (x > 0).all()
    assert f"{torch.tensor(1.2345).item():.2f}" == "1.23"
    assert abs(-x).sum().item() == 10.0
    assert (x // 2).tolist() == [[0.0, 1.0], [1.0, 2.0]] and (x % 2).tolist() == [[1.0, 0.0], [1.0, 0.0]]
    assert (2 ** torch.tensor([1.0, 2.0])).tolist() == [2.0, 4.0]
    assert (1 - x).tolist() == [[0.0, -1.0], [-2.0, -3.0]] and (1 / torch.tensor([2.0])).item() == 0.5
    assert np.allclose(np.asarray(x), [[1.0, 2.0], [3.0, 4.0]])


def test_copy_and_pickle(torch):
    import copy
    import pickle
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    (x * 2).sum().backward()
    y = copy.deepcopy(x)
    assert y.requires_grad and y.is_leaf and y.grad.tolist() == [2.0, 2.0]
    y.data.add_(1)
    assert x.tolist() == [1.0, 2.0]
    with pytest.raises(RuntimeError, match="graph leaves"):
        copy.deepcopy(x * 2)
    z = pickle.loads(pickle.dumps(x.detach()))
    assert z.tolist() == [1.0, 2.0] and z.dtype == torch.float32
    p = copy.deepcopy(torch.nn.Parameter(torch.ones(2)))
    assert isinstance(p, torch.nn.Parameter) and p.requires_grad


def test_more_in_place_twins_and_predicates(torch):
    x = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    y = x.clone()
    y.cumsum_(0)
    assert y.tolist() == [[1.0, 2.0], [4.0, 6.0]]
    z = x.clone()
    z.addmm_(x, x, beta=0.5)
    assert z.tolist() == [[7.5, 11.0], [16.5, 24.0]]
    w = x.clone()
    w.gt_(2.5)
    assert w.tolist() == [[0.0, 0.0], [1.0, 1.0]] and w.dtype == torch.float32
    v = x.clone()
    v.subtract_(1).multiply_(2).negative_()
    assert v.tolist() == [[0.0, -2.0], [-4.0, -6.0]]
    assert x.sum_to_size(1, 2).tolist() == [[4.0, 6.0]] and x.sum_to_size((2, 1)).tolist() == [[3.0], [7.0]]
    assert x.is_signed() and x.is_cpu and not x.is_meta and x.get_device() == -1
    assert x.is_same_size(torch.ones(2, 2)) and torch.tensor([2.0]).is_nonzero()
    assert torch.ger(x[0], x[1]).tolist() == [[3.0, 4.0], [6.0, 8.0]]
    assert x.hardshrink(2.5).tolist() == [[0.0, 0.0], [3.0, 4.0]] and x.adjoint().tolist() == x.T.tolist()
