"""SymPy forms of the spectral entries (eigvalsh, eigh's vectors, svdvals, svd's U and Vh).

Closed forms where they exist in radicals and stay real: a 2x2 symmetric matrix
[[a, b], [b, d]] has the eigenvalues (a + d)/2 ∓ sqrt(((a - d)/2)² + b²) and the
eigenvectors (b, λ - a)/|.|; singular values are the square roots of the
eigenvalues of the Gram matrix AᵀA (or AAᵀ), u_k = A v_k / σ_k.  Larger
matrices at exact numeric points get their eigenvalues exactly, as the sorted
real roots of the characteristic polynomial; their vectors (and symbolic
larger matrices) are left to the graph oracle (verifier/oracle/graph/spectral.py),
which computes them in certified ball arithmetic.

The forms treat the input as symmetric, (A + Aᵀ)/2: torch's gradient convention.
Eigenvectors are defined up to sign: at a numeric point the sign is LAPACK's
(numpy's float64 result at that point), so values compare with torch's.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from verifier.ops.linalg_solve import _batched


def _symmetric(m):
    m = sp.Matrix(m.tolist())
    return (m + m.T) / 2


def _is_numeric(m) -> bool:
    return all(getattr(v, "is_number", False) for v in m)


def _eigenvalues(m):
    """Ascending eigenvalues of a symmetric SymPy matrix."""
    n = m.shape[0]
    if n == 0:
        return []
    if n == 1:
        return [m[0, 0]]
    if n == 2:
        a, b, d = m[0, 0], m[1, 0], m[1, 1]
        mean, radius = (a + d) / 2, sp.sqrt(((a - d) / 2) ** 2 + b ** 2)
        return [mean - radius, mean + radius]
    if not _is_numeric(m):
        raise NotImplementedError("eigenvalues of a symbolic matrix larger than 2x2 have no "
                                  "closed form here; the graph oracle computes them, but not "
                                  "a second derivative at a repeated eigenvalue (not defined "
                                  "one eigenvalue at a time): use order 1 there")
    lam = sp.Dummy("lam")
    return sp.Poly(m.charpoly(lam).as_expr(), lam).real_roots()


def _float(v) -> float:
    return float(sp.N(v, 30))


def _align(vectors, reference):
    """Flip each column whose dot product with LAPACK's column is negative."""
    signs = []
    for k in range(vectors.shape[1]):
        dot = sum(_float(vectors[i, k]) * reference[i, k] for i in range(vectors.shape[0]))
        signs.append(-1 if dot < 0 else 1)
    return signs


def _eigenvectors(m):
    """Columns of unit eigenvectors, ascending eigenvalues; NaN at a repeated eigenvalue."""
    n = m.shape[0]
    if n == 1:
        return sp.Matrix([[1]])
    if n != 2:
        raise NotImplementedError("eigenvectors of matrices larger than 2x2 are computed by the "
                                  "graph oracle, not by a SymPy form")
    a, b, d = m[0, 0], m[1, 0], m[1, 1]
    lo, hi = _eigenvalues(m)
    numeric = _is_numeric(m)
    columns = []
    for lam in (lo, hi):
        first, second = sp.Matrix([b, lam - a]), sp.Matrix([lam - d, b])
        v = first
        if numeric and sp.simplify(b) == 0:
            if sp.simplify(a - d) == 0:
                v = sp.Matrix([sp.nan, sp.nan])  # repeated: no eigenvector is singled out
            else:
                v = first if sp.simplify(lam - a) != 0 else second
        norm = sp.sqrt(v[0] ** 2 + v[1] ** 2)
        columns.append(v / norm if not v.has(sp.nan) else v)
    out = sp.Matrix.hstack(*columns)
    if numeric and not out.has(sp.nan):
        reference = np.linalg.eigh(np.array([[_float(x) for x in row] for row in m.tolist()]))[1]
        for k, s in enumerate(_align(out, reference)):
            out[:, k] = out[:, k] * s
    return out


def eigvalsh_sympy(a, UPLO="L"):  # noqa: N803
    return _batched(lambda m: np.array(_eigenvalues(_symmetric(m)), dtype=object), a,
                    core_dims=(2,))


def eigh_vectors_sympy(a, UPLO="L"):  # noqa: N803
    return _batched(lambda m: np.array(_eigenvectors(_symmetric(m)).tolist(), dtype=object), a,
                    core_dims=(2,))


# --- singular values and vectors --------------------------------------------------------
def _singular_values(m):
    rows, cols = m.shape
    gram = m.T * m if rows >= cols else m * m.T
    return [sp.sqrt(v) for v in reversed(_eigenvalues(gram))]


def svdvals_sympy(a):
    return _batched(lambda m: np.array(_singular_values(sp.Matrix(m.tolist())), dtype=object),
                    a, core_dims=(2,))


def _singular_vectors(m, full_matrices):
    """(U, V) with u_k = A v_k / σ_k (or v_k = Aᵀ u_k / σ_k), signs as LAPACK's at a number."""
    rows, cols = m.shape
    k = min(rows, cols)
    tall = rows >= cols
    gram = m.T * m if tall else m * m.T
    base = _eigenvectors(gram)[:, ::-1]  # descending singular values
    sigma = _singular_values(m)
    other = sp.Matrix.hstack(*[(m if tall else m.T) * base[:, j] / sigma[j] for j in range(k)])
    u, v = (other, base) if tall else (base, other)
    numeric = _is_numeric(m)
    if numeric and not u.has(sp.nan):
        values = np.array([[_float(x) for x in row] for row in m.tolist()])
        ref_u, _, ref_vh = np.linalg.svd(values, full_matrices=False)
        for j, s in enumerate(_align(u, ref_u)):
            u[:, j], v[:, j] = u[:, j] * s, v[:, j] * s
    if full_matrices and rows != cols:
        short = (u if rows > cols else v)
        if not numeric or abs(rows - cols) != 1:
            raise NotImplementedError("the completion columns of a full U or Vh are arbitrary "
                                      "beyond one column; use full_matrices=false")
        # the one unit column orthogonal to the others, as LAPACK signs it
        null = (short.T).nullspace()[0]
        null = null / sp.sqrt((null.T * null)[0])
        values = np.array([[_float(x) for x in row] for row in m.tolist()])
        full_u, _, full_vh = np.linalg.svd(values, full_matrices=True)
        reference = full_u if rows > cols else full_vh.T
        if sum(_float(null[i]) * reference[i, -1] for i in range(null.shape[0])) < 0:
            null = -null
        short = sp.Matrix.hstack(short, null)
        u, v = (short, v) if rows > cols else (u, short)
    return u, v


def svd_u_sympy(a, full_matrices=True):
    return _batched(lambda m: np.array(_singular_vectors(sp.Matrix(m.tolist()), full_matrices)[0]
                                       .tolist(), dtype=object), a, core_dims=(2,))


def svd_vh_sympy(a, full_matrices=True):
    return _batched(lambda m: np.array(_singular_vectors(sp.Matrix(m.tolist()), full_matrices)[1]
                                       .T.tolist(), dtype=object), a, core_dims=(2,))
