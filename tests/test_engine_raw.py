"""RAW, the namespace plain backward passes run VJPs in: it must equal the
registry's forwards, including its broadcast-aware matmul."""

from __future__ import annotations

import numpy as np
import pytest
import torch as real_torch

import verifier.engine as engine
from verifier.ops.raw import RAW
from verifier.ops.registry import get

RNG = np.random.default_rng(7)
A = RNG.standard_normal((4, 3))
B = RNG.standard_normal((3, 5))

BROADCAST_OPERANDS = {
    "rows of a repeat": (np.broadcast_to(A[:1], (4, 3)), B),
    "a constant": (np.broadcast_to(np.float64(2.5), (4, 3)), B),
    "columns of b repeat": (A, np.broadcast_to(B[:, :1], (3, 5))),
    "b constant": (A, np.broadcast_to(np.float64(-1.5), (3, 5))),
    "both": (np.broadcast_to(A[:1], (4, 3)), np.broadcast_to(B[:, :1], (3, 5))),
    "one row": (np.broadcast_to(A[:1], (1, 3)), B),
    "plain": (A, B),
}


@pytest.mark.parametrize("name", sorted(BROADCAST_OPERANDS))
def test_raw_matmul_equals_the_forward(name):
    a, b = BROADCAST_OPERANDS[name]
    got = RAW.matmul(a, b)
    assert got.shape == (a.shape[0], b.shape[1])
    np.testing.assert_allclose(got, get("matmul").forward(np.array(a), np.array(b)), rtol=1e-13)


def test_raw_matmul_keeps_the_forwards_errors():
    with pytest.raises(RuntimeError, match="cannot be multiplied"):
        RAW.matmul(np.broadcast_to(1.0, (2, 3)), np.ones((4, 2)))


REDUCED_PRODUCTS = {
    "sum(A@B)": lambda t, a, b: (a @ b).sum(),
    "mean(A@B)": lambda t, a, b: (a @ b).mean(),
    "sum(A@B, dim=0)": lambda t, a, b: (a @ b).sum(0).sum(),
    "sum(A@B, dim=1) * w": lambda t, a, b: ((a @ b).sum(1) * t.arange(4.0, dtype=t.float64)).sum(),
    "sum(A@B@A.T)": lambda t, a, b: (a @ b @ b.T @ a.T).sum(),
}


@pytest.mark.parametrize("name", sorted(REDUCED_PRODUCTS))
def test_gradients_of_reduced_products_match_torch(name):
    grads = []
    for lib in (engine, real_torch):
        a = lib.tensor(A, dtype=lib.float64, requires_grad=True)
        b = lib.tensor(B, dtype=lib.float64, requires_grad=True)
        REDUCED_PRODUCTS[name](lib, a, b).backward()
        grads.append((a.grad.numpy().copy(), b.grad.numpy().copy()))
        a.grad.add_(1)  # the leaf's grad is writable, whatever view backward produced
    for ours, theirs in zip(grads[0], grads[1]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)
