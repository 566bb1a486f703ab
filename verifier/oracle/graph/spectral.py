"""eigvalsh and eigh's eigenvectors in the graph oracle: per matrix, from perturbation theory.

Independent of the engine's VJPs: the local derivatives are the classical
first-order perturbation formulas of a symmetric matrix M (spectrum.py),

    dλ_k = v_kᵀ dM v_k,        dv_k = R_k dM v_k,   R_k = Σ_{j≠k} P_j / (λ_k - λ_j),

with dM = (dA + dAᵀ)/2: torch's gradients are those of a symmetric input
(the forward reads one triangle, UPLO).  Their adjoints are Ā = Σ_k ḡ_k v_k v_kᵀ
and Ā = sym(Σ_k R_k Ḡ_k v_kᵀ); the second order differentiates these once more
along the tangent (forward-over-reverse, as tape.py).

At a repeated eigenvalue (an exact multiplicity) the oracle splits the seed of
the cluster evenly: Ā = Σ_i mean(ḡ over cluster i) P_i, the gradient of the
cluster's mean, basis-free (torch's V diag(ḡ) Vᵀ is that whenever the seeds of
the cluster are equal); its eigenvectors and their gradients are undefined.
"""

from __future__ import annotations

import numpy as np
from flint import fmpq

from verifier.oracle.graph.compile import Unsupported
from verifier.oracle.graph.numbers import NAN, to_float, zeros
from verifier.oracle.graph.products import mm
from verifier.oracle.graph.rounding import widen
from verifier.oracle.graph.spectrum import Spectrum, exact_zero


def _t(m):
    return np.swapaxes(m, -1, -2)


def _sym(m):
    return (m + _t(m)) * fmpq(1, 2)


def _outer(a, b):
    return np.multiply.outer(np.asarray(a, dtype=object), np.asarray(b, dtype=object))


def triangle_matrix(a: np.ndarray, uplo: str) -> np.ndarray:
    """The symmetric matrix that LAPACK reads: one triangle of A mirrored (torch's UPLO)."""
    lower = uplo == "L"
    n = a.shape[0]
    out = np.empty((n, n), dtype=object)
    for i in range(n):
        for j in range(n):
            out[i, j] = a[i, j] if (i >= j) == lower or i == j else a[j, i]
    return out


class _Batched:
    """The per-matrix bookkeeping shared by the two rules (a batch of n x n matrices)."""

    def __init__(self, x: np.ndarray, uplo: str, references=None) -> None:
        if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
            raise ValueError(f"linalg.eigh: A must be batches of square matrices, got shape "
                             f"{list(x.shape)}")
        self.batch, self.n = x.shape[:-2], x.shape[-1]
        mats = x.reshape((-1, self.n, self.n))
        refs = [None] * len(mats) if references is None else references
        self.spectra = [Spectrum(triangle_matrix(m, uplo), r) for m, r in zip(mats, refs)]
        self.norms = [max(1.0, float(np.sqrt(sum(to_float(v) ** 2 for v in m.ravel()))))
                      for m in mats]

    def stack(self, parts, tail):
        if not parts:
            return zeros(self.batch + tail)
        return np.stack([np.asarray(p, dtype=object) for p in parts]).reshape(self.batch + tail)

    def flat(self, t, tail):
        return None if t is None else np.asarray(t, dtype=object).reshape((-1,) + tail)

    def condition(self, s: Spectrum, norm: float) -> float:
        """‖A‖ / gap: how far rounding of A moves the eigenvectors (Davis–Kahan)."""
        gap = min(s.gaps) if s.gaps else float("inf")
        return max(1.0, norm / gap) if gap > 0 else float("inf")

    def tangent_matrices(self, t):
        """The symmetric tangent dM per matrix (None: no tangent)."""
        flat = self.flat(t, (self.n, self.n))
        return None if flat is None else [_sym(m) for m in flat]


def _vector_tangent(s: Spectrum, dm) -> np.ndarray:
    """dV: column k is R_k dM v_k (simple eigenvalues only)."""
    n = s.n
    out = np.empty((n, n), dtype=object)
    for k in range(n):
        if not s.simple(k):
            raise Unsupported("second order through eigenvectors at a repeated eigenvalue")
        out[:, k] = mm(s.resolvent(k), mm(dm, s.vectors[:, k:k + 1]))[:, 0]
    return out


def _value_tangent(s: Spectrum, dm) -> list:
    if not s.all_simple():
        raise Unsupported("second order through eigenvalues at a repeated eigenvalue")
    return [mm(mm(_t(s.vectors[:, k:k + 1]), dm), s.vectors[:, k:k + 1])[0, 0] for k in range(s.n)]


class EigvalshRule:
    def __init__(self, x: np.ndarray, uplo: str = "L", references=None, batched=None) -> None:
        # batched: the decomposition of the same matrices, shared with the other rule (eigh)
        self.b = batched if batched is not None else _Batched(x, uplo, references)

    def value(self):
        return self.b.stack([s.values for s in self.b.spectra], (self.b.n,))

    def round_forward(self, value, inputs, u):
        # a backward-stable symmetric eigensolver: |δλ| <= c n u ‖A‖ (Weyl)
        mags = self.b.stack([[norm] * self.b.n for norm in self.b.norms], (self.b.n,))
        return widen(value, mags, u * 4 * max(self.b.n, 1))

    def round_backward(self, grad, g, t, u):
        flat_g = self.b.flat(g, (self.b.n,))
        mags = [float(sum(abs(to_float(v)) for v in row)) * self.b.condition(s, norm)
                for row, s, norm in zip(flat_g, self.b.spectra, self.b.norms)]
        mag = self.b.stack([np.full((self.b.n, self.b.n), m, dtype=object) for m in mags],
                           (self.b.n, self.b.n))
        return widen(grad, mag, u * 8 * max(self.b.n, 1))

    def tangent(self, tangents, shape):
        dms = self.b.tangent_matrices(tangents[0])
        if dms is None:
            return None
        return self.b.stack([_value_tangent(s, dm) for s, dm in zip(self.b.spectra, dms)],
                            (self.b.n,))

    def backward(self, g, g_dot, inputs):
        n = self.b.n
        flat_g = self.b.flat(g, (n,))
        flat_gd = self.b.flat(g_dot, (n,))
        dms = self.b.tangent_matrices(getattr(inputs[0], "tangent", None))
        grads, dots = [], []
        for m, s in enumerate(self.b.spectra):
            total = zeros((n, n))
            for i, p in enumerate(s.projectors):
                members = [k for k in range(n) if s.cluster[k] == i]
                share = sum((flat_g[m][k] for k in members), fmpq(0)) * fmpq(1, len(members))
                total = total + p * share
            grads.append(total)
            if flat_gd is None and dms is None:
                continue
            if not s.all_simple():
                raise Unsupported("second order through eigenvalues at a repeated eigenvalue")
            dot = zeros((n, n))
            dv = _vector_tangent(s, dms[m]) if dms is not None else None
            for k in range(n):
                v = s.vectors[:, k]
                if flat_gd is not None:
                    dot = dot + _outer(v, v) * flat_gd[m][k]
                if dv is not None:
                    dot = dot + (_outer(dv[:, k], v) + _outer(v, dv[:, k])) * flat_g[m][k]
            dots.append(dot)
        grad = self.b.stack(grads, (n, n))
        dot = self.b.stack(dots, (n, n)) if dots else None
        return [(grad, dot)]


class EigenvectorRule:
    def __init__(self, x: np.ndarray, uplo: str = "L", references=None, batched=None) -> None:
        # batched: the decomposition of the same matrices, shared with the other rule (eigh)
        self.b = batched if batched is not None else _Batched(x, uplo, references)

    def value(self):
        return self.b.stack([s.vectors for s in self.b.spectra], (self.b.n, self.b.n))

    def round_forward(self, value, inputs, u):
        mags = self.b.stack([np.full((self.b.n, self.b.n), self.b.condition(s, norm), dtype=object)
                             for s, norm in zip(self.b.spectra, self.b.norms)],
                            (self.b.n, self.b.n))
        return widen(value, mags, u * 4 * max(self.b.n, 1))

    def round_backward(self, grad, g, t, u):
        n = self.b.n
        flat_g = self.b.flat(g, (n, n))
        mags = []
        for row, s, norm in zip(flat_g, self.b.spectra, self.b.norms):
            c = self.b.condition(s, norm)
            gap = min(s.gaps) if s.gaps else float("inf")
            size = float(sum(abs(to_float(v)) for v in row.ravel()))
            mags.append(np.full((n, n), size * c / max(gap, 1e-300), dtype=object))
        return widen(grad, self.b.stack(mags, (n, n)), u * 8 * max(n, 1))

    def tangent(self, tangents, shape):
        dms = self.b.tangent_matrices(tangents[0])
        if dms is None:
            return None
        return self.b.stack([_vector_tangent(s, dm) for s, dm in zip(self.b.spectra, dms)],
                            (self.b.n, self.b.n))

    def backward(self, g, g_dot, inputs):
        n = self.b.n
        flat_g = self.b.flat(g, (n, n))
        flat_gd = self.b.flat(g_dot, (n, n))
        dms = self.b.tangent_matrices(getattr(inputs[0], "tangent", None))
        grads, dots = [], []
        for m, s in enumerate(self.b.spectra):
            total = zeros((n, n))
            undefined = False
            for k in range(n):
                column = flat_g[m][:, k]
                if exact_zero(column):
                    continue
                if not s.simple(k):
                    undefined = True  # an eigenvector of a repeated eigenvalue: no derivative
                    break
                total = total + mm(s.resolvent(k), _outer(column, s.vectors[:, k]))
            if undefined:
                total = np.empty((n, n), dtype=object)
                total.fill(NAN)
            grads.append(_sym(total) if not undefined else total)
            if flat_gd is None and dms is None:
                continue
            dots.append(self._second(s, flat_g[m], None if flat_gd is None else flat_gd[m],
                                     None if dms is None else dms[m]))
        grad = self.b.stack(grads, (n, n))
        dot = self.b.stack(dots, (n, n)) if dots else None
        return [(grad, dot)]

    @staticmethod
    def _second(s: Spectrum, g, g_dot, dm):
        """d/dt of sym(Σ_k R_k G_k v_kᵀ) along the tangent (all eigenvalues simple)."""
        n = s.n
        if not s.all_simple():
            raise Unsupported("second order through eigenvectors at a repeated eigenvalue")
        dv = _vector_tangent(s, dm) if dm is not None else None
        dl = _value_tangent(s, dm) if dm is not None else None
        total = zeros((n, n))
        for k in range(n):
            v = s.vectors[:, k]
            r = s.resolvent(k)
            if g_dot is not None:
                total = total + mm(r, _outer(g_dot[:, k], v))
            if dv is None:
                continue
            total = total + mm(r, _outer(g[:, k], dv[:, k]))
            r_dot = zeros((n, n))
            for j in range(n):
                if j == k:
                    continue
                w = s.vectors[:, j]
                gap = s.values[k] - s.values[j]
                r_dot = r_dot + (_outer(dv[:, j], w) + _outer(w, dv[:, j])) * (1 / gap) \
                    - _outer(w, w) * ((dl[k] - dl[j]) / (gap * gap))
            total = total + mm(r_dot, _outer(g[:, k], v))
        return _sym(total)
