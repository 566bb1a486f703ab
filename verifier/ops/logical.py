"""Truth reductions: all, any (bool results) and count_nonzero (int64 results).

They are not differentiable: an integer or bool result never requires grad in torch,
so these entries have no VJP (`vjp=None`) and kind "logical".  The engine records no
node for them, the numeric backends call torch's own functions, and the graph oracle
decides each element's `!= 0` at the point, like a comparison (oracle/graph/logical.py).
A NaN is nonzero (IEEE: NaN != 0 is true), as in torch.
"""

from __future__ import annotations

import numpy as np

from verifier.ops.dims import axes
from verifier.ops.registry import Domain, Op, Param, register
from verifier.ops.symbolic import reduce_object, sp


def _nonzero(a) -> np.ndarray:
    a = np.asarray(a)
    return a if a.dtype == np.bool_ else a != 0


def _truth_axes(dim, ndim: int):
    """torch's dim for all/any: None reduces every dim; an empty list reduces none."""
    if isinstance(dim, (list, tuple)) and len(dim) == 0:
        return ()
    return axes(dim, ndim)


def _all(a, dim=None, keepdim=False):
    return np.asarray(np.all(_nonzero(a), axis=_truth_axes(dim, np.ndim(a)), keepdims=keepdim))


def _any(a, dim=None, keepdim=False):
    return np.asarray(np.any(_nonzero(a), axis=_truth_axes(dim, np.ndim(a)), keepdims=keepdim))


def _count_nonzero(a, dim=None):
    counted = np.count_nonzero(_nonzero(a), axis=axes(dim, np.ndim(a)))
    return np.asarray(counted, dtype=np.int64)


# --- SymPy forms: `x != 0` per element, combined by And / Or / a sum of indicators ---------
def _is_nonzero(x):
    if isinstance(x, (bool, np.bool_)):
        return sp.true if x else sp.false
    if isinstance(x, sp.logic.boolalg.Boolean):
        return x  # a comparison's result (a mask) is its own truth
    if x is sp.nan or (isinstance(x, float) and x != x):
        return sp.true  # NaN != 0 (SymPy leaves Ne(nan, 0) false)
    return sp.Ne(x, 0)


def _indicator(x):
    truth = _is_nonzero(x)
    if truth is sp.true or truth is sp.false:
        return sp.Integer(1 if truth is sp.true else 0)
    return sp.Piecewise((sp.Integer(1), truth), (sp.Integer(0), True))


def _sympy_truth(combine):
    def form(a, dim=None, keepdim=False):
        a = np.asarray(a, dtype=object)
        if isinstance(dim, (list, tuple)) and len(dim) == 0:
            return np.asarray(np.frompyfunc(_is_nonzero, 1, 1)(a), dtype=object).reshape(a.shape)
        return reduce_object(a, dim, keepdim, lambda xs: combine(*(_is_nonzero(x) for x in xs)))
    return form


def _sympy_count(a, dim=None):
    return reduce_object(np.asarray(a, dtype=object), dim, False,
                         lambda xs: sp.Add(*(_indicator(x) for x in xs)))


TRUTH_PARAMS = (Param("dim", None, "dim"), Param("keepdim", False, "bool"))

register(Op(
    name="all", inputs=("input",), params=TRUTH_PARAMS, kind="logical",
    forward=_all, vjp=None, sympy=_sympy_truth(lambda *t: sp.And(*t)),
    domain=(Domain(low=-1, high=1),),
    doc="all(x, dim=None, keepdim=False): whether every element (along dim) is nonzero; bool, "
        "never differentiated",
))

register(Op(
    name="any", inputs=("input",), params=TRUTH_PARAMS, kind="logical",
    forward=_any, vjp=None, sympy=_sympy_truth(lambda *t: sp.Or(*t)),
    domain=(Domain(low=-1, high=1),),
    doc="any(x, dim=None, keepdim=False): whether some element (along dim) is nonzero; bool, "
        "never differentiated",
))

register(Op(
    name="count_nonzero", inputs=("input",), params=(Param("dim", None, "dim"),), kind="logical",
    forward=_count_nonzero, vjp=None, sympy=_sympy_count,
    domain=(Domain(low=-1, high=1),),
    doc="count_nonzero(x, dim=None): the number of nonzero elements (along dim); int64, never "
        "differentiated",
))
