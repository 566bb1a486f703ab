"""An op's textbook formula, evaluated naively: the mutant of an unstable forward.

Every registry entry has a SymPy definition (`log1p` is log(1 + x), `softmax`
is exp(x) / sum(exp(x)), `logsumexp` is log(sum(exp(x)))).  Walking that tree
node by node with numpy ufuncs in the run's own dtype gives exactly the
formula a hurried author would write: 1 + x rounds away a tiny x, exp(800)
overflows.  So every op whose definition is a composite formula gets an
"unstable forward" mutant for free, and new ops too.

Nothing is generated or exec'd: the tree is walked (as oracle/longdouble.py
walks it in extended precision).  A node without a ufunc (a kink function of
our own) raises `Unsupported`, and the op gets no such mutant.
"""

from __future__ import annotations

import numpy as np

from verifier.oracle.longdouble import RELATIONAL, UNARY, Unsupported

__all__ = ["Unsupported", "textbook_forward"]


def textbook_forward(op):
    """forward(*arrays, **params) evaluating `op.sympy` term by term in the inputs' dtype."""
    def forward(*arrays, **params):
        import sympy as sp

        arrays = [np.asarray(a) for a in arrays]
        dtype = np.result_type(*[a.dtype for a in arrays if a.dtype.kind == "f"] or [np.float64])
        symbols, env = [], {}
        for k, a in enumerate(arrays):
            names = np.empty(a.shape, dtype=object)
            for index in np.ndindex(*a.shape):
                s = sp.Symbol(f"t{k}_{'_'.join(map(str, index))}", real=True)
                names[index] = s
                env[s] = a[index].astype(dtype)
            symbols.append(names)
        expressions = np.asarray(op.sympy(*symbols, **params), dtype=object)
        out = np.empty(expressions.shape, dtype=dtype)
        with np.errstate(all="ignore"):
            for index in np.ndindex(*expressions.shape):
                out[index] = _evaluate(expressions[index], env, dtype)
        return out
    return forward


def _evaluate(e, env, dtype):
    import sympy as sp

    if isinstance(e, (int, float)):
        return dtype.type(e)
    if e.is_Symbol:
        return env[e]
    if e.is_Number or e.is_NumberSymbol:
        return dtype.type(float(e))
    if isinstance(e, sp.logic.boolalg.BooleanAtom):
        return bool(e)
    if isinstance(e, sp.Piecewise):
        for piece, cond in e.args:
            if bool(_evaluate(cond, env, dtype)):
                return _evaluate(piece, env, dtype)
        return dtype.type(np.nan)
    args = [_evaluate(a, env, dtype) for a in e.args]
    if e.is_Add or e.is_Mul:
        ufunc = np.add if e.is_Add else np.multiply
        result = args[0]
        for a in args[1:]:
            result = ufunc(result, a)
        return dtype.type(result)
    if e.is_Pow:
        base, power = args
        if e.args[1] == -1:
            return dtype.type(1) / base
        if e.args[1] == sp.Rational(1, 2):
            return np.sqrt(base)
        return np.power(base, power)
    fn = UNARY.get(e.func)
    if fn is not None and len(args) == 1:
        return fn(args[0])
    if e.func in RELATIONAL:
        return RELATIONAL[e.func](args[0], args[1])
    raise Unsupported(f"no textbook evaluation for {e.func.__name__}")
