"""Selections at ties: the gradient elements that a tie decides are undefined.

At a tie a selection is not differentiable: which of the tied elements gets the
gradient is a convention.  torch fixes it for max/min/median, sort and cummax/cummin
(the registry follows torch: "fixed" ties) and leaves it open for topk ("open" ties).
A case where a selection's derivative met a tie (ops/sympy_selection.py) is derived
again with every tie's selection NaN: the elements that come out NaN there, and not in the
case itself, are the ones a tie decides.  They are marked undefined, with a convention:

- at fixed ties the registry's (torch's) value is still required, or NaN;
- at open ties the value of index order or of reverse order (a third derivation) is
  accepted, or NaN.  Of three or more tied elements a backend taking a middle one is
  judged against those two orders only.

Finite differences, which measure one-sided partials there, are not compared at those
elements.  Elements that no tie decides keep their exact check.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from verifier.ops.sympy_selection import tie_pass


def derive_tie_orders(derive):
    """(derivation, marked, reversed): the case's derivation; the one with ties marked NaN
    and the one with open ties reversed, each None where no form asked for it."""
    with tie_pass() as asked:
        derivation = derive()
    if "tie" not in asked:  # no selection met a tie here: nothing to mark
        return derivation, None, None
    with tie_pass("mark"):
        marked = derive()
    if "open" not in asked:
        return derivation, marked, None
    with tie_pass("reverse"):
        return derivation, marked, derive()


def tie_marks(derivation, marked, reversed_) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{'grad.x': (elements a tie decides, the other admissible value there), ...}: the
    reversed order's value at open ties, else the derivation's own (nothing else)."""
    if marked is None:
        return {}
    others = dict((k, theirs) for k, _, theirs in _pairs(derivation, reversed_)) \
        if reversed_ is not None else {}
    marks = {}
    for key, mine, theirs in _pairs(derivation, marked):
        if mine.shape != theirs.shape:
            continue
        decided = np.array([_nan(b) and not _nan(a) for a, b in zip(mine.ravel(), theirs.ravel())],
                           dtype=bool).reshape(mine.shape)
        if decided.any():
            other = others.get(key)
            admitted = other if other is not None and other.shape == mine.shape else mine
            marks[key] = decided, admitted
    return marks


def _pairs(derivation, other):
    if derivation.value is not None and other.value is not None:
        yield "value", _objects(derivation.value), _objects(other.value)
    for prefix, name in (("grad", "grads"), ("hvp", "hvp")):
        mine, theirs = getattr(derivation, name), getattr(other, name)
        for k in mine:
            if k in theirs:
                yield f"{prefix}.{k}", _objects(mine[k]), _objects(theirs[k])


def _objects(a) -> np.ndarray:
    return np.asarray(a, dtype=object)


def _nan(v) -> bool:
    return v is sp.nan or (isinstance(v, float) and v != v)
