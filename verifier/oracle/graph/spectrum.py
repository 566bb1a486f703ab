"""The certified eigen-decomposition of one symmetric matrix, for the spectral rules.

A matrix of exact rationals has an exact characteristic polynomial; flint
isolates its real roots (`fmpq_poly.complex_roots`, certified balls) and
reports each root's multiplicity exactly, so a repeated eigenvalue is known to
be repeated, not merely close.  Each distinct eigenvalue μ_i has the spectral
projector P_i = Π_{j≠i} (M - μ_j I)/(μ_i - μ_j) (Lagrange interpolation of the
spectral theorem), which needs no choice of basis; a simple eigenvalue's unit
eigenvector is a column of its projector, normalized, with the sign that
LAPACK gives at the point (numpy's float64 result), so values compare with
torch's.

A matrix known only as balls (an irrational intermediate, or the rounding of
the error-bound run) is decomposed at its midpoint, and the results are widened
by rigorous perturbation bounds for a symmetric perturbation E with
‖E‖₂ <= r = ‖rad‖_F: |δλ| <= r (Weyl), and eigenvectors and projectors move by at
most 2r / (gap - 2r) (Davis–Kahan), gap the distance to the other eigenvalues.
"""

from __future__ import annotations

import numpy as np
from flint import arb, fmpq, fmpq_mat

from verifier.oracle.graph.compile import Unsupported, _from_ball, _sqrt
from verifier.oracle.graph.numbers import NAN, is_exact, to_float
from verifier.oracle.graph.products import mm


def midpoint(v) -> fmpq:
    if type(v) is fmpq:
        return v
    if not v.is_finite():
        raise Unsupported("an eigen-decomposition of a matrix with an undefined or infinite entry")
    man, e = v.mid().man_exp()
    return fmpq(int(man)) * fmpq(2) ** int(e) if e >= 0 else fmpq(int(man), 2 ** (-int(e)))


def _radius(v) -> arb:
    return arb(0) if type(v) is fmpq else arb(v.rad())


def _identity(n: int) -> np.ndarray:
    out = np.empty((n, n), dtype=object)
    for i in range(n):
        for j in range(n):
            out[i, j] = fmpq(int(i == j))
    return out


def _widened(values: np.ndarray, r) -> np.ndarray:
    if r == 0:
        return values
    flat = np.asarray(values, dtype=object).reshape(-1)
    out = np.empty(flat.size, dtype=object)
    for i, v in enumerate(flat.tolist()):
        x = arb(v) if type(v) is fmpq else v
        out[i] = x + arb(0, r) if x.is_finite() else x
    return out.reshape(np.shape(values))


class Spectrum:
    """Eigenvalues (ascending), clusters, projectors and unit eigenvectors of a symmetric M.

    `reference`: the n x n float matrix whose columns fix the eigenvectors' signs
    (default: numpy's eigh of M at its midpoint, LAPACK's choice).
    """

    def __init__(self, m: np.ndarray, reference: np.ndarray | None = None) -> None:
        n = m.shape[0]
        self.n = n
        mid = np.empty((n, n), dtype=object)
        for i in range(n):
            for j in range(n):
                mid[i, j] = midpoint(m[i, j])
        r2 = arb(0)
        for v in m.ravel():
            r2 += _radius(v) ** 2
        radius = r2.sqrt() if r2 != 0 else arb(0)  # ‖E‖₂ <= ‖E‖_F
        self.radius = radius
        roots = self._roots(mid)
        # the distinct eigenvalues, ascending, with multiplicities
        self.distinct = [mu for mu, _ in roots]
        self.multiplicity = [k for _, k in roots]
        self.cluster = [i for i, k in enumerate(self.multiplicity) for _ in range(k)]
        self.values = [self.distinct[i] for i in self.cluster]
        gaps = []
        for i, mu in enumerate(self.distinct):
            others = [abs(to_float(mu) - to_float(nu)) for j, nu in enumerate(self.distinct) if j != i]
            gaps.append(min(others) if others else float("inf"))
        self.gaps = gaps
        projectors = [self._projector(mid, i) for i in range(len(self.distinct))]
        vectors = self._vectors(mid, projectors, reference)
        if radius != 0:
            spread = []
            for g in gaps:
                room = arb(g) - 2 * radius
                if not room > 0:
                    raise Unsupported("eigenvalues closer than the uncertainty of the matrix: "
                                      "their eigenvectors are not determined")
                spread.append(2 * radius / room)
            self.values = [x + arb(0, radius.upper()) for x in
                           (arb(v) if type(v) is fmpq else v for v in self.values)]
            self.distinct = [self.values[self.cluster.index(i)] for i in range(len(self.distinct))]
            projectors = [_widened(p, s.upper()) for p, s in zip(projectors, spread)]
            for k in range(n):
                vectors[:, k] = _widened(vectors[:, k], spread[self.cluster[k]].upper())
        self.projectors = projectors
        self.vectors = vectors

    def simple(self, k: int) -> bool:
        return self.multiplicity[self.cluster[k]] == 1

    def all_simple(self) -> bool:
        return all(k == 1 for k in self.multiplicity)

    # --- the decomposition at an exact matrix ------------------------------------------
    @staticmethod
    def _roots(mid: np.ndarray) -> list:
        n = mid.shape[0]
        poly = fmpq_mat(n, n, list(mid.ravel())).charpoly()
        roots = []
        for root, k in poly.complex_roots():
            if not root.imag.contains(0):
                raise Unsupported("a non-real eigenvalue of a symmetric matrix")
            roots.append((_from_ball(root.real), int(k)))
        roots.sort(key=lambda p: to_float(p[0]))
        return roots

    def _projector(self, mid: np.ndarray, i: int) -> np.ndarray:
        mu = self.distinct[i]
        n = self.n
        result = _identity(n)
        for j, nu in enumerate(self.distinct):
            if j == i:
                continue
            shifted = mid - _identity(n) * nu
            result = mm(result, shifted) * (1 / (mu - nu))
        return np.vectorize(_from_ball, otypes=[object])(result) if n else result

    def _vectors(self, mid, projectors, reference) -> np.ndarray:
        n = self.n
        if reference is None:
            floats = np.array([[to_float(v) for v in row] for row in mid], dtype=np.float64)
            reference = np.linalg.eigh(floats)[1] if n else np.zeros((0, 0))
        out = np.empty((n, n), dtype=object)
        for k in range(n):
            if not self.simple(k):
                out[:, k] = NAN  # a repeated eigenvalue singles out no eigenvector
                continue
            p = projectors[self.cluster[k]]
            c = max(range(n), key=lambda i: to_float(p[i, i]))
            scale = _sqrt(p[c, c])
            column = np.array([p[i, c] / scale for i in range(n)], dtype=object)
            dot = sum(to_float(column[i]) * float(reference[i, k]) for i in range(n))
            out[:, k] = -column if dot < 0 else column
        return out

    # --- perturbation theory -----------------------------------------------------------
    def resolvent(self, k: int) -> np.ndarray:
        """R_k = Σ_{j ∉ cluster(k)} P_j / (λ_k - μ_j): dv_k = R_k dM v_k."""
        n = self.n
        total = np.empty((n, n), dtype=object)
        total.fill(fmpq(0))
        own = self.cluster[k]
        for j, nu in enumerate(self.distinct):
            if j != own:
                total = total + self.projectors[j] * (1 / (self.values[k] - nu))
        return total


def exact_zero(column: np.ndarray) -> bool:
    return all(is_exact(v) and v == 0 for v in np.asarray(column).ravel())
