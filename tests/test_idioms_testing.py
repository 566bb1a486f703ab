"""Operator-test idioms, part 1: torch.testing and the closeness functions.

Every test body runs twice, once with real torch and once with the engine
imported as `torch` (the way another project's operator tests would use it),
so each assertion states a fact that holds for torch 2.13 and must hold for us.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch as real_torch

import verifier.engine as engine

pytestmark = pytest.mark.parametrize("torch", [real_torch, engine], ids=["torch", "engine"])


def test_assert_close_accepts_equal_and_near_values(torch):
    a = torch.tensor([1.0, 2.0, 3.0])
    torch.testing.assert_close(a, a.clone())
    torch.testing.assert_close(a, a + 1e-7)  # within float32's default rtol 1.3e-6, atol 1e-5
    torch.testing.assert_close(a.double(), a.double() + 1e-9)
    torch.testing.assert_close(a, a * 1.01, rtol=0.02, atol=0.0)
    torch.testing.assert_close(1.0, 1.0 + 1e-9)
    torch.testing.assert_close([a, a], [a, a.clone()])
    torch.testing.assert_close({"x": a}, {"x": a.clone()})
    torch.testing.assert_close((a, 2), (a, 2))


def test_assert_close_reports_the_mismatch(torch):
    with pytest.raises(AssertionError) as info:
        torch.testing.assert_close(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.1]))
    text = str(info.value)
    assert "not close" in text and "Mismatched elements: 1 / 2 (50.0%)" in text
    assert "Greatest absolute difference" in text and "at index (1,)" in text


def test_assert_close_checks_dtype_shape_and_nan(torch):
    a = torch.tensor([1.0, 2.0])
    with pytest.raises(AssertionError, match="dtype"):
        torch.testing.assert_close(a, a.double())
    torch.testing.assert_close(a, a.double(), check_dtype=False)
    with pytest.raises(AssertionError, match="shape"):
        torch.testing.assert_close(a, torch.tensor([1.0, 2.0, 3.0]))
    nan = torch.tensor([float("nan"), 1.0])
    with pytest.raises(AssertionError):
        torch.testing.assert_close(nan, nan.clone())
    torch.testing.assert_close(nan, nan.clone(), equal_nan=True)
    with pytest.raises(AssertionError, match="custom message"):
        torch.testing.assert_close(a, a * 2, msg="custom message")


def test_assert_close_needs_both_tolerances_or_neither(torch):
    a = torch.ones(2)
    with pytest.raises(ValueError, match="atol"):
        torch.testing.assert_close(a, a, rtol=1e-3)


def test_assert_close_is_exact_for_integers(torch):
    torch.testing.assert_close(torch.tensor([1, 2]), torch.tensor([1, 2]))
    with pytest.raises(AssertionError, match="not equal"):
        torch.testing.assert_close(torch.tensor([1, 2]), torch.tensor([1, 3]))


def test_assert_close_refuses_a_tensor_against_a_list(torch):
    with pytest.raises(TypeError):
        torch.testing.assert_close(torch.tensor([1.0, 2.0]), [1.0, 2.0])


def test_assert_close_on_tensors_that_require_grad(torch):
    x = torch.ones(3, requires_grad=True)
    torch.testing.assert_close(x * 2, torch.full((3,), 2.0))


def test_make_tensor(torch):
    t = torch.testing.make_tensor((2, 3), dtype=torch.float64, device="cpu", low=-1, high=1)
    assert t.shape == (2, 3) and t.dtype == torch.float64
    assert bool((t >= -1).all()) and bool((t <= 1).all())
    g = torch.testing.make_tensor(4, dtype=torch.float32, device="cpu", requires_grad=True)
    assert g.requires_grad and g.is_leaf and g.shape == (4,)
    i = torch.testing.make_tensor(2, 2, dtype=torch.int64, device="cpu", low=0, high=5)
    assert i.dtype == torch.int64 and bool((i >= 0).all()) and bool((i < 5).all())


def test_allclose_isclose_equal(torch):
    a = torch.tensor([1.0, 2.0, float("nan")])
    b = torch.tensor([1.0, 2.0 + 1e-9, float("nan")])
    assert not torch.allclose(a, b)
    assert torch.allclose(a, b, equal_nan=True)
    assert torch.allclose(a[:2], b[:2])
    assert a[:2].allclose(b[:2], rtol=0, atol=1e-6)
    assert not torch.allclose(torch.tensor([1.0]), torch.tensor([1.1]), rtol=1e-5, atol=1e-8)
    assert torch.allclose(torch.ones(2, 2), torch.ones(2))  # broadcasts
    close = torch.isclose(a, b)
    assert close.dtype == torch.bool and close.tolist() == [True, True, False]
    assert torch.isclose(a, b, equal_nan=True).tolist() == [True, True, True]
    assert torch.equal(torch.tensor([1, 2]), torch.tensor([1, 2]))
    assert not torch.equal(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.5]))
    assert not torch.equal(torch.ones(2), torch.ones(3))
    assert torch.ones(2).equal(torch.ones(2))
    assert isinstance(torch.allclose(a, a), bool) and isinstance(torch.equal(a, a), bool)


def test_isnan_isinf_isfinite_nan_to_num(torch):
    x = torch.tensor([1.0, float("nan"), float("inf"), -float("inf")])
    assert torch.isnan(x).tolist() == [False, True, False, False]
    assert x.isinf().tolist() == [False, False, True, True]
    assert torch.isfinite(x).tolist() == [True, False, False, False]
    assert torch.isposinf(x).tolist() == [False, False, True, False]
    assert torch.isneginf(x).tolist() == [False, False, False, True]
    cleaned = torch.nan_to_num(x, nan=0.0, posinf=1e3, neginf=-1e3)
    assert cleaned.tolist() == [1.0, 0.0, 1e3, -1e3]
    default = x.nan_to_num()
    assert default[2].item() == np.finfo(np.float32).max and default[1].item() == 0.0
    assert torch.isnan(x).any() and not torch.isnan(x[:1]).any()


def test_nan_to_num_gradient_passes_where_finite(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    torch.nan_to_num(x * 3).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


def test_finite_difference_idiom(torch):
    """A hand-written central difference, the way simple operator tests check gradients."""
    torch.manual_seed(0)
    x = torch.randn(4, dtype=torch.float64, requires_grad=True)
    torch.sin(x).sum().backward()
    eps = 1e-6
    numeric = []
    with torch.no_grad():
        for i in range(x.numel()):
            e = torch.zeros_like(x)
            e[i] = eps
            numeric.append(((torch.sin(x + e) - torch.sin(x - e)).sum() / (2 * eps)).item())
    torch.testing.assert_close(x.grad, torch.tensor(numeric, dtype=torch.float64))
    assert math.isclose(x.grad[0].item(), math.cos(x[0].item()), rel_tol=1e-12)
