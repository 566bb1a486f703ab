"""Linear systems and factorizations: solve cholesky slogdet (torch.linalg).

Each VJP is the matrix-calculus rule written with registered ops (solve, matmul,
inverse, tril), so it is differentiable again. The SymPy forms work per matrix of
a batch with SymPy's exact LU solve, Cholesky factorization and determinant.
"""

from __future__ import annotations

import numpy as np

from verifier.ops.linalg import _square_matrices, _transpose_last
from verifier.ops.registry import Domain, Op, Param, register
from verifier.ops.symbolic import kink, sp

WELL_CONDITIONED = Domain(well_conditioned=True)
SYMMETRIC_POSITIVE = Domain(symmetric=True)


def _is_vector_rhs(a_shape, b_shape) -> bool:
    # torch.linalg.solve: B is (a batch of) vectors if it is 1-D or has A's shape minus the last dim.
    return len(b_shape) == 1 or (len(b_shape) == len(a_shape) - 1 and tuple(b_shape) == tuple(a_shape[:-1]))


def _solve(a, b, left=True):
    _square_matrices("solve", a)
    vector = _is_vector_rhs(np.shape(a), np.shape(b))
    if vector and not left:
        raise RuntimeError("linalg.solve: Vector broadcasting of the left hand side is not "
                           "supported for left=False. In this case linalg.solve is equivalent "
                           "to B / A.squeeze(-1)")
    m = b[..., None] if vector else b
    try:
        if left:
            x = np.linalg.solve(a, m)
        else:  # X A = B  <=>  A^T X^T = B^T
            x = np.swapaxes(np.linalg.solve(np.swapaxes(a, -1, -2), np.swapaxes(m, -1, -2)), -1, -2)
    except np.linalg.LinAlgError:
        raise RuntimeError("linalg.solve: The solver failed because the input matrix is "
                           "singular.") from None
    return x[..., 0] if vector else x


def _solve_vjp(ns, g, out, a, b, left=True):
    # Left: X = A^-1 B, so dB = A^-T G and dA = -dB X^T.
    # Right: X = B A^-1, so dB = G A^-T and dA = -X^T dB.
    vector = _is_vector_rhs(tuple(a.shape), tuple(b.shape))
    axis = -1 if left else -2
    x = ns.unsqueeze(out, axis) if vector else out
    gm = ns.unsqueeze(g, axis) if vector else g
    if left:
        grad_b = ns.solve(_transpose_last(ns, a), gm)
        grad_a = -ns.matmul(grad_b, _transpose_last(ns, x))
    else:
        grad_b = _transpose_last(ns, ns.solve(a, _transpose_last(ns, gm)))
        grad_a = -ns.matmul(_transpose_last(ns, x), grad_b)
    return grad_a, (ns.squeeze(grad_b, axis) if vector else grad_b)


def _batched(fn, *arrays, core_dims):
    """fn over the broadcast batch of object arrays; core_dims: each array's trailing matrix dims."""
    arrays = [np.asarray(a, dtype=object) for a in arrays]
    batch = np.broadcast_shapes(*[a.shape[:a.ndim - k] for a, k in zip(arrays, core_dims)])
    results = []
    for index in np.ndindex(*batch):
        parts = []
        for a, k in zip(arrays, core_dims):
            own = a.shape[:a.ndim - k]
            position = index[len(index) - len(own):] if own else ()
            position = tuple(0 if n == 1 else i for i, n in zip(position, own))
            parts.append(a[position] if own else a)
        results.append(fn(*parts))
    first = np.asarray(results[0], dtype=object)
    out = np.empty(batch + first.shape, dtype=object)
    for index, r in zip(np.ndindex(*batch), results):
        if first.ndim:
            out[index] = np.asarray(r, dtype=object)
        else:
            out[index] = r  # a scalar per matrix (det): the element itself, not a 0-d array
    return out


def _matrix(m):
    return sp.Matrix(m.tolist())


def _solve_sympy(a, b, left=True):
    vector = _is_vector_rhs(np.shape(a), np.shape(b))

    def one(am, bm):
        rhs = _matrix(bm if not vector else bm.reshape(-1, 1))
        if left:
            x = _matrix(am).LUsolve(rhs)
        else:
            x = _matrix(am).T.LUsolve(rhs if vector else rhs.T).T
        return np.array(x.tolist(), dtype=object).reshape(bm.shape)
    return _batched(one, a, b, core_dims=(2, 1 if vector else 2))


register(Op(
    name="solve", inputs=("A", "B"), params=(Param("left", True, "bool"),), kind="linalg",
    forward=_solve, vjp=_solve_vjp, uses_out=True,
    sympy=_solve_sympy,
    torch=lambda torch, a, b, left=True: torch.linalg.solve(a, b, left=left),
    domain=(WELL_CONDITIONED, Domain()),
    extra={"node_name": "LinalgSolveExBackward0", "saves": (0,)},
    kinks="undefined at singular matrices",
    doc="torch.linalg.solve(A, B, left=true): X with A X = B (X A = B with left=false)",
))


# --- cholesky ------------------------------------------------------------------------
def _cholesky(a, upper=False):
    _square_matrices("cholesky", a)
    try:
        lower = np.linalg.cholesky(a)
    except np.linalg.LinAlgError:
        raise RuntimeError("linalg.cholesky: The factorization could not be completed because "
                           "the input is not positive-definite.") from None
    return np.swapaxes(lower, -1, -2).copy() if upper else lower


def _cholesky_vjp(ns, g, out, a, upper=False):
    # A = L L^T: with P = Phi(L^T G) (the lower triangle, diagonal halved),
    # dA = sym(L^-T P L^-1), sym(S) = (S + S^T) / 2: the gradient of a symmetric input.
    lower = _transpose_last(ns, out) if upper else out
    grad_lower = _transpose_last(ns, g) if upper else g
    inner = ns.tril(ns.matmul(_transpose_last(ns, lower), grad_lower))
    n = a.shape[-1]
    inner = inner * np.where(np.eye(n, dtype=bool), 0.5, 1.0)
    inverse = ns.inverse(lower)
    s = ns.matmul(ns.matmul(_transpose_last(ns, inverse), inner), inverse)
    return ((s + _transpose_last(ns, s)) * 0.5,)


def _cholesky_sympy(a, upper=False):
    def one(m):
        m = _matrix(m)
        lower = ((m + m.T) / 2).cholesky(hermitian=False)
        return np.array((lower.T if upper else lower).tolist(), dtype=object)
    return _batched(one, a, core_dims=(2,))


register(Op(
    name="cholesky", inputs=("input",), params=(Param("upper", False, "bool"),), kind="linalg",
    forward=_cholesky, vjp=_cholesky_vjp, uses_out=True, sympy=_cholesky_sympy,
    torch=lambda torch, a, upper=False: torch.linalg.cholesky(a, upper=upper),
    domain=(SYMMETRIC_POSITIVE,),
    extra={"node_name": "LinalgCholeskyExBackward0", "saves": ()},
    kinks="defined for symmetric positive-definite input; the gradient is symmetric "
          "(the SymPy form factors (A + A^T) / 2)",
    doc="torch.linalg.cholesky(A, upper=false): the lower factor L with A = L L^T",
))


# --- slogdet -------------------------------------------------------------------------
def _slogdet_both(a):
    _square_matrices("slogdet", a)
    return np.linalg.slogdet(a)


def _slogdet_sympy(a):
    def sign(m):
        return sp.sign(_matrix(m).det())

    def logabs(m):
        return kink.LogAbs(_matrix(m).det())
    return _batched(sign, a, core_dims=(2,)), _batched(logabs, a, core_dims=(2,))


register(Op(
    name="slogdet", inputs=("input",), kind="linalg",
    forward=lambda a: np.asarray(_slogdet_both(a)[1]),
    # d log|det A| / dA = A^-T
    vjp=lambda ns, g, out, a: (ns.unsqueeze(ns.unsqueeze(g, -1), -1) *
                               _transpose_last(ns, ns.inverse(a)),),
    sympy=_slogdet_sympy,
    torch=lambda torch, a: torch.linalg.slogdet(a),
    domain=(WELL_CONDITIONED,),
    extra={"return_type": ("slogdet", ("sign", "logabsdet")), "value_field": 1,
           "others": lambda a: (np.asarray(_slogdet_both(a)[0]),),
           "node_name": "LinalgSlogdetBackward0"},
    kinks="log|det| is -inf at singular matrices, where its gradient A^-T is infinite "
          "(unsigned: adj(A)^T / 0)",
    doc="torch.linalg.slogdet(A) = (sign, logabsdet); write [1] for log|det A|",
))
