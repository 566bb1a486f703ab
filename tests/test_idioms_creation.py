"""Operator-test idioms, part 3: creation functions, random numbers, dtypes and devices.

Each body runs with real torch and with the engine imported as `torch`.  Random
values differ between the two libraries; what is asserted is what torch
guarantees: shapes, dtypes, ranges and reproducibility under a seed.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch as real_torch

import verifier.engine as engine

pytestmark = pytest.mark.parametrize("torch", [real_torch, engine], ids=["torch", "engine"])


def test_sizes_as_varargs_tuple_list_or_size(torch):
    for t in (torch.zeros(2, 3), torch.zeros((2, 3)), torch.zeros([2, 3]),
              torch.zeros(torch.Size([2, 3])), torch.ones(2, 3), torch.empty(2, 3),
              torch.empty((2, 3)), torch.rand(2, 3), torch.randn((2, 3)), torch.full((2, 3), 1.5)):
        assert t.shape == (2, 3) and t.dtype == torch.float32
    assert torch.zeros(()).shape == () and torch.zeros(0).numel() == 0
    assert torch.zeros(2, 3).size() == torch.Size([2, 3])


def test_creation_keywords(torch):
    x = torch.zeros(2, dtype=torch.float64, device="cpu", requires_grad=True)
    assert x.dtype == torch.float64 and x.requires_grad and x.is_leaf
    assert x.device == torch.device("cpu") and x.device.type == "cpu" and str(x.device) == "cpu"
    assert torch.ones(3, device=torch.device("cpu")).sum().item() == 3.0
    e = torch.empty(2, 2, dtype=torch.float64, requires_grad=True)
    assert e.dtype == torch.float64 and e.requires_grad
    assert torch.eye(3, dtype=torch.float64).trace().item() == 3.0
    assert torch.eye(2, 3).shape == (2, 3) and torch.eye(2, 3, requires_grad=True).requires_grad
    assert torch.tensor([1.0], device="cpu", dtype=torch.float64).dtype == torch.float64
    assert torch.full((2,), 7).dtype == torch.int64
    assert torch.full((2,), 7.0, dtype=torch.float64, requires_grad=True).requires_grad


def test_like_functions_follow_their_input(torch):
    x = torch.ones(2, 3, dtype=torch.float64)
    for t in (torch.zeros_like(x), torch.ones_like(x), torch.empty_like(x), torch.rand_like(x),
              torch.randn_like(x), torch.full_like(x, 7.0)):
        assert t.shape == (2, 3) and t.dtype == torch.float64 and not t.requires_grad
    assert torch.full_like(x, 7.0).sum().item() == 42.0
    assert torch.zeros_like(x, dtype=torch.float32).dtype == torch.float32
    assert torch.ones_like(x, requires_grad=True).requires_grad
    assert torch.randint_like(x, 5).dtype == torch.float64
    r = torch.randint_like(x, 2, 5)
    assert bool((r >= 2).all()) and bool((r < 5).all())
    assert torch.zeros_like(torch.tensor([1, 2])).dtype == torch.int64


def test_arange_linspace_logspace(torch):
    assert torch.arange(5).tolist() == [0, 1, 2, 3, 4] and torch.arange(5).dtype == torch.int64
    a = torch.arange(0, 1, 0.1)
    assert a.dtype == torch.float32 and a.numel() == 10
    assert torch.arange(1, 4, dtype=torch.float64).tolist() == [1.0, 2.0, 3.0]
    assert torch.arange(start=2, end=8, step=3).tolist() == [2, 5]
    assert torch.arange(6.0).dtype == torch.float32
    assert torch.arange(4, requires_grad=False, dtype=torch.float32).tolist() == [0.0, 1.0, 2.0, 3.0]
    assert torch.arange(3, 0, -1).tolist() == [3, 2, 1]
    lin = torch.linspace(0, 1, 5)
    assert lin.dtype == torch.float32 and lin.tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert torch.linspace(-1, 1, steps=3, dtype=torch.float64).tolist() == [-1.0, 0.0, 1.0]
    np.testing.assert_allclose(torch.logspace(0, 2, 3).numpy(), [1.0, 10.0, 100.0], rtol=1e-6)
    assert torch.arange(0, 10).reshape(2, 5).shape == (2, 5)


def test_randint_and_randperm(torch):
    r = torch.randint(0, 10, (100,))
    assert r.dtype == torch.int64 and r.shape == (100,)
    assert bool((r >= 0).all()) and bool((r < 10).all())
    assert torch.randint(3, (2, 2)).shape == (2, 2)
    assert bool((torch.randint(low=5, high=7, size=(20,)) >= 5).all())
    assert torch.randint(0, 2, (3,), dtype=torch.float32).dtype == torch.float32
    p = torch.randperm(6)
    assert p.dtype == torch.int64 and sorted(p.tolist()) == list(range(6))


def test_manual_seed_and_generators(torch):
    torch.manual_seed(1234)
    a = torch.randn(5)
    torch.manual_seed(1234)
    b = torch.randn(5)
    assert torch.equal(a, b)
    g = torch.Generator()
    assert g.manual_seed(7) is g
    first = torch.rand(4, generator=g)
    g.manual_seed(7)
    assert torch.equal(first, torch.rand(4, generator=g))
    assert torch.randn(3, generator=torch.Generator().manual_seed(3)).shape == (3,)
    assert isinstance(torch.manual_seed(0), torch.Generator)
    state = torch.get_rng_state()
    c = torch.rand(3)
    torch.set_rng_state(state)
    assert torch.equal(c, torch.rand(3))
    assert torch.initial_seed() == 0
    u = torch.rand(1000)
    assert float(u.min()) >= 0.0 and float(u.max()) < 1.0
    with torch.random.fork_rng():
        inside = torch.rand(2)
    assert torch.equal(inside, torch.rand(2))  # the stream resumes where it was
    torch.random.manual_seed(5)
    assert torch.random.initial_seed() == 5


def test_random_in_place_fillers(torch):
    x = torch.empty(500).uniform_(-2, 3)
    assert float(x.min()) >= -2 and float(x.max()) <= 3
    y = torch.empty(2000, dtype=torch.float64).normal_(mean=5.0, std=0.1)
    assert y.dtype == torch.float64 and abs(y.mean().item() - 5.0) < 0.05
    n = torch.normal(0.0, 1.0, size=(3, 2))
    assert n.shape == (3, 2)
    m = torch.normal(torch.zeros(4), torch.ones(4))
    assert m.shape == (4,)
    b = torch.bernoulli(torch.full((50,), 0.5))
    assert set(b.tolist()) <= {0.0, 1.0}
    picks = torch.tensor([[0.0, 1.0, 0.0], [0.5, 0.0, 0.5]]).multinomial(2)
    assert picks.shape == (2, 2) and picks.dtype == torch.int64 and set(picks[1].tolist()) == {0, 2}
    assert torch.multinomial(torch.tensor([0.0, 0.0, 1.0]), 4, replacement=True).tolist() == [2] * 4
    torch.manual_seed(0)
    firsts = torch.multinomial(torch.tensor([0.2, 0.8]).expand(4000, 2), 1)
    assert abs(firsts.double().mean().item() - 0.8) < 0.03  # P(first draw = 1) = 0.8


def test_dtypes_compare_and_describe_themselves(torch):
    assert torch.float64 == torch.double and torch.float32 == torch.float
    assert torch.int64 == torch.long and torch.float16 == torch.half
    assert torch.float32 != torch.float64
    assert isinstance(torch.float32, torch.dtype)
    assert torch.ones(1).dtype is torch.float32
    assert torch.float64.is_floating_point and not torch.int64.is_floating_point
    assert str(torch.float64) == "torch.float64"
    assert torch.float64.itemsize == 8 and torch.int32.itemsize == 4
    assert {torch.float32: "f"}[torch.float] == "f"
    assert torch.get_default_dtype() == torch.float32
    assert torch.is_floating_point(torch.ones(1)) and not torch.is_floating_point(torch.tensor([1]))
    assert torch.promote_types(torch.float32, torch.float64) == torch.float64
    assert torch.promote_types(torch.int64, torch.float32) == torch.float32
    assert torch.result_type(torch.tensor([1]), 1.0) == torch.float32
    assert torch.can_cast(torch.int64, torch.float64) and not torch.can_cast(torch.float64, torch.int64)


def test_default_dtype_switch(torch):
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        assert torch.tensor([1.0]).dtype == torch.float64 and torch.ones(2).dtype == torch.float64
        assert torch.arange(0.0, 1.0, 0.5).dtype == torch.float64
    finally:
        torch.set_default_dtype(previous)
    assert torch.ones(2).dtype == torch.float32


def test_finfo_and_iinfo(torch):
    assert torch.finfo(torch.float32).eps == np.finfo(np.float32).eps
    assert torch.finfo(torch.float64).max == np.finfo(np.float64).max
    assert torch.finfo(torch.float32).tiny == np.finfo(np.float32).tiny
    assert torch.finfo().eps == np.finfo(np.float32).eps
    assert torch.finfo(torch.bfloat16).eps == 2.0 ** -7
    assert torch.finfo(torch.float16).max == 65504.0
    assert torch.finfo(torch.ones(1, dtype=torch.float64).dtype).bits == 64
    assert torch.iinfo(torch.int64).max == 2 ** 63 - 1 and torch.iinfo(torch.int32).min == -2 ** 31


def test_tensor_from_data(torch):
    assert torch.tensor(3.5).shape == () and torch.tensor(3.5).item() == 3.5
    assert torch.tensor([[1, 2], [3, 4]]).dtype == torch.int64
    assert torch.tensor([True, False]).dtype == torch.bool
    assert torch.tensor(np.array([1.0, 2.0])).dtype == torch.float64
    assert torch.tensor(np.float32(2.0)).dtype == torch.float32
    a = np.arange(3.0)
    shared = torch.from_numpy(a)
    copied = torch.as_tensor(a)
    assert shared.dtype == torch.float64 and copied.dtype == torch.float64
    a[0] = 9.0
    assert shared[0].item() == 9.0
    assert torch.as_tensor([1.0, 2.0], dtype=torch.float64).dtype == torch.float64
    t = torch.ones(2)
    assert torch.as_tensor(t) is t
    assert torch.tensor([torch.tensor(1.0), torch.tensor(2.0)]).tolist() == [1.0, 2.0]
    assert torch.is_tensor(t) and not torch.is_tensor([1.0]) and isinstance(t, torch.Tensor)
    assert torch.numel(torch.ones(2, 3)) == 6
