"""Issue 11 part B beyond the registry-wide tests: named-tuple outputs and their indices,
tie conventions against torch and the SymPy forms, index tensors from case files, the
engine's torch.linalg, and einsum's equation as the language's only text."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
import torch

import verifier.engine as engine
from verifier.cases.loader import load_text
from verifier.lang.errors import ParseError
from verifier.lang.parser import parse_expression
from verifier.ops.registry import all_ops
from verifier.runner import run_case

NAMED = [("max", (1,)), ("min", (0, True)), ("median", (1,)), ("sort", (1, True)),
         ("topk", (2,)), ("cummax", (1,)), ("cummin", (0,))]


@pytest.mark.parametrize("name, args", NAMED)
def test_named_tuples_match_torch(name, args):
    x = np.random.default_rng(3).normal(size=(3, 4))
    ours = getattr(engine, name)(engine.tensor(x), *args)
    theirs = getattr(torch, name)(torch.tensor(x), *args)
    assert type(ours).__name__ == type(theirs).__name__ and len(ours) == len(theirs)
    for field in ours._fields:
        mine, reference = getattr(ours, field), getattr(theirs, field)
        assert str(mine.dtype) == str(reference.dtype)
        np.testing.assert_array_equal(mine.numpy(), reference.numpy())


TIES = np.array([[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, 1.0, 2.0]])


@pytest.mark.parametrize("name, args", [n for n in NAMED if n[0] != "topk"])
def test_tied_selections_pick_the_index_torch_picks(name, args):
    # topk is left out: torch leaves the order of tied elements unspecified there.
    ours = getattr(engine, name)(engine.tensor(TIES), *args)
    theirs = getattr(torch, name)(torch.tensor(TIES), *args)
    np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())


@pytest.mark.parametrize("name, args", [("max", {"dim": 1}), ("median", {"dim": 1}),
                                        ("median", {}), ("max", {}), ("cummax", {"dim": 1}),
                                        ("sort", {"dim": 1, "descending": True})])
def test_tie_gradients_agree_with_torch_and_the_sympy_form(name, args):
    op = all_ops()[name]
    weights = np.arange(1.0, 9.0)

    def gradient(module):
        x = module.tensor(TIES, dtype=module.float64, requires_grad=True)
        out = getattr(module, name)(x, **args)
        values = out[0] if isinstance(out, tuple) else out
        (values * module.tensor(weights[:values.numel()].reshape(tuple(values.shape)),
                                dtype=module.float64)).sum().backward()
        return x.grad.numpy()

    symbols = np.array(sp.symbols("t0:8"), dtype=object).reshape(2, 4)
    form = op.sympy(symbols, **args)
    values = np.asarray(form[0] if isinstance(form, tuple) else form, dtype=object)
    total = sp.Add(*[w * v for w, v in zip(weights, values.ravel())])
    point = {s: sp.Rational(v) for s, v in zip(symbols.ravel(), TIES.ravel())}
    exact = np.array([float(sp.diff(total, s).subs(point)) for s in symbols.ravel()]).reshape(2, 4)
    np.testing.assert_allclose(gradient(engine), gradient(torch), rtol=0, atol=1e-15)
    np.testing.assert_allclose(exact, gradient(torch), rtol=0, atol=1e-15)


def test_std_and_cumprod_kinks_agree_with_torch():
    for module in (engine, torch):
        x = module.tensor([[2.0, 2.0, 2.0], [1.0, 3.0, 5.0]], dtype=module.float64, requires_grad=True)
        x.std(dim=1).sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), [[0, 0, 0], [-0.5, 0, 0.5]])
        y = module.tensor([2.0, 0.0, 3.0, 0.0], dtype=module.float64, requires_grad=True)
        module.cumprod(y, 0).sum().backward()
        np.testing.assert_allclose(y.grad.numpy(), [1, 8, 0, 0])  # 2 + 2*3 + 2*3*0


def test_slogdet_sign_and_the_engine_linalg_namespace():
    a = np.array([[1.0, 2.0], [3.0, 4.0]])
    ours, theirs = engine.linalg.slogdet(engine.tensor(a)), torch.linalg.slogdet(torch.tensor(a))
    assert ours._fields == ("sign", "logabsdet")
    np.testing.assert_allclose([float(ours.sign), float(ours.logabsdet)],
                               [float(theirs.sign), float(theirs.logabsdet)])
    for name in ("solve", "cholesky", "slogdet", "det", "inv", "vector_norm", "matrix_norm", "cross"):
        assert callable(getattr(engine.linalg, name)), name
    np.testing.assert_allclose(engine.linalg.cross(engine.tensor([[1.0, 0, 0]]),
                                                   engine.tensor([[0.0, 1, 0]])).numpy(), [[0, 0, 1]])


def test_gather_takes_an_int64_index_and_rejects_a_float_one():
    x = engine.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    out = engine.gather(x, 1, engine.tensor([[1, 1], [0, 1]]))
    np.testing.assert_array_equal(out.detach().numpy(), [[2, 2], [3, 4]])
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 2], [1, 1]])
    with pytest.raises(RuntimeError, match="int64"):
        engine.gather(x, 1, engine.tensor([[1.0, 0.0], [0.0, 1.0]]))
    with pytest.raises(RuntimeError, match="out of bounds"):
        engine.gather(x, 1, engine.tensor([[2, 0], [0, 1]]))


def test_an_index_list_in_a_case_becomes_an_int64_tensor_on_every_backend():
    case = load_text("""cases:
  - name: gather_from_a_case
    inputs:
      x: {value: [[1, 2, 3], [4, 5, 6]]}
    expr: sum(gather(x, 1, [[2], [0]]) ** 2) + sum(index_select(x, 1, [1, 1]))
    expect:
      value: 39
      grad: {x: [[0, 2, 6], [8, 2, 0]]}
""").cases[0]
    verdicts = run_case(case, ["engine", "torch", "sympy"], None, timeout=60)
    assert verdicts and all(v.status == "pass" for v in verdicts), \
        [(v.backend, v.dtype, v.status, v.message) for v in verdicts]


def test_einsum_takes_text_only_as_its_equation():
    call = parse_expression('einsum("ij,jk->ik", a, b)', {"a", "b"})
    assert call.args[0].value == "ij,jk->ik"
    with pytest.raises(ParseError, match="strings are not part"):
        parse_expression('sum("ij")', {"a"})
    with pytest.raises(ParseError, match="strings are not part"):
        parse_expression('einsum("ij->j", "a")', {"a"})


def test_einsum_rejects_what_it_does_not_support_with_a_reason():
    # The registry entry (the case language's einsum) takes explicit letters only ...
    from verifier.engine.functional import FUNCTIONS
    a = engine.ones(2, 2)
    with pytest.raises(NotImplementedError, match="ellipsis"):
        FUNCTIONS["einsum"]("...ij->...ji", a)
    with pytest.raises(NotImplementedError, match="diagonal"):
        FUNCTIONS["einsum"]("ii->i", a)
    # ... while engine.einsum, torch's API, rewrites both into it.
    assert engine.einsum("...ij->...ji", a).shape == (2, 2)
    assert engine.einsum("ii->i", engine.eye(2)).tolist() == [1.0, 1.0]


def test_max_and_min_of_two_tensors_are_maximum_and_minimum():
    for module in (engine, torch):
        a = module.tensor([1.0, 5.0, 2.0], dtype=module.float64, requires_grad=True)
        b = module.tensor([3.0, 4.0, 2.0], dtype=module.float64, requires_grad=True)
        (module.max(a, b).sum() + 2 * module.min(a, b).sum()).backward()
        np.testing.assert_allclose(a.grad.numpy(), [2, 1, 1.5], err_msg=module.__name__)
        np.testing.assert_allclose(b.grad.numpy(), [1, 2, 1.5], err_msg=module.__name__)
