"""SymPy functions for matrix_exp, pinv and qr: unevaluated until their arguments are numbers.

No closed form in the entries exists for exp(A) beyond 2 x 2, for the pseudo-inverse
at a rank the point decides, or for LAPACK's sign choice in QR; as the selection
functions (sympy_selection.py), these stay symbolic, are differentiated by SymPy
through `fdiff`, and evaluate at the point:

* `MatrixExpEntry(n, i, j, k, dirs..., a...)`: entry (i, j) of the k-th derivative of
  exp(A) along the unit directions dirs (pairs (row, col)); its derivative by a_rl adds
  the direction (r, l).  Evaluated by exact_matrix.exp_derivative: exact for a nilpotent
  rational A (exp(0) = I), else a certified ball, given as a 60-digit Float.
* `PinvEntry(m, n, i, j, atol, rtol, a...)`: entry (i, j) of torch.linalg.pinv(A) at the
  rank the point selects (singular values above max(atol, rtol * s_max) are kept, as
  torch); its derivative is the constant-rank formula dP = -P dA P + P P^T dA^T (I - A P)
  + (I - P A) dA^T P^T P, written in PinvEntry and the a's, so SymPy differentiates it
  again.  Exact (SymPy's rational pseudo-inverse) where the kept rank is A's exact rank.
* `QrSign(k, m, n, a...)`: the sign of R[k, k] that LAPACK's Householder QR (geqrf, as
  torch and numpy call it) gives at the point: -sign(alpha) (+ at alpha = 0) for the
  pivot alpha of the k-th reflection, alpha's own sign where the column below it is
  already zero (no reflection).  Piecewise constant: its derivative is 0.
  `QrComplement(i, j, m, n, a...)`: column j >= n of the complete Q of a tall A, which
  torch does not differentiate (its derivative is undefined here too).
"""

from __future__ import annotations

import functools

import mpmath
import numpy as np
import sympy as sp

DIGITS = 60  # digits of a value that is not exact
# torch's default rtol is eps(dtype) * max(m, n); the oracle decides the rank with float64's.
FLOAT64_EPS = sp.Rational(1, 2 ** 52)


def _numbers(args) -> bool:
    return all(a.is_number for a in args)


def _exact(v):
    """A Float (finite differences evaluate forms at 50-digit floats) as the exact binary
    rational it is, so that exact paths (a zero singular value, a nilpotent A) stay exact."""
    return sp.Rational(v) if v.is_Float else v


def _as_fmpq_or_ball(v):
    from flint import arb, fmpq
    v = _exact(v)
    if v.is_Rational:
        return fmpq(int(v.p), int(v.q))
    return arb(str(sp.N(v, DIGITS + 10)))


def _to_sympy(v):
    from flint import fmpq

    from verifier.oracle.graph.numbers import to_sympy
    if type(v) is fmpq:
        return to_sympy(v)
    return sp.Float(to_sympy(v), DIGITS)


# --- matrix_exp ------------------------------------------------------------------------
@functools.lru_cache(maxsize=4096)
def _exp_block(n: int, directions: tuple, entries: tuple) -> tuple:
    from verifier.ops.exact_matrix import exp_derivative, unit
    from verifier.oracle.graph.numbers import Precision
    a = np.empty((n, n), dtype=object)
    a.ravel()[:] = [_as_fmpq_or_ball(v) for v in entries]
    with Precision(4 * DIGITS + 64):  # the conversion too: a Float carries ctx.prec bits
        out = exp_derivative(a, [unit(n, k, l) for k, l in directions])
        return tuple(_to_sympy(v) for v in out.ravel())


class MatrixExpEntry(sp.Function):
    """MatrixExpEntry(n, i, j, k, r_1, c_1, ..., r_k, c_k, a_00, ..., a_(n-1)(n-1))."""

    @classmethod
    def _evaluate(cls, n, i, j, k, *rest):
        k = int(k)
        directions, entries = rest[:2 * k], rest[2 * k:]
        if not _numbers(entries):
            return None
        pairs = tuple(sorted((int(directions[2 * t]), int(directions[2 * t + 1]))
                             for t in range(k)))
        return _exp_block(int(n), pairs, tuple(entries))[int(i) * int(n) + int(j)]

    eval = _evaluate  # SymPy's evaluation hook

    def fdiff(self, argindex=1):
        n, i, j, k, *rest = self.args
        first = 2 * int(k)
        p = argindex - 5 - first
        if p < 0:
            return sp.Integer(0)
        r, c = divmod(p, int(n))
        return MatrixExpEntry(n, i, j, k + 1, *rest[:first], sp.Integer(r), sp.Integer(c),
                              *rest[first:])

    def _eval_is_real(self):
        return True


def matrix_exp_form(a: np.ndarray) -> np.ndarray:
    """exp(A) of one square object matrix, as MatrixExpEntry expressions."""
    n = a.shape[0]
    flat = list(a.ravel())
    out = np.empty((n, n), dtype=object)
    for i in range(n):
        for j in range(n):
            out[i, j] = MatrixExpEntry(sp.Integer(n), sp.Integer(i), sp.Integer(j), sp.Integer(0),
                                       *flat)
    return out


# --- pinv ------------------------------------------------------------------------------
def _cutoff_rank(a: np.ndarray, atol, rtol) -> int:
    """How many singular values torch keeps: those > max(atol, rtol * s_max)."""
    m, n = a.shape
    with mpmath.workdps(DIGITS + 10):
        matrix = mpmath.matrix([[mpmath.mpf(sp.N(v, DIGITS + 10)) for v in row] for row in a])
        s = mpmath.svd_r(matrix, compute_uv=False) if min(m, n) else []
        s = [abs(v) for v in s]
        top = max(s) if s else mpmath.mpf(0)
        atol_v = mpmath.mpf(0) if atol is None else mpmath.mpf(sp.N(atol, DIGITS))
        if rtol is None:
            rtol_v = mpmath.mpf(0) if atol is not None and atol > 0 else \
                mpmath.mpf(sp.N(FLOAT64_EPS * max(m, n), DIGITS))
        else:
            rtol_v = mpmath.mpf(sp.N(rtol, DIGITS))
        cut = max(atol_v, rtol_v * top)
        return sum(1 for v in s if v > cut)


def _truncated_pinv(a: np.ndarray, rank: int) -> np.ndarray:
    m, n = a.shape
    with mpmath.workdps(DIGITS + 10):
        matrix = mpmath.matrix([[mpmath.mpf(sp.N(v, DIGITS + 10)) for v in row] for row in a])
        u, s, v = mpmath.svd_r(matrix)
        order = sorted(range(len(s)), key=lambda t: -abs(s[t]))[:rank]
        out = np.empty((n, m), dtype=object)
        for i in range(n):
            for j in range(m):
                out[i, j] = sp.Float(sum(v[t, i] * u[j, t] / s[t] for t in order), DIGITS)
    return out


@functools.lru_cache(maxsize=1024)
def _pinv_and_cut(m: int, n: int, atol, rtol, entries: tuple) -> tuple:
    """(pinv values, whether a nonzero singular value is cut) at the point."""
    entries = tuple(_exact(v) for v in entries)
    a = np.array(entries, dtype=object).reshape(m, n)
    rank = _cutoff_rank(a, atol, rtol)
    if rank == min(m, n):  # full rank: the rational (A^T A)^-1 A^T or A^T (A A^T)^-1
        if all(v.is_Rational for v in entries):
            matrix = sp.Matrix(a.tolist())
            p = (matrix.T * matrix).inv() * matrix.T if m >= n else matrix.T * (matrix * matrix.T).inv()
            return tuple(p), False
        return tuple(_truncated_pinv(a, rank).ravel()), False
    exact_rank = sp.Matrix(a.tolist()).rank() if all(v.is_Rational for v in entries) else \
        _cutoff_rank(a, sp.Integer(0), sp.Rational(1, 10 ** (DIGITS - 10)))
    if rank == exact_rank:  # the cut singular values are 0: A's own pseudo-inverse
        if all(v.is_Rational for v in entries):
            matrix = sp.Matrix(a.tolist())
            return (tuple(matrix.pinv()) if rank else (sp.Integer(0),) * (m * n)), False
        return tuple(_truncated_pinv(a, rank).ravel()), False
    return tuple(_truncated_pinv(a, rank).ravel()) if rank else (sp.Integer(0),) * (m * n), True


def _pinv(m: int, n: int, atol, rtol, entries: tuple) -> tuple:
    return _pinv_and_cut(m, n, atol, rtol, entries)[0]


def pinv_rank_deficient(m: int, n: int, atol, rtol, entries: tuple) -> bool:
    """Whether torch's pinv keeps fewer than min(m, n) singular values at the point."""
    a = np.array([_exact(v) for v in entries], dtype=object).reshape(m, n)
    return _cutoff_rank(a, atol, rtol) < min(m, n)


def truncated_pinv_vjp(m: int, n: int, atol, rtol, entries: tuple, g: np.ndarray) -> np.ndarray:
    """The adjoint of the pinv torch computes where it cuts nonzero singular values.

    P = g(S) A^T with S = A^T A and g(l) = 1/l on kept eigenvalues, 0 on cut ones; g's
    derivative is Daleckii-Krein's: dg(S)[E] = V (F o V^T E V) V^T, F_ij = -1/(l_i l_j)
    (both kept), 1/(l_i (l_i - l_j)) (i kept, j cut; symmetric), 0 (both cut).  So with
    K = dg(S)[G A]: gA = A (K + K^T) + G^T g(S).  First order, to DIGITS digits.
    """
    entries = tuple(_exact(v) for v in entries)
    a = np.array(entries, dtype=object).reshape(m, n)
    rank = _cutoff_rank(a, atol, rtol)
    with mpmath.workdps(DIGITS + 10):
        am = mpmath.matrix([[mpmath.mpf(sp.N(v, DIGITS + 10)) for v in row] for row in a])
        gm = mpmath.matrix([[mpmath.mpf(sp.N(v, DIGITS + 10)) for v in row] for row in g])
        lam, vec = mpmath.eigsy(am.T * am)
        order = sorted(range(n), key=lambda t: -lam[t])
        kept = set(order[:rank])
        f = mpmath.matrix(n, n)
        ginv = mpmath.matrix(n, n)
        for i in range(n):
            for j in range(n):
                if i in kept and j in kept:
                    f[i, j] = -1 / (lam[i] * lam[j])
                elif i in kept:
                    f[i, j] = 1 / (lam[i] * (lam[i] - lam[j]))
                elif j in kept:
                    f[i, j] = 1 / (lam[j] * (lam[j] - lam[i]))
            if i in kept:
                ginv[i, i] = 1 / lam[i]
        inner = vec.T * (gm * am) * vec
        for i in range(n):
            for j in range(n):
                inner[i, j] *= f[i, j]
        k = vec * inner * vec.T
        out = am * (k + k.T) + gm.T * (vec * ginv * vec.T)
        return np.array([[sp.Float(out[i, j], DIGITS) for j in range(n)] for i in range(m)],
                        dtype=object)


class ConstantRank(sp.Function):
    """ConstantRank(m, n, atol, rtol, a...): 1 where pinv cuts only zero singular values
    (Golub and Pereyra's derivative holds), NaN where it cuts a nonzero one (there the
    symbolic path has no derivative; the graph oracle's first order does)."""

    @classmethod
    def _evaluate(cls, m, n, atol, rtol, *entries):
        if not _numbers(entries):
            return None
        cut = _pinv_and_cut(int(m), int(n), _tolerance(atol), _tolerance(rtol), tuple(entries))[1]
        return sp.nan if cut else sp.Integer(1)

    eval = _evaluate

    def fdiff(self, argindex=1):
        return FullRank(*self.args)


class FullRank(sp.Function):
    """FullRank(m, n, atol, rtol, a...): 0 at full rank, NaN where pinv keeps fewer singular
    values than min(m, n).  ConstantRank's derivative: at a rank-deficient A pinv jumps in
    every direction that raises the rank, so its gradient is a convention (the rank the
    point has) and has no derivative of its own: the second order is undefined there."""

    @classmethod
    def _evaluate(cls, m, n, atol, rtol, *entries):
        if not _numbers(entries):
            return None
        deficient = pinv_rank_deficient(int(m), int(n), _tolerance(atol), _tolerance(rtol),
                                        tuple(entries))
        return sp.nan if deficient else sp.Integer(0)

    eval = _evaluate

    def fdiff(self, argindex=1):
        return sp.Integer(0)


def pinv_values(m: int, n: int, atol, rtol, entries: tuple) -> tuple:
    """(the m x n A's pseudo-inverse (n x m, row-major) at the rank the point selects,
    whether a nonzero singular value is cut there)."""
    return _pinv_and_cut(m, n, atol, rtol, tuple(entries))


def _tolerance_arg(v):
    if v is None:
        return sp.S.NegativeOne  # None: torch's default
    if isinstance(v, sp.Basic):
        return v
    return sp.Rational(repr(float(v)))  # a float parameter by its decimal value


def _tolerance(v):
    return None if v == -1 else v


class PinvEntry(sp.Function):
    """PinvEntry(m, n, i, j, atol, rtol, a_00, ..., a_(m-1)(n-1)); atol/rtol -1: None."""

    @classmethod
    def _evaluate(cls, m, n, i, j, atol, rtol, *entries):
        if not _numbers(entries):
            return None
        values = _pinv(int(m), int(n), _tolerance(atol), _tolerance(rtol), tuple(entries))
        return values[int(i) * int(m) + int(j)]

    eval = _evaluate

    def fdiff(self, argindex=1):
        m, n, i, j, atol, rtol, *entries = self.args
        p = argindex - 7
        if p < 0:
            return sp.Integer(0)
        m, n, i, j = int(m), int(n), int(i), int(j)
        k, col = divmod(p, n)  # d/dA[k, col]
        a = np.array(entries, dtype=object).reshape(m, n)
        pinv = np.empty((n, m), dtype=object)
        for r in range(n):
            for c in range(m):
                pinv[r, c] = PinvEntry(*map(sp.Integer, (m, n, r, c)), atol, rtol, *entries)
        # dP = -P E P + P P^T E^T (I - A P) + (I - P A) E^T P^T P, with E = e_k e_col^T
        ppt = sum(pinv[i, t] * pinv[col, t] for t in range(m))
        ap = sum(a[k, t] * pinv[t, j] for t in range(n))
        pa = sum(pinv[i, t] * a[t, col] for t in range(m))
        ptp = sum(pinv[t, k] * pinv[t, j] for t in range(n))
        guard = ConstantRank(sp.Integer(m), sp.Integer(n), atol, rtol, *entries)
        return (-pinv[i, k] * pinv[col, j] + ppt * (int(k == j) - ap)
                + (int(i == col) - pa) * ptp) * guard

    def _eval_is_real(self):
        return True


def pinv_form(a: np.ndarray, atol=None, rtol=None) -> np.ndarray:
    m, n = a.shape
    flat = list(a.ravel())
    out = np.empty((n, m), dtype=object)
    for i in range(n):
        for j in range(m):
            out[i, j] = PinvEntry(*map(sp.Integer, (m, n, i, j)), _tolerance_arg(atol),
                                  _tolerance_arg(rtol), *flat)
    return out


# --- qr: LAPACK's signs ------------------------------------------------------------------
@functools.lru_cache(maxsize=1024)
def householder(m: int, n: int, entries: tuple) -> tuple:
    """(signs of R's diagonal, the complete Q) of LAPACK's Householder QR, to DIGITS digits."""
    with mpmath.workdps(DIGITS + 10):
        r = mpmath.matrix([[mpmath.mpf(sp.N(entries[i * n + j], DIGITS + 10)) for j in range(n)]
                           for i in range(m)])
        q = mpmath.eye(m)
        tiny = mpmath.mpf(10) ** (-DIGITS)
        signs = []
        for k in range(min(m, n)):
            alpha = r[k, k]
            below = mpmath.sqrt(sum(r[t, k] ** 2 for t in range(k + 1, m)))
            scale = max([abs(r[t, k]) for t in range(k, m)] + [mpmath.mpf(1)])
            if below <= tiny * scale:  # nothing to reflect: H = I, R[k, k] = alpha
                signs.append(1 if alpha >= 0 else -1)
                continue
            beta = -mpmath.sqrt(alpha ** 2 + below ** 2) * (1 if alpha >= 0 else -1)
            signs.append(1 if beta > 0 else -1)
            v = [mpmath.mpf(0)] * m
            v[k] = alpha - beta
            for t in range(k + 1, m):
                v[t] = r[t, k]
            norm2 = sum(x ** 2 for x in v)
            for c in range(n):  # R <- H R, H = I - 2 v v^T / v^T v
                dot = sum(v[t] * r[t, c] for t in range(k, m))
                for t in range(k, m):
                    r[t, c] -= 2 * v[t] * dot / norm2
            for row in range(m):  # Q <- Q H
                dot = sum(q[row, t] * v[t] for t in range(k, m))
                for t in range(k, m):
                    q[row, t] -= 2 * dot * v[t] / norm2
        complete = tuple(sp.Float(q[i, j], DIGITS) for i in range(m) for j in range(m))
    return tuple(signs), complete


class QrSign(sp.Function):
    """QrSign(k, m, n, a...): +-1, the sign of R[k, k] in LAPACK's QR at the point."""

    @classmethod
    def _evaluate(cls, k, m, n, *entries):
        if not _numbers(entries):
            return None
        return sp.Integer(householder(int(m), int(n), tuple(entries))[0][int(k)])

    eval = _evaluate

    def fdiff(self, argindex=1):
        return sp.Integer(0)


class QrComplement(sp.Function):
    """QrComplement(i, j, m, n, a...): Q[i, j] of the complete Q (j >= n of a tall A)."""

    @classmethod
    def _evaluate(cls, i, j, m, n, *entries):
        if not _numbers(entries):
            return None
        return householder(int(m), int(n), tuple(entries))[1][int(i) * int(m) + int(j)]

    eval = _evaluate

    def fdiff(self, argindex=1):
        return sp.nan  # torch: complete QR of a tall matrix is not differentiable
