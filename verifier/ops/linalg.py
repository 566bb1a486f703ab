"""Linear algebra: matmul dot outer trace det inverse."""

from __future__ import annotations

import numpy as np

from verifier.ops.promotion import numpy_dtype
from verifier.ops.registry import Domain, Op, register
from verifier.ops.symbolic import sp

WELL_CONDITIONED = Domain(well_conditioned=True)


def _shape_text(shape) -> str:
    return "x".join(map(str, shape))


def _matmul(a, b):
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        raise RuntimeError("both arguments to matmul need to be at least 1D, but they are "
                           f"{np.ndim(a)}D and {np.ndim(b)}D")
    try:
        out = np.matmul(a, b)
    except ValueError:
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied "
                           f"({_shape_text(np.shape(a))} and {_shape_text(np.shape(b))}); the last "
                           "dimension of the first must equal the first (or second-to-last) of "
                           "the second") from None
    return _same_dtype(out, a, b)


def _same_dtype(out, a, b):
    # ml_dtypes' bfloat16 has no matmul loop of its own: numpy computes it in float32.
    target = np.result_type(a, b)
    return out if out.dtype == target else out.astype(target)


def _matmul_vjp(ns, g, out, a, b):
    # C = A B: dA = G B^T, dB = A^T G; vectors are promoted to matrices and back.
    if a.ndim == 1 and b.ndim == 1:
        return g * b, g * a  # a dot product
    a2 = ns.unsqueeze(a, 0) if a.ndim == 1 else a
    b2 = ns.unsqueeze(b, -1) if b.ndim == 1 else b
    g2 = g
    if a.ndim == 1:
        g2 = ns.unsqueeze(g2, -2)
    if b.ndim == 1:
        g2 = ns.unsqueeze(g2, -1)
    grad_a = ns.matmul(g2, ns.transpose(b2, -1, -2))
    grad_b = ns.matmul(ns.transpose(a2, -1, -2), g2)
    if a.ndim == 1:
        grad_a = ns.squeeze(grad_a, -2)
    if b.ndim == 1:
        grad_b = ns.squeeze(grad_b, -1)
    return grad_a, grad_b


def _matmul_sympy(a, b):
    a, b = np.asarray(a, dtype=object), np.asarray(b, dtype=object)
    if a.ndim == 1 and b.ndim == 1:
        return np.asarray(np.dot(a, b), dtype=object)
    return np.asarray(np.matmul(a, b), dtype=object)


register(Op(
    name="matmul", inputs=("input", "other"), kind="linalg",
    forward=_matmul, vjp=_matmul_vjp, sympy=_matmul_sympy,
    extra={"saves": "cross"},
    domain=(Domain(), Domain()),
    doc="torch.matmul: dot, matrix-vector, matrix-matrix, batched with broadcasting",
))


def _vectors(name, a, b):
    if np.ndim(a) != 1 or np.ndim(b) != 1:
        raise RuntimeError(f"{name}: 1D tensors expected, but got {np.ndim(a)}D and "
                           f"{np.ndim(b)}D tensors")


def _dot(a, b):
    _vectors("dot", a, b)
    if np.shape(a) != np.shape(b):
        raise RuntimeError("inconsistent tensor size, expected tensor [{}] and src [{}] to have "
                           "the same number of elements, but got {} and {} elements respectively"
                           .format(np.size(a), np.size(b), np.size(a), np.size(b)))
    return _same_dtype(np.asarray(np.dot(a, b)), a, b)


register(Op(
    name="dot", inputs=("input", "other"), kind="linalg",
    forward=_dot,
    # d(a.b)/da = b, d(a.b)/db = a
    vjp=lambda ns, g, out, a, b: (g * b, g * a),
    sympy=lambda a, b: np.asarray(np.dot(np.asarray(a, dtype=object), np.asarray(b, dtype=object)),
                                  dtype=object),
    extra={"saves": "cross"},
    domain=(Domain(), Domain()),
))


def _outer(a, b):
    _vectors("outer", a, b)
    return np.multiply.outer(a, b)


register(Op(
    name="outer", inputs=("input", "vec2"), kind="linalg",
    forward=_outer,
    # C_ij = a_i b_j: da = G b, db = G^T a
    vjp=lambda ns, g, out, a, b: (ns.matmul(g, b), ns.matmul(a, g)),
    sympy=lambda a, b: np.multiply.outer(np.asarray(a, dtype=object), np.asarray(b, dtype=object)),
    extra={"saves": "cross", "node_name": "MulBackward0"},
    domain=(Domain(), Domain()),
))


def _trace(a):
    if np.ndim(a) != 2:
        raise RuntimeError(f"trace: expected a matrix, but got a tensor with {np.ndim(a)} dims")
    return np.asarray(np.trace(a))


register(Op(
    name="trace", inputs=("input",), kind="linalg",
    forward=_trace,
    # d tr(X) = I (the identity, cut to X's shape)
    vjp=lambda ns, g, out, x: (g * np.eye(*x.shape, dtype=numpy_dtype(x)),),
    sympy=lambda a: np.asarray(np.trace(np.asarray(a, dtype=object)), dtype=object),
    extra={"saves": ()},
))


def _square_matrices(name, a):
    shape = np.shape(a)
    if len(shape) < 2 or shape[-1] != shape[-2]:
        raise RuntimeError(f"linalg.{name}: A must be batches of square matrices, but they are "
                           f"{' by '.join(map(str, shape[-2:])) or 'not matrices'}"
                           " matrices")


def _det(a):
    _square_matrices("det", a)
    return np.asarray(np.linalg.det(a))


class SingularMatrixError(RuntimeError):
    """A singular matrix where an inverse is needed (torch raises a RuntimeError)."""


def _inverse(a):
    _square_matrices("inv", a)
    try:
        return np.linalg.inv(a)
    except np.linalg.LinAlgError:
        raise SingularMatrixError("linalg.inv: The diagonal element 1 is zero, the inversion could not "
                           "be completed because the input matrix is singular.") from None


def _per_matrix(a, fn):
    """Apply fn (sp.Matrix -> sp.Matrix or scalar) to every matrix of a batch."""
    a = np.asarray(a, dtype=object)
    batch = a.shape[:-2]
    results = [fn(sp.Matrix(m)) for m in a.reshape((-1,) + a.shape[-2:])]
    out = np.empty(len(results), dtype=object)
    if results and isinstance(results[0], sp.MatrixBase):
        out = np.array([np.array(r.tolist(), dtype=object) for r in results], dtype=object)
        return out.reshape(batch + a.shape[-2:])
    out[:] = results
    return out.reshape(batch)


def _transpose_last(ns, m):
    return ns.transpose(m, -1, -2)


def _det_vjp(ns, g, out, x):
    if isinstance(x, np.ndarray) and np.any(np.asarray(out) == 0):
        # d det(X)/dX is the cofactor matrix adj(X)^T, which exists for singular X too
        # (torch 2.13 returns zeros at an exactly singular X: wrong, e.g. [[1, 2], [2, 4]]).
        return (np.expand_dims(np.asarray(g), (-1, -2)) * _cofactors(x),)
    # d det(X)/dX = det(X) X^-T (X invertible)
    scale = ns.unsqueeze(ns.unsqueeze(g * out, -1), -1)
    return (scale * _transpose_last(ns, ns.inverse(x)),)


def _cofactors(x: np.ndarray) -> np.ndarray:
    """C_ij = (-1)^(i+j) det(X without row i and column j), for every matrix of a batch."""
    n = x.shape[-1]
    if n == 1:
        return np.ones_like(x)
    out = np.empty_like(x)
    for i in range(n):
        for j in range(n):
            minor = np.delete(np.delete(x, i, axis=-2), j, axis=-1)
            out[..., i, j] = (-1) ** (i + j) * np.linalg.det(minor)
    return out


register(Op(
    name="det", inputs=("input",), kind="linalg",
    forward=_det, vjp=_det_vjp, uses_out=True,
    sympy=lambda a: _per_matrix(a, lambda m: m.det()),
    domain=(WELL_CONDITIONED,),
    extra={"node_name": "LinalgDetBackward0"},
    kinks="at a singular X the gradient is the cofactor matrix adj(X)^T (torch 2.13: zeros); "
          "second order at a singular X is not supported",
))


def _inverse_vjp(ns, g, out, x):
    # Y = X^-1: dY = -Y dX Y, so dX = -Y^T G Y^T
    y_t = _transpose_last(ns, out)
    return (-ns.matmul(ns.matmul(y_t, g), y_t),)


register(Op(
    name="inverse", inputs=("input",), kind="linalg",
    forward=_inverse, vjp=_inverse_vjp, uses_out=True,
    sympy=lambda a: _per_matrix(a, lambda m: m.inv()),
    domain=(WELL_CONDITIONED,),
    extra={"node_name": "LinalgInvExBackward0", "saves": ()},
    kinks="undefined at singular matrices",
))
