"""SymPy functions whose derivatives follow torch's conventions at kinks.

The exact oracle differentiates registry expressions with `sympy.diff`, so a
function whose SymPy derivative disagrees with torch at a kink needs its own
class with `fdiff`.  Each class evaluates to plain SymPy as soon as its
arguments are numbers, so values stay exact; only the symbolic form (the one
that gets differentiated) carries the convention.

Registry modules reach this module through `kink` (verifier/ops/symbolic.py),
which imports it, and SymPy with it, on the first call of a SymPy form: the
classes are defined on first use, and loading the registry imports no SymPy.
"""

from __future__ import annotations

import sympy as sp
from sympy.core.logic import fuzzy_and


def _all_numbers(args) -> bool:
    return all(a.is_number for a in args)


class TiedMax(sp.Function):
    """max(x_1, ..., x_n); at a tie the gradient is shared evenly (torch's amax).

    SymPy's Max differentiates to Heaviside(x_i - max(others)), which gives 1/2
    to each of three tied arguments (3/2 in all); torch gives 1/3 to each.
    """

    @classmethod
    def _evaluate(cls, *args):
        if len(args) == 1:
            return args[0]
        if _all_numbers(args):
            return sp.Max(*args)
        return None

    # SymPy's automatic-evaluation hook is a classmethod named `eval` (not Python's eval).
    eval = _evaluate

    def fdiff(self, argindex=1):
        # d max/dx_i = [x_i == max] / #{j : x_j == max}: a piecewise-constant share, kept
        # as one function of the arguments (a Piecewise of Eq's between large expressions
        # costs SymPy seconds to build and fold) and decided once the point is known.
        return TieShare(sp.Integer(argindex - 1), *self.args)

    def _eval_evalf(self, prec):
        return sp.Max(*[a.evalf(prec) for a in self.args])

    def _eval_is_real(self):
        return fuzzy_and(a.is_real for a in self.args)


class TieShare(sp.Function):
    """TieShare(i, x_1..x_n) = [x_i == max x] / #{j : x_j == max x}, torch's even share.

    Evaluates once every x is a number: exactly equal numbers tie; numbers that agree to
    TIE_DIGITS significant digits are taken as tied too, as the oracle decides conditions.
    Piecewise constant, so its own derivative is 0.
    """

    @classmethod
    def _evaluate(cls, index, *args):
        if not index.is_Integer or not _all_numbers(args):
            return None
        values = [sp.N(a, TIE_DIGITS + 10) for a in args]
        top = max(values)
        scale = max(abs(top), sp.Integer(1))
        tolerance = scale * sp.Float(10, TIE_DIGITS) ** -TIE_DIGITS
        tied = [bool(abs(v - top) <= tolerance) for v in values]
        return sp.Rational(1, sum(tied)) if tied[int(index)] else sp.Integer(0)

    # SymPy's automatic-evaluation hook is a classmethod named `eval` (not Python's eval).
    eval = _evaluate

    def fdiff(self, argindex=1):
        return sp.Integer(0)


TIE_DIGITS = 50


def tied_min(*args):
    """min(x) = -max(-x): the same even sharing of ties (torch's amin)."""
    return -TiedMax(*[-a for a in args])


class EuclideanNorm(sp.Function):
    """sqrt(sum x_i^2) whose gradient at the zero vector is 0 (torch's norm).

    Plain SymPy gives x_i / sqrt(sum x^2) = 0/0 = nan at the origin.
    """

    @classmethod
    def _evaluate(cls, *args):
        if _all_numbers(args):
            return sp.sqrt(sp.Add(*[a * a for a in args]))
        return None

    # SymPy's automatic-evaluation hook is a classmethod named `eval` (not Python's eval).
    eval = _evaluate

    def fdiff(self, argindex=1):
        # d|x|/dx_i = x_i / |x|, taken as 0 where |x| = 0
        x = self.args[argindex - 1]
        return ZeroAtOrigin(x / self, self)

    def _eval_evalf(self, prec):
        return sp.sqrt(sp.Add(*[a * a for a in self.args])).evalf(prec)

    def _eval_is_nonnegative(self):
        return True


class TorchSqrt(sp.Function):
    """sqrt(x) whose derivative at 0 is +oo (torch), not SymPy's zoo = 1/(2*0)."""

    @classmethod
    def _evaluate(cls, x):
        if x.is_number:
            return sp.sqrt(x)
        return None

    # SymPy's automatic-evaluation hook is a classmethod named `eval` (not Python's eval).
    eval = _evaluate

    def fdiff(self, argindex=1):
        # d sqrt(x)/dx = 1 / (2 sqrt(x)), +oo at x = 0
        x = self.args[0]
        return sp.Piecewise((sp.oo, sp.Eq(x, 0)), (1 / (2 * self), True))

    def _eval_evalf(self, prec):
        return sp.sqrt(self.args[0].evalf(prec))

    def _eval_is_nonnegative(self):
        if self.args[0].is_nonnegative:
            return True
        return None


def relu(x):
    # relu'(0) = 0 (torch): the x > 0 branch is strict.
    return sp.Piecewise((x, x > 0), (0, True))


def torch_abs(x):
    # |x| with derivative sign(x), 0 at 0 (torch); SymPy's Abs needs a real symbol for that.
    return sp.Piecewise((x, x > 0), (-x, x < 0), (0, True))


def clamp(x, low=None, high=None):
    """min(max(x, low), high); the gradient passes where low <= x <= high (torch, inclusive)."""
    if low is None and high is None:
        raise ValueError("clamp: at least one of min and max must be given")
    if high is None:
        return sp.Piecewise((low, x < low), (x, True))
    if low is None:
        return sp.Piecewise((high, x > high), (x, True))
    # torch with min > max gives max everywhere; min == max is that constant too, so its
    # derivative is 0 everywhere (the bounds rule is a convention at real kinks only).
    if (low >= high) is sp.true:
        return high + 0 * x
    return sp.Piecewise((high, sp.Or(x > high, low > high)), (low, x < low), (x, True))


def maximum(a, b):
    # torch.maximum gives half the gradient to each argument at a tie.
    return sp.Piecewise((a, a > b), (b, a < b), ((a + b) / 2, True))


def minimum(a, b):
    return sp.Piecewise((a, a < b), (b, a > b), ((a + b) / 2, True))


class ZeroAtOrigin(sp.Function):
    """ZeroAtOrigin(f, r) = f where r != 0, and 0 where r = 0 (a norm's gradient at 0).

    A Piecewise((f, Ne(r, 0)), (0, True)) says the same, but SymPy spends seconds folding
    and canonicalizing it when f and r are large; this stays one node until r is a number.
    Its derivative is taken inside: d/ds ZeroAtOrigin(f, r) = ZeroAtOrigin(df/ds, r).
    """

    @classmethod
    def _evaluate(cls, f, r):
        if r.is_number and r.is_zero:
            return sp.Integer(0)
        if r.is_number and r.is_zero is False:
            return f
        return None

    # SymPy's automatic-evaluation hook is a classmethod named `eval` (not Python's eval).
    eval = _evaluate

    def _eval_derivative(self, s):
        f, r = self.args
        return ZeroAtOrigin(f.diff(s), r)

    def _eval_evalf(self, prec):
        # A number r that SymPy cannot prove zero or nonzero: decide it numerically.
        f, r = self.args
        return sp.Integer(0) if sp.N(r, 50) == 0 else f.evalf(prec)


class SincDerivative(sp.Function):
    """SincDerivative(n, x): the n-th derivative of sinc(x) = sin(pi x) / (pi x), analytic at 0.

    sinc has no kink at 0: its series is sum_k (-1)^k (pi x)^(2k) / (2k + 1)!, so the n-th
    derivative there is 0 for odd n and (-1)^(n/2) pi^n / (n + 1) for even n (sinc''(0) =
    -pi^2 / 3).  A Piecewise with the value 1 at 0 would differentiate its constant branch
    to 0 at every order; this family differentiates into itself instead.
    """

    @classmethod
    def _evaluate(cls, n, x):
        if not n.is_Integer or not x.is_number:
            return None
        return cls.explicit(int(n), x)

    eval = _evaluate

    @staticmethod
    def explicit(n: int, x):
        """The closed form: a Piecewise with the series value at 0 (compile.py evaluates it)."""
        t = sp.Dummy("t", real=True)
        away = sp.diff(sp.sin(sp.pi * t) / (sp.pi * t), t, n).subs(t, x)
        at_zero = sp.Integer(0) if n % 2 else (-1) ** (n // 2) * sp.pi ** n / (n + 1)
        if x.is_number:
            return at_zero if x.is_zero else away
        return sp.Piecewise((at_zero, sp.Eq(x, 0)), (away, True))

    def fdiff(self, argindex=2):
        n, x = self.args
        return SincDerivative(n + 1, x) if argindex == 2 else sp.Integer(0)


def sinc(x):
    return SincDerivative(sp.Integer(0), x)


class LogAbs(sp.Function):
    """log|x|: -oo at 0 (SymPy's log(0) is the unsigned zoo), derivative 1/x everywhere, so
    at 0 the slope is SymPy's unsigned infinity (and 0 * zoo = nan where nothing depends on
    it), not sign(0) / |0| = 0 * zoo."""

    @classmethod
    def _evaluate(cls, x):
        if x.is_number:
            return -sp.oo if x.is_zero else sp.log(sp.Abs(x))
        return None

    eval = _evaluate

    def fdiff(self, argindex=1):
        return 1 / self.args[0]
