"""matmul, dot, outer (bilinear) and det, inverse, from their mathematical definitions.

C = A B is bilinear: dC = dA B + A dB, so the adjoints are Ā = Ḡ Bᵀ and
B̄ = Aᵀ Ḡ (batch dims broadcast and summed back; a 1-d operand is a row or a
column, as in torch.matmul).  The second-order terms follow from the product
rule.  det and inverse act per matrix: d det(X) = tr(adj(X) dX), so the
gradient is adj(X)ᵀ, which exists at singular X too (cofactors); the inverse
is undefined at a singular matrix, and d(X⁻¹) = -X⁻¹ dX X⁻¹.
"""

from __future__ import annotations

import numpy as np
from flint import arb, arb_mat, fmpq, fmpq_mat

from verifier.oracle.graph.numbers import NAN, is_exact, zeros
from verifier.oracle.graph.rounding import absolute, widen
from verifier.oracle.graph.tape import unbroadcast


def _t(m: np.ndarray) -> np.ndarray:
    return np.swapaxes(m, -1, -2)


def mm(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """np.matmul of object arrays; two matrices go through flint's C matrices (fmpq_mat when
    every entry is rational, else arb_mat), 50x faster than numpy's object loop."""
    a, b = np.asarray(a, dtype=object), np.asarray(b, dtype=object)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[0] or 0 in a.shape + b.shape:
        return np.matmul(a, b)
    (n, k), m = a.shape, b.shape[1]
    fa, fb = a.ravel().tolist(), b.ravel().tolist()
    if all(type(v) is fmpq for v in fa) and all(type(v) is fmpq for v in fb):
        product = fmpq_mat(n, k, fa) * fmpq_mat(k, m, fb)
    else:
        product = arb_mat(n, k, [arb(v) for v in fa]) * arb_mat(k, m, [arb(v) for v in fb])
    out = np.empty((n, m), dtype=object)
    for i in range(n):
        for j in range(m):
            out[i, j] = product[i, j]
    return out


class MatmulRule:
    """torch.matmul for operands of any rank (1-d promoted as torch does)."""

    def __init__(self, a: np.ndarray, b: np.ndarray) -> None:
        self.a_shape, self.b_shape = a.shape, b.shape
        self.a2 = a.reshape((1,) + a.shape) if a.ndim == 1 else a
        self.b2 = b.reshape(b.shape + (1,)) if b.ndim == 1 else b

    def value(self, a, b) -> np.ndarray:
        return self._squeeze(mm(self.a2, self.b2))

    def round_forward(self, value, inputs, u):
        # each entry is a k-term dot product: |fl - exact| <= k u (|A| |B|)
        k = self.a2.shape[-1]
        magnitude = self._squeeze(mm(absolute(self.a2), absolute(self.b2)))
        return widen(value, magnitude * fmpq(max(k, 1)), u)

    def round_backward(self, grad, g, t, u):
        g2 = absolute(self._unsqueeze(g))
        if t is self._inputs[0]:
            k = g2.shape[-1]
            magnitude = self._back(mm(g2, _t(absolute(self.b2))), self.a_shape, self.a2.shape)
        else:
            k = g2.shape[-2]
            magnitude = self._back(mm(_t(absolute(self.a2)), g2), self.b_shape, self.b2.shape)
        return widen(grad, magnitude * fmpq(max(k, 1)), u)

    def _squeeze(self, c):
        if len(self.a_shape) == 1:
            c = c.reshape(c.shape[:-2] + c.shape[-1:])
        if len(self.b_shape) == 1:
            c = c.reshape(c.shape[:-1])
        return np.asarray(c, dtype=object)

    def _unsqueeze(self, g):
        g = np.asarray(g, dtype=object)
        if len(self.a_shape) == 1 and len(self.b_shape) == 1:
            return g.reshape((1, 1))
        if len(self.a_shape) == 1:
            return g.reshape(g.shape[:-1] + (1,) + g.shape[-1:])
        if len(self.b_shape) == 1:
            return g.reshape(g.shape + (1,))
        return g

    def _promote(self, t, which):
        if t is None:
            return None
        t = np.asarray(t, dtype=object)
        if which == 0 and len(self.a_shape) == 1:
            return t.reshape((1,) + t.shape)
        if which == 1 and len(self.b_shape) == 1:
            return t.reshape(t.shape + (1,))
        return t

    def tangent(self, tangents, shape):
        ta, tb = self._promote(tangents[0], 0), self._promote(tangents[1], 1)
        total = None
        if ta is not None:
            total = mm(ta, self.b2)
        if tb is not None:
            term = mm(self.a2, tb)
            total = term if total is None else total + term
        return None if total is None else self._squeeze(total)

    def backward(self, g, g_dot, inputs):
        self._inputs = inputs
        g2 = self._unsqueeze(g)
        gd2 = None if g_dot is None else self._unsqueeze(g_dot)
        ta = self._promote(getattr(inputs[0], "tangent", None), 0)
        tb = self._promote(getattr(inputs[1], "tangent", None), 1)
        out = []
        if getattr(inputs[0], "node", None) is not None:
            grad = mm(g2, _t(self.b2))
            dot = None
            if gd2 is not None or tb is not None:
                dot = zeros(grad.shape)
                if gd2 is not None:
                    dot = dot + mm(gd2, _t(self.b2))
                if tb is not None:
                    dot = dot + mm(g2, _t(tb))
            out.append((self._back(grad, self.a_shape, self.a2.shape),
                        None if dot is None else self._back(dot, self.a_shape, self.a2.shape)))
        else:
            out.append(None)
        if getattr(inputs[1], "node", None) is not None:
            grad = mm(_t(self.a2), g2)
            dot = None
            if gd2 is not None or ta is not None:
                dot = zeros(grad.shape)
                if gd2 is not None:
                    dot = dot + mm(_t(self.a2), gd2)
                if ta is not None:
                    dot = dot + mm(_t(ta), g2)
            out.append((self._back(grad, self.b_shape, self.b2.shape),
                        None if dot is None else self._back(dot, self.b_shape, self.b2.shape)))
        else:
            out.append(None)
        return out

    @staticmethod
    def _back(grad, shape, promoted_shape):
        grad = unbroadcast(np.asarray(grad, dtype=object), promoted_shape)
        return grad.reshape(shape)


class OuterRule:
    """outer(a, b)_ij = a_i b_j: the matmul of a column and a row."""

    def __init__(self, a, b) -> None:
        self.inner = MatmulRule(a.reshape(a.shape + (1,)), b.reshape((1,) + b.shape))
        self.shapes = (a.shape, b.shape)

    def value(self, a, b):
        return self.inner.value(a.reshape(a.shape + (1,)), b.reshape((1,) + b.shape))

    def round_forward(self, value, inputs, u):
        return widen(value, None, u)

    def tangent(self, tangents, shape):
        ta, tb = tangents
        return self.inner.tangent([None if ta is None else np.asarray(ta).reshape(self.shapes[0] + (1,)),
                                   None if tb is None else np.asarray(tb).reshape((1,) + self.shapes[1])],
                                  shape)

    def backward(self, g, g_dot, inputs):
        shaped = [_Reshaped(inputs[0], self.shapes[0] + (1,)), _Reshaped(inputs[1], (1,) + self.shapes[1])]
        out = self.inner.backward(g, g_dot, shaped)
        return [None if pair is None else (pair[0].reshape(s), None if pair[1] is None else
                                           pair[1].reshape(s))
                for pair, s in zip(out, self.shapes)]


class _Reshaped:
    def __init__(self, t, shape) -> None:
        self.node = getattr(t, "node", None)
        tangent = getattr(t, "tangent", None)
        self.tangent = None if tangent is None else np.asarray(tangent).reshape(shape)
        self.shape = shape


# --- det and inverse: per matrix, first order -----------------------------------------
def _flint_matrix(m: np.ndarray):
    n = m.shape[0]
    if all(is_exact(v) for v in m.ravel()):
        return fmpq_mat(n, n, [v for v in m.ravel()]), True
    return arb_mat(n, n, [arb(v) if is_exact(v) else v for v in m.ravel()]), False


def _entries(mat, n: int) -> np.ndarray:
    out = np.empty((n, n), dtype=object)
    for i in range(n):
        for j in range(n):
            out[i, j] = mat[i, j]
    return out


def determinant(m: np.ndarray):
    mat, _ = _flint_matrix(m)
    return mat.det()


def cofactors(m: np.ndarray) -> np.ndarray:
    """C_ij = (-1)^(i+j) det(minor_ij): d det(X)/dX_ij, defined at singular X too."""
    n = m.shape[0]
    if n == 1:
        out = np.empty((1, 1), dtype=object)
        out[0, 0] = fmpq(1)
        return out
    out = np.empty((n, n), dtype=object)
    for i in range(n):
        for j in range(n):
            minor = np.delete(np.delete(m, i, axis=0), j, axis=1)
            out[i, j] = determinant(minor) * (1 if (i + j) % 2 == 0 else -1)
    return out


def inverse(m: np.ndarray) -> np.ndarray:
    n = m.shape[0]
    mat, is_rational = _flint_matrix(m)
    try:
        if is_rational and mat.det() == 0:
            raise ZeroDivisionError
        return _entries(mat.inv(), n)
    except (ZeroDivisionError, ValueError):
        out = np.empty((n, n), dtype=object)
        out.fill(NAN)  # singular (or not provably invertible): undefined
        return out


class PerMatrixRule:
    """det or inverse over a batch of matrices (first order: no tangents)."""

    def __init__(self, name: str, x: np.ndarray) -> None:
        self.name = name
        self.batch = x.shape[:-2]
        self.n = x.shape[-1]
        self.mats = x.reshape((-1, self.n, self.n))
        if name == "det":
            self.results = [determinant(m) for m in self.mats]
        else:
            self.results = [inverse(m) for m in self.mats]

    def value(self):
        if self.name == "det":
            out = np.empty(len(self.results), dtype=object)
            out[:] = self.results
            return out.reshape(self.batch)
        return np.stack(self.results).reshape(self.batch + (self.n, self.n)) if self.results else \
            zeros(self.batch + (self.n, self.n))

    def tangent(self, tangents, shape):
        raise NotImplementedError("second order through det/inverse")

    def round_forward(self, value, inputs, u):
        # LU-based det and inverse: a bound growing with n (no pivot growth assumed)
        return widen(value, None, u * self.n * self.n)

    def backward(self, g, g_dot, inputs):
        g = np.asarray(g, dtype=object)
        grads = []
        if self.name == "det":
            flat_g = g.reshape(-1)
            for k, m in enumerate(self.mats):
                grads.append(cofactors(m) * flat_g[k])  # adj(X)^T = cofactor matrix
        else:
            flat_g = g.reshape((-1, self.n, self.n))
            for k, y in enumerate(self.results):
                grads.append(-mm(mm(_t(y), flat_g[k]), _t(y)))
        grad = np.stack(grads).reshape(self.batch + (self.n, self.n)) if grads else \
            zeros(self.batch + (self.n, self.n))
        return [(grad, None)]
