"""The engine's torch-compatible API, compared with torch 2.13 where torch defines it."""

from __future__ import annotations

import numpy as np
import pytest
import torch as real_torch
from hypothesis import given, settings
from hypothesis import strategies as st

import verifier.engine as engine

# --- printing ---------------------------------------------------------------
REPR_VALUES = [
    [4.5, 4.5], [[1.0, 1.0], [1.0, 1.0]], 27.0, [1.5, 2e-5], [0.1, 123.456], [1e9, 1.0],
    [float("nan"), 1.0, float("inf")], [[-1.25, 3.0], [0.0, 2.5]], [1, 2, 3], [True, False],
    [], [[[1.0, 2.0], [3.0, 4.0]], [[5.0, 6.0], [7.0, 8.5]]], list(range(2000)),
    [x / 7 for x in range(30)],
]


@pytest.mark.parametrize("values", REPR_VALUES, ids=range(len(REPR_VALUES)))
def test_repr_matches_torch(values):
    assert repr(engine.tensor(values)) == repr(real_torch.tensor(values))


@pytest.mark.parametrize("dtype", ["float64", "int32"])
def test_repr_names_non_default_dtype(dtype):
    values = [1.5, 2.0]
    assert repr(engine.tensor(values, dtype=getattr(engine, dtype))) == \
        repr(real_torch.tensor(values, dtype=getattr(real_torch, dtype)))


def test_repr_of_graph_tensors_matches_torch():
    for lib in (engine, real_torch):
        x = lib.ones(2, requires_grad=True)
        y = x * 2
        assert repr(x) == "tensor([1., 1.], requires_grad=True)"
        assert repr(y) == "tensor([2., 2.], grad_fn=<MulBackward0>)"
    assert repr(engine.zeros(0, 3)) == repr(real_torch.zeros(0, 3))


# --- sizes, dtypes, creation -------------------------------------------------
def test_size_is_a_tuple():
    x = engine.zeros(2, 3)
    assert x.size() == (2, 3) and x.shape == (2, 3) and isinstance(x.size(), tuple)
    assert x.size(1) == 3 and x.size(-1) == 3
    assert x.dim() == 2 and x.numel() == 6 and x.ndim == 2
    assert x.size().numel() == 6


@pytest.mark.parametrize("make", [
    lambda t: t.tensor([1.0, 2.0]) * 2.5,
    lambda t: t.tensor([1.0, 2.0]) + t.tensor([1.0, 2.0], dtype=t.float64),
    lambda t: t.tensor([1, 2]) * 0.5,
    lambda t: t.tensor([1, 2]) / t.tensor([2, 4]),
    lambda t: t.tensor([1, 2]) + 1,
    lambda t: t.ones(2) * t.tensor(2.0, dtype=t.float64),
    lambda t: t.tensor(2.0, dtype=t.float64) * t.tensor(3),
    lambda t: t.full((2,), 1),
    lambda t: t.full((2,), 1.5),
    lambda t: t.arange(3),
    lambda t: t.arange(0.0, 1.0, 0.5),
    lambda t: t.ones(2, 2) @ t.ones(2, 2),
    lambda t: t.FloatTensor([1, 2]),
    lambda t: t.DoubleTensor([1, 2]),
    lambda t: t.Tensor([1, 2]),
    lambda t: t.tensor([True]) & t.tensor([False]) if t is real_torch else t.tensor([False]),
], ids=range(16))
def test_dtype_promotion_matches_torch(make):
    ours, theirs = make(engine), make(real_torch)
    assert str(ours.dtype) == str(theirs.dtype)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy())


def test_from_numpy_shares_memory_and_keeps_dtype():
    a = np.arange(6.0).reshape(2, 3)
    t = engine.from_numpy(a)
    assert t.dtype == engine.float64 and t.numpy() is a
    t.mul_(2)
    assert a[1, 2] == 10.0
    with pytest.raises(TypeError):
        engine.from_numpy([1.0, 2.0])


def test_tensor_copies_its_data():
    a = np.ones(3)
    t = engine.tensor(a)
    a[0] = 5
    assert t[0].item() == 1.0


def test_manual_seed_reproduces_and_shapes():
    engine.manual_seed(3)
    first = engine.randn(4).tolist()
    engine.manual_seed(3)
    assert engine.randn(4).tolist() == first
    assert engine.rand(2, 3).size() == (2, 3) and engine.rand((2, 3)).dtype == engine.float32


def test_eye_ones_zeros_full():
    assert engine.eye(2).tolist() == [[1.0, 0.0], [0.0, 1.0]]
    assert engine.ones((2, 1)).tolist() == [[1.0], [1.0]]
    assert engine.full((2,), 2.5).tolist() == [2.5, 2.5]


# --- comparisons -------------------------------------------------------------
def test_comparisons_give_bool_tensors_for_if_and_while():
    x = engine.tensor([1.0, 5.0])
    mask = x > 2
    assert mask.dtype == engine.bool and mask.tolist() == [False, True]
    assert not mask.requires_grad
    n = engine.tensor(1.0, requires_grad=True)
    steps = 0
    while n < 100:
        n = n * 3
        steps += 1
    assert steps == 5
    if (x == 5.0).any():
        steps += 1
    assert steps == 6
    assert (x != None) is True  # noqa: E711  as any Python object


# --- autograd -----------------------------------------------------------------
def test_grad_accumulates_in_place_after_the_first_backward():
    x = engine.ones(3, requires_grad=True)
    (x * 2).sum().backward()
    first = x.grad
    (x * 3).sum().backward()
    assert x.grad is first and first.tolist() == [5.0, 5.0, 5.0]


def test_first_grad_does_not_alias_the_seed():
    x = engine.ones(3, requires_grad=True)
    seed = engine.tensor([1.0, 2.0, 3.0])
    (x + 1).backward(seed)
    (x + 1).backward(seed)
    assert seed.tolist() == [1.0, 2.0, 3.0] and x.grad.tolist() == [2.0, 4.0, 6.0]


def test_retain_grad_and_backward_inputs():
    x = engine.ones(2, requires_grad=True)
    w = engine.ones(2, requires_grad=True)
    y = x * 3
    y.retain_grad()
    (y * w).sum().backward()
    assert y.grad.tolist() == [1.0, 1.0] and y.retains_grad
    x.grad = None
    w.grad = None
    (y * w * 2).sum().backward(inputs=[w])
    assert x.grad is None and w.grad.tolist() == [6.0, 6.0]
    z = x * 2
    (z * z).sum().backward(inputs=[z])
    assert z.grad.tolist() == [4.0, 4.0]  # d(z^2)/dz = 2z at z = 2


def test_autograd_grad_create_graph_gives_second_derivatives():
    for lib in (engine, real_torch):
        x = lib.tensor([1.5, -2.0], requires_grad=True)
        y = (x * x * x).sum()
        (g,) = lib.autograd.grad(y, x, create_graph=True)
        (h,) = lib.autograd.grad(g.sum(), x)
        np.testing.assert_allclose(h.detach().numpy(), [9.0, -12.0])
        assert x.grad is None


def test_autograd_grad_retain_graph():
    x = engine.tensor([2.0], requires_grad=True)
    y = (x * x).sum()
    (g1,) = engine.autograd.grad(y, [x], retain_graph=True)
    (g2,) = engine.autograd.grad(y, [x])
    assert g1.tolist() == g2.tolist() == [4.0]
    with pytest.raises(RuntimeError, match="retain_graph"):
        engine.autograd.grad(y, [x])


def test_backward_create_graph_then_grad_of_grad():
    x = engine.tensor([3.0], requires_grad=True)
    (x * x * x).sum().backward(create_graph=True)
    assert x.grad.requires_grad
    (h,) = engine.autograd.grad(x.grad.sum(), x)
    assert h.tolist() == [18.0]


def test_grad_modes():
    x = engine.ones(2, requires_grad=True)
    with engine.no_grad():
        y = x * 2
        with engine.enable_grad():
            z = x * 2
    assert not y.requires_grad and y.grad_fn is None and z.requires_grad
    with engine.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert engine.is_grad_enabled()

    @engine.no_grad()
    def doubled(t):
        return t * 2
    assert not doubled(x).requires_grad and engine.is_grad_enabled()


def test_detach_and_data():
    x = engine.ones(2, requires_grad=True)
    y = x * 2
    d = y.detach()
    assert not d.requires_grad and d.grad_fn is None
    d.add_(1)  # shares storage and version counter with y
    assert y.tolist() == [3.0, 3.0] and y._version[0] == 1
    y.data.mul_(2)  # .data is outside version tracking, as in torch
    assert y.tolist() == [6.0, 6.0] and y._version[0] == 1


def test_next_functions_and_names():
    x = engine.ones(2, requires_grad=True)
    y = (x + 1) * 2
    assert y.grad_fn.name() == "MulBackward0"
    (first, _), (second, _) = y.grad_fn.next_functions
    assert first.name() == "AddBackward0" and second is None
    assert first.next_functions[0][0].variable is x
    assert x.is_leaf and not y.is_leaf


def test_transpose_property():
    x = engine.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    assert x.T.tolist() == [[1.0, 4.0], [2.0, 5.0], [3.0, 6.0]]
    (x.T * engine.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])).sum().backward()
    assert x.grad.tolist() == [[1.0, 3.0, 5.0], [2.0, 4.0, 6.0]]


def test_variable_wraps_in_a_tensor():
    from verifier.engine.autograd import Variable
    v = Variable(engine.ones(2), requires_grad=True)
    assert isinstance(v, engine.Tensor) and v.requires_grad and v.creator is None


# --- indexing vs torch --------------------------------------------------------
def _index_strategy():
    rows = st.lists(st.integers(-4, 3), min_size=1, max_size=6)
    slices = st.builds(slice, st.none() | st.integers(-5, 5), st.none() | st.integers(-5, 5),
                       st.none() | st.integers(1, 3))
    return st.one_of(
        st.integers(-4, 3),
        rows,
        st.tuples(slices, st.integers(-3, 2)),
        st.tuples(rows, st.integers(-3, 2)),
        slices,
    )


@settings(max_examples=60, deadline=None)
@given(index=_index_strategy(), seed=st.integers(0, 1000))
def test_indexing_value_and_gradient_match_torch(index, seed):
    values = np.random.default_rng(seed).standard_normal((4, 3))
    ours = engine.tensor(values, requires_grad=True)
    theirs = real_torch.tensor(values, requires_grad=True)
    a, b = ours[index], theirs[index]
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy())
    weights = np.random.default_rng(seed + 1).standard_normal(tuple(b.shape))
    (a * engine.tensor(weights)).sum().backward()
    (b * real_torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_repeated_indices_accumulate():
    x = engine.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[[0, 0, 2, 0]].sum().backward()
    assert x.grad.tolist() == [3.0, 0.0, 1.0]


def test_negative_step_slices_are_refused_as_torch():
    for lib in (engine, real_torch):
        with pytest.raises(ValueError, match="step must be greater than zero"):
            lib.ones(3)[::-1]
