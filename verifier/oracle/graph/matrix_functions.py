"""matrix_exp and pinv per matrix, first and second order, from their definitions.

matrix_exp: values and every derivative from exponentials of block matrices
(ops/exact_matrix.py): the tangent along Ȧ is L(A, Ȧ), the adjoint of G is
L(Aᵀ, G), and its derivative along the HVP direction is L(Aᵀ, Ġ) + D²exp(Aᵀ)[Ȧᵀ, G].

pinv: P = A⁺ at the rank the point selects (the SymPy side decides it:
sympy_linalg.PinvEntry), and the constant-rank formulas as matrix polynomials in
P, A and G:
    Ṗ  = -P Ȧ P + P Pᵀ Ȧᵀ (I - A P) + (I - P A) Ȧᵀ Pᵀ P
    Ā  = -Pᵀ G Pᵀ + (I - A P) Gᵀ P Pᵀ + Pᵀ P Gᵀ (I - P A)
whose derivatives along the direction follow from the product rule, one factor at
a time (each factor's own tangent: Ṗ, Ȧ, Ġ).  Where atol/rtol cut a singular value
that is not 0, those formulas are not the derivative of what torch computes: the
gradient is then the truncated pinv's own (sympy_linalg.truncated_pinv_vjp), and the
second order is undefined here; likewise at a rank-deficient A, where pinv jumps in
every direction that raises the rank (the gradient is the convention of the rank the
point has, with no derivative of its own).  Neither reads the engine's VJPs.
"""

from __future__ import annotations

import numpy as np
from flint import arb, fmpq

from verifier.ops import sympy_linalg
from verifier.ops.exact_matrix import exp_derivative
from verifier.oracle.graph.numbers import NAN, object_array, to_sympy, zeros
from verifier.oracle.graph.products import _t, mm
from verifier.oracle.graph.rounding import absolute, widen


def _matrices(x: np.ndarray):
    return x.reshape((-1,) + x.shape[-2:])


def _stack(mats: list, shape: tuple) -> np.ndarray:
    if not mats:
        return zeros(shape)
    return np.stack(mats).reshape(shape)


class MatrixExpRule:
    def __init__(self, x: np.ndarray) -> None:
        self.shape = x.shape
        self.n = x.shape[-1]
        self.mats = list(_matrices(x))

    def value(self) -> np.ndarray:
        return _stack([exp_derivative(a, []) for a in self.mats], self.shape)

    def round_forward(self, value, inputs, u):
        # scaling and squaring: errors relative to exp(|A|) >= |exp(A)|, growing with n
        magnitude = _stack([exp_derivative(absolute(a), []) for a in self.mats], self.shape)
        return widen(value, magnitude, u * 4 * max(self.n, 1) ** 2)

    def tangent(self, tangents, shape):
        (t,) = tangents
        if t is None:
            return None
        t = _matrices(np.asarray(t, dtype=object))
        return _stack([exp_derivative(a, [e]) for a, e in zip(self.mats, t)], self.shape)

    def backward(self, g, g_dot, inputs):
        g, a_dot, g_dot = _per_matrix_adjoints(g, g_dot, inputs)
        grads, dots = [], []
        for k, a in enumerate(self.mats):
            at = _t(a)
            grads.append(exp_derivative(at, [g[k]]))  # L(A^T, G)
            if g_dot is None and a_dot is None:
                continue
            dot = zeros((self.n, self.n))
            if g_dot is not None:
                dot = dot + exp_derivative(at, [g_dot[k]])
            if a_dot is not None:
                dot = dot + exp_derivative(at, [_t(a_dot[k]), g[k]])
            dots.append(dot)
        return [(_stack(grads, self.shape), _stack(dots, self.shape) if dots else None)]

    def round_backward(self, grad, g, t, u):
        g = _matrices(np.asarray(absolute(g), dtype=object))
        magnitude = _stack([exp_derivative(_t(absolute(a)), [g[k]])
                            for k, a in enumerate(self.mats)], self.shape)
        return widen(grad, magnitude, u * 8 * max(self.n, 1) ** 2)


# --- pinv: matrix polynomials and their product rule --------------------------------------
# A term is (sign, factors); a factor names a matrix: "P", "A", "D" (the direction: Ȧ or
# G), and "Pt", "At", "Dt" their transposes.  Identities are expanded away.
TANGENT = [(-1, "P D P"), (1, "P Pt Dt"), (-1, "P Pt Dt A P"), (1, "Dt Pt P"),
           (-1, "P A Dt Pt P")]
ADJOINT = [(-1, "Pt D Pt"), (1, "Dt P Pt"), (-1, "A P Dt P Pt"), (1, "Pt P Dt"),
           (-1, "Pt P Dt P A")]


def _evaluate(terms, values: dict, shape: tuple) -> np.ndarray:
    total = zeros(shape)
    for sign, factors in terms:
        names = factors.split()
        product = values[names[0]]
        for name in names[1:]:
            product = mm(product, values[name])
        total = total + product * fmpq(sign)
    return total


def _derivative(terms, values: dict, dots: dict, shape: tuple) -> np.ndarray:
    """d/dt of the polynomial, each factor replaced by its tangent in turn (None: zero)."""
    total = zeros(shape)
    for sign, factors in terms:
        names = factors.split()
        for k, name in enumerate(names):
            if dots.get(name) is None:
                continue
            product = None
            for j, other in enumerate(names):
                m = dots[other] if j == k else values[other]
                product = m if product is None else mm(product, m)
            total = total + product * fmpq(sign)
    return total


def _with_transposes(d: dict) -> dict:
    out = dict(d)
    for name, m in d.items():
        out[name + "t"] = None if m is None else _t(m)
    return out


class PinvRule:
    def __init__(self, x: np.ndarray, params: dict) -> None:
        self.shape = x.shape
        self.m, self.n = x.shape[-2:]
        self.mats = list(_matrices(x))
        self.atol, self.rtol = params.get("atol"), params.get("rtol")
        self.pinvs, self.cuts, self.entries = [], [], []
        for a in self.mats:
            entries = tuple(to_sympy(v) for v in a.ravel())
            values, cut = sympy_linalg.pinv_values(self.m, self.n, self.atol, self.rtol, entries)
            self.pinvs.append(object_array([_number(v) for v in values], (self.n, self.m)))
            self.cuts.append(cut)
            self.entries.append(entries)
        self.notes = []
        if any(self.cuts):
            self.notes.append("pinv: atol/rtol cut a nonzero singular value here: the "
                              "gradient is the truncated pinv's own (first order only)")
        # at a rank-deficient A the gradient is a convention with no derivative of its own
        self.deficient = [sympy_linalg.pinv_rank_deficient(self.m, self.n, self.atol, self.rtol, e)
                          for e in self.entries]
        if any(d and not c for d, c in zip(self.deficient, self.cuts)):
            self.notes.append("pinv: A is rank-deficient here: the gradient is the derivative at "
                              "that rank (torch's convention), and the second order is undefined")
        self.out_shape = self.shape[:-2] + (self.n, self.m)

    def value(self) -> np.ndarray:
        return _stack(self.pinvs, self.out_shape)

    def round_forward(self, value, inputs, u):
        # an SVD-based pinv: backward stable in |A| |P| terms, growing with the size
        k = max(self.m, self.n, 1)
        magnitude = _stack([mm(mm(absolute(p), absolute(a)), absolute(p))
                            for a, p in zip(self.mats, self.pinvs)], self.out_shape)
        return widen(value, magnitude, u * 8 * k * k)

    def _values(self, k, direction):
        return _with_transposes({"P": self.pinvs[k], "A": self.mats[k], "D": direction})

    def tangent(self, tangents, shape):
        (t,) = tangents
        if t is None:
            return None
        t = _matrices(np.asarray(t, dtype=object))
        return _stack([_undefined((self.n, self.m)) if self.cuts[k] else
                       _evaluate(TANGENT, self._values(k, t[k]), (self.n, self.m))
                       for k in range(len(self.mats))], self.out_shape)

    def backward(self, g, g_dot, inputs):
        g, a_dot, g_dot = _per_matrix_adjoints(g, g_dot, inputs)
        grads, dots = [], []
        for k in range(len(self.mats)):
            if self.cuts[k] or self.deficient[k]:
                # a nonzero singular value cut (atol, rtol): the truncated pinv's own
                # derivative (Daleckii-Krein), first order only
                if self.cuts[k]:
                    exact_g = np.vectorize(to_sympy, otypes=[object])(g[k])
                    grads.append(np.vectorize(_number, otypes=[object])(
                        sympy_linalg.truncated_pinv_vjp(self.m, self.n, self.atol, self.rtol,
                                                        self.entries[k], exact_g)))
                else:
                    grads.append(_evaluate(ADJOINT, self._values(k, g[k]), (self.m, self.n)))
                if a_dot is not None or g_dot is not None:
                    dots.append(_undefined((self.m, self.n)))
                continue
            values = self._values(k, g[k])
            grads.append(_evaluate(ADJOINT, values, (self.m, self.n)))
            if a_dot is None and g_dot is None:
                continue
            p_dot = None if a_dot is None else _evaluate(TANGENT, self._values(k, a_dot[k]),
                                                          (self.n, self.m))
            changes = _with_transposes({"P": p_dot, "A": None if a_dot is None else a_dot[k],
                                        "D": None if g_dot is None else g_dot[k]})
            dots.append(_derivative(ADJOINT, values, changes, (self.m, self.n)))
        return [(_stack(grads, self.shape), _stack(dots, self.shape) if dots else None)]


def _undefined(shape: tuple) -> np.ndarray:
    out = np.empty(shape, dtype=object)
    out.fill(NAN)
    return out


def _number(v):
    """An exact Rational as fmpq; a 60-digit Float as a ball that holds its rounding."""
    if v.is_Rational:
        return fmpq(int(v.p), int(v.q))
    x = arb(str(v))
    return arb(x.mid(), x.rad() + abs(x).upper() * arb(10) ** -(sympy_linalg.DIGITS - 2))


def _per_matrix_adjoints(g, g_dot, inputs):
    """The adjoint, the input's tangent and the adjoint's tangent, as lists of matrices
    (None where there is no tangent)."""
    def matrices(v):
        return None if v is None else _matrices(np.asarray(v, dtype=object))
    return matrices(g), matrices(getattr(inputs[0], "tangent", None)), matrices(g_dot)
