"""qr, pinv and matrix_exp beyond the registry-driven tests: both fields of qr, LAPACK's
signs, torch's errors, pinv's cutoff, and the oracle's two paths against each other."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
import torch
from flint import fmpq

import verifier.engine as engine
from tests.test_ops_vs_torch import assert_close, tolerance
from verifier.cases.loader import load_text
from verifier.ops.exact_matrix import exp_derivative, unit
from verifier.ops.registry import get
from verifier.oracle.backend import SympyOracle

DTYPES = {"float64": (torch.float64, engine.float64, np.float64),
          "float32": (torch.float32, engine.float32, np.float32)}


def _qr_both(module, a, mode):
    q, r = module.linalg.qr(a, mode=mode)
    return q, r


@pytest.mark.parametrize("dtype", sorted(DTYPES))
@pytest.mark.parametrize("shape, mode", [((3, 3), "reduced"), ((4, 2), "reduced"),
                                         ((2, 4), "reduced"), ((2, 3), "complete"),
                                         ((2, 3, 2), "reduced")])
def test_qr_both_fields_match_torch_to_second_order(shape, mode, dtype):
    t_dtype, e_dtype, np_dtype = DTYPES[dtype]
    tol = tolerance(np_dtype)
    rng = np.random.default_rng(len(shape) * 10 + shape[-1])
    a = rng.uniform(-2, 2, size=shape)
    t_a = torch.tensor(a, dtype=t_dtype, requires_grad=True)
    e_a = engine.tensor(a, dtype=e_dtype, requires_grad=True)
    (tq, tr), (eq, er) = _qr_both(torch, t_a, mode), _qr_both(engine, e_a, mode)
    assert_close("Q", eq, tq, tol)
    assert_close("R", er, tr, tol)
    wq, wr = rng.uniform(-1, 1, size=tq.shape), rng.uniform(-1, 1, size=tr.shape)
    t_loss = (tq * torch.tensor(wq, dtype=t_dtype)).sum() + (tr * torch.tensor(wr, dtype=t_dtype)).sum()
    e_loss = (eq * engine.tensor(wq, dtype=e_dtype)).sum() + (er * engine.tensor(wr, dtype=e_dtype)).sum()
    (tg,) = torch.autograd.grad(t_loss, t_a, create_graph=True)
    (eg,) = engine.autograd.grad(e_loss, e_a, create_graph=True)
    assert_close("grad", eg, tg, tol)
    v = rng.uniform(-1, 1, size=shape)
    (th,) = torch.autograd.grad((tg * torch.tensor(v, dtype=t_dtype)).sum(), t_a)
    (eh,) = engine.autograd.grad((eg * engine.tensor(v, dtype=e_dtype)).sum(), e_a)
    assert_close("second derivative", eh, th, 4 * tol)


def test_qr_returns_torch_named_tuple_and_grad_fn():
    a = engine.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    result = engine.linalg.qr(a)
    assert type(result).__name__ == "linalg_qr" and result._fields == ("Q", "R")
    assert result.Q.grad_fn.name() == result.R.grad_fn.name() == "LinalgQrBackward0"
    q, r = engine.linalg.qr(a, mode="r")
    assert tuple(q.shape) == (0,) and tuple(r.shape) == (2, 2)


@pytest.mark.parametrize("call", [
    lambda m, a: m.linalg.qr(a, mode="r")[1].sum(),
    lambda m, a: m.linalg.qr(a, mode="complete")[0].sum(),
])
def test_qr_not_differentiable_where_torch_is_not(call):
    a = np.random.default_rng(3).uniform(-1, 1, size=(3, 2))
    for module in (torch, engine):
        leaf = module.tensor(a, requires_grad=True)
        with pytest.raises(RuntimeError, match="linalg.qr|mode='complete'"):
            call(module, leaf).backward()


SIGN_POINTS = [
    [[3.0], [4.0]],  # R = -5: Householder's sign
    [[0.0, 2.0], [3.0, 1.0]],  # a zero pivot: beta = -norm
    [[2.0, 1.0], [0.0, -3.0]],  # nothing to reflect: the diagonal keeps its signs
    [[-1.0, 2.0, 0.5], [0.0, 0.0, 1.0], [0.0, 3.0, -2.0]],  # the first column already reduced
    [[1.0, 2.0, 3.0], [4.0, 5.0, 6.5], [7.0, 8.0, 10.0], [1.0, -1.0, 2.0]],
]


@pytest.mark.parametrize("point", SIGN_POINTS, ids=range(len(SIGN_POINTS)))
def test_the_sympy_form_takes_lapacks_signs(point):
    a = np.asarray(point)
    exact = np.array([sp.Rational(v) for v in a.ravel()], dtype=object).reshape(a.shape)
    q, r = get("qr").sympy(exact)
    tq, tr = torch.linalg.qr(torch.tensor(a))
    np.testing.assert_allclose(np.asarray(r, dtype=float), tr.numpy(), atol=1e-14)
    np.testing.assert_allclose(np.asarray(q, dtype=float), tq.numpy(), atol=1e-14)
    if a.shape[0] > a.shape[1]:
        cq, _ = get("qr").sympy(exact, mode="complete")
        np.testing.assert_allclose(np.asarray(cq, dtype=float),
                                   torch.linalg.qr(torch.tensor(a), mode="complete").Q.numpy(),
                                   atol=1e-14)


def test_matrix_exp_is_exact_at_nilpotent_matrices_and_zero():
    n = sp.Integer
    form = get("matrix_exp").sympy(np.array([[n(0), n(1), n(2)], [n(0), n(0), n(3)],
                                             [n(0), n(0), n(0)]], dtype=object))
    assert form.tolist() == [[1, 1, sp.Rational(7, 2)], [0, 1, 3], [0, 0, 1]]
    zero = np.empty((2, 2), dtype=object)
    zero.fill(fmpq(0))
    # D^2 exp(0)[E, F] = (E F + F E) / 2: for E = E_01, F = E_10 that is diag(1, 1) / 2
    second = exp_derivative(zero, [unit(2, 0, 1), unit(2, 1, 0)])
    assert second.tolist() == [[fmpq(1, 2), 0], [0, fmpq(1, 2)]]


def test_second_derivative_of_exp_matches_differences_of_the_first():
    from flint import arb

    from verifier.oracle.graph.numbers import Precision
    with Precision(256):
        a = np.array([[arb(0.5), arb(-1)], [arb(0.25), arb(0.125)]], dtype=object)
        e, f = unit(2, 0, 1), unit(2, 1, 1)
        h = arb(2) ** -60
        ahead = exp_derivative(a + f * h, [e])
        behind = exp_derivative(a - f * h, [e])
        differences = (ahead - behind) / (2 * h)
        exact = exp_derivative(a, [e, f])
    for got, want in zip(differences.ravel(), exact.ravel()):
        assert abs(float((got - want).mid())) < 1e-15


ORACLE_CASES = """
  - name: me
    inputs:
      A: {value: [[0.5, -1, 0.25], [0.25, 0.125, 1], [-0.5, 0.75, -0.25]]}
      W: {value: [[1, 2, 0], [-1, 0.5, 3], [2, -2, 1]], requires_grad: false}
    expr: sum(matrix_exp(A) * W)
    order: 2
  - name: tall
    inputs:
      A: {value: [[1, 2], [3, 4], [5, 7]]}
      W: {value: [[1, 0, -1], [2, 0.5, 1]], requires_grad: false}
    expr: sum(pinv(A) * W)
    order: 2
  - name: qr_tall
    inputs:
      A: {value: [[1, 2], [-3, 4], [5, 0.5]]}
      W: {value: [[1, 0], [2, 0.5], [-1, 1]], requires_grad: false}
    program: |
      y = sum(qr(A)[0] * W) + sum(qr(A)[1] ** 2)
    output: y
    order: 2
  - name: qr_wide
    inputs:
      A: {value: [[1, 2, -1], [-3, 4, 0.5]]}
      W: {value: [[1, 0, 2], [0.5, -1, 1]], requires_grad: false}
    expr: sum(qr(A)[1] * W) + sum(qr(A)[0] * W[:, :2])
    order: 2
  - name: deficient
    inputs:
      A: {value: [[1, 2, 3], [2, 4, 6]]}
      W: {value: [[1, 0], [2, 0.5], [-1, 1]], requires_grad: false}
    expr: sum(pinv(A) * W)
    order: 2
"""


@pytest.mark.parametrize("name", ["me", "tall", "qr_tall", "qr_wide", "deficient"])
def test_graph_and_symbolic_oracles_agree(name):
    """Equal values and gradients; at the rank-deficient A both say the second order is
    undefined (the gradient there is the convention of the point's rank)."""
    (case,) = [c for c in load_text("cases:\n" + ORACLE_CASES).cases if c.name == name]
    graph = SympyOracle(path="graph").run(case, "float64")
    symbolic = SympyOracle(path="symbolic").run(case, "float64")
    assert graph.method == "graph" and not graph.error_message, graph.error_message
    assert symbolic.method != "graph" and not symbolic.error_message, symbolic.error_message
    np.testing.assert_allclose(graph.value, symbolic.value, rtol=1e-15)
    np.testing.assert_allclose(graph.grads["A"], symbolic.grads["A"], rtol=1e-14, atol=1e-300)
    if name == "deficient":
        assert np.isnan(graph.hvp["A"]).all() and np.isnan(symbolic.hvp["A"]).all()
        return
    np.testing.assert_allclose(graph.hvp["A"], symbolic.hvp["A"], rtol=1e-13, atol=1e-300)


def test_rank_deficient_pinv_is_exact_and_engine_follows_torch():
    case = [c for c in load_text("cases:\n" + ORACLE_CASES).cases if c.name == "deficient"][0]
    graph = SympyOracle(path="graph").run(case, "exact")
    assert graph.exactness.startswith("exact; pinv: A is rank-deficient here")
    a = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0]])
    w = np.array([[1.0, 0.0], [2.0, 0.5], [-1.0, 1.0]])
    np.testing.assert_allclose(graph.value, (a.T / 70 * w).sum(), rtol=1e-15)  # A^T / |A|_F^2
    grads = []
    for module in (torch, engine):
        leaf = module.tensor(a, dtype=module.float64, requires_grad=True)
        (module.linalg.pinv(leaf) * module.tensor(w, dtype=module.float64)).sum().backward()
        grads.append(np.asarray(leaf.grad.tolist()))
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(graph.grads["A"], grads[0], rtol=1e-12, atol=1e-15)


def test_pinv_cutting_a_nonzero_singular_value_gets_the_truncated_derivative():
    """torch's backward is Golub-Pereyra's at the full A; the oracle's is the derivative of
    the truncated pinv that torch computes, which central differences confirm."""
    body = """
  - name: cut
    inputs:
      A: {value: [[1, 0.5], [0.25, 0.002]]}
      W: {value: [[1, 2], [3, 4]], requires_grad: false}
    expr: sum(pinv(A, atol=0.2) * W)
"""
    (case,) = load_text("cases:\n" + body).cases
    oracle = SympyOracle(path="graph").run(case, "float64")
    a, w = np.array([[1, 0.5], [0.25, 0.002]]), np.array([[1.0, 2.0], [3.0, 4.0]])
    forward = get("pinv").forward
    differences = np.zeros((2, 2))
    for i in range(2):
        for j in range(2):
            step = np.zeros((2, 2))
            step[i, j] = 1e-6
            differences[i, j] = ((forward(a + step, atol=0.2) * w).sum()
                                 - (forward(a - step, atol=0.2) * w).sum()) / 2e-6
    np.testing.assert_allclose(oracle.grads["A"], differences, rtol=1e-6)
    leaf = torch.tensor(a, requires_grad=True)
    (torch.linalg.pinv(leaf, atol=0.2) * torch.tensor(w)).sum().backward()
    assert np.max(np.abs(leaf.grad.numpy() - differences)) > 1e-3  # torch's formula is off here


@pytest.mark.parametrize("params", [{}, {"atol": 0.5}, {"rtol": 0.3}, {"atol": 0.1, "rtol": 0.9},
                                    {"hermitian": True}, {"hermitian": True, "atol": 1.5}])
def test_pinv_cutoff_and_hermitian_like_torch(params):
    a = np.array([[2.0, 0.5, 0.1], [0.5, 1.0, -0.3], [0.1, -0.3, 0.2]])
    want = torch.linalg.pinv(torch.tensor(a), **params).numpy()
    got = get("pinv").forward(a, **params)
    np.testing.assert_allclose(got, want, atol=1e-12)
    exact = np.array([sp.Rational(v) for v in a.ravel()], dtype=object).reshape(a.shape)
    symbolic = get("pinv").sympy(exact, **{k: v for k, v in params.items() if k != "hermitian"})
    np.testing.assert_allclose(np.asarray(symbolic, dtype=float), want, atol=1e-12)


def test_the_oracle_says_which_signs_the_point_selects():
    body = """
  - name: signs
    inputs: {A: {value: [[2, 1], [0, -3]]}}
    expr: sum(qr(A)[1])
"""
    (case,) = load_text("cases:\n" + body).cases
    run = SympyOracle(path="graph").run(case, "exact")
    assert "LAPACK's Householder QR takes here: +-" in run.exactness
    assert run.grads["A"].tolist() == [[1.0, 1.0], [-2.0, 1.0]]  # as torch's backward
