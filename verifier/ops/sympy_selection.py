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


# At a tie a selection is not differentiable: which tied element gets the gradient is
# a convention.  torch fixes it for max/min/median with dim, sort and cummax/cummin
# (the registry follows torch) and leaves it open for topk.  Every form asks
# `tie_mode(...)` for its mode, which records the kind asked, so that the oracle can
# derive the case again (oracle/ties.py): once with every tie's selection NaN
# (MARK_TIES: the elements a tie decides come out undefined), and for open ties once
# with them broken in reverse index order (the other value torch may return).  The
# mode is an argument of the form (descending + 2·mode), not a global read at
# evaluation, so SymPy's cache of evaluated functions cannot mix the passes up.
FIXED, OPEN, OPEN_REVERSED, MARK_TIES = 0, 1, 2, 3
_PASS = contextvars.ContextVar("tie_pass", default=None)  # None, 'mark' or 'reverse'
_ASKED = contextvars.ContextVar("tie_kinds_asked", default=None)


def tie_mode(open_order: bool = False) -> int:
    """The tie mode of a selection whose tie order torch fixes or leaves open (topk)."""
    asked = _ASKED.get()
    if asked is not None:
        asked.add("open" if open_order else "fixed")
    derivation_pass = _PASS.get()
    if derivation_pass == "mark":
        return MARK_TIES
    if open_order:
        return OPEN_REVERSED if derivation_pass == "reverse" else OPEN
    return FIXED


@contextlib.contextmanager
def tie_pass(name: str | None = None):
    """Derive under pass `name` (None, 'mark' or 'reverse'); yields the set of tie kinds
    ('fixed', 'open') that the forms asked for, and 'tie' once a derivative met a tie."""
    asked: set = set()
    tokens = _PASS.set(name), _ASKED.set(asked)
    try:
        yield asked
    finally:
        _PASS.reset(tokens[0])
        _ASKED.reset(tokens[1])


def _mode(code) -> tuple[bool, bool, bool]:
    """(descending, reverse ties, mark ties) from the form's descending + 2·mode."""
    code = int(code)
    mode = code // 2
    return bool(code % 2), mode == OPEN_REVERSED, mode == MARK_TIES


def _order(xs, code) -> list[int]:
    """stable_order of xs under the form's descending + 2·mode."""
    descending, reverse, _ = _mode(code)
    return stable_order(xs, descending, reverse)


def _tie_group(xs, chosen: int) -> list[int]:
    """The elements equal to the chosen one (itself included); a group of several is a tie,
    recorded for the derivation (the other passes are then needed)."""
    group = [i for i in range(len(xs)) if i == chosen or _tied(xs[i], xs[chosen])]
    asked = _ASKED.get()
    if len(group) > 1 and asked is not None:
        asked.add("tie")
    return group


def _decided_by_a_tie(code, group: list[int], index: int) -> bool:
    """In the mark pass, x_index's share is NaN where a tie of several decides it."""
    return _mode(code)[2] and len(group) > 1 and index in group


# SymPy's Function.__new__ is wrapped by its cache (functools.wraps keeps the original).
_UNCACHED_NEW = getattr(sp.Function.__new__, "__wrapped__", sp.Function.__new__)


class _Evaluated(sp.Function):
    """A derivative of a selection is evaluated at every construction, not taken from
    SymPy's cache, so that meeting a tie is recorded in every derivation that meets it."""

    def __new__(cls, *args, **options):
        return _UNCACHED_NEW(cls, *args, **options)


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
        return xs[_order(xs, descending)[int(rank)]]

    # SymPy's automatic-evaluation hook is a classmethod named `eval` (not Python's eval).
    eval = _evaluate

    def fdiff(self, argindex=1):
        if argindex <= 2:
            return sp.Integer(0)
        rank, descending, *xs = self.args
        return IsSelected(sp.Integer(argindex - 3), rank, descending, *xs)

    def _eval_is_real(self):
        return all(a.is_real for a in self.args[2:]) or None


class IsSelected(_Evaluated):
    """IsSelected(i, rank, descending, *xs) = 1 if x_i is at `rank` of the stable sort, else 0."""

    @classmethod
    def _evaluate(cls, index, rank, descending, *xs):
        if not (index.is_Integer and rank.is_Integer) or not _all_numbers(xs):
            return None
        chosen = _order(xs, descending)[int(rank)]
        if _decided_by_a_tie(descending, _tie_group(xs, chosen), int(index)):
            return sp.nan
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
        return sp.Integer(_order(xs, descending)[int(rank)])

    eval = _evaluate

    def fdiff(self, argindex=1):
        return sp.Integer(0)


def order_stat(rank: int, descending: bool, xs, ties: int | None = None):
    """OrderStat; `ties` a tie_mode (default: the fixed ties' current mode)."""
    ties = tie_mode() if ties is None else ties
    return OrderStat(sp.Integer(rank), sp.Integer(int(descending) + 2 * ties), *xs)


def order_index(rank: int, descending: bool, xs, ties: int | None = None):
    ties = tie_mode() if ties is None else ties
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


class EvenShare(_Evaluated):
    """[x_i equals the selected element] / (how many elements equal it)."""

    @classmethod
    def _evaluate(cls, index, rank, descending, *xs):
        if not (index.is_Integer and rank.is_Integer) or not _all_numbers(xs):
            return None
        group = _tie_group(xs, _order(xs, descending)[int(rank)])
        if _decided_by_a_tie(descending, group, int(index)):
            return sp.nan
        return sp.Rational(1, len(group)) if int(index) in group else sp.Integer(0)

    eval = _evaluate

    def fdiff(self, argindex=1):
        return sp.Integer(0)


def _tied(a, b) -> bool:
    a, b = sp.N(a, TIE_DIGITS + 10), sp.N(b, TIE_DIGITS + 10)
    scale = max(abs(a), abs(b), sp.Integer(1))
    return bool(abs(a - b) <= scale * sp.Float(10, TIE_DIGITS) ** -TIE_DIGITS)


def even_order_stat(rank: int, descending: bool, xs):
    return EvenOrderStat(sp.Integer(rank), sp.Integer(int(descending) + 2 * tie_mode()), *xs)
