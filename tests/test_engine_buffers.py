"""Gradient buffers: the engine adds in place and hands buffers to leaves only
when nobody else holds them (torch's use_count() == 1 rule).

Each test builds a graph where a gradient array could be shared (the same
array sent to two inputs, a caller's seed, a saved output, a broadcast view)
and checks that no buffer the caller or the graph can see was written.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch as real_torch

import verifier.engine as engine

SHARING_GRAPHS = {
    # add's VJP sends the same g to both inputs.
    "x + x": lambda t, x: x + x,
    "x + x + x": lambda t, x: x + x + x,
    "(x + 1) + (x + 1)": lambda t, x: (x + 1) + (x + 1),
    "clone then add": lambda t, x: t.clone(x) + x,
    # sum's VJP is a read-only broadcast view.
    "x + sum(x)": lambda t, x: x + t.sum(x),
    "exp(x) + x": lambda t, x: t.exp(x) + x,
    "x*x + x": lambda t, x: x * x + x,
    "reshape back": lambda t, x: t.reshape(x, (3, 1)).squeeze(1) + x,
}


@pytest.mark.parametrize("name", sorted(SHARING_GRAPHS))
def test_caller_seed_is_never_written_and_never_becomes_grad(name):
    results = []
    for lib in (engine, real_torch):
        x = lib.tensor([0.5, -1.0, 2.0], dtype=lib.float64, requires_grad=True)
        seed = lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64)
        y = SHARING_GRAPHS[name](lib, x)
        y.backward(seed)
        assert seed.tolist() == [1.0, 2.0, 3.0], f"{name}: the seed was written"
        grad = x.grad.numpy().copy()
        seed.mul_(10)  # the leaf's grad must not alias the seed
        np.testing.assert_array_equal(x.grad.numpy(), grad)
        results.append(grad)
    np.testing.assert_allclose(results[0], results[1])


@pytest.mark.parametrize("name", sorted(SHARING_GRAPHS))
def test_repeated_backward_with_retained_graph_accumulates_exactly(name):
    results = []
    for lib in (engine, real_torch):
        x = lib.tensor([0.5, -1.0, 2.0], dtype=lib.float64, requires_grad=True)
        y = SHARING_GRAPHS[name](lib, x).sum()
        for _ in range(3):
            y.backward(retain_graph=True)
        results.append(x.grad.numpy().copy())
    np.testing.assert_allclose(results[0], results[1])


def test_two_leaves_never_share_one_grad_buffer():
    a = engine.tensor([1.0, 2.0], dtype=engine.float64, requires_grad=True)
    b = engine.tensor([3.0, 4.0], dtype=engine.float64, requires_grad=True)
    (a + b).sum().backward()
    assert not np.shares_memory(a.grad.numpy(), b.grad.numpy())
    a.grad.numpy()[:] = 7
    assert b.grad.tolist() == [1.0, 1.0]


def test_saved_output_is_not_used_as_a_gradient_buffer():
    # exp saves its output; its VJP must not accumulate into that array.
    x = engine.tensor([0.5, 1.0], dtype=engine.float64, requires_grad=True)
    y = engine.exp(x)
    z = y + y * 1
    z.sum().backward(retain_graph=True)
    np.testing.assert_allclose(y.detach().numpy(), np.exp([0.5, 1.0]))
    first = x.grad.numpy().copy()
    x.grad = None
    z.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), first)


def test_non_leaf_retained_grad_is_its_own_buffer():
    x = engine.tensor([0.5, 1.0], dtype=engine.float64, requires_grad=True)
    h = x * 2
    h.retain_grad()
    (h + h).sum().backward()
    assert h.grad.tolist() == [2.0, 2.0]
    assert not np.shares_memory(h.grad.numpy(), x.grad.numpy())
    assert x.grad.tolist() == [4.0, 4.0]


def test_a_failed_backward_leaves_no_pending_gradient_behind():
    x = engine.tensor([0.5, 1.0], dtype=engine.float64, requires_grad=True)
    z = x * 2
    w = engine.exp(z)
    loss = (w + z).sum()
    w.mul_(2)  # exp's saved output changed: the pass fails midway
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()
    x.grad = None
    (z * 1).sum().backward()  # through z's node again: nothing left over from the failure
    assert x.grad.tolist() == [2.0, 2.0]
