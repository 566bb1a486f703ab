"""Every error the engine raises, checked against what torch 2.13 raises.

Each case runs the same code on torch and on the engine: both must raise the
same exception class, and the engine's message must carry the key words
(torch's own wording, plus what to do).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch as real_torch

import verifier.engine as engine


def _nonscalar_backward(t):
    x = t.ones(3, requires_grad=True)
    (x * 2).backward()


def _backward_twice(t):
    x = t.ones(3, requires_grad=True)
    s = (x * x).sum()
    s.backward()
    s.backward()


def _wrong_gradient_shape(t):
    x = t.ones(3, requires_grad=True)
    (x * 2).backward(t.ones(2))


def _no_broadcast(t):
    return t.ones(2, 3) + t.ones(3, 2)


def _no_matmul(t):
    return t.ones(2, 3) @ t.ones(2, 3)


def _inplace_on_leaf(t):
    x = t.ones(3, requires_grad=True)
    x.add_(1)


def _augmented_assign_on_leaf(t):
    x = t.ones(3, requires_grad=True)
    x *= 2


def _saved_tensor_modified(t):
    x = t.ones(3, requires_grad=True)
    y = x * 2
    z = y * y
    y.add_(1)
    z.sum().backward()


def _saved_input_modified_by_iadd(t):
    w = t.ones(3)
    x = t.ones(3, requires_grad=True)
    z = x * w
    w += 1
    z.sum().backward()


def _numpy_of_requires_grad(t):
    t.ones(3, requires_grad=True).numpy()


def _bool_of_many(t):
    bool(t.ones(3))


def _item_of_many(t):
    t.ones(3).item()


def _int_requires_grad(t):
    t.ones(2, dtype=t.long).requires_grad_()


def _grad_unused(t):
    x = t.ones(3, requires_grad=True)
    unused = t.ones(1, requires_grad=True)
    t.autograd.grad((x * 2).sum(), [x, unused])


def _grad_of_constant(t):
    x = t.ones(3, requires_grad=True)
    t.autograd.grad((x * 2).sum(), [t.ones(1)])


def _backward_without_graph(t):
    t.ones(3).sum().backward()


def _view_of_leaf_inplace(t):
    x = t.ones(3, requires_grad=True)
    x[0:2].mul_(2)


def _requires_grad_false_on_nonleaf(t):
    x = t.ones(3, requires_grad=True)
    (x * 2).requires_grad_(False)


def _inplace_broadcast_grows(t):
    x = t.ones(3)
    x.add_(t.ones(2, 3))


def _inplace_float_into_long(t):
    x = t.ones(3, dtype=t.long)
    x += 1.5


CASES = {
    "nonscalar_backward": (_nonscalar_backward, RuntimeError,
                           ["grad can be implicitly created only for scalar outputs", "gradient"]),
    "backward_twice": (_backward_twice, RuntimeError,
                       ["backward through the graph a second time", "retain_graph=True"]),
    "gradient_shape": (_wrong_gradient_shape, RuntimeError,
                       ["Mismatch in shape", "torch.Size([2])", "torch.Size([3])"]),
    "broadcast": (_no_broadcast, RuntimeError,
                  ["must match the size of tensor b", "non-singleton dimension 1"]),
    "matmul": (_no_matmul, RuntimeError, ["cannot be multiplied", "2x3 and 2x3"]),
    "inplace_leaf": (_inplace_on_leaf, RuntimeError,
                     ["leaf Variable that requires grad", "in-place operation", "no_grad"]),
    "iadd_leaf": (_augmented_assign_on_leaf, RuntimeError, ["leaf Variable that requires grad"]),
    "inplace_saved": (_saved_tensor_modified, RuntimeError,
                      ["modified by an inplace operation", "is at version 1",
                       "expected version 0", "clone"]),
    "inplace_saved_iadd": (_saved_input_modified_by_iadd, RuntimeError,
                           ["modified by an inplace operation", "is at version 1",
                            "expected version 0"]),
    "numpy_requires_grad": (_numpy_of_requires_grad, RuntimeError, ["detach().numpy()"]),
    "bool_ambiguous": (_bool_of_many, RuntimeError, ["Boolean value of Tensor", "ambiguous"]),
    "item_of_many": (_item_of_many, RuntimeError, ["3 elements cannot be converted to Scalar"]),
    "int_requires_grad": (_int_requires_grad, RuntimeError, ["floating point"]),
    "grad_unused": (_grad_unused, RuntimeError, ["index 1", "allow_unused=True"]),
    "grad_of_constant": (_grad_of_constant, RuntimeError, ["does not require grad"]),
    "backward_no_graph": (_backward_without_graph, RuntimeError,
                          ["does not require grad and does not have a grad_fn"]),
    "view_of_leaf_inplace": (_view_of_leaf_inplace, RuntimeError,
                             ["view of a leaf Variable that requires grad"]),
    "requires_grad_nonleaf": (_requires_grad_false_on_nonleaf, RuntimeError,
                              ["requires_grad flags of leaf variables", "detach()"]),
    "inplace_broadcast": (_inplace_broadcast_grows, RuntimeError,
                          ["doesn't match the broadcast shape"]),
    "inplace_dtype": (_inplace_float_into_long, RuntimeError, ["can't be cast to the desired output type"]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_torch_raises_the_same_class(name):
    action, error, _ = CASES[name]
    with pytest.raises(error):
        action(real_torch)


@pytest.mark.parametrize("name", sorted(CASES))
def test_engine_raises_with_key_words(name):
    action, error, words = CASES[name]
    with pytest.raises(error) as info:
        action(engine)
    message = str(info.value)
    for word in words:
        assert word in message, f"{word!r} missing from: {message}"


def test_grad_allow_unused_gives_none():
    x = engine.ones(3, requires_grad=True)
    unused = engine.ones(1, requires_grad=True)
    gx, gu = engine.autograd.grad((x * 2).sum(), [x, unused], allow_unused=True)
    assert gx.tolist() == [2.0, 2.0, 2.0] and gu is None


def test_grad_materialize_gives_zeros():
    x = engine.ones(3, requires_grad=True)
    unused = engine.ones(2, requires_grad=True)
    _, gu = engine.autograd.grad((x * 2).sum(), [x, unused], materialize_grads=True)
    assert gu.tolist() == [0.0, 0.0]


def test_cuda_is_unavailable_and_cuda_raises_clearly():
    assert engine.cuda.is_available() is False
    with pytest.raises(RuntimeError, match="is_available"):
        engine.ones(2).cuda()
    # CPU-only torch raises an AssertionError; the engine's error is both kinds.
    with pytest.raises(AssertionError):
        engine.ones(2).cuda()
    with pytest.raises(RuntimeError, match="CPU"):
        engine.tensor([1.0], device="cuda")


def test_non_leaf_grad_access_warns_as_torch():
    x = engine.ones(2, requires_grad=True)
    y = x * 2
    with pytest.warns(UserWarning, match="retain_grad"):
        assert y.grad is None
    xt = real_torch.ones(2, requires_grad=True)
    with pytest.warns(UserWarning, match="retain_grad"):
        assert (xt * 2).grad is None


def test_assigned_grad_must_match_shape():
    x = engine.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="same size"):
        x.grad = engine.ones(2)
    xt = real_torch.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="same size"):
        xt.grad = real_torch.ones(2)


def test_index_assignment_into_a_graph_records_or_refuses_clearly():
    x = engine.ones(3, requires_grad=True)
    y = x * 2
    y[0] = 5.0  # recorded, as torch's index_put_: no gradient reaches x[0]
    y.sum().backward()
    assert x.grad.tolist() == [0.0, 2.0, 2.0]
    z = x * 2
    with pytest.raises(RuntimeError, match="more than once"):
        z[[0, 0]] = engine.tensor([1.0, 2.0])
    with engine.no_grad():
        z = engine.zeros(3)
        z[1] = 4.0
    assert z.tolist() == [0.0, 4.0, 0.0]


def test_inplace_on_a_view_inside_a_graph_is_refused_not_wrong():
    x = engine.ones(3, requires_grad=True)
    y = x * 1
    with pytest.raises(RuntimeError, match="view"):
        y[0:2].mul_(2)


def test_retain_variables_is_deprecated():
    x = engine.ones(2, requires_grad=True)
    with pytest.warns(DeprecationWarning, match="retain_graph"):
        (x * x).sum().backward(retain_variables=False)
    assert x.grad.tolist() == [2.0, 2.0]
    np.testing.assert_array_equal(x.detach().numpy(), [1.0, 1.0])
