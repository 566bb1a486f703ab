"""The seed notebook (docs/seed-notebook.txt) replayed cell by cell on the engine.

Each test is one cell (or a few that belong together), run with
`import verifier.engine as torch`, asserting every number the notebook printed
and every behaviour its prose describes.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import verifier.engine as torch
from verifier.engine.autograd import Variable


def test_cells_2_3_rand_and_size():
    x = torch.rand(5, 3)
    assert x.dtype == torch.float32
    assert np.all((x.numpy() >= 0) & (x.numpy() < 1))
    assert x.size() == (5, 3)
    assert x.size() == torch.Size([5, 3])
    assert repr(x.size()) == "torch.Size([5, 3])"


def test_cells_4_to_6_copy_changes_x():
    x = torch.rand(5, 3)
    y = torch.zeros(5, 3)
    returned = x.copy_(y)
    assert returned is x
    assert np.array_equal(x.numpy(), np.zeros((5, 3), dtype=np.float32))


def test_cell_7_numpy_indexing_column():
    x = torch.zeros(5, 3)
    column = x[:, 1]
    assert column.size() == (5,)
    assert column.tolist() == [0.0] * 5


def test_cell_8_numpy_shares_memory():
    x = torch.zeros(5, 3)
    b = x.numpy()
    assert type(b) is np.ndarray
    assert b.shape == (5, 3)
    b[0, 0] = 7.0
    assert x[0, 0].item() == 7.0
    x.add_(1)
    assert b[0, 0] == 8.0 and b[1, 1] == 1.0


def test_cell_9_from_numpy_keeps_float64_and_shares_memory():
    a = np.ones((3, 5))
    c = torch.from_numpy(a)
    assert c.dtype == torch.float64
    assert c.type() == "torch.DoubleTensor"
    assert c.size() == (3, 5)
    a[0, 0] = 5.0
    assert c[0, 0].item() == 5.0
    assert "dtype=torch.float64" in repr(c)


def test_cell_10_cuda_guard():
    x = torch.rand(5, 3)
    if torch.cuda.is_available():  # the notebook's guard: never true on the engine
        x = x.cuda()
    assert torch.cuda.is_available() is False
    with pytest.raises(RuntimeError, match="CUDA"):
        x.cuda()


@pytest.fixture
def seed_graph():
    """Cells 11-15: x = Variable(ones(2,2)), y = x + 2, z = y*y*3, out = z.mean()."""
    x = Variable(torch.ones(2, 2), requires_grad=True)
    y = x + 2
    z = y * y * 3
    out = z.mean()
    return x, y, z, out


def test_cell_11_variable_gives_a_tensor(seed_graph):
    x = seed_graph[0]
    assert isinstance(x, torch.Tensor)
    assert x.requires_grad and x.is_leaf
    assert repr(x) == "tensor([[1., 1.],\n        [1., 1.]], requires_grad=True)"


def test_cell_12_creator_is_grad_fn(seed_graph):
    _, y, _, _ = seed_graph
    assert y.tolist() == [[3.0, 3.0], [3.0, 3.0]]
    assert y.creator is y.grad_fn
    assert y.creator.name() == "AddBackward0"
    assert "AddBackward0" in repr(y.creator)


def test_cells_13_15_values_27(seed_graph):
    _, y, z, out = seed_graph
    assert z.tolist() == [[27.0, 27.0], [27.0, 27.0]]
    assert out.item() == 27.0
    assert repr(out) == "tensor(27., grad_fn=<MeanBackward0>)"
    data = y.data
    assert isinstance(data, torch.Tensor) and not data.requires_grad and data.grad_fn is None


def test_cell_16_backward_gives_4_5(seed_graph):
    x, _, _, out = seed_graph
    with pytest.warns(DeprecationWarning, match="retain_graph"):
        out.backward(retain_variables=True)
    assert x.grad.tolist() == [[4.5, 4.5], [4.5, 4.5]]
    assert repr(x.grad) == "tensor([[4.5000, 4.5000],\n        [4.5000, 4.5000]])"
    # retain_variables=True kept the graph: a second pass accumulates to 9.
    out.backward()
    assert x.grad.tolist() == [[9.0, 9.0], [9.0, 9.0]]


def test_cell_17_z_grad_is_none(seed_graph):
    _, _, z, out = seed_graph
    out.backward()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert z.grad is None
    assert any("not a leaf" in str(w.message) for w in caught)


def _doubling_loop():
    """Cells 18 and 22: double y until its norm reaches 1000, counting the doublings."""
    x = Variable(torch.randn(3), requires_grad=True)
    y = x * 2
    k = 1
    while y.data.norm() < 1000:
        y = y * 2
        k += 1
    return x, y, k


@pytest.mark.parametrize("seed", range(5))
def test_cell_18_loop_reaches_norm_1000(seed):
    torch.manual_seed(seed)
    x, y, k = _doubling_loop()
    assert y.norm().item() >= 1000
    assert (y / 2).norm().item() < 1000 or k == 1
    np.testing.assert_allclose(y.detach().numpy(), 2.0 ** k * x.detach().numpy(), rtol=1e-6)


def test_cell_19_nonscalar_backward_needs_gradients():
    torch.manual_seed(0)
    x, y, k = _doubling_loop()
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs"):
        y.backward()
    y.backward(torch.FloatTensor([1, 1, 1]))
    assert x.grad.tolist() == [2.0 ** k] * 3


def test_cell_19_prints_1024_for_a_ten_doubling_loop():
    # The notebook's run needed 10 doublings: x = (0.8335, 0.3196, 1.2300)/1.024
    # reproduces it deterministically.
    x = Variable(torch.tensor([0.8335, 0.3196, 1.2300]), requires_grad=True)
    y = x * 2
    k = 1
    while y.data.norm() < 1000:
        y = y * 2
        k += 1
    y.backward(torch.FloatTensor([1, 1, 1]))
    assert k == 10
    assert x.grad.tolist() == [1024.0, 1024.0, 1024.0]


@pytest.mark.parametrize("seed", range(5))
def test_cell_22_gradient_is_multiplicative(seed):
    torch.manual_seed(seed)
    x, y, k = _doubling_loop()
    gradients2 = torch.FloatTensor([10.0, 1.0, 0.1])
    y.backward(gradients2)
    expected = 2.0 ** k * np.array([10.0, 1.0, 0.1], dtype=np.float32)
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-6)
    assert x.grad.dtype == torch.float32


def test_cell_22_accumulates_without_zeroing():
    x = Variable(torch.ones(3), requires_grad=True)
    for _ in range(2):
        y = x * 2
        y.backward(torch.FloatTensor([10.0, 1.0, 0.1]))
    np.testing.assert_allclose(x.grad.numpy(), [40.0, 4.0, 0.4], rtol=1e-6)


def test_backward_twice_without_retain_graph_names_retain_graph(seed_graph):
    _, _, _, out = seed_graph
    out.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        out.backward()
