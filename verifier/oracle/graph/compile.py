"""A SymPy expression of a few symbols as an evaluator over arrays of exact numbers or balls.

The graph oracle takes every local derivative from SymPy's differentiation of
the registry op's SymPy form; this module turns such an expression into a
function of 1-d object arrays (one per symbol, elements `fmpq` or `arb`), so
that it is derived once per op and evaluated on every element.  No text is
ever parsed: the walker reads SymPy's tree and maps each node to a flint
operation.

Piecewise conditions (kinks, thresholds) are decided per element at the
point, exactly where the numbers are rational, and each element evaluates
only the branch it takes: a branch of one element never leaks into another.
Operations outside the reals give NaN (undefined), `log(0)` is -inf, a pole
(x**-1 at an exact 0) is undefined.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import sympy as sp
from flint import acb, arb, fmpq

from verifier.oracle.graph.numbers import NAN, NEG_INF, POS_INF, capped, exact, is_nan

RELATIONS = {sp.StrictLessThan: "<", sp.LessThan: "<=", sp.StrictGreaterThan: ">",
             sp.GreaterThan: ">=", sp.Equality: "==", sp.Unequality: "!="}


class Unsupported(Exception):
    """An expression node the compiler has no certified evaluation for."""


def _from_ball(v):
    """A ball that is an exact point, back to an exact rational (sqrt(4) = 2, exp(0) = 1)."""
    if isinstance(v, arb) and v.is_exact() and v.is_finite():
        man, e = v.mid().man_exp()
        return capped(fmpq(int(man)) * (fmpq(2) ** int(e)) if e >= 0 else
                      fmpq(int(man), 2 ** (-int(e))))
    return v


def _real(fn, *, zero=None, one=None, log=False):
    """A real function of one number: exact special values kept exact, else a ball."""
    def apply(x):
        if isinstance(x, fmpq):
            if zero is not None and x == 0:
                return zero
            if one is not None and x == 1:
                return one
            if log and x == 0:
                return NEG_INF
            x = arb(x)
        elif log and x.is_exact() and x.is_zero():
            return NEG_INF
        if is_nan(x):
            return NAN
        return _from_ball(fn(x))
    return apply


def _sqrt(x):
    if isinstance(x, fmpq):
        if x < 0:
            return NAN
        p, q = int(x.p), int(x.q)
        rp, rq = _isqrt(p), _isqrt(q)
        if rp is not None and rq is not None:
            return fmpq(rp, rq)
        x = arb(x)
    if x < 0:
        return NAN
    return _from_ball(x.sqrt())


def _isqrt(n: int):
    import math
    r = math.isqrt(n)
    return r if r * r == n else None


def _pow(base, e):
    """base ** e for real numbers; an exact integer exponent keeps rationals exact."""
    if isinstance(e, fmpq) and e.q == 1:
        n = int(e.p)
        if isinstance(base, fmpq):
            if base == 0 and n < 0:
                return POS_INF  # as 1/+0 in IEEE arithmetic
            if abs(n) * max(base.height_bits(), 1) > 64 * 4096:
                base = arb(base)
            else:
                return capped(base ** n)
        if is_nan(base):
            return NAN
        if n < 0 and base.is_exact() and base.is_zero():
            return POS_INF
        return base ** n
    if isinstance(e, fmpq) and e == fmpq(1, 2):
        return _sqrt(base)
    b = arb(base) if isinstance(base, fmpq) else base
    x = arb(e) if isinstance(e, fmpq) else e
    if is_nan(b) or is_nan(x):
        return NAN
    if b.is_exact() and b.is_zero():
        if x > 0:
            return fmpq(0)
        if x < 0:
            return POS_INF  # the one-sided limit: x**(-1/2) at 0+
        return NAN
    if not b > 0:
        return NAN  # a negative base with a non-integer exponent is not real
    return _from_ball((x * b.log()).exp())


def _sign(x):
    if isinstance(x, fmpq):
        return fmpq((x > 0) - (x < 0))
    if x > 0:
        return fmpq(1)
    if x < 0:
        return fmpq(-1)
    if x.is_exact() and x.is_zero():
        return fmpq(0)
    return NAN if x.is_nan() else arb("0 +/- 1")


FUNCTIONS = {
    "exp": _real(lambda x: x.exp(), zero=fmpq(1)),
    "log": _real(lambda x: x.log() if x > 0 else NAN, one=fmpq(0), log=True),
    "sin": _real(lambda x: x.sin(), zero=fmpq(0)),
    "cos": _real(lambda x: x.cos(), zero=fmpq(1)),
    "tan": _real(lambda x: x.tan(), zero=fmpq(0)),
    "asin": _real(lambda x: x.asin() if abs(x) <= 1 else NAN, zero=fmpq(0)),
    "acos": _real(lambda x: x.acos() if abs(x) <= 1 else NAN, one=fmpq(0)),
    "atan": _real(lambda x: x.atan(), zero=fmpq(0)),
    "sinh": _real(lambda x: x.sinh(), zero=fmpq(0)),
    "cosh": _real(lambda x: x.cosh(), zero=fmpq(1)),
    "tanh": _real(lambda x: x.tanh(), zero=fmpq(0)),
    "asinh": _real(lambda x: x.asinh(), zero=fmpq(0)),
    "atanh": _real(lambda x: x.atanh() if abs(x) < 1 else NAN, zero=fmpq(0)),
    "acosh": _real(lambda x: x.acosh() if x >= 1 else NAN, one=fmpq(0)),
    "erf": _real(lambda x: x.erf(), zero=fmpq(0)),
    "erfc": _real(lambda x: x.erfc(), zero=fmpq(1)),
    "gamma": _real(lambda x: x.gamma()),
    "loggamma": _real(lambda x: x.lgamma() if x > 0 else NAN),
    "sign": _sign,
    "Abs": lambda x: abs(x),
    "TorchSqrt": _sqrt,
    "erfinv": _real(lambda x: x.erfinv() if abs(x) < 1 else NAN, zero=fmpq(0)),
}


def _atan2(y, x):
    """torch's atan2(y, x): exact 0 on the positive x axis and at the origin (IEEE)."""
    if isinstance(y, fmpq) and isinstance(x, fmpq):
        if y == 0 and x >= 0:
            return fmpq(0)
    y, x = (arb(v) if isinstance(v, fmpq) else v for v in (y, x))
    if is_nan(y) or is_nan(x):
        return NAN
    return _from_ball(arb.atan2(y, x))


def _xlogy(shift, x, y):
    """x log(y + shift), 0 where x = 0 (torch's xlogy / xlog1py)."""
    if isinstance(x, fmpq) and x == 0 and not is_nan(y):
        return fmpq(0)
    return _product([x, FUNCTIONS["log"](y + shift)])


def _step(kind: int, x):
    """floor, ceil, trunc, round (half to even) and sign of a number (Step of sympy_steps)."""
    from verifier.ops.sympy_steps import CEIL, FLOOR, ROUND, SIGN, TRUNC
    if kind == SIGN:
        return _sign(x)
    if not isinstance(x, fmpq):
        if is_nan(x) or not x.is_finite():
            return x
        step = {FLOOR: x.floor, CEIL: x.ceil,
                TRUNC: x.floor if x > 0 else x.ceil if x < 0 else None}.get(kind)
        result = step() if step is not None else None
        if result is None or not result.is_exact():  # the ball straddles an integer
            raise Unsupported("a step function at a point its ball cannot decide")
        return _from_ball(result)
    p, q = int(x.p), int(x.q)
    floor = p // q
    if kind == FLOOR:
        return fmpq(floor)
    if kind == CEIL:
        return fmpq(-((-p) // q))
    if kind == TRUNC:
        return fmpq(floor if p >= 0 else -((-p) // q))
    if kind == ROUND:
        twice = 2 * p - (2 * floor + 1) * q  # sign of x - (floor + 1/2)
        up = twice > 0 or (twice == 0 and floor % 2 == 1)
        return fmpq(floor + 1 if up else floor)
    raise Unsupported(f"step kind {kind}")


def _heaviside(x, h0=None):
    s = _sign(x)
    if isinstance(s, fmpq):
        return fmpq(1) if s > 0 else fmpq(0) if s < 0 else (h0 if h0 is not None else fmpq(1, 2))
    return NAN


def _delta(x):
    s = _sign(x)
    return fmpq(0) if isinstance(s, fmpq) and s != 0 else NAN


class Compiled:
    """fn(arrays, decisions) -> 1-d object array, for the symbols given at compile time."""

    def __init__(self, expr, symbols) -> None:
        self.symbols = list(symbols)
        self.index = {s: i for i, s in enumerate(self.symbols)}
        self.expr = expr
        self.fn = self._compile(expr)

    def __call__(self, arrays: list, decisions) -> np.ndarray:
        n = len(arrays[0]) if arrays else 1
        out = self.fn(arrays, np.arange(n), decisions)
        return _full(out, n)

    # Each compiled node takes (arrays, rows, decisions): `rows` the element indices
    # evaluated (a Piecewise branch evaluates only its own elements).
    def _compile(self, e):
        if e.is_Symbol:
            i = self.index.get(e)
            if i is None:
                raise Unsupported(f"a free symbol {e} that is no input of the op")
            return lambda arrays, rows, d: arrays[i][rows]
        if e.is_Rational:
            c = fmpq(int(e.p), int(e.q))
            return lambda arrays, rows, d: c
        if e.is_Float:
            c = exact(Fraction(*e.as_integer_ratio()) if hasattr(e, "as_integer_ratio") else
                      Fraction(int(sp.Rational(e).p), int(sp.Rational(e).q)))
            return lambda arrays, rows, d: c
        if e is sp.pi:
            return lambda arrays, rows, d: arb.pi()
        if e is sp.E:
            return lambda arrays, rows, d: arb(1).exp()
        if e is sp.oo:
            return lambda arrays, rows, d: POS_INF
        if e is -sp.oo or e is sp.S.NegativeInfinity:
            return lambda arrays, rows, d: NEG_INF
        if e is sp.nan or e is sp.zoo or e is sp.I:
            return lambda arrays, rows, d: NAN  # I: a non-real intermediate, undefined
        if e.is_Add:
            parts = [self._compile(a) for a in e.args]
            return lambda arrays, rows, d: _sum([p(arrays, rows, d) for p in parts])
        if e.is_Mul:
            parts = [self._compile(a) for a in e.args]
            return lambda arrays, rows, d: _product([p(arrays, rows, d) for p in parts])
        if e.is_Pow:
            return self._power(e)
        if isinstance(e, sp.Piecewise):
            return self._piecewise(e)
        if isinstance(e, sp.logic.boolalg.Boolean):
            return self._condition(e)
        return self._function(e)

    def _power(self, e):
        base, power = self._compile(e.base), e.exp
        if power == 2:
            return lambda arrays, rows, d: _square(base(arrays, rows, d))
        if power == -1:
            return lambda arrays, rows, d: _map1(_reciprocal, base(arrays, rows, d))
        if power.is_Rational:
            c = fmpq(int(power.p), int(power.q))
            return lambda arrays, rows, d: _map1(lambda b: _pow(b, c), base(arrays, rows, d))
        exponent = self._compile(power)
        return lambda arrays, rows, d: _map2(_pow, base(arrays, rows, d),
                                             exponent(arrays, rows, d))

    def _function(self, e):
        name = type(e).__name__
        args = [self._compile(a) for a in e.args]
        if name in FUNCTIONS:
            f = FUNCTIONS[name]
            return lambda arrays, rows, d: _map1(f, args[0](arrays, rows, d))
        if name in ("atan2", "TorchAtan2"):
            y, x = args
            return lambda arrays, rows, d: _map2(_atan2, y(arrays, rows, d), x(arrays, rows, d))
        if name == "polygamma" and e.args[0].is_Integer and e.args[0] >= 0:
            # psi^(n)(x) = d^n/dx^n digamma(x), real for real x (acb computes it; its
            # imaginary part is exactly 0 there)
            n, x = int(e.args[0]), args[1]
            f = _real(lambda v: v.digamma() if n == 0 else acb(v).polygamma(n).real)
            return lambda arrays, rows, d: _map1(f, x(arrays, rows, d))
        if name == "XLogY":
            shift, x, y = int(e.args[0]), args[1], args[2]
            return lambda arrays, rows, d: _map2(lambda a, b: _xlogy(shift, a, b),
                                                 x(arrays, rows, d), y(arrays, rows, d))
        if name == "Step":
            kind, x = int(e.args[0]), args[1]
            return lambda arrays, rows, d: _map1(lambda v: _step(kind, v), x(arrays, rows, d))
        if name == "Heaviside":
            return lambda arrays, rows, d: _map1(_heaviside, args[0](arrays, rows, d))
        if name == "DiracDelta" and len(args) == 1:
            return lambda arrays, rows, d: _map1(_delta, args[0](arrays, rows, d))
        if name == "AbsPow":  # |x|^q; its derivative is a ZeroAtOrigin of plain functions
            return self._compile(sp.Abs(e.args[0]) ** e.args[1])
        if name == "SincDerivative":
            from verifier.ops.sympy_functions import SincDerivative
            return self._compile(SincDerivative.explicit(int(e.args[0]), e.args[1]))
        if name == "ZeroAtOrigin":
            f, r = args
            return lambda arrays, rows, d: _where_zero(r(arrays, rows, d), f, arrays, rows, d)
        if name in ("TiedMax", "Max", "Min") and args:
            top = max if name != "Min" else min
            return lambda arrays, rows, d: _extreme(top, [a(arrays, rows, d) for a in args],
                                                    len(rows), d)
        if name == "TieShare":
            index = int(e.args[0])
            values = args[1:]
            return lambda arrays, rows, d: _tie_share(index, [v(arrays, rows, d) for v in values],
                                                      len(rows), d)
        if name == "EuclideanNorm":
            return lambda arrays, rows, d: _map1(_sqrt, _sum([_square(a(arrays, rows, d))
                                                              for a in args]))
        raise Unsupported(f"no certified evaluation of {name}() in the graph oracle")

    def _piecewise(self, e):
        branches = [(self._compile(value), self._compile_condition(cond))
                    for value, cond in e.args]

        def evaluate(arrays, rows, d):
            out = np.empty(len(rows), dtype=object)
            out.fill(NAN)  # no branch taken: undefined
            left = np.ones(len(rows), dtype=bool)
            for value, cond in branches:
                if not left.any():
                    break
                where = np.flatnonzero(left)
                taken = np.asarray(_full(cond(arrays, rows[where], d), len(where)), dtype=bool)
                chosen = where[taken]
                if chosen.size:
                    out[chosen] = _full(value(arrays, rows[chosen], d), chosen.size)
                    left[chosen] = False
            return out
        return evaluate

    def _compile_condition(self, c):
        if c is sp.true or c is True:
            return lambda arrays, rows, d: True
        if c is sp.false or c is False:
            return lambda arrays, rows, d: False
        return self._condition(c)

    def _condition(self, c):
        if c.is_Symbol:  # a boolean input (where's condition)
            i = self.index[c]
            return lambda arrays, rows, d: np.asarray(arrays[i][rows], dtype=bool)
        if type(c) in RELATIONS:
            op = RELATIONS[type(c)]
            lhs, rhs = self._compile(c.lhs), self._compile(c.rhs)

            def relation(arrays, rows, d):
                a, b = _full(lhs(arrays, rows, d), len(rows)), _full(rhs(arrays, rows, d), len(rows))
                return np.array([d.compare(op, x, y) for x, y in zip(a, b)], dtype=bool)
            return relation
        if isinstance(c, (sp.And, sp.Or)):
            parts = [self._compile_condition(a) for a in c.args]
            combine = np.logical_and if isinstance(c, sp.And) else np.logical_or

            def logical(arrays, rows, d):
                values = [np.broadcast_to(np.asarray(p(arrays, rows, d), dtype=bool), (len(rows),))
                          for p in parts]
                out = values[0]
                for v in values[1:]:
                    out = combine(out, v)
                return out
            return logical
        if isinstance(c, sp.Not):
            inner = self._compile_condition(c.args[0])
            return lambda arrays, rows, d: ~np.broadcast_to(
                np.asarray(inner(arrays, rows, d), dtype=bool), (len(rows),))
        if c is sp.true or c is sp.false:
            return self._compile_condition(c)
        raise Unsupported(f"a condition {type(c).__name__} the graph oracle cannot decide")


# --- array helpers: scalars (constants) broadcast lazily -------------------------------
def _full(v, n: int) -> np.ndarray:
    if isinstance(v, np.ndarray):
        return v
    out = np.empty(n, dtype=object)
    out.fill(v)
    return out


def _sum(values):
    total = values[0]
    for v in values[1:]:
        total = total + v
    return total


def _product(values):
    total = values[0]
    for v in values[1:]:
        total = total * v
    return total


def _square(v):
    return v * v


def _reciprocal(x):
    # 1/0 = +inf, as IEEE's 1/+0 (log'(0) = +inf); x/x at 0 is 0 * inf = NaN: undefined
    if isinstance(x, fmpq):
        return POS_INF if x == 0 else 1 / x
    if x.is_exact() and x.is_zero():
        return POS_INF
    return 1 / x


def _map1(f, v):
    if isinstance(v, np.ndarray):
        out = np.empty(v.shape, dtype=object)
        for i, x in enumerate(v):
            out[i] = f(x)
        return out
    return f(v)


def _map2(f, a, b):
    if not isinstance(a, np.ndarray) and not isinstance(b, np.ndarray):
        return f(a, b)
    n = len(a) if isinstance(a, np.ndarray) else len(b)
    a, b = _full(a, n), _full(b, n)
    out = np.empty(n, dtype=object)
    for i in range(n):
        out[i] = f(a[i], b[i])
    return out


def _where_zero(r, f, arrays, rows, d):
    r = _full(r, len(rows))
    zero = np.array([d.compare("==", x, fmpq(0)) for x in r], dtype=bool)
    out = np.empty(len(rows), dtype=object)
    out.fill(fmpq(0))
    keep = np.flatnonzero(~zero)
    if keep.size:
        out[keep] = _full(f(arrays, rows[keep], d), keep.size)
    return out


def _extreme(top, values, n, d):
    values = [_full(v, n) for v in values]
    out = np.empty(n, dtype=object)
    for i in range(n):
        best = values[0][i]
        for v in values[1:]:
            x = v[i]
            better = d.compare(">", x, best) if top is max else d.compare("<", x, best)
            if better:
                best = x
        out[i] = best
    return out


def _tie_share(index, values, n, d):
    values = [_full(v, n) for v in values]
    top = _extreme(max, values, n, d)
    out = np.empty(n, dtype=object)
    for i in range(n):
        tied = [d.compare("==", v[i], top[i]) for v in values]
        out[i] = fmpq(1, sum(tied)) if tied[index] else fmpq(0)
    return out
