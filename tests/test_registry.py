"""The registry's contract: every language function is declared, completely, and matches torch."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
import torch

import verifier.engine as engine
from tests.op_examples import RandomDraws, build
from tests.test_ops_vs_torch import as_numpy, call, differentiable, make_inputs, make_leaves
from verifier.ops.registry import all_ops, language_functions

CONTRACT = set("""
neg add sub mul div pow abs exp expm1 log log1p sqrt sin cos tan asin acos atan sinh cosh tanh
sigmoid relu softplus erf square reciprocal clamp maximum minimum where
sum mean prod amax amin norm logsumexp softmax log_softmax
reshape view transpose permute t squeeze unsqueeze expand cat stack flatten
matmul dot outer trace det inverse clone
""".split())
# Issue 11, part A: the elementwise list and torch.nn.functional (tests/nn_contract.py).
from tests.nn_contract import ISSUE_11A, NAME_VARIES  # noqa: E402

CONTRACT |= ISSUE_11A
# Issue 11, part B: statistics, selection, indexing and reordering.
CONTRACT |= set("""
var std cumsum cumprod logcumsumexp max min median sort topk cummax cummin
flip roll tril triu diagonal diag repeat tile narrow gather scatter scatter_add index_select
masked_fill solve cholesky slogdet cross vector_norm matrix_norm cdist einsum split chunk
eigh eigvalsh svd svdvals
""".split())
# Issue 11, part D: torch.linalg.qr, pinv, matrix_exp.
CONTRACT |= {"qr", "pinv", "matrix_exp"}
# Issue 11, part E: the truth reductions (bool and int64 results, never differentiated).
CONTRACT |= {"all", "any", "count_nonzero"}
NOT_DIFFERENTIABLE = {name for name, op in all_ops().items() if op.kind == "logical"}
# In the language beyond the list above: numel (claims use it: 6 * (x + 2) / numel(x)).
LANGUAGE_EXTRAS = {"numel"}
# Used by the engine itself, not callable from case files.
INTERNAL = {"index", "index_scatter", "to_dtype", "copy_from", "fill_value", "polygamma",
            # the eigenvectors and singular vectors: eigh(A)[1], svd(A)[0], svd(A)[2]
            "eigh_vectors", "svd_u", "svd_vh"}
# qr's two fields, each with its own VJP (the engine's qr returns both as torch's named tuple).
INTERNAL |= {"qr_q", "qr_r"}
# torch has Tensor.where(condition, other) with self as the *input*: not torch.where's order,
# and Tensor.index is not indexing; these two keep method=False on purpose.
# Tensor.svd is the deprecated torch.svd (some=True, returns V), which the engine attaches
# by hand (verifier.ops.spectral.old_svd); the entry `svd` is torch.linalg.svd.
METHOD_EXCEPTIONS = {"where", "index", "svd"}
# Ops whose VJP reads the kink conventions documented for users.
WITH_KINKS = {"abs", "relu", "clamp", "maximum", "minimum", "amax", "amin", "norm", "prod",
              "sqrt", "softplus"}
# grad_fn names that depend on torch's dispatch (a dim given, a tensor exponent, a matmul's
# operand ranks): the engine gives one name per op.
NAME_DEPENDS_ON_CALL = {"sum", "mean", "prod", "pow", "matmul", "squeeze", "flatten",
                        "max", "min", "median", "diag", "einsum", "split", "chunk"} | NAME_VARIES


def test_every_contract_function_is_registered():
    missing = CONTRACT - set(all_ops())
    assert not missing, f"not registered: {sorted(missing)}"


def test_language_whitelist_is_the_contract_plus_documented_extras():
    assert set(language_functions()) == CONTRACT | LANGUAGE_EXTRAS
    assert set(all_ops()) == CONTRACT | LANGUAGE_EXTRAS | INTERNAL


def test_engine_needs_are_registered_under_their_names():
    for name in ("copy_from", "fill_value", "t", "permute", "transpose", "abs", "index",
                 "index_scatter", "to_dtype", "expand", "reshape", "sum", "where"):
        assert name in all_ops(), name


@pytest.mark.parametrize("name", sorted(all_ops()))
def test_entry_is_complete(name):
    op = all_ops()[name]
    assert callable(op.forward)
    assert callable(op.sympy), f"{name} has no SymPy form"
    if op.kind == "logical":
        assert op.vjp is None, f"{name}: a bool or integer result has no VJP"
    elif op.kind != "meta" and not op.extra.get("composite"):
        assert callable(op.vjp), f"{name} has no VJP"
    assert len(op.domain) == (1 if op.variadic else len(op.inputs)), \
        f"{name}: one Domain per tensor input"
    if name in WITH_KINKS:
        assert op.kinks, f"{name} must document its kink convention"
    saves = op.extra.get("saves")
    assert saves is None or saves == "cross" or callable(saves) or \
        all(0 <= i < len(op.inputs) for i in saves)


@pytest.mark.parametrize("name", sorted(all_ops()))
def test_method_flag_agrees_with_torch(name):
    op = all_ops()[name]
    if name in METHOD_EXCEPTIONS:
        assert not op.method
        return
    assert op.method == hasattr(torch.Tensor, name), \
        f"{name}: method={op.method} but hasattr(torch.Tensor, {name!r}) is {hasattr(torch.Tensor, name)}"


@pytest.mark.parametrize("name", sorted(all_ops()))
def test_engine_exposes_every_entry(name):
    op = all_ops()[name]
    assert callable(getattr(engine, name))
    if op.method and not op.variadic:
        assert callable(getattr(engine.Tensor, name))


def _example(name, seed=0):
    op = all_ops()[name]
    shapes, params = build(op, RandomDraws(seed))
    return op, make_inputs(op, shapes, seed), params


@pytest.mark.parametrize("name", sorted(set(language_functions()) - LANGUAGE_EXTRAS
                                         - NOT_DIFFERENTIABLE))
def test_grad_fn_name_matches_torch(name):
    if name in NAME_DEPENDS_ON_CALL:
        pytest.skip("torch's name depends on the call (e.g. SumBackward0 vs SumBackward1)")
    op, arrays, params = _example(name)

    def result(module):
        return call(module, op, make_leaves(module, op, arrays, module.float64), params)
    assert result(engine).grad_fn.name() == result(torch).grad_fn.name()


def _values(op, result):
    """The differentiable field of a SymPy form that returns torch's named tuple (values, indices)."""
    return result[op.extra.get("value_field", 0)] if isinstance(result, tuple) else result


def _exact(arrays, op):
    """Inputs as object arrays of exact Rationals (where's condition as SymPy booleans)."""
    out = []
    for a in arrays:
        if a is None:
            out.append(None)
            continue
        convert = (lambda v: sp.true if v else sp.false) if a.dtype == bool else \
            (lambda v: sp.nan if v != v else sp.Rational(v))  # sp.Rational(nan) would be 0
        if a.dtype.kind in "iu":
            convert = sp.Integer  # an index
        exact = np.empty(a.shape, dtype=object)
        exact.ravel()[:] = [convert(v) for v in np.asarray(a).ravel().tolist()] if a.size else []
        out.append(exact)
    return out


@pytest.mark.parametrize("name", sorted(n for n, o in all_ops().items() if o.kind != "meta"))
def test_sympy_form_has_the_forward_value(name):
    op, arrays, params = _example(name)
    exact_params = {k: sp.Rational(v) if isinstance(v, float) and np.isfinite(v) else v
                    for k, v in params.items()}
    if name == "to_dtype":
        params = exact_params = {"dtype": engine.float64}
    if name == "index_scatter":
        pytest.skip("takes a gradient and an index, not random inputs; tested with indexing")
    if name in ("index",):
        params = exact_params = {"index": (0,)}
    if name == "copy_from":
        arrays = [arrays[0], np.full(arrays[0].shape[-1:], 0.25)]  # src broadcasts to input
    if name == "fill_value":
        params, exact_params = {"value": 0.5}, {"value": sp.Rational(1, 2)}
    symbolic = np.asarray(_values(op, op.sympy(*_exact(arrays, op), **exact_params)), dtype=object)
    numeric = np.asarray(_values(op, op.forward(*arrays, **params)), dtype=np.float64)
    assert symbolic.shape == numeric.shape
    values = np.array([_as_float(v) for v in symbolic.ravel()]).reshape(numeric.shape)
    np.testing.assert_allclose(values, numeric, rtol=1e-12, atol=1e-14)


def _as_float(v) -> float:
    """A SymPy number, or SymPy's true/false (all, any) as 1.0/0.0."""
    if isinstance(v, sp.logic.boolalg.BooleanAtom):
        return float(bool(v))
    return float(sp.N(v, 30))


@pytest.mark.parametrize("name", sorted(n for n, o in language_functions().items()
                                        if o.kind not in ("meta", "logical")))
def test_sympy_derivative_matches_the_engine(name):
    """The oracle's route (sympy.diff of the SymPy form) agrees with the engine's VJP."""
    op, arrays, params = _example(name, seed=1)
    exact_arrays = _exact(arrays, op)
    bindings, symbolic = {}, []
    diff = differentiable(op, arrays)
    for i, a in enumerate(exact_arrays):
        if i not in diff:
            symbolic.append(a)
            continue
        symbols = sp.symbols(f"x{i}_0:{a.size}")
        bindings.update(zip(symbols, a.ravel()))
        symbolic.append(np.array(symbols, dtype=object).reshape(a.shape))
    exact_params = {k: sp.Rational(v) if isinstance(v, float) and np.isfinite(v) else v
                    for k, v in params.items()}
    out = np.asarray(_values(op, op.sympy(*symbolic, **exact_params)), dtype=object)
    seed = np.random.default_rng(2).integers(-3, 4, size=out.shape)
    total = sp.Add(*[e * int(s) for e, s in zip(out.ravel(), seed.ravel())])

    leaves = make_leaves(engine, op, arrays, engine.float64)
    result = call(engine, op, leaves, params)
    result.backward(engine.tensor(seed.astype(np.float64)))
    for i, (leaf, syms) in enumerate(zip(leaves, symbolic)):
        if i not in diff:
            continue
        want = np.array([float(sp.N(sp.diff(total, s).subs(bindings), 30)) for s in syms.ravel()])
        got = as_numpy(leaf.grad).ravel() if leaf.grad is not None else np.zeros(want.shape)
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12,
                                   err_msg=f"{name}: input {i}")
