"""x / +0, as IEEE and torch divide: var with no degree of freedom left (N - correction = 0).

The value is +inf or -inf by the sign of x, NaN where x is 0 (0/0); the derivative
1/+0 is +inf, so a gradient through it is ±inf, or NaN where it meets a zero factor
(an element equal to the mean).  A SymPy form cannot say this: SymPy's x/0 is the
unsigned complex infinity, and its nan absorbs the expression and differentiates to 0.
"""

from __future__ import annotations

import numpy as np

from verifier.oracle.graph.numbers import NAN, NEG_INF, POS_INF, compare, is_nan
from verifier.oracle.graph.tape import times_adjoint


class DivideByZeroRule:
    def __init__(self, x: np.ndarray) -> None:
        self.x = np.asarray(x, dtype=object)

    def value(self) -> np.ndarray:
        out = np.empty(self.x.shape, dtype=object)
        for i, v in enumerate(self.x.ravel()):
            out.reshape(-1)[i] = NAN if is_nan(v) or compare("==", v, 0) else \
                POS_INF if compare(">", v, 0) else NEG_INF
        return out

    def _slope(self, shape) -> np.ndarray:
        slope = np.empty(shape, dtype=object)
        slope.fill(POS_INF)  # d(x / +0)/dx = 1 / +0
        return slope

    def round_forward(self, value, inputs, u):
        return value

    def round_backward(self, grad, g, t, u):
        return grad

    def tangent(self, tangents: list, shape: tuple):
        (t,) = tangents
        return None if t is None else times_adjoint(np.asarray(t, dtype=object),
                                                    self._slope(shape), False)

    def backward(self, g, g_dot, inputs):
        slope = self._slope(np.shape(g))
        grad = times_adjoint(np.asarray(g, dtype=object), slope, False)
        grad_dot = None if g_dot is None else \
            times_adjoint(np.asarray(g_dot, dtype=object), slope, False)
        return [(grad, grad_dot)]


def divided_by_zero(ns, x):
    """x / +0 with IEEE's signs, recorded so that gradients through it are infinite."""
    rule = DivideByZeroRule(x.value)
    return ns.tape.record(rule.value(), [x], rule)
