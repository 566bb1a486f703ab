"""Operator-test idioms, part 9: torch functions outside the registry (rearranging,
statistics, elementwise extras, integer/bool functions), values and gradients.

Each body runs with real torch and with the engine imported as `torch`; the
gradient checks use gradcheck (the engine's against its own finite differences).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch as real_torch

import verifier.engine as engine
from verifier.engine import tensor_api

pytestmark = pytest.mark.parametrize("torch", [real_torch, engine], ids=["torch", "engine"])


def _m(torch, *shape, requires_grad=True):
    values = (np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape) * 0.37) % 1.3 - 0.4
    return torch.tensor(values, dtype=torch.float64, requires_grad=requires_grad)


def test_rearranging(torch):
    x = torch.arange(6.0).reshape(2, 3)
    assert torch.rot90(x).tolist() == [[2.0, 5.0], [1.0, 4.0], [0.0, 3.0]]
    assert torch.rot90(x, 2).tolist() == [[5.0, 4.0, 3.0], [2.0, 1.0, 0.0]]
    assert x.rot90(-1).tolist() == [[3.0, 0.0], [4.0, 1.0], [5.0, 2.0]]
    assert torch.fliplr(x)[0].tolist() == [2.0, 1.0, 0.0] and x.flipud()[0].tolist() == [3.0, 4.0, 5.0]
    assert x.ravel().shape == (6,) and x.select(1, 2).tolist() == [2.0, 5.0]
    assert [p.shape[1] for p in torch.tensor_split(x, 2, dim=1)] == [2, 1]
    assert [p.shape[1] for p in x.tensor_split([1, 2], dim=1)] == [1, 1, 1]
    assert len(torch.hsplit(torch.ones(2, 4), 2)) == 2 and len(torch.vsplit(torch.ones(4, 2), [1])) == 2
    assert x.unfold(1, 2, 1).shape == (2, 2, 2) and x.unfold(1, 2, 1)[1, 1].tolist() == [4.0, 5.0]
    assert torch.arange(10.0).unfold(0, 3, 3).tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0],
                                                           [6.0, 7.0, 8.0]]
    assert torch.repeat_interleave(torch.tensor([1, 2]), 2).tolist() == [1, 1, 2, 2]
    assert x.repeat_interleave(torch.tensor([1, 2]), dim=0).shape == (3, 3)
    assert torch.repeat_interleave(torch.tensor([2, 1])).tolist() == [0, 0, 1]
    assert torch.take(x, torch.tensor([0, 5])).tolist() == [0.0, 5.0]
    idx = torch.tensor([[2], [0]])
    assert torch.take_along_dim(x, idx, dim=1).tolist() == [[2.0], [3.0]]
    assert torch.block_diag(torch.ones(1, 1), 2 * torch.ones(2, 2)).tolist() == \
        [[1.0, 0.0, 0.0], [0.0, 2.0, 2.0], [0.0, 2.0, 2.0]]
    assert torch.cartesian_prod(torch.tensor([1, 2]), torch.tensor([3, 4])).tolist() == \
        [[1, 3], [1, 4], [2, 3], [2, 4]]
    assert torch.vander(torch.tensor([2.0, 3.0]), N=3).tolist() == [[4.0, 2.0, 1.0], [9.0, 3.0, 1.0]]
    assert torch.diagflat(torch.tensor([1.0, 2.0])).tolist() == [[1.0, 0.0], [0.0, 2.0]]
    base = torch.zeros(3, 2)
    added = base.index_add(0, torch.tensor([0, 2, 0]), torch.ones(3, 2), alpha=2)
    assert added.tolist() == [[4.0, 4.0], [0.0, 0.0], [2.0, 2.0]]
    assert base.index_copy(0, torch.tensor([1]), torch.ones(1, 2))[1].tolist() == [1.0, 1.0]
    assert base.index_fill(1, torch.tensor([1]), 5.0).tolist() == [[0.0, 5.0]] * 3
    base.index_add_(0, torch.tensor([1]), torch.ones(1, 2))
    assert base.sum().item() == 2.0


def test_rearranging_gradients(torch):
    a = _m(torch, 3, 4)
    gradcheck = torch.autograd.gradcheck
    assert gradcheck(lambda x: torch.rot90(x, 1, (0, 1)), (a,))
    assert gradcheck(lambda x: x.unfold(1, 2, 1), (a,))
    assert gradcheck(lambda x: torch.repeat_interleave(x, 2, dim=1), (a,))
    assert gradcheck(lambda x: torch.take_along_dim(x, torch.tensor([[1], [0], [3]]), dim=1), (a,))
    assert gradcheck(lambda x: torch.block_diag(x, x[:1]), (a,))
    assert gradcheck(lambda x: x.index_add(0, torch.tensor([0, 0]), x[:2] * 3), (a,))
    assert gradcheck(lambda x: x.index_copy(0, torch.tensor([2]), x[:1] * 3), (a,))
    assert gradcheck(lambda x: x.index_fill(1, torch.tensor([0, 2]), 1.5), (a,))


def test_statistics(torch):
    x = torch.tensor([[1.0, float("nan"), 3.0], [4.0, 5.0, 6.0]])
    assert torch.nansum(x).item() == 19.0 and x.nansum(dim=1).tolist() == [4.0, 15.0]
    assert torch.nanmean(x, dim=1).tolist() == [2.0, 5.0]
    y = torch.tensor([[3.0, 1.0, 2.0, 4.0], [0.0, -1.0, 5.0, 2.0]])
    assert torch.quantile(y, 0.5, dim=1).tolist() == [2.5, 1.0]
    assert torch.quantile(y, torch.tensor([0.0, 1.0])).tolist() == [-1.0, 5.0]
    assert y.quantile(0.25, dim=1, keepdim=True, interpolation="lower").tolist() == [[1.0], [-1.0]]
    assert torch.quantile(y[0], 0.5, interpolation="midpoint").item() == 2.5
    values, indices = torch.kthvalue(y, 2, dim=1)
    assert values.tolist() == [2.0, 0.0] and indices.tolist() == [2, 0]
    assert torch.msort(torch.tensor([[2.0], [1.0]])).tolist() == [[1.0], [2.0]]
    low, high = torch.aminmax(y)
    assert (low.item(), high.item()) == (-1.0, 5.0) and torch.aminmax(y, dim=0).max.tolist()[0] == 3.0
    data = torch.tensor([[1.0, 2.0, 4.0], [2.0, 1.0, 0.0]], dtype=torch.float64)
    np.testing.assert_allclose(torch.cov(data).numpy(), np.cov(data.numpy()))
    np.testing.assert_allclose(torch.corrcoef(data).numpy(), np.corrcoef(data.numpy()))
    assert torch.cov(data, correction=0)[0, 0].item() == pytest.approx(np.var([1, 2, 4]))
    assert torch.trapezoid(torch.tensor([1.0, 2.0, 3.0])).item() == 4.0
    assert torch.trapezoid(torch.tensor([1.0, 2.0, 3.0]), dx=0.5).item() == 2.0
    assert torch.trapezoid(torch.tensor([1.0, 2.0]), torch.tensor([0.0, 3.0])).item() == 4.5
    assert torch.logdet(torch.tensor([[2.0, 0.0], [0.0, 3.0]])).item() == pytest.approx(np.log(6))
    assert torch.dist(torch.zeros(2), torch.tensor([3.0, 4.0])).item() == 5.0
    assert torch.vdot(torch.tensor([1.0, 2.0]), torch.tensor([3.0, 4.0])).item() == 11.0


def test_statistics_gradients(torch):
    a = _m(torch, 3, 4)
    gradcheck = torch.autograd.gradcheck
    assert gradcheck(lambda x: torch.quantile(x, 0.3, dim=1), (a,))
    assert gradcheck(lambda x: torch.kthvalue(x, 2, dim=0).values, (a,))
    assert gradcheck(lambda x: torch.cov(x), (a,))
    assert gradcheck(lambda x: torch.corrcoef(x), (a,))
    assert gradcheck(lambda x: torch.trapezoid(x, dim=0), (a,))
    assert gradcheck(lambda x: torch.nanmean(x, dim=1), (a,))
    assert gradcheck(lambda x: torch.logdet(x[:, :3] @ x[:, :3].T + torch.eye(3, dtype=x.dtype)),
                     (a,))


def test_elementwise_extras(torch):
    x = torch.tensor([1.5, -2.0, 0.0])
    assert torch.copysign(x, torch.tensor([-1.0, 1.0, -0.0])).tolist() == [-1.5, 2.0, -0.0]
    assert torch.ldexp(torch.tensor([1.0, 3.0]), torch.tensor([2, -1])).tolist() == [4.0, 1.5]
    assert torch.float_power(torch.tensor([2.0]), 3).dtype == torch.float64
    np.testing.assert_allclose(torch.logaddexp2(torch.tensor([1.0]), torch.tensor([1.0])).numpy(),
                               [2.0])
    assert torch.rad2deg(torch.tensor([np.pi])).item() == pytest.approx(180.0)
    assert torch.deg2rad(torch.tensor([180.0])).item() == pytest.approx(np.pi)
    a = _m(torch, 4)
    assert torch.autograd.gradcheck(lambda t: torch.copysign(t, -torch.ones(4, dtype=t.dtype)),
                                    (a,))
    assert torch.autograd.gradcheck(lambda t: torch.logaddexp2(t, t * 2), (a,))
    assert torch.autograd.gradcheck(lambda t: torch.float_power(t.abs() + 1, 2.5), (a,))


def test_integer_and_bool_functions(torch):
    i = torch.tensor([12, 7, 5])
    j = torch.tensor([8, 3, 5])
    assert torch.bitwise_and(i, j).tolist() == [8, 3, 5] and (i | j).tolist() == [12, 7, 5]
    assert torch.bitwise_xor(i, j).tolist() == [4, 4, 0] and torch.bitwise_not(i).tolist() == [-13, -8, -6]
    assert (i << 1).tolist() == [24, 14, 10] and (i >> 1).tolist() == [6, 3, 2]
    assert torch.gcd(i, j).tolist() == [4, 1, 5] and torch.lcm(i, j).tolist() == [24, 21, 5]
    assert torch.isin(i, torch.tensor([5, 12])).tolist() == [True, False, True]
    assert torch.heaviside(torch.tensor([-1.0, 0.0, 2.0]), torch.tensor([0.5])).tolist() == \
        [0.0, 0.5, 1.0]
    assert torch.signbit(torch.tensor([-0.0, 1.0])).tolist() == [True, False]
    assert (i // 2).tolist() == [6, 3, 2] and (i % 5).tolist() == [2, 2, 0]
    assert (7 // torch.tensor([2, 3])).tolist() == [3, 2] and (-7 % torch.tensor([3])).tolist() == [2]
    assert torch.remainder(torch.tensor([-3.0, 3.0]), 2).tolist() == [1.0, 1.0]


def test_apply_and_methods_exist_in_torch(torch):
    x = torch.tensor([1.0, 2.0])
    x.apply_(lambda v: v * 10)
    assert x.tolist() == [10.0, 20.0]
    x.map_(torch.tensor([1.0, 2.0]), lambda a, b: a + b)
    assert x.tolist() == [11.0, 22.0]
    assert [p.tolist() for p in torch.arange(5.0).split_with_sizes([2, 3])] == \
        [[0.0, 1.0], [2.0, 3.0, 4.0]]
    # every method the engine adds outside the registry is one torch's Tensor has
    missing = [n for n in tensor_api.FUNCTION_METHODS if not hasattr(torch.Tensor, n)]
    assert not missing
