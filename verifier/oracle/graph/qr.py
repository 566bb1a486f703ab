"""qr's two fields as two graph nodes, first and second order, from the definition A = Q R.

Values: Gram-Schmidt of A's columns, w_k rational where A is, one root per column,
with the sign of each R[k, k] that LAPACK's Householder QR gives at the point
(ops/sympy_linalg.householder).  For a tall or square A (R square, invertible):

    tangent:   C = Qᵀ Ȧ R⁻¹,  B = triu(C) + tril(C, -1)ᵀ,   Ṙ = B R,   Q̇ = Ȧ R⁻¹ - Q B
    adjoint:   M = gR Rᵀ - Qᵀ gQ,  N = triu(M) + triu(M, 1)ᵀ,   Ā = (gQ + Q N) R⁻ᵀ

and the adjoint's derivative along the direction is the product rule on that formula
(d R⁻ᵀ = -R⁻ᵀ Ṙᵀ R⁻ᵀ).  A wide A = [X | Y] is the square case for X, with R2 = Qᵀ Y.
The complete Q of a tall A (not differentiable in torch) is left to the symbolic path.
"""

from __future__ import annotations

import numpy as np
from flint import arb, arb_mat, fmpq

from verifier.oracle.graph.compile import Unsupported, _sqrt
from verifier.oracle.graph.numbers import to_sympy, zeros
from verifier.oracle.graph.products import _entries, _t, mm
from verifier.oracle.graph.rounding import widen


def _triangle(m: np.ndarray, upper: bool, k: int = 0) -> np.ndarray:
    out = zeros(m.shape)
    rows, cols = m.shape
    for i in range(rows):
        for j in range(cols):
            if (j - i >= k) if upper else (j - i <= k):
                out[i, j] = m[i, j]
    return out


def _copy_upper(m: np.ndarray) -> np.ndarray:
    """triu(M) + triu(M, 1)ᵀ: the upper triangle mirrored below the diagonal."""
    upper = _triangle(m, True, 1)
    return _triangle(m, True) + _t(upper)


def _upper_and_lower_transposed(c: np.ndarray) -> np.ndarray:
    """triu(C) + tril(C, -1)ᵀ."""
    return _triangle(c, True) + _t(_triangle(c, False, -1))


def _inverse(r: np.ndarray) -> np.ndarray:
    n = r.shape[0]
    mat = arb_mat(n, n, [arb(v) if type(v) is fmpq else v for v in r.ravel().tolist()])
    return _entries(mat.inv(), n)


def _gram_schmidt(a: np.ndarray):
    """(Q, R) of one matrix with R square (min(m, n) columns of A), LAPACK's signs."""
    from verifier.ops.sympy_linalg import householder
    m, n = a.shape
    p = min(m, n)
    signs = householder(m, n, tuple(to_sympy(v) for v in a.ravel()))[0]
    q = np.empty((m, p), dtype=object)
    r = zeros((p, n))
    ws = []
    for k in range(p):
        w = a[:, k].copy()
        for wj, wj_wj in ws:
            w = w - wj * (np.dot(a[:, k], wj) / wj_wj)
        ww = np.dot(w, w)
        if type(ww) is fmpq and ww == 0:
            raise Unsupported("qr of a rank-deficient matrix (R is singular: no gradient)")
        ws.append((w, ww))
        norm = _sqrt(ww)
        q[:, k] = w * (fmpq(signs[k]) / norm)
        r[k, k] = norm * fmpq(signs[k])
    for k in range(p):
        for c in range(k + 1, n):
            r[k, c] = np.dot(q[:, k], a[:, c])
    return q, r


class _Factorization:
    """One matrix's Q, R (R1 square), and the tangents along the input's direction."""

    def __init__(self, a: np.ndarray) -> None:
        self.a = a
        self.m, self.n = a.shape
        self.p = min(self.m, self.n)
        self.q, self.r = _gram_schmidt(a)
        self.r1 = self.r[:, :self.p]
        self.r1_inv = _inverse(self.r1)
        self.y = a[:, self.p:]

    def tangents(self, a_dot: np.ndarray):
        """(Q̇, Ṙ) along Ȧ."""
        x_dot, y_dot = a_dot[:, :self.p], a_dot[:, self.p:]
        c = mm(mm(_t(self.q), x_dot), self.r1_inv)
        b = _upper_and_lower_transposed(c)
        r1_dot = mm(b, self.r1)
        q_dot = mm(x_dot, self.r1_inv) - mm(self.q, b)
        r_dot = r1_dot
        if self.n > self.p:  # R2 = Qᵀ Y
            r2_dot = mm(_t(q_dot), self.y) + mm(_t(self.q), y_dot)
            r_dot = np.concatenate([r1_dot, r2_dot], axis=1)
        return q_dot, r_dot

    def _square_adjoint(self, gq, gr1):
        m_ = mm(gr1, _t(self.r1)) - mm(_t(self.q), gq)
        inner = gq + mm(self.q, _copy_upper(m_))
        return mm(inner, _t(self.r1_inv)), inner

    def adjoint(self, gq, gr, gq_dot, gr_dot, a_dot):
        """(Ā, its derivative along the direction or None); None is zero (Ȧ: no tangent)."""
        q_dot, r_dot = (None, None) if a_dot is None else self.tangents(a_dot)
        p = self.p
        gq = zeros((self.m, p)) if gq is None else gq
        gr = zeros((p, self.n)) if gr is None else gr
        gr1, gr2 = gr[:, :p], gr[:, p:]
        gq_x = gq + mm(self.y, _t(gr2)) if self.n > p else gq
        grad_x, inner = self._square_adjoint(gq_x, gr1)
        grad = np.concatenate([grad_x, mm(self.q, gr2)], axis=1) if self.n > p else grad_x
        if gq_dot is None and gr_dot is None and q_dot is None:
            return grad, None
        gq_dot = zeros((self.m, p)) if gq_dot is None else gq_dot
        gr_dot = zeros((p, self.n)) if gr_dot is None else gr_dot
        q_dot = zeros((self.m, p)) if q_dot is None else q_dot
        r_dot = zeros((p, self.n)) if r_dot is None else r_dot
        gr1_dot, gr2_dot = gr_dot[:, :p], gr_dot[:, p:]
        r1_dot = r_dot[:, :p]
        if self.n > p:
            y_dot = zeros(self.y.shape) if a_dot is None else a_dot[:, p:]
            gq_x_dot = gq_dot + mm(y_dot, _t(gr2)) + mm(self.y, _t(gr2_dot))
        else:
            gq_x_dot = gq_dot
        m_dot = (mm(gr1_dot, _t(self.r1)) + mm(gr1, _t(r1_dot)) - mm(_t(q_dot), gq_x)
                 - mm(_t(self.q), gq_x_dot))
        m_ = mm(gr1, _t(self.r1)) - mm(_t(self.q), gq_x)
        inner_dot = gq_x_dot + mm(q_dot, _copy_upper(m_)) + mm(self.q, _copy_upper(m_dot))
        # d[(inner) R⁻ᵀ] = inner_dot R⁻ᵀ - inner R⁻ᵀ Ṙᵀ R⁻ᵀ
        r_inv_t = _t(self.r1_inv)
        dot_x = mm(inner_dot, r_inv_t) - mm(mm(mm(inner, r_inv_t), _t(r1_dot)), r_inv_t)
        if self.n > p:
            dot = np.concatenate([dot_x, mm(q_dot, gr2) + mm(self.q, gr2_dot)], axis=1)
        else:
            dot = dot_x
        return grad, dot


class QrFieldRule:
    """Q (field 0) or R (field 1) of qr over a batch; shares one factorization per matrix."""

    def __init__(self, field: int, factors: list, batch: tuple) -> None:
        self.field = field
        self.factors = factors
        self.batch = batch

    def _stack(self, mats: list) -> np.ndarray:
        return np.stack(mats).reshape(self.batch + mats[0].shape)

    def value(self) -> np.ndarray:
        return self._stack([f.q if self.field == 0 else f.r for f in self.factors])

    def round_forward(self, value, inputs, u):
        f = self.factors[0]
        return widen(value, None, u * 8 * max(f.m, f.n) ** 2)

    def tangent(self, tangents, shape):
        (t,) = tangents
        if t is None:
            return None
        t = np.asarray(t, dtype=object).reshape((-1,) + t.shape[-2:])
        return self._stack([f.tangents(d)[self.field] for f, d in zip(self.factors, t)])

    def backward(self, g, g_dot, inputs):
        f0 = self.factors[0]
        g = np.asarray(g, dtype=object).reshape((-1,) + np.shape(g)[-2:])
        g_dot = None if g_dot is None else np.asarray(g_dot, dtype=object).reshape(g.shape)
        a_dot = getattr(inputs[0], "tangent", None)
        a_dot = None if a_dot is None else np.asarray(a_dot, dtype=object).reshape(
            (-1, f0.m, f0.n))
        grads, dots = [], []
        for k, f in enumerate(self.factors):
            gd = None if g_dot is None else g_dot[k]
            ad = None if a_dot is None else a_dot[k]
            if self.field == 0:
                grad, dot = f.adjoint(g[k], None, gd, None, ad)
            else:
                grad, dot = f.adjoint(None, g[k], None, gd, ad)
            grads.append(grad)
            dots.append(dot)
        shape = self.batch + (f0.m, f0.n)
        grad = np.stack(grads).reshape(shape)
        dot = None if any(d is None for d in dots) else np.stack(dots).reshape(shape)
        return [(grad, dot)]


def qr_nodes(ns, x, mode: str):
    """(Q, R) as two recorded tensors."""
    shape = x.shape
    if len(shape) < 2:
        raise Unsupported("qr of fewer than 2 dims: the registry's forward reports it")
    m, n = shape[-2:]
    if mode == "complete" and m > n or mode not in ("reduced", "complete", "r") or 0 in shape:
        raise Unsupported("the complete Q of a tall matrix (no derivative; symbolic path)")
    batch = shape[:-2]
    mats = np.asarray(x.value, dtype=object).reshape((-1, m, n))
    factors = [_Factorization(a) for a in mats]
    from verifier.ops.sympy_linalg import householder
    signs = ["".join("+" if v > 0 else "-" for v in
                     householder(m, n, tuple(to_sympy(e) for e in a.ravel()))[0]) for a in mats]
    note = f"qr: the signs of R's diagonal that LAPACK's Householder QR takes here: {', '.join(signs)}"
    if note not in ns.notes:
        ns.notes.append(note)
    for f in factors:
        if any(v == 0 for v in f.r1.diagonal() if type(v) is fmpq):
            raise Unsupported("qr of a rank-deficient matrix")
    r_rule = QrFieldRule(1, factors, batch)
    r = ns.tape.record(r_rule.value(), [x], r_rule)
    if mode == "r":
        from verifier.oracle.graph.tape import T
        return T(np.empty((0,), dtype=object)), r
    q_rule = QrFieldRule(0, factors, batch)
    return ns.tape.record(q_rule.value(), [x], q_rule), r
