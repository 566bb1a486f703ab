"""Operator-test idioms, part 2: autograd utilities (grad, gradcheck, functional, func).

Each body runs with real torch and with the engine imported as `torch`.
"""

from __future__ import annotations

import warnings

import pytest
import torch as real_torch

import verifier.engine as engine

pytestmark = pytest.mark.parametrize("torch", [real_torch, engine], ids=["torch", "engine"])


def _wrong_gradient(x):
    """y = 2x whose backward is tripled by a hook: autograd says 6, the truth is 2."""
    y = x * 2
    y.register_hook(lambda g: g * 3)
    return y


def test_gradcheck_passes_correct_gradients(torch):
    torch.manual_seed(0)
    x = torch.randn(3, dtype=torch.float64, requires_grad=True)
    w = torch.randn(3, 2, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(torch.sin, (x,))
    assert torch.autograd.gradcheck(lambda a, b: (a @ b).tanh(), (x, w), eps=1e-6, atol=1e-4)
    assert torch.autograd.gradcheck(lambda a: (a.exp(), a * a), x)  # several outputs
    assert torch.autograd.gradgradcheck(lambda a, b: (a @ b).tanh(), (x, w))
    assert torch.autograd.gradgradcheck(torch.sin, (x,), (torch.ones(3, dtype=torch.float64),))
    gradcheck = torch.autograd.gradcheck
    assert gradcheck(torch.exp, (x,), fast_mode=True)


def test_gradcheck_with_a_constant_input(torch):
    x = torch.randn(3, dtype=torch.float64, requires_grad=True)
    c = torch.randn(3, dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda a, b: a * b, (x, c))
    assert torch.autograd.gradcheck(lambda a, k: a * k, (x, 2.5))


def test_gradcheck_catches_a_wrong_gradient(torch):
    x = torch.randn(3, dtype=torch.float64, requires_grad=True)
    with pytest.raises(RuntimeError, match="Jacobian mismatch for output 0 with respect to input 0"):
        torch.autograd.gradcheck(_wrong_gradient, (x,))
    assert torch.autograd.gradcheck(_wrong_gradient, (x,), raise_exception=False) is False
    with pytest.raises(RuntimeError) as info:
        torch.autograd.gradcheck(_wrong_gradient, (x,))
    assert type(info.value).__name__ == "GradcheckError"


def test_gradcheck_needs_an_input_that_requires_grad(torch):
    with pytest.raises(ValueError, match="requires_grad=True"):
        torch.autograd.gradcheck(torch.sin, (torch.randn(2, dtype=torch.float64),))


def test_gradcheck_warns_on_single_precision(torch):
    x = torch.tensor([0.5, 1.0], requires_grad=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        torch.autograd.gradcheck(lambda a: a * 2, (x,), eps=1e-3, atol=1e-2, rtol=1e-2)
    assert any("double precision" in str(w.message) for w in caught)


def test_grad_with_create_graph_allow_unused_and_materialize(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    unused = torch.tensor(3.0, requires_grad=True)
    y = (x ** 3).sum()
    (g,) = torch.autograd.grad(y, x, create_graph=True)
    assert g.tolist() == [3.0, 12.0] and g.requires_grad
    (h,) = torch.autograd.grad(g.sum(), x)
    assert h.tolist() == [6.0, 12.0]
    gx, gu = torch.autograd.grad((x * 2).sum(), [x, unused], allow_unused=True)
    assert gx.tolist() == [2.0, 2.0] and gu is None
    _, gu = torch.autograd.grad((x * 2).sum(), (x, unused), materialize_grads=True)
    assert gu.item() == 0.0
    with pytest.raises(RuntimeError):
        torch.autograd.grad((x * 2).sum(), [x, unused])


def test_grad_with_vector_outputs_and_grad_outputs(torch):
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * x
    (g,) = torch.autograd.grad(y, x, grad_outputs=torch.ones_like(y))
    assert g.tolist() == [2.0, 4.0, 6.0]
    (g,) = torch.autograd.grad([(x * x).sum(), x.sum()], [x])
    assert g.tolist() == [3.0, 5.0, 7.0]
    (rows,) = torch.autograd.grad(x ** 2, x, torch.eye(3), is_grads_batched=True)
    assert rows.tolist() == [[2.0, 0.0, 0.0], [0.0, 4.0, 0.0], [0.0, 0.0, 6.0]]


def test_functional_jacobian_and_hessian(torch):
    x = torch.tensor([1.0, 2.0], dtype=torch.float64)
    jac = torch.autograd.functional.jacobian(lambda a: a ** 2, x)
    assert jac.tolist() == [[2.0, 0.0], [0.0, 4.0]]
    ja, jb = torch.autograd.functional.jacobian(lambda a, b: a * b, (x, x + 1))
    assert ja.tolist() == [[2.0, 0.0], [0.0, 3.0]] and jb.tolist() == [[1.0, 0.0], [0.0, 2.0]]
    (j1,), (j2,) = torch.autograd.functional.jacobian(lambda a: (a.sum(), a * 3), (x,))
    assert j1.tolist() == [1.0, 1.0] and j2.tolist() == [[3.0, 0.0], [0.0, 3.0]]
    hess = torch.autograd.functional.hessian(lambda a: (a ** 3).sum(), x)
    assert hess.tolist() == [[6.0, 0.0], [0.0, 12.0]]
    m = torch.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=torch.float64)
    assert torch.autograd.functional.jacobian(lambda a: a.sum(0), m).shape == (2, 2, 2)
    jc = torch.autograd.functional.jacobian(lambda a: a.sin(), x, create_graph=True)
    assert jc.requires_grad or not jc.requires_grad  # allowed either way: the values matter
    torch.testing.assert_close(jc.diagonal(), x.cos())
    jv = torch.autograd.functional.jacobian(lambda a: a ** 2, x, vectorize=True)
    assert jv.tolist() == [[2.0, 0.0], [0.0, 4.0]]


def test_functional_vjp_jvp_hvp_vhp(torch):
    x = torch.tensor([1.0, 2.0], dtype=torch.float64)
    v = torch.tensor([1.0, -1.0], dtype=torch.float64)
    out, vjp = torch.autograd.functional.vjp(lambda a: a ** 2, x, v)
    assert out.tolist() == [1.0, 4.0] and vjp.tolist() == [2.0, -4.0]
    out, jvp = torch.autograd.functional.jvp(lambda a: a ** 2, x, v)
    assert jvp.tolist() == [2.0, -4.0]
    out, hvp = torch.autograd.functional.hvp(lambda a: (a ** 3).sum(), x, v)
    assert out.item() == 9.0 and hvp.tolist() == [6.0, -12.0]
    out, vhp = torch.autograd.functional.vhp(lambda a: (a ** 3).sum(), x, v)
    assert vhp.tolist() == [6.0, -12.0]
    out, g = torch.autograd.functional.vjp(lambda a: (a ** 2).sum(), x)
    assert g.tolist() == [2.0, 4.0]


def test_func_transforms(torch):
    x = torch.tensor([1.0, 2.0], dtype=torch.float64)
    g = torch.func.grad(lambda a: (a ** 3).sum())(x)
    assert g.tolist() == [3.0, 12.0]
    g, value = torch.func.grad_and_value(lambda a: (a ** 2).sum())(x)
    assert g.tolist() == [2.0, 4.0] and value.item() == 5.0
    gb = torch.func.grad(lambda a, b: (a * b).sum(), argnums=1)(x, x + 1)
    assert gb.tolist() == [1.0, 2.0]
    assert torch.func.jacrev(lambda a: a ** 2)(x).tolist() == [[2.0, 0.0], [0.0, 4.0]]
    assert torch.func.jacfwd(lambda a: a ** 2)(x).tolist() == [[2.0, 0.0], [0.0, 4.0]]
    assert torch.func.hessian(lambda a: (a ** 3).sum())(x).tolist() == [[6.0, 0.0], [0.0, 12.0]]
    out, fn = torch.func.vjp(lambda a: a ** 2, x)
    assert fn(torch.ones(2, dtype=torch.float64))[0].tolist() == [2.0, 4.0]
    _, tangent = torch.func.jvp(lambda a: a ** 2, (x,), (torch.ones(2, dtype=torch.float64),))
    assert tangent.tolist() == [2.0, 4.0]


def test_vmap_over_a_batch(torch):
    batch = torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    w = torch.tensor([1.0, -1.0])
    out = torch.vmap(lambda row: (row * w).sum())(batch)
    assert out.tolist() == [-1.0, -1.0, -1.0]
    out = torch.func.vmap(lambda a, b: a * b, in_dims=(0, None))(batch, w)
    assert out.tolist() == [[1.0, -2.0], [3.0, -4.0], [5.0, -6.0]]
    per_sample = torch.func.vmap(torch.func.grad(lambda a: (a ** 2).sum()))(batch)
    assert per_sample.tolist() == [[2.0, 4.0], [6.0, 8.0], [10.0, 12.0]]
    cols = torch.vmap(lambda c: c.sum(), in_dims=1)(batch)
    assert cols.tolist() == [9.0, 12.0]


def test_register_hook_and_retain_grad(torch):
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    y = x * 3
    y.retain_grad()
    handle = y.register_hook(lambda g: seen.append(g.clone()))
    x.register_hook(lambda g: g * 10)
    y.sum().backward()
    assert seen[0].tolist() == [1.0, 1.0] and y.grad.tolist() == [1.0, 1.0]
    assert x.grad.tolist() == [30.0, 30.0]
    handle.remove()
    x.grad = None
    z = x * 3
    z.sum().backward()
    assert x.grad.tolist() == [30.0, 30.0]


def test_backward_accumulates_and_zeroing_idioms(torch):
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    for _ in range(2):
        (w * w).sum().backward()
    assert w.grad.tolist() == [4.0, 8.0]
    w.grad.zero_()
    assert w.grad.tolist() == [0.0, 0.0]
    w.grad.data.zero_()
    w.grad = None
    (w * 2).sum().backward()
    assert w.grad.tolist() == [2.0, 2.0]
    with torch.no_grad():
        w -= 0.5 * w.grad
        w.sub_(0.5 * w.grad)
    assert w.tolist() == [-1.0, 0.0] and w.is_leaf and w.requires_grad
    with pytest.raises(RuntimeError, match="leaf"):
        w.add_(1.0)


def test_grad_modes_as_decorators_and_contexts(torch):
    x = torch.ones(2, requires_grad=True)

    @torch.no_grad()
    def frozen(a):
        return a * 2

    @torch.enable_grad()
    def recording(a):
        return a * 2

    assert not frozen(x).requires_grad
    with torch.no_grad():
        assert recording(x).requires_grad
        assert not torch.is_grad_enabled()
    with torch.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    with torch.inference_mode():
        assert not (x * 2).requires_grad
    assert torch.is_inference_mode_enabled() is False
    assert (x * 2).requires_grad and torch.is_grad_enabled()


def test_second_derivative_through_backward(torch):
    x = torch.tensor(2.0, requires_grad=True)
    y = x ** 4
    (dy,) = torch.autograd.grad(y, x, create_graph=True)
    dy.backward()
    assert dy.item() == 32.0 and x.grad.item() == 48.0


def test_grad_fn_and_leaf_properties(torch):
    x = torch.ones(2, requires_grad=True)
    y = (x * 2).sum()
    assert x.is_leaf and x.grad_fn is None and not y.is_leaf
    assert y.grad_fn is not None and "Sum" in type(y.grad_fn).__name__ + y.grad_fn.name()
    assert y.requires_grad and not x.detach().requires_grad
    z = x.detach().clone().requires_grad_()
    assert z.is_leaf and z.requires_grad
    assert torch.ones(2).is_leaf
