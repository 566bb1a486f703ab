"""SymPy functions for operations that select elements: sort, topk, max(dim), median, cummax.

No closed form picks "the k-th smallest" symbolically, so these stay unevaluated
until their arguments are numbers, as the kink functions do (sympy_functions.py):
the oracle differentiates the symbolic form and decides the selection at the
point, which is the permutation that point selects.

`OrderStat(rank, descending, x_0, ..., x_n-1)` is the element at position `rank`
of the *stable* sort of the x's (ties keep their index order), which is torch's
choice for sort, max/min with dim (the first index among ties), median (the
lower median, first index) and, read from the end, cummax/cummin (the last index
among ties). Its derivative with respect to x_i is `IsSelected(i, rank,
descending, x...)`: 1 where x_i is the selected element, else 0, itself
piecewise constant.

Registry modules reach this module through `select` (a LazyModule in
selection.py), so loading the registry imports no SymPy.
"""

from __future__ import annotations

import contextlib
import contextvars

import sympy as sp

# Numbers equal to this many significant digits count as tied (as TieShare decides ties).
TIE_DIGITS = 50


# torch leaves the order of ties unspecified for topk.  Such an op's form asks
# `unspecified_ties()` for its tie mode, which also records that it was asked: the oracle
# then derives the case a second time with the ties reversed (oracle/ties.py), and where
# the two derivatives differ no derivative exists and torch may return either.
# The mode is an argument of the form (not a global read at evaluation), so SymPy's
# cache of evaluated functions cannot hand one order's result to the other.
SPECIFIED, INDEX_ORDER, REVERSED = 0, 1, 2
_REVERSE = contextvars.ContextVar("reverse_unspecified_ties", default=False)
_ASKED = contextvars.ContextVar("unspecified_ties_asked", default=None)


def unspecified_ties() -> int:
    """The tie mode for an op that leaves the order of ties unspecified."""
    asked = _ASKED.get()
    if asked is not None:
        asked.append(True)
    return REVERSED if _REVERSE.get() else INDEX_ORDER


@contextlib.contextmanager
def tie_order(reverse: bool):
    """Break unspecified ties in reverse index order (or index order); yields a list that
    is non-empty once some op asked for its tie mode."""
    asked: list = []
    tokens = _REVERSE.set(reverse), _ASKED.set(asked)
    try:
        yield asked
    finally:
        _REVERSE.reset(tokens[0])
        _ASKED.reset(tokens[1])


def _mode(code) -> tuple[bool, bool]:
    """(descending, reverse ties) from the form's `descending` argument: descending + 2·mode."""
    code = int(code)
    return bool(code % 2), code // 2 == REVERSED


def _all_numbers(args) -> bool:
    return all(a.is_number for a in args)


def stable_order(values, descending: bool, reverse_ties: bool = False) -> list[int]:
    """The indices of `values` (SymPy numbers) in stable sorted order.

    Exact comparisons where SymPy decides them; numbers that agree to TIE_DIGITS
    digits are tied, so they keep their index order (or the reverse one).
    """
    approx = [sp.N(v, TIE_DIGITS + 10) for v in values]
    scale = max([abs(a) for a in approx] + [sp.Integer(1)])
    tolerance = scale * sp.Float(10, TIE_DIGITS) ** -TIE_DIGITS

    def before(i, j):
        # Does element i come before element j (i < j in index order)?
        if abs(approx[i] - approx[j]) <= tolerance:
            return not reverse_ties  # tied: index order, or its reverse
        return (approx[i] > approx[j]) if descending else (approx[i] < approx[j])

    order: list[int] = []
    for i in range(len(values)):  # insertion sort: stable, and n is small in the oracle
        k = len(order)
        while k > 0 and not before(order[k - 1], i):
            k -= 1
        order.insert(k, i)
    return order


class OrderStat(sp.Function):
    """OrderStat(rank, descending, *xs): the element at `rank` of the stable sort of xs."""

    @classmethod
    def _evaluate(cls, rank, descending, *xs):
        if not rank.is_Integer or not _all_numbers(xs):
            return None
        return xs[stable_order(xs, *_mode(descending))[int(rank)]]

    # SymPy's automatic-evaluation hook is a classmethod named `eval` (not Python's eval).
    eval = _evaluate

    def fdiff(self, argindex=1):
        if argindex <= 2:
            return sp.Integer(0)
        rank, descending, *xs = self.args
        return IsSelected(sp.Integer(argindex - 3), rank, descending, *xs)

    def _eval_is_real(self):
        return all(a.is_real for a in self.args[2:]) or None


class IsSelected(sp.Function):
    """IsSelected(i, rank, descending, *xs) = 1 if x_i is at `rank` of the stable sort, else 0."""

    @classmethod
    def _evaluate(cls, index, rank, descending, *xs):
        if not (index.is_Integer and rank.is_Integer) or not _all_numbers(xs):
            return None
        chosen = stable_order(xs, *_mode(descending))[int(rank)]
        return sp.Integer(1 if chosen == int(index) else 0)

    eval = _evaluate

    def fdiff(self, argindex=1):
        return sp.Integer(0)


class OrderIndex(sp.Function):
    """OrderIndex(rank, descending, *xs): the index of the element OrderStat selects."""

    @classmethod
    def _evaluate(cls, rank, descending, *xs):
        if not rank.is_Integer or not _all_numbers(xs):
            return None
        return sp.Integer(stable_order(xs, *_mode(descending))[int(rank)])

    eval = _evaluate

    def fdiff(self, argindex=1):
        return sp.Integer(0)


def order_stat(rank: int, descending: bool, xs, ties: int = SPECIFIED):
    return OrderStat(sp.Integer(rank), sp.Integer(int(descending) + 2 * ties), *xs)


def order_index(rank: int, descending: bool, xs, ties: int = SPECIFIED):
    return OrderIndex(sp.Integer(rank), sp.Integer(int(descending) + 2 * ties), *xs)


class EvenOrderStat(sp.Function):
    """EvenOrderStat(rank, descending, *xs): OrderStat whose gradient is shared evenly by
    every element equal to the selected one (torch's median without dim)."""

    @classmethod
    def _evaluate(cls, rank, descending, *xs):
        return OrderStat._evaluate(rank, descending, *xs)

    eval = _evaluate

    def fdiff(self, argindex=1):
        if argindex <= 2:
            return sp.Integer(0)
        rank, descending, *xs = self.args
        return EvenShare(sp.Integer(argindex - 3), rank, descending, *xs)


class EvenShare(sp.Function):
    """[x_i equals the selected element] / (how many elements equal it)."""

    @classmethod
    def _evaluate(cls, index, rank, descending, *xs):
        if not (index.is_Integer and rank.is_Integer) or not _all_numbers(xs):
            return None
        order = stable_order(xs, *_mode(descending))
        chosen = order[int(rank)]
        tied = [i for i in range(len(xs)) if _tied(xs[i], xs[chosen])]
        return sp.Rational(1, len(tied)) if int(index) in tied else sp.Integer(0)

    eval = _evaluate

    def fdiff(self, argindex=1):
        return sp.Integer(0)


def _tied(a, b) -> bool:
    a, b = sp.N(a, TIE_DIGITS + 10), sp.N(b, TIE_DIGITS + 10)
    scale = max(abs(a), abs(b), sp.Integer(1))
    return bool(abs(a - b) <= scale * sp.Float(10, TIE_DIGITS) ** -TIE_DIGITS)


def even_order_stat(rank: int, descending: bool, xs):
    return EvenOrderStat(sp.Integer(rank), sp.Integer(int(descending)), *xs)
