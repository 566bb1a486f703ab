"""What a node saves for backward, compared with torch 2.13.

torch saves the OUTPUT of exp, tanh, sigmoid, ... (their derivative is a
function of the result) and checks its version; it saves an input only when
the derivative reads it (div saves `other` always, `self` only for other's
gradient).  An in-place change to something saved must raise; an in-place
change to something not saved must not, and the gradient must stay right.
Also here: the zero gradient behind copy_/fill_/zero_, numpy's silence where
torch is silent, and flatten returning its input when nothing merges.
"""

from __future__ import annotations

import gc
import warnings
import weakref

import numpy as np
import pytest
import torch as real_torch

import verifier.engine as engine

MATRIX = [[0.5, 0.3], [0.2, 0.9]]

# Functions whose backward reads only their result (torch saves `result`, not `self`).
RESULT_ONLY = {
    "exp": lambda t, x: t.exp(x),
    "tanh": lambda t, x: t.tanh(x),
    "sigmoid": lambda t, x: t.sigmoid(x),
    "sqrt": lambda t, x: t.sqrt(x),
    "tan": lambda t, x: t.tan(x),
    "expm1": lambda t, x: t.expm1(x),
    "reciprocal": lambda t, x: t.reciprocal(x),
    "softmax": lambda t, x: t.softmax(x, 0),
    "log_softmax": lambda t, x: t.log_softmax(x, 1),
    "inverse": lambda t, x: t.inverse(x),
}
# Functions whose backward reads both the result and the input.
RESULT_AND_INPUT = {
    "det": lambda t, x: t.det(x),
    "logsumexp": lambda t, x: t.logsumexp(x, 0),
    "norm": lambda t, x: t.norm(x),
    "amax": lambda t, x: t.amax(x, 1),
}
SAVING_RESULT = {**RESULT_ONLY, **RESULT_AND_INPUT}


def _leaf(lib, values=MATRIX):
    return lib.tensor(values, dtype=lib.float64, requires_grad=True)


def _backward_after(lib, fn, change):
    """fn(x * 1), then `change(input, output)` in place, then backward; x.grad or the error."""
    x = _leaf(lib)
    h = x * 1
    y = fn(lib, h)
    change(h, y)
    try:
        (y * 1).sum().backward()
    except RuntimeError as exc:
        return exc
    return x.grad.detach().numpy().copy()


@pytest.mark.parametrize("name", sorted(SAVING_RESULT))
def test_in_place_change_of_a_saved_output_raises_as_in_torch(name):
    fn = SAVING_RESULT[name]
    ours = _backward_after(engine, fn, lambda h, y: y.mul_(2))
    theirs = _backward_after(real_torch, fn, lambda h, y: y.mul_(2))
    assert isinstance(theirs, RuntimeError)
    assert isinstance(ours, RuntimeError), f"{name}: the engine used a changed saved output"
    text = str(ours)
    assert "modified by an inplace operation" in text
    assert "is at version 1; expected version 0" in text


@pytest.mark.parametrize("name", sorted(RESULT_ONLY))
def test_in_place_change_of_an_unsaved_input_is_allowed_as_in_torch(name):
    fn = RESULT_ONLY[name]
    ours = _backward_after(engine, fn, lambda h, y: h.add_(1))
    theirs = _backward_after(real_torch, fn, lambda h, y: h.add_(1))
    assert not isinstance(theirs, Exception)
    assert not isinstance(ours, Exception), f"{name}: {ours}"
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)


@pytest.mark.parametrize("name", sorted(RESULT_AND_INPUT))
def test_in_place_change_of_a_saved_input_raises_as_in_torch(name):
    fn = RESULT_AND_INPUT[name]
    assert isinstance(_backward_after(real_torch, fn, lambda h, y: h.add_(1)), RuntimeError)
    assert isinstance(_backward_after(engine, fn, lambda h, y: h.add_(1)), RuntimeError)


@pytest.mark.parametrize("name", ["exp", "tanh", "sigmoid", "softmax", "inverse"])
def test_second_derivative_through_a_saved_output_after_the_input_changed(name):
    """create_graph differentiates through the saved result, not a recomputation."""
    fn = RESULT_ONLY[name]
    results = []
    for lib in (engine, real_torch):
        x = _leaf(lib)
        h = x * 1
        y = fn(lib, h)
        h.add_(1)  # not saved: must not change the first or second derivative
        (g,) = lib.autograd.grad((y * y).sum(), x, create_graph=True)
        g.sum().backward()
        results.append((g.detach().numpy().copy(), x.grad.numpy().copy()))
    (g_ours, h_ours), (g_theirs, h_theirs) = results
    # atol: softmax's second derivative sums to zero, leaving round-off only.
    np.testing.assert_allclose(g_ours, g_theirs, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(h_ours, h_theirs, rtol=1e-10, atol=1e-14)


def test_a_plain_backward_reads_the_saved_output_not_a_recomputation():
    # .data changes bypass the version counter; torch then uses the changed result.
    grads = []
    for lib in (engine, real_torch):
        x = lib.tensor([0.5, 0.3], dtype=lib.float64, requires_grad=True)
        y = lib.exp(x)
        y.data.mul_(2)
        y.sum().backward()
        grads.append(x.grad.numpy().copy())
    np.testing.assert_allclose(grads[0], grads[1])
    np.testing.assert_allclose(grads[0], 2 * np.exp([0.5, 0.3]))


def test_in_place_exp_saves_the_overwritten_tensor_at_its_new_version():
    for lib in (engine, real_torch):
        x = _leaf(lib, [0.5, -0.5])
        y = (x * 1).exp_()
        y.mul_(2)
        with pytest.raises(RuntimeError, match="is at version 2; expected version 1"):
            y.sum().backward()


def test_in_place_exp_alone_gives_torchs_gradient():
    grads = []
    for lib in (engine, real_torch):
        x = _leaf(lib, [0.5, -0.5])
        (x * 3).exp_().sum().backward()
        grads.append(x.grad.numpy().copy())
    np.testing.assert_allclose(grads[0], grads[1])


def test_backward_twice_through_a_saved_output_names_retain_graph():
    x = _leaf(engine, [0.5, 1.0])
    y = engine.exp(x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


def test_the_node_does_not_keep_its_output_tensor_alive():
    x = _leaf(engine, [0.5, 1.0])
    y = engine.exp(x)
    node = y.grad_fn
    ref = weakref.ref(y)
    del y
    gc.collect()
    assert ref() is None
    assert node.name() == "ExpBackward0"


# --- div: `other` always saved, `self` only for other's gradient ----------------
def _div_case(lib, grad_side, change_side, form):
    a0 = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=grad_side == "a")
    b0 = lib.tensor([3.0, 4.0], dtype=lib.float64, requires_grad=grad_side == "b")
    a, b = a0 * 1, b0 * 1
    y = a / b if form == "operator" else lib.div(a, b)
    (a if change_side == "a" else b).add_(1)
    try:
        y.sum().backward()
    except RuntimeError:
        return "raises"
    return (a0 if grad_side == "a" else b0).grad.numpy().copy()


@pytest.mark.parametrize("form", ["operator", "function"])
@pytest.mark.parametrize("grad_side, change_side", [("a", "a"), ("a", "b"), ("b", "a"), ("b", "b")])
def test_div_saves_what_torch_saves(grad_side, change_side, form):
    ours = _div_case(engine, grad_side, change_side, form)
    theirs = _div_case(real_torch, grad_side, change_side, form)
    if isinstance(theirs, str):
        assert ours == theirs
    else:
        assert not isinstance(ours, str), "the engine raised where torch does not"
        np.testing.assert_allclose(ours, theirs)


# --- copy_, fill_, zero_: the overwritten history gets a zero gradient ----------
OVERWRITES = {
    "copy_": lambda lib, y: y.copy_(lib.tensor([7.0, 8.0, 9.0], dtype=lib.float64)),
    "fill_": lambda lib, y: y.fill_(2.5),
    "zero_": lambda lib, y: y.zero_(),
}


@pytest.mark.parametrize("name", sorted(OVERWRITES))
@pytest.mark.parametrize("seed", [[1.0, 2.0, 3.0], [float("inf"), float("nan"), 1.0]])
def test_overwritten_history_gets_zeros_not_none(name, seed):
    for lib in (engine, real_torch):
        x = lib.tensor([0.5, -1.0, 2.0], dtype=lib.float64, requires_grad=True)
        y = x * 3
        OVERWRITES[name](lib, y)
        y.backward(lib.tensor(seed, dtype=lib.float64))
        assert x.grad is not None, f"{lib.__name__}: {name} left x.grad None"
        np.testing.assert_array_equal(x.grad.numpy(), np.zeros(3))


def test_copy_gradient_flows_to_the_source():
    src = engine.tensor([7.0, 8.0, 9.0], dtype=engine.float64, requires_grad=True)
    y = engine.tensor([0.5, -1.0, 2.0], dtype=engine.float64, requires_grad=True) * 3
    y.copy_(src)
    (y * 2).sum().backward()
    np.testing.assert_array_equal(src.grad.numpy(), [2.0, 2.0, 2.0])


# --- numpy stays silent where torch is -----------------------------------------
SILENT = {
    "log(0)": lambda lib, x: lib.log(x * 0),
    "1/0": lambda lib, x: 1 / (x * 0),
    "x/0": lambda lib, x: x / (x * 0),
    "0/0": lambda lib, x: (x * 0) / (x * 0),
    "exp overflow": lambda lib, x: lib.exp(x * 1000),
    "sqrt(-1)": lambda lib, x: lib.sqrt(-x),
    "sqrt at 0": lambda lib, x: lib.sqrt(x * 0),
    "reciprocal(0)": lambda lib, x: lib.reciprocal(x * 0),
    "inf - inf": lambda lib, x: lib.exp(x * 1000) - lib.exp(x * 1000),
    "pow(0, -1)": lambda lib, x: (x * 0) ** -1,
}


@pytest.mark.parametrize("name", sorted(SILENT))
def test_no_numpy_warning_where_torch_is_silent(name):
    values = []
    for lib in (real_torch, engine):
        x = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            y = SILENT[name](lib, x)
            y.sum().backward()
        values.append((y.detach().numpy().copy(), x.grad.numpy().copy()))
    (t_value, t_grad), (e_value, e_grad) = values
    np.testing.assert_array_equal(e_value, t_value)
    np.testing.assert_allclose(e_grad, t_grad, equal_nan=True)


def test_numpy_error_state_is_left_as_the_user_set_it():
    before = np.geterr()
    x = engine.tensor([1.0, 2.0], dtype=engine.float64, requires_grad=True)
    engine.log(x * 0).sum().backward()
    assert np.geterr() == before
    with np.errstate(divide="raise"):
        with pytest.raises(FloatingPointError):
            np.log(np.zeros(1))


# --- flatten with nothing to merge returns its input ------------------------
@pytest.mark.parametrize("shape, start, end", [((3,), 0, -1), ((2, 3), 1, 1), ((2, 3, 4), -2, 1)])
def test_flatten_with_nothing_to_merge_returns_the_input(shape, start, end):
    for lib in (real_torch, engine):
        x = lib.ones(shape, dtype=lib.float64, requires_grad=True) * 2
        assert lib.flatten(x, start, end) is x
        assert x.flatten(start, end) is x


def test_flatten_of_a_scalar_still_makes_one_element():
    x = engine.tensor(3.0, requires_grad=True)
    y = engine.flatten(x)
    assert y is not x and tuple(y.shape) == (1,)
    y.sum().backward()
    assert x.grad.item() == 1.0


def test_the_message_names_the_producing_op_as_torch_does():
    messages = []
    for lib in (engine, real_torch):
        x = _leaf(lib, [0.5, -0.5])
        y = lib.exp(x)
        y.mul_(2)
        with pytest.raises(RuntimeError) as info:
            y.sum().backward()
        messages.append(str(info.value))
    for text in messages:
        assert "which is output 0 of Exp, is at version 1; expected version 0 instead" in text
