"""Ties whose order torch leaves unspecified (topk): where the choice moves the gradient.

At a tie, a selection op is not differentiable: which of the tied elements gets the
gradient is a convention.  For max/min/median with dim, sort and cummax torch fixes
it (the registry follows it); for topk it does not.  The oracle therefore derives a
case that asked for such a tie mode twice, breaking the ties in index order and in
reverse order (ops/sympy_selection.py).  Elements whose exact value differs between
the two are marked undefined, with a convention: no derivative exists there and a
backend may return the value of either order (a NaN is accepted too).  Elements
that do not depend on the order keep their exact check.
"""

from __future__ import annotations

import numpy as np

from verifier.ops.sympy_selection import tie_order

QUANTITIES = ("value", "grads", "hvp")


def derive_both_orders(derive):
    """derive() under index order; (derivation, other) where `other` is the derivation with
    unspecified ties reversed, or None when no op left its ties unspecified."""
    with tie_order(reverse=False) as asked:
        derivation = derive()
    if not asked:
        return derivation, None
    with tie_order(reverse=True):
        return derivation, derive()


def order_dependent(derivation, other) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{'grad.x': (mask, values in the other order), ...} for the quantities with elements
    whose exact value depends on the tie order."""
    found = {}
    for key, mine, theirs in _pairs(derivation, other):
        mine, theirs = np.asarray(mine, dtype=object), np.asarray(theirs, dtype=object)
        if mine.shape != theirs.shape:
            continue  # shapes do not depend on tie order; nothing to compare element-wise
        differ = np.array([_differ(a, b) for a, b in zip(mine.ravel(), theirs.ravel())],
                          dtype=bool).reshape(mine.shape)
        if differ.any():
            found[key] = differ, theirs
    return found


def _pairs(derivation, other):
    if derivation.value is not None and other.value is not None:
        yield "value", derivation.value, other.value
    for prefix, name in (("grad", "grads"), ("hvp", "hvp")):
        mine, theirs = getattr(derivation, name), getattr(other, name)
        for k in mine:
            if k in theirs:
                yield f"{prefix}.{k}", mine[k], theirs[k]


def _differ(a, b) -> bool:
    try:
        return bool(a != b)
    except TypeError:  # SymPy relationals that do not reduce: treat as differing
        return True
