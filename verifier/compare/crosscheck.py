"""Numeric rows compared with each other, where the exact reference could not finish.

An oracle that runs out of time (or another limit) costs the exact verdict,
not the numeric results: each such row is compared, quantity by quantity,
with every other row that ran (fd included), within the looser of the two
rows' tolerances plus fd's own error estimate.  The row's message says that
no exact verdict was reached and why, and which rows it agrees with.
"""

from __future__ import annotations

import numpy as np

from verifier.cases.model import Case
from verifier.compare.tolerance import tolerance_for


def compare_without_reference(case: Case, rows: list) -> None:
    """Judge every row marked `unjudged` against the other rows that ran."""
    ran = [r for r in rows if _ran(r)]
    for row in rows:
        if not row.unjudged:
            continue
        v = row.verdict
        others = [o for o in ran if o is not row]
        agree, disagree = [], []
        for other in others:
            (agree if _consistent(case, row, other) else disagree).append(other.label)
        v.status = "fail" if disagree else "pass"
        parts = [row.unjudged]
        if disagree:
            parts.append(f"disagrees with {', '.join(disagree)}")
        if agree:
            parts.append(f"agrees with {', '.join(agree)}")
        if not others:
            parts.append("no other backend ran to compare with")
        v.message = "; ".join(parts)


def _ran(row) -> bool:
    return row.run.error_kind is None and not row.run.skipped and row.run.value is not None


def _quantities(run) -> dict:
    out = {"value": run.value}
    out.update({f"grad.{n}": g for n, g in run.grads.items()})
    out.update({f"hvp.{n}": h for n, h in run.hvp.items()})
    return out


def _consistent(case: Case, a, b) -> bool:
    qa, qb = _quantities(a.run), _quantities(b.run)
    for name in qa.keys() & qb.keys():
        x, y = qa[name], qb[name]
        if x is None or y is None:
            continue
        x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        if x.shape != y.shape:
            return False
        ta = tolerance_for(case, a.run.dtype, name, tuple(a.run.trace), a.run.backend)
        tb = tolerance_for(case, b.run.dtype, name, tuple(b.run.trace), b.run.backend)
        finite = np.isfinite(x) & np.isfinite(y)
        if not np.array_equal(np.isnan(x), np.isnan(y)) or \
                not np.array_equal(x[~finite & ~np.isnan(x)], y[~finite & ~np.isnan(y)]):
            return False
        scale = float(np.max(np.abs(y[finite]), initial=0.0))
        allowed = max(ta.rtol, tb.rtol) * scale + max(ta.atol, tb.atol)
        estimate = np.broadcast_to(_estimate(a.run, name) + _estimate(b.run, name), x.shape)
        with np.errstate(invalid="ignore", over="ignore"):
            if np.any(np.abs(x[finite] - y[finite]) > allowed + estimate[finite]):
                return False
    return True


def _estimate(run, quantity: str):
    key = quantity.partition(".")[2] if quantity.startswith("grad.") else quantity
    e = run.error_estimate.get(key)
    return np.zeros(()) if e is None else np.nan_to_num(np.asarray(e, dtype=np.float64))
