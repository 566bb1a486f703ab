"""In-place operations and the version counter, compared with torch 2.13.

Each in-place op is applied to a non-leaf inside a graph on both libraries;
values and leaf gradients must agree (the gradient flows through the
in-place node exactly as through its out-of-place twin).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch as real_torch

import verifier.engine as engine

INPLACE = {
    "add_": lambda y, t: y.add_(t.tensor([1.0, -2.0, 0.5])),
    "add_alpha": lambda y, t: y.add_(t.tensor([1.0, -2.0, 0.5]), alpha=3),
    "sub_": lambda y, t: y.sub_(2.0),
    "mul_": lambda y, t: y.mul_(y.detach() + 1),
    "mul_graph": lambda y, t: y.mul_(y * 1),
    "div_": lambda y, t: y.div_(4.0),
    "pow_": lambda y, t: y.pow_(2),
    "copy_": lambda y, t: y.copy_(t.tensor([7.0, 8.0, 9.0])),
    "zero_": lambda y, t: y.zero_(),
    "fill_": lambda y, t: y.fill_(2.5),
    "clamp_": lambda y, t: y.clamp_(-1.0, 1.5),
    "iadd": lambda y, t: y.__iadd__(3.0),
    "isub": lambda y, t: y.__isub__(y.detach()),
    "imul": lambda y, t: y.__imul__(-2.0),
    "idiv": lambda y, t: y.__itruediv__(t.tensor([2.0, 4.0, 8.0])),
}


def _run(lib, name):
    x = lib.tensor([0.5, -1.0, 2.0], dtype=lib.float64, requires_grad=True)
    y = x * 3
    returned = INPLACE[name](y, lib)
    assert returned is y
    weights = lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64)
    (y * weights).sum().backward()
    return y.detach().numpy().copy(), (None if x.grad is None else x.grad.numpy().copy()), y


@pytest.mark.parametrize("name", sorted(INPLACE))
def test_inplace_value_and_gradient_match_torch(name):
    ours_value, ours_grad, ours = _run(engine, name)
    theirs_value, theirs_grad, theirs = _run(real_torch, name)
    np.testing.assert_allclose(ours_value, theirs_value)
    # copy_/fill_/zero_ cut x's history: both give x a zero gradient, not None.
    assert ours_grad is not None
    np.testing.assert_allclose(ours_grad, theirs_grad)


@pytest.mark.parametrize("name", ["add_", "mul_", "pow_", "copy_", "clamp_"])
def test_inplace_bumps_the_version(name):
    x = engine.tensor([0.5, -1.0, 2.0], requires_grad=True)
    y = x * 3
    before = y._version[0]
    INPLACE[name](y, engine)
    assert y._version[0] == before + 1


@pytest.mark.parametrize("op", ["add_", "sub_", "mul_", "div_", "pow_", "clamp_", "zero_",
                                "fill_", "copy_", "t_"])
def test_inplace_on_a_leaf_that_requires_grad_raises(op):
    args = {"add_": (1.0,), "sub_": (1.0,), "mul_": (2.0,), "div_": (2.0,), "pow_": (2,),
            "clamp_": (0.0, 1.0), "zero_": (), "fill_": (1.0,), "t_": ()}
    for lib in (engine, real_torch):
        x = lib.ones(2, 2, requires_grad=True)
        call_args = args.get(op, (lib.zeros(2, 2),))
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            getattr(x, op)(*call_args)


def test_inplace_on_a_leaf_is_allowed_under_no_grad():
    x = engine.ones(2, requires_grad=True)
    with engine.no_grad():
        x.mul_(3)
        x -= 1
    assert x.tolist() == [2.0, 2.0] and x.is_leaf and x.requires_grad


def test_modified_saved_tensor_names_both_versions():
    x = engine.ones(3, requires_grad=True)
    y = x.exp()
    z = y * y
    y.mul_(2)
    y.add_(1)
    with pytest.raises(RuntimeError) as info:
        z.sum().backward()
    assert "is at version 2; expected version 0 instead" in str(info.value)


def test_inplace_on_unsaved_input_is_fine():
    # add does not save its inputs, so changing one afterwards is harmless (as torch).
    for lib in (engine, real_torch):
        x = lib.ones(3, requires_grad=True)
        y = x * 1
        z = y + 1
        y.add_(5)
        z.sum().backward()
        assert x.grad.tolist() == [1.0, 1.0, 1.0]


def test_t_in_place_on_a_graph_tensor():
    for lib in (engine, real_torch):
        x = lib.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
        y = x * 1
        y.t_()
        assert tuple(y.shape) == (3, 1)
        (y * lib.tensor([[1.0], [2.0], [3.0]])).sum().backward()
        assert x.grad.tolist() == [[1.0, 2.0, 3.0]]


def test_t_in_place_without_grad():
    x = engine.tensor([[1.0, 2.0], [3.0, 4.0]])
    x.t_()
    assert x.tolist() == [[1.0, 3.0], [2.0, 4.0]]
    with pytest.raises(RuntimeError, match="<= 2 dimensions"):
        engine.zeros(1, 1, 1).t_()


def test_copy_broadcasts_and_casts_as_torch():
    for lib in (engine, real_torch):
        x = lib.zeros(2, 3)
        x.copy_(lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64))
        assert x.dtype == lib.float32 and x.tolist() == [[1.0, 2.0, 3.0]] * 2


def test_copy_sends_the_gradient_to_the_source_only():
    for lib in (engine, real_torch):
        x = lib.ones(3, requires_grad=True)
        src = lib.tensor([2.0], requires_grad=True)
        y = x * 2
        y.copy_(src)
        (y * 3).sum().backward()
        assert src.grad.tolist() == [9.0]
        assert x.grad is None or x.grad.tolist() == [0.0, 0.0, 0.0]
