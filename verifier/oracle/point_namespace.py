"""`PointNamespace`: the expansion path's namespace, which resolves kinks at the point.

The registry writes functions with kinks (relu, abs, clamp, maximum, minimum,
where) as SymPy Piecewise forms whose branches encode torch's convention at
the kink (relu's `x > 0` is strict, so relu'(0) = 0).  Differentiating a
Piecewise and then evaluating it at the point gives the derivative of the
branch that is active at the point; so does taking that branch first and
differentiating it.  The second is what this namespace does, as the oracle
already does for `if` and `while`: the derivative is exact on the path the
computation took, and SymPy never has to fold conditions between large
expressions (that took minutes for relu inside a softmax).
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from verifier.oracle.namespace import SympyNamespace


class PointNamespace(SympyNamespace):
    def _apply(self, op, tensors, params):
        result = super()._apply(op, tensors, params)
        if isinstance(result, np.ndarray) and result.dtype == object:
            resolve = np.frompyfunc(self._active, 1, 1)
            return np.asarray(resolve(result), dtype=object).reshape(result.shape)
        return self._active(result)

    def _active(self, expr):
        """`expr` with every Piecewise replaced by its branch that holds at the point."""
        if not isinstance(expr, sp.Basic) or not expr.has(sp.Piecewise):
            return expr
        return expr.replace(lambda e: isinstance(e, sp.Piecewise), self._branch)

    def _branch(self, piecewise):
        for value, condition in piecewise.args:
            if condition is sp.true or self._holds(condition):
                return value
        raise ValueError(f"no branch of {piecewise} holds at the point")

    def _holds(self, condition) -> bool:
        if condition is sp.false:
            return False
        if isinstance(condition, (sp.And, sp.Or, sp.Not)):
            parts = [self._holds(c) for c in condition.args]
            if isinstance(condition, sp.And):
                return all(parts)
            return any(parts) if isinstance(condition, sp.Or) else not parts[0]
        return self.truth(condition)
