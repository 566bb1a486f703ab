"""Operator-test idioms, part 6: custom torch.autograd.Function (forward/backward by hand).

Each body runs with real torch and with the engine imported as `torch`.
"""

from __future__ import annotations

import math

import pytest
import torch as real_torch

import verifier.engine as engine

pytestmark = pytest.mark.parametrize("torch", [real_torch, engine], ids=["torch", "engine"])


def _functions(torch):
    class Exp(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            result = x.exp()
            ctx.save_for_backward(result)
            return result

        @staticmethod
        def backward(ctx, grad_output):
            (result,) = ctx.saved_tensors
            return grad_output * result

    class ScaledProduct(torch.autograd.Function):
        """(x·y·k, x + y) with a Python number k: two outputs, a non-tensor argument."""

        @staticmethod
        def forward(ctx, x, y, k):
            ctx.save_for_backward(x, y)
            ctx.k = k
            return x * y * k, x + y

        @staticmethod
        def backward(ctx, g_product, g_sum):
            x, y = ctx.saved_tensors
            gx = g_product * y * ctx.k + g_sum if ctx.needs_input_grad[0] else None
            gy = g_product * x * ctx.k + g_sum if ctx.needs_input_grad[1] else None
            return gx, gy, None

    class Cube(torch.autograd.Function):
        """The newer style: forward without ctx, setup_context separately."""

        @staticmethod
        def forward(x):
            return x ** 3

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(inputs[0])

        @staticmethod
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            return grad_output * 3 * x ** 2

    class SortValues(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            values, indices = x.sort()
            ctx.mark_non_differentiable(indices)
            ctx.save_for_backward(indices)
            return values, indices

        @staticmethod
        def backward(ctx, g_values, g_indices):
            (indices,) = ctx.saved_tensors
            grad = torch.zeros_like(g_values)
            grad[indices] = g_values
            return grad

    return Exp, ScaledProduct, Cube, SortValues


def test_custom_function_forward_and_backward(torch):
    exp, scaled_product, cube, _ = _functions(torch)
    x = torch.tensor([0.0, 1.0], requires_grad=True)
    y = exp.apply(x)
    assert y.requires_grad and y.grad_fn is not None
    y.sum().backward()
    assert x.grad.tolist() == pytest.approx([1.0, math.e])
    a = torch.tensor([2.0], requires_grad=True)
    b = torch.tensor([3.0], requires_grad=True)
    p, s = scaled_product.apply(a, b, 0.5)
    (p * 10 + s).sum().backward()
    assert a.grad.tolist() == [16.0] and b.grad.tolist() == [11.0]
    c = torch.tensor([2.0], requires_grad=True)
    cube.apply(c).backward()
    assert c.grad.tolist() == [12.0]


def test_custom_function_outputs_and_flags(torch):
    exp, scaled_product, _, sort_values = _functions(torch)
    assert not exp.apply(torch.tensor([1.0])).requires_grad
    with torch.no_grad():
        assert not exp.apply(torch.tensor([1.0], requires_grad=True)).requires_grad
    x = torch.tensor([3.0, 1.0, 2.0], requires_grad=True)
    values, indices = sort_values.apply(x)
    assert values.requires_grad and not indices.requires_grad
    (values * torch.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert x.grad.tolist() == [3.0, 1.0, 2.0]
    a = torch.tensor([2.0], requires_grad=True)
    p, _ = scaled_product.apply(a, torch.tensor([3.0]), 1.0)  # y needs no gradient
    p.backward()
    assert a.grad.tolist() == [3.0]


def test_custom_function_under_gradcheck_and_double_backward(torch):
    exp, scaled_product, cube, _ = _functions(torch)
    x = torch.tensor([0.3, -0.7], dtype=torch.float64, requires_grad=True)
    y = torch.tensor([1.5, 0.2], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(exp.apply, (x,))
    assert torch.autograd.gradcheck(lambda a, b: scaled_product.apply(a, b, 2.0), (x, y))
    assert torch.autograd.gradgradcheck(cube.apply, (x,))
    (g,) = torch.autograd.grad(cube.apply(x).sum(), x, create_graph=True)
    (h,) = torch.autograd.grad(g.sum(), x)
    assert h.tolist() == pytest.approx([6 * 0.3, -6 * 0.7])


def test_once_differentiable(torch):
    class Square(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        @torch.autograd.function.once_differentiable
        def backward(ctx, grad_output):
            (x,) = ctx.saved_tensors
            return 2 * x * grad_output

    x = torch.tensor([3.0], requires_grad=True)
    Square.apply(x).backward()
    assert x.grad.tolist() == [6.0]
