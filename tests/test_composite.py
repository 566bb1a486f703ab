"""Composite operations (verifier/ops/composite.py) and the language features issue 11 added.

A composite's VJP differentiates its body's own graph; these tests pin what that
machinery must get right beyond the per-op differential tests: third order, an
input passed twice, in-place changes after the op, torch's positional order, and
string option arguments in the case language.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest
import torch

import verifier.engine as engine
from verifier.lang.errors import ParseError
from verifier.lang.parser import parse_expression


def _both(build):
    """build(module) on torch and on the engine, as float64 numpy arrays."""
    out = []
    for module in (torch, engine):
        out.append([np.asarray(t.detach().numpy()) for t in build(module)])
    return out


def test_third_derivative_of_a_composite_matches_torch():
    def third(m):
        x = m.tensor([-1.5, 0.3, 2.0], dtype=m.float64, requires_grad=True)
        y = m.nn.functional.gelu(x, approximate="tanh").sum()
        (g,) = m.autograd.grad(y, x, create_graph=True)
        (h,) = m.autograd.grad(g.sum(), x, create_graph=True)
        (t,) = m.autograd.grad(h.sum(), x)
        return [g, h, t]
    theirs, ours = _both(third)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_one_tensor_passed_twice_gets_both_gradients_at_second_order():
    def run(m):
        x = m.tensor([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]], dtype=m.float64, requires_grad=True)
        y = m.nn.functional.pairwise_distance(x, x * 2).sum() + \
            m.nn.functional.mse_loss(x, x[[1, 0]])
        (g,) = m.autograd.grad(y, x, create_graph=True)
        (h,) = m.autograd.grad((g * g).sum(), x)
        return [g, h]
    theirs, ours = _both(run)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def test_inplace_change_of_an_unsaved_input_leaves_the_gradient_right():
    # torch's constant pad saves nothing; the engine's node keeps a copy, so its VJP reads the values
    # the forward saw, and changing h afterwards changes nothing (as in torch)
    def run(m):
        x = m.tensor([[1.0, 2.0, 3.0]], dtype=m.float64, requires_grad=True)
        h = x * 1
        y = (m.nn.functional.pad(h, [2, -1], value=0.5) ** 2).sum()
        h.mul_(5.0)
        y.backward()
        return [x.grad]
    theirs, ours = _both(run)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-12)


def test_inplace_change_of_a_saved_input_raises_like_torch():
    for m in (torch, engine):
        x = m.tensor([[[1.0, 2.0, 0.5, -1.0]]], dtype=m.float64, requires_grad=True)
        w = m.tensor([[[0.5, -1.0]]], dtype=m.float64, requires_grad=True)
        h = x * 1
        y = m.nn.functional.conv1d(h, w).sum()
        h.add_(1.0)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.backward()


def test_torch_positional_order_with_interleaved_options():
    x = np.arange(6.0).reshape(2, 3)
    w, b = np.array([1.0, 2.0, 0.5]), np.array([0.0, -1.0, 1.0])
    results = []
    for m in (torch, engine):
        out = m.nn.functional.layer_norm(m.tensor(x), [3], m.tensor(w), m.tensor(b), 1e-3)
        results.append(np.asarray(out.numpy()))
    np.testing.assert_allclose(results[1], results[0], rtol=1e-12)


def test_engine_nn_functional_names_are_torchs():
    for name in engine.nn.functional.NAMES:
        assert callable(getattr(torch.nn.functional, name)), name
        # the same registered function underneath: F.relu adds torch's `inplace`, F.softmax
        # refuses axis= (numpy_aliases.py) and accepts dtype=, F.max_pool2d adds return_indices
        function = getattr(engine.nn.functional, name)
        assert inspect.unwrap(function) is inspect.unwrap(getattr(engine, name))


def test_random_dropout_is_refused():
    x = engine.ones(3, requires_grad=True)
    assert engine.nn.functional.dropout(x, p=0.0) is x
    assert engine.nn.functional.dropout(x, 0.5, False) is x
    with pytest.raises(NotImplementedError, match="random"):
        engine.nn.functional.dropout(x, p=0.5)


def test_string_options_are_call_arguments_only():
    call = parse_expression('pad(x, [1, 1], mode="reflect")', {"x"})
    assert dict(call.kwargs)["mode"].value == "reflect"
    with pytest.raises(ParseError, match="option"):
        parse_expression('gelu(x, approximate="tan h")', {"x"})
    with pytest.raises(ParseError, match="strings"):
        parse_expression('x + "a"', {"x"})
