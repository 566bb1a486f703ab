"""Full reductions written as outer(Σ_i inner(x_i), n), for the generic-element path.

This is how the generic path sees a reduction over every dim; it is not a
second implementation of the op: each form is checked once against the
registry's own SymPy implementation (on a few symbols, at rational points)
before it is used, and a reduction whose form does not match is expanded.
"""

from __future__ import annotations

import random

import numpy as np
import sympy as sp

from verifier.contract import TimeLimit
from verifier.ops.dims import axes

# name -> (inner(x), outer(σ, n)); torch's meanings, real inputs.
FORMS = {
    "sum": (lambda x: x, lambda s, n: s),
    "mean": (lambda x: x, lambda s, n: s / n),
    # ||x||_2 = sqrt(Σ x²)
    "norm": (lambda x: x ** 2, lambda s, n: sp.sqrt(s)),
    # logsumexp(x) = log Σ e^x
    "logsumexp": (sp.exp, lambda s, n: sp.log(s)),
}
_checked: dict = {}


def sum_form(op, params: dict, ndim: int):
    """(inner, outer) for a reduction over every dim, or None (expand it instead)."""
    form = FORMS.get(op.name)
    if form is None or not _over_every_dim(params.get("dim"), ndim):
        return None
    if op.name == "norm" and params.get("p", 2) not in (2, "fro", None):
        return None
    key = (op.name, repr(sorted((k, repr(v)) for k, v in params.items() if k not in ("dim",
                                                                                    "keepdim"))))
    if key not in _checked:
        _checked[key] = _matches_registry(op, params, form)
    return form if _checked[key] else None


def _over_every_dim(dim, ndim: int) -> bool:
    if dim is None:
        return True
    ax = axes(dim, ndim)
    return ax is None or sorted(set(ax)) == list(range(ndim))


def _matches_registry(op, params: dict, form) -> bool:
    """The form equals the registry's op.sympy on three symbols, at rational points."""
    inner, outer = form
    xs = sp.symbols("a0:3", real=True)
    try:
        params = {k: v for k, v in params.items() if k not in ("dim", "keepdim")}
        # A 1-d array reduced over dim 0 is reduced over every dim.
        params.update({k: v for k, v in (("dim", 0), ("keepdim", False))
                       if k in op.param_names()})
        reference = np.asarray(op.sympy(np.array(xs, dtype=object), **params), dtype=object).item()
    except TimeLimit:
        raise
    except Exception:  # noqa: BLE001 - any failure means: do not use the form
        return False
    mine = outer(sum(inner(x) for x in xs), len(xs))
    rng = random.Random(0)
    points = [{x: sp.Integer(0) for x in xs}]  # kinks: the registry's convention at 0 must hold
    points += [{x: sp.Rational(rng.randint(-20, 20), rng.randint(1, 7)) for x in xs}
               for _ in range(3)]
    for at in points:
        for a, b in [(reference, mine), (sp.diff(reference, xs[0]), sp.diff(mine, xs[0]))]:
            if not _same_number(a.xreplace(at), b.xreplace(at)):
                return False
    return True


def _same_number(a, b) -> bool:
    if a == b:
        return True
    if a.has(sp.nan, sp.zoo) or b.has(sp.nan, sp.zoo):
        return False
    diff = sp.N(a - b, 30)
    return bool(diff.is_Number and abs(diff) <= sp.Float(10) ** -25)
