"""Which backend is wrong, when backends disagree: blame on independent evidence only.

A failing row's first failing quantity is examined at its failing elements E:

  - evidence for the oracle comes from rows of the *same dtype* (the inputs
    they received are the same) that pass at every element of E with finite,
    compared values, and from fd (float64 rows): fd differentiates a
    high-precision forward, independent of the engine and of SymPy's diff.
    Agreement in NaN or inf is no evidence, and neither is an element fd
    could not judge.  With such evidence, the failing backend is to blame;
  - when every other float row of that dtype fails at E the same way, the
    backends did not compute independently wrong answers: either the
    expression itself is unstable in that dtype (it overflows to inf, turns
    into NaN, or loses its digits to cancellation; fd or another dtype
    confirms the oracle), and no backend and no oracle is blamed; or, where the
    rows of every dtype give the very same wrong number and fd confirms the oracle,
    a rule they share (a kink convention, a common formula), not rounding; or they
    agree on finite numbers that no evidence supports, and the oracle (or, for
    a derivative, a registry convention) is suspect;
  - otherwise the failing backend is blamed.

Where several differentiation paths of one library ran (torch's reverse mode, forward_ad,
torch.func, vmap, compile), the message also says which paths agree with the oracle ("by
path, grad.X: torch.func.vjp agrees with exact, reverse mode (.backward()) and forward-mode
JVPs (forward_ad) do not", compare/paths.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from verifier.compare.errors import element_name
from verifier.compare.paths import by_path
from verifier.compare.tolerance import EPS
from verifier.contract import ORACLE, Run
from verifier.verdict import Verdict

# Two backends "agree" on an element when they differ by at most this many
# epsilons of the dtype, relative to the element.
AGREEMENT_EPS = 64
UNSTABLE = "unstable"
SHARED_RULE = "shared rule"


@dataclass
class Judged:
    """A numeric row: its verdict, its run and the per-quantity checks."""
    verdict: Verdict
    run: Run
    checks: dict = field(default_factory=dict)  # quantity name -> QuantityCheck
    # Why the row could not be judged against the reference (it timed out): the row is
    # then compared with the other rows (crosscheck.py).
    unjudged: str = ""

    @property
    def label(self) -> str:
        return f"{self.verdict.backend} {self.verdict.dtype}"

    def got(self, quantity: str):
        if quantity == "value":
            return self.run.value
        kind, _, name = quantity.partition(".")
        return (self.run.grads if kind == "grad" else self.run.hvp).get(name)


def assign_blame(rows: list[Judged]) -> bool:
    """Set `blame` on failing rows; True when the oracle is the suspect."""
    oracle_suspect = False
    for row in rows:
        if row.verdict.status != "fail" or row.verdict.diverged or not row.checks:
            continue
        failing = [q for q, c in row.checks.items() if not c.ok]
        if not failing:
            continue
        quantity = failing[0]
        others = [o for o in rows if o.verdict.backend != row.verdict.backend and quantity in o.checks]
        paths = by_path([(o.verdict.backend, o.checks[quantity].ok) for o in [row] + others
                         if not o.checks[quantity].details.get("not_compared")], quantity)
        if paths:
            row.verdict.message += f"; {paths}"
        elements = _failing_elements(row, quantity)
        verdict = _weigh(row, rows, quantity, elements)
        oracle_suspect |= verdict == ORACLE
    return oracle_suspect


def _weigh(row: Judged, rows: list[Judged], quantity: str, elements: list[tuple]) -> str:
    v = row.verdict
    others = [o for o in rows if o is not row and quantity in o.checks
              and not o.verdict.diverged and o.verdict.status in ("pass", "fail")]
    same_dtype = [o for o in others if o.verdict.dtype == v.dtype and o.verdict.backend != "fd"]
    alike = [o for o in same_dtype if _fails_like(o, row, quantity, elements)]
    if same_dtype and len(alike) == len(same_dtype):
        return _shared_failure(row, others, alike, quantity, elements)
    witnesses = [o for o in others if o.verdict.dtype == v.dtype
                 and _passes_at(o, quantity, elements)]
    v.blame = v.backend
    if witnesses:
        v.message += f"; {', '.join(o.label for o in witnesses)} agree with exact"
    return v.blame


def _shared_failure(row: Judged, others: list[Judged], alike: list[Judged], quantity: str,
                    elements: list[tuple]) -> str:
    """Every float backend of the row's dtype gets the same wrong result."""
    v = row.verdict
    confirmed = [o.label for o in others if o not in alike and _passes_at(o, quantity, elements)]
    got = np.asarray(row.got(quantity), dtype=np.float64)
    exact = np.asarray(row.checks[quantity].details.get("exact", []), dtype=np.float64)
    nonfinite = any(not np.isfinite(got[i]) for i in elements)
    cancelled = exact.size == got.size and any(
        got[i] == 0 and _negligible(exact.reshape(got.shape)[i], row) for i in elements)
    names = ", ".join([row.label] + [o.label for o in alike])
    where = element_name(quantity, elements[0]) if elements else quantity
    if confirmed and not (nonfinite or cancelled) and _same_in_every_dtype(row, others, quantity,
                                                                          elements):
        # Rounding differs between float32 and float64; a result equal in both is a rule the
        # backends share (a convention at a kink, a common formula), which the evidence refutes.
        v.blame = ""
        v.message += (f"; every backend, in every dtype, gets the same {where} = "
                      f"{_number(got, elements[0])}: not rounding but a rule they share (a "
                      f"convention at a kink, or a common formula), and {', '.join(confirmed)} "
                      f"agree with exact")
        return SHARED_RULE
    if nonfinite or cancelled or confirmed:
        v.blame = ""
        reason = ("overflows or turns into NaN" if nonfinite else
                  "loses every digit (cancellation or underflow to 0)" if cancelled else
                  "loses its digits")
        support = f"; {', '.join(confirmed)} agree with exact" if confirmed else ""
        v.message += (f"; every {v.dtype} backend ({names}) gets the same wrong {where}: the "
                      f"expression {reason} in {v.dtype}; it is unstable there, which is no "
                      f"single backend's bug and no oracle's{support}")
        return UNSTABLE
    v.blame = ORACLE
    suspect = "the oracle" if quantity == "value" else \
        "the oracle or a registry convention (a kink's derivative)"
    v.message += (f"; every {v.dtype} backend ({names}) agrees with the others on {where} "
                  f"but not with the oracle, and no independent evidence supports the oracle: "
                  f"{suspect} is suspect")
    return v.blame


def _same_in_every_dtype(row: Judged, others: list[Judged], quantity: str,
                         elements: list[tuple]) -> bool:
    """The numeric rows of another float dtype fail at `elements` with the very same values."""
    got = np.asarray(row.got(quantity), dtype=np.float64)
    other_dtype = [o for o in others if o.verdict.dtype != row.verdict.dtype
                   and o.verdict.backend != "fd" and o.got(quantity) is not None]
    if not other_dtype:
        return False
    for o in other_dtype:
        theirs = np.asarray(o.got(quantity), dtype=np.float64)
        if theirs.shape != got.shape or any(theirs[i] != got[i] for i in elements):
            return False
    return True


def _number(values: np.ndarray, index: tuple) -> str:
    return f"{float(values[index]):.6g}"


def _negligible(exact: float, row: Judged) -> bool:
    """An exact element a float computation can lose entirely: nonzero, but below sqrt(eps)
    of the output's magnitude (sigmoid'(40) = 4e-18 beside sigmoid(40) = 1)."""
    value = row.checks.get("value")
    scale = np.abs(np.asarray(value.details.get("exact", [0.0]), dtype=np.float64)) if value \
        else np.zeros(1)
    scale = float(np.max(scale[np.isfinite(scale)], initial=0.0))
    eps = EPS.get(row.verdict.dtype, EPS["float32"])
    return exact != 0 and abs(exact) < np.sqrt(eps) * scale


def _failing_elements(row: Judged, quantity: str) -> list[tuple]:
    check = row.checks[quantity]
    got, exact = row.got(quantity), check.details.get("exact")
    allowed = check.details.get("allowed")
    if got is None or exact is None or allowed is None or check.details.get("truncated"):
        return [tuple(check.worst_index)]
    got = np.asarray(got, dtype=np.float64)
    exact = np.asarray(exact, dtype=np.float64).reshape(got.shape)
    allowed = np.asarray(allowed, dtype=np.float64).reshape(got.shape)
    with np.errstate(invalid="ignore", over="ignore"):
        wrong = ~(np.abs(got - exact) <= allowed) & ~(np.isinf(exact) & (got == exact))
    wrong &= ~np.isnan(exact) | ~np.isnan(got)
    for skipped in (check.overflow, check.not_compared, check.conventions, check.infinite):
        for i in skipped:
            wrong[i] = False
    found = [tuple(int(k) for k in i) for i in zip(*np.nonzero(wrong))] if got.ndim else \
        ([()] if bool(wrong) else [])
    return found or [tuple(check.worst_index)]


def _passes_at(other: Judged, quantity: str, elements: list[tuple]) -> bool:
    """`other` matches exact at every element, with finite values it actually compared."""
    check = other.checks[quantity]
    got = other.got(quantity)
    if got is None or check.details.get("truncated"):
        return check.ok and not check.not_compared and got is not None
    got = np.asarray(got, dtype=np.float64)
    exact = np.asarray(check.details.get("exact", []), dtype=np.float64)
    allowed = np.asarray(check.details.get("allowed", []), dtype=np.float64)
    if exact.size != got.size or allowed.size != got.size:
        return False
    exact, allowed = exact.reshape(got.shape), allowed.reshape(got.shape)
    skipped = set(map(tuple, check.not_compared)) | set(map(tuple, check.undefined))
    for i in elements:
        if i in skipped or not np.isfinite(got[i]) or not np.isfinite(exact[i]):
            return False
        if not abs(got[i] - exact[i]) <= allowed[i]:
            return False
    return True


def _fails_like(other: Judged, row: Judged, quantity: str, elements: list[tuple]) -> bool:
    """`other` gets the same wrong results as `row` at the elements (NaN counts as the same)."""
    a, b = row.got(quantity), other.got(quantity)
    if a is None or b is None or np.shape(a) != np.shape(b) or other.checks[quantity].ok:
        return False
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    eps = EPS.get(row.verdict.dtype, EPS["float32"])
    slack = np.maximum(_allowed(row, quantity, a.shape), _allowed(other, quantity, a.shape))
    for i in elements:
        if np.isnan(a[i]) and np.isnan(b[i]):
            continue
        if np.isinf(a[i]) or np.isinf(b[i]):
            if a[i] != b[i]:
                return False
            continue
        if not abs(a[i] - b[i]) <= AGREEMENT_EPS * eps * max(abs(a[i]), abs(b[i])) + slack[i]:
            return False
    return True


def _allowed(row: Judged, quantity: str, shape) -> np.ndarray:
    allowed = np.asarray(row.checks[quantity].details.get("allowed", []), dtype=np.float64)
    return allowed.reshape(shape) if allowed.size == int(np.prod(shape)) else np.zeros(shape)
