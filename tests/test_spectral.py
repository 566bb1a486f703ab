"""eigh, eigvalsh, svd, svdvals: the engine against torch 2.13 beyond the registry's 2x2
examples, and the graph oracle's certified decomposition against its definition.

Eigenvectors and singular vectors are defined up to sign, so the engine and torch are compared
through sign-invariant functions of them (squares, products u_k v_k^T, projectors).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from flint import fmpq

import verifier.engine as engine
from tests.test_ops_vs_torch import as_numpy, assert_close
from verifier.oracle.graph.numbers import to_float
from verifier.oracle.graph.spectral import EigenvectorRule, EigvalshRule
from verifier.oracle.graph.spectrum import Spectrum
from verifier.oracle.graph.tape import T

TOL = 2.0 ** 10 * float(np.finfo(np.float64).eps)


def _weights(shape, seed):
    return np.random.default_rng(seed).uniform(-1, 1, size=shape)


def _first_and_second(module, x, loss):
    """The gradient of loss(A) and one Hessian-vector product, as float64 arrays."""
    a = module.tensor(x, dtype=module.float64, requires_grad=True)
    (g,) = module.autograd.grad(loss(module, a), [a], create_graph=True)
    direction = module.tensor(_weights(x.shape, 99), dtype=module.float64)
    (h,) = module.autograd.grad((g * direction).sum(), [a])
    return g, h


def _symmetric(shape, seed):
    x = np.random.default_rng(seed).uniform(-2, 2, size=shape)
    return (x + np.swapaxes(x, -1, -2)) / 2


EIGH_LOSSES = {
    "values": lambda m, a: (m.linalg.eigvalsh(a) * m.tensor(_weights(a.shape[-1:], 1),
                                                             dtype=m.float64)).sum(),
    "vector_squares": lambda m, a: (m.linalg.eigh(a)[1] ** 2 *
                                    m.tensor(_weights(tuple(a.shape), 2), dtype=m.float64)).sum(),
    "both": lambda m, a: (m.linalg.eigh(a)[0] ** 2).sum() + (
        m.linalg.eigh(a, UPLO="U").eigenvectors[..., :1] ** 2 * 3).sum(),
}


@pytest.mark.parametrize("shape", [(3, 3), (4, 4), (2, 3, 3)])
@pytest.mark.parametrize("loss", sorted(EIGH_LOSSES))
def test_eigh_matches_torch_to_second_order(shape, loss):
    x = _symmetric(shape, 7)
    (tg, th), (eg, eh) = (_first_and_second(m, x, EIGH_LOSSES[loss]) for m in (torch, engine))
    assert_close("eigh gradient", eg, tg, TOL)
    assert_close("eigh second derivative", eh, th, 4 * TOL)


def _svd_loss(full):
    def loss(m, a):
        u, s, vh = m.linalg.svd(a, full_matrices=full)
        k = min(a.shape[-2:])
        rank_one = m.matmul(u[..., :, :1] * s[..., :1, None].transpose(-2, -1), vh[..., :1, :])
        return ((u[..., :, :k] ** 2 * m.tensor(_weights(tuple(u.shape[:-1]) + (k,), 3),
                                                dtype=m.float64)).sum() + (s ** 3).sum()
                + (vh[..., :k, :] ** 2 * m.tensor(_weights(tuple(vh.shape[:-2]) + (k,) + tuple(
                    vh.shape[-1:]), 4), dtype=m.float64)).sum() + (rank_one * a).sum())
    return loss


@pytest.mark.parametrize("shape", [(3, 2), (2, 3), (3, 3), (2, 4, 3), (4, 2)])
@pytest.mark.parametrize("full", [True, False])
def test_svd_matches_torch_to_second_order(shape, full):
    x = np.random.default_rng(5).uniform(-2, 2, size=shape)
    (tg, th), (eg, eh) = (_first_and_second(m, x, _svd_loss(full)) for m in (torch, engine))
    assert_close("svd gradient", eg, tg, TOL)
    assert_close("svd second derivative", eh, th, 4 * TOL)


def test_svd_full_matrices_shapes_follow_torch():
    x = np.random.default_rng(6).uniform(size=(4, 2))
    for m in (torch, engine):
        u, s, vh = m.linalg.svd(m.tensor(x))
        assert (tuple(u.shape), tuple(s.shape), tuple(vh.shape)) == ((4, 4), (2,), (2, 2))
        u, s, vh = m.linalg.svd(m.tensor(x), full_matrices=False)
        assert tuple(u.shape) == (4, 2)
        assert type(m.linalg.svd(m.tensor(x))).__name__ == "linalg_svd"
        assert type(m.linalg.eigh(m.tensor(x[:2]))).__name__ == "linalg_eigh"


def test_old_svd_api_returns_v_and_takes_some():
    x = np.random.default_rng(8).uniform(size=(3, 2))
    for m in (torch, engine):
        a = m.tensor(x, dtype=m.float64, requires_grad=True)
        u, s, v = m.svd(a)
        assert (tuple(u.shape), tuple(v.shape)) == ((3, 2), (2, 2))
        np.testing.assert_allclose(as_numpy(m.matmul(u * s, v.T)), x, atol=1e-12)
        u, s, v = a.svd(some=False)
        assert tuple(u.shape) == (3, 3)
        u, s, v = m.svd(a, compute_uv=False)
        assert (tuple(u.shape), tuple(v.shape)) == ((3, 3), (2, 2)) and not as_numpy(u).any()
        s.sum().backward()
    np.testing.assert_allclose(as_numpy(a.grad), np.linalg.svd(x, full_matrices=False)[0] @
                               np.linalg.svd(x, full_matrices=False)[2], atol=1e-12)


def test_repeated_eigenvalue_behaviour_is_torchs():
    # Eigenvalue gradients stay finite; eigenvector gradients divide by zero (documented).
    x = np.diag([1.0, 1.0, 3.0])
    for m in (torch, engine):
        a = m.tensor(x, dtype=m.float64, requires_grad=True)
        (g,) = m.autograd.grad((m.linalg.eigvalsh(a) ** 2).sum(), [a])
        np.testing.assert_allclose(as_numpy(g), 2 * x, atol=1e-12)
        a = m.tensor(x, dtype=m.float64, requires_grad=True)
        (g,) = m.autograd.grad((m.linalg.eigh(a)[1] * m.tensor(_weights((3, 3), 4))).sum(), [a])
        assert not np.isfinite(as_numpy(g)).all(), m.__name__


def test_uplo_reads_one_triangle_like_torch():
    x = np.array([[1.0, 5.0], [-2.0, 3.0]])
    for uplo in ("L", "U"):
        got = as_numpy(engine.linalg.eigvalsh(engine.tensor(x), UPLO=uplo))
        want = as_numpy(torch.linalg.eigvalsh(torch.tensor(x), UPLO=uplo))
        np.testing.assert_allclose(got, want, rtol=1e-14)
    with pytest.raises(RuntimeError):
        engine.linalg.eigvalsh(engine.tensor(x), UPLO="X")
    with pytest.raises(RuntimeError):
        engine.linalg.eigh(engine.ones(2, 3))


# --- the graph oracle's certified decomposition -------------------------------------------
def _exact(rows):
    return np.array([[fmpq(v) if isinstance(v, int) else fmpq(*v.as_integer_ratio()) for v in row]
                     for row in rows], dtype=object)


def test_spectrum_is_exact_for_rational_eigenvalues():
    s = Spectrum(_exact([[2, 1], [1, 2]]))
    assert s.values == [fmpq(1), fmpq(3)] and s.multiplicity == [1, 1]
    # projectors of rational eigenvalues stay exact rationals
    assert all(type(v) is fmpq for p in s.projectors for v in p.ravel())
    assert s.projectors[0][0, 1] == fmpq(-1, 2)


def test_spectrum_knows_exact_multiplicities():
    s = Spectrum(_exact([[1, 0, 0], [0, 1, 0], [0, 0, 3]]))
    assert s.distinct == [fmpq(1), fmpq(3)] and s.multiplicity == [2, 1]
    assert not s.simple(0) and s.simple(2)
    assert all(np.isnan(to_float(v)) for v in s.vectors[:, 0])
    assert to_float(s.projectors[0][1, 1]) == 1.0 and to_float(s.projectors[0][2, 2]) == 0.0


def test_spectrum_vectors_are_orthonormal_with_lapacks_signs():
    rows = _symmetric((4, 4), 11)
    s = Spectrum(_exact(rows.tolist()))
    v = np.array([[to_float(x) for x in row] for row in s.vectors])
    np.testing.assert_allclose(v.T @ v, np.eye(4), atol=1e-14)
    np.testing.assert_allclose(v, np.linalg.eigh(rows)[1], atol=1e-12)
    lam = np.array([to_float(x) for x in s.values])
    np.testing.assert_allclose(lam, np.linalg.eigvalsh(rows), rtol=1e-13)


def _oracle_gradient(rule_class, x, seed):
    rule = rule_class(_exact(x.tolist()))
    leaf = T(rule.value(), node=object())
    ((grad, _),) = rule.backward(np.vectorize(lambda v: fmpq(*float(v).as_integer_ratio()),
                                              otypes=[object])(seed), None, [leaf])
    return np.vectorize(to_float)(grad)


def test_oracle_gradients_agree_with_torch_at_float64():
    x = _symmetric((4, 4), 12)
    gl, gv = _weights((4,), 13), _weights((4, 4), 14)
    a = torch.tensor(x, requires_grad=True)
    lam, vec = torch.linalg.eigh(a)
    (want_l,) = torch.autograd.grad((lam * torch.tensor(gl)).sum(), [a])
    a = torch.tensor(x, requires_grad=True)
    vec = torch.linalg.eigh(a)[1]
    (want_v,) = torch.autograd.grad((vec * torch.tensor(gv)).sum(), [a])
    np.testing.assert_allclose(_oracle_gradient(EigvalshRule, x, gl), want_l.numpy(), atol=1e-12)
    np.testing.assert_allclose(_oracle_gradient(EigenvectorRule, x, gv), want_v.numpy(), atol=1e-11)


def test_oracle_eigenvector_gradient_is_undefined_at_a_repeated_eigenvalue():
    x = np.diag([1.0, 1.0, 3.0])
    seed = np.zeros((3, 3))
    seed[:, 2] = 1.0  # the simple eigenvalue's vector: defined
    assert np.isfinite(_oracle_gradient(EigenvectorRule, x, seed)).all()
    seed[:, 0] = 1.0  # a vector of the repeated eigenvalue: no derivative
    assert np.isnan(_oracle_gradient(EigenvectorRule, x, seed)).all()


def test_svd_driver_is_cuda_only_as_torchs():
    for m in (torch, engine):
        for fn in (m.linalg.svd, m.linalg.svdvals):
            with pytest.raises(RuntimeError, match="driver"):
                fn(m.ones(2, 2, dtype=m.float64), driver="gesvd")
        assert tuple(m.linalg.svdvals(m.ones(2, 3, dtype=m.float64), driver=None).shape) == (2,)


FORWARD_LOSSES = {
    "eigh": lambda m, a: (m.linalg.eigh(a)[1] ** 2 * m.tensor(_weights((2, 3, 3), 21))).sum()
    + (m.linalg.eigvalsh(a) ** 3).sum(),
    "svd": lambda m, a: (m.linalg.svd(a, full_matrices=False)[0] ** 2 * m.tensor(_weights(
        (2, 3, 3), 22))).sum() + (m.linalg.svdvals(a) ** 2).sum()
    + (m.linalg.svd(a)[2][..., :1, :] ** 2).sum(),
}


@pytest.mark.parametrize("name", sorted(FORWARD_LOSSES))
def test_forward_mode_matches_torch(name):
    """The engine's forward mode (JVPs derived from the same VJP rules) against torch.func.jvp.

    Along a symmetric tangent: torch's eigh JVP reads a non-symmetric one as it is (V^T dA V),
    its VJP as symmetric, so torch's two modes disagree there; the engine's follow the VJP.
    """
    import torch.func

    import verifier.engine.func as engine_func
    x, t = _symmetric((2, 3, 3), 23), _symmetric((2, 3, 3), 24)
    results = []
    for m, jvp in ((torch, torch.func.jvp), (engine, engine_func.jvp)):
        _, tangent = jvp(lambda a, m=m: FORWARD_LOSSES[name](m, a),
                         (m.tensor(x, dtype=m.float64),), (m.tensor(t, dtype=m.float64),))
        results.append(tangent)
    assert_close(f"{name} JVP", results[1], results[0], TOL)
