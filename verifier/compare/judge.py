"""`judge_case`: every run of one case against the exact reference, as Verdicts.

Numeric rows are compared with the reference at the inputs they received
(rounded to their dtype); a row whose branch or loop count differs from the
reference's is re-judged along its own path (diverged, not wrong).  Where
the reference could not finish (time limit), the rows are compared with each
other instead and say so.  The oracle's row carries the claims' result,
judged last.  Markers (skip, xfail) are applied last.
"""

from __future__ import annotations

from verifier.cases.model import Case
from verifier.compare.blame import Judged, assign_blame
from verifier.compare.conditioning import Conditioning
from verifier.compare.crosscheck import compare_without_reference
from verifier.compare.divergence import describe_divergence
from verifier.compare.dtypes import dtype_problems
from verifier.compare.element_judge import edge_notes, judge_quantity
from verifier.compare.errors import element_name
from verifier.contract import EXACT, LimitExceeded, ReferenceValues, Run
from verifier.contract import ORACLE as ORACLE_NAME
from verifier.reference import as_reference
from verifier.verdict import Verdict

ORACLE = (ORACLE_NAME, EXACT)


def judge_case(case: Case, runs: dict[tuple[str, str], Run], oracle, claims,
               include_oracle: bool = True) -> list[Verdict]:
    """One Verdict per numeric (backend, dtype) in `runs`, then the oracle's row.

    `oracle`: the case's Reference (or a callable (dtype, trace) -> values);
    `claims`: the claims' results, or a callable giving them (called last).
    """
    oracle = as_reference(oracle)
    if case.skip is not None:
        keys = list(runs) + ([ORACLE] if include_oracle else [])
        return [_verdict(case, b, d, "skip", f"skipped: {case.skip.reason}") for b, d in keys]
    conditioning = Conditioning(case)
    rows = [_judge_numeric(case, backend, dtype, run, oracle, conditioning)
            for (backend, dtype), run in runs.items()]
    compare_without_reference(case, rows)
    oracle_suspect = assign_blame(rows)
    if callable(claims):
        claims = claims()
    verdicts = [row.verdict for row in rows]
    if include_oracle:
        verdicts.append(_judge_oracle(case, oracle, claims, oracle_suspect))
    return [_apply_xfail(case, v) for v in verdicts]


def _verdict(case: Case, backend: str, dtype: str, status: str, message: str = "",
             **kw) -> Verdict:
    return Verdict(case=case.name, file=case.file, backend=backend, dtype=dtype, status=status,
                   message=message, **kw)


# --- numeric rows ---------------------------------------------------------------
def _judge_numeric(case: Case, backend: str, dtype: str, run: Run, oracle,
                   conditioning: Conditioning) -> Judged:
    row = Judged(_verdict(case, backend, dtype, "pass", seconds=run.seconds), run)
    v = row.verdict
    if run.skipped:
        v.status, v.message = "skip", run.skipped
    elif case.expect.error:
        _judge_expected_error(case.expect.error, backend, dtype, run, v)
    elif run.error_kind:
        v.status, v.message = "error", f"{run.error_kind}: {run.error_message}"
    else:
        _judge_numbers(case, run, oracle, row, conditioning)
    return row


def _judge_expected_error(expected: str, backend: str, dtype: str, run: Run, v: Verdict) -> None:
    if backend == "fd" and expected != "shape":
        v.status = "skip"
        v.message = f"finite differences run no autograd, so they cannot raise {expected}"
    elif run.error_kind == expected:
        v.message = f"raised {expected} as expected: {_first_line(run.error_message)}"
    elif run.error_kind is None:
        v.status = "fail"
        v.message = f"expected error {expected}, but {backend} ({dtype}) succeeded"
    else:
        v.status = "fail"
        v.message = (f"expected error {expected}, but {backend} ({dtype}) raised "
                     f"{run.error_kind}: {_first_line(run.error_message)}")


def _judge_numbers(case: Case, run: Run, oracle, row: Judged,
                   conditioning: Conditioning) -> None:
    v = row.verdict
    ref = _oracle_run(oracle, run.dtype, None)
    if ref.unfinished:
        row.unjudged = ref.error_message  # compared with the other rows instead
        return
    if ref.error_kind or ref.skipped:
        # No exact value, no evidence against anyone: the oracle's own row says why
        # (too large to expand, a value outside the reals, a time limit).
        v.status = "error"
        v.message = f"cannot judge: the oracle failed at {run.dtype}: {_oracle_problem(ref)}"
        return
    prefix = ""
    if tuple(run.trace) != tuple(ref.trace):
        v.diverged = True
        where = describe_divergence(tuple(run.trace), tuple(ref.trace))
        prefix = f"diverged ({where}); judged along the backend's own path"
        ref = _oracle_run(oracle, run.dtype, tuple(run.trace))
        if ref.error_kind or ref.skipped:
            v.status = "error"
            v.message = f"{prefix}, but the oracle could not follow it: {_oracle_problem(ref)}"
            return
    for quantity, got, exact_float, exact_objects, estimate in _quantities(case, run, ref):
        row.checks[quantity] = judge_quantity(case, run, ref, quantity, got, exact_float,
                                              exact_objects, estimate, conditioning)
    checks = list(row.checks.values())
    v.details = {c.name: c.details for c in checks}
    for attr in ("max_abs_err", "max_rel_err", "max_ulp_err"):
        values = [getattr(c, attr) for c in checks if getattr(c, attr) is not None]
        setattr(v, attr, max(values) if values else None)
    failures = [c.message for c in checks if not c.ok] + dtype_problems(run.dtype, run.result_dtypes)
    v.status = "fail" if failures else "pass"
    v.undefined = [element_name(c.name, i) for c in checks for i in c.undefined
                   if i not in c.infinite]
    v.undefined_elements = len(v.undefined)
    v.message = "; ".join(([prefix] if prefix else []) + failures + edge_notes(checks, run))


def _quantities(case: Case, run: Run, ref: Run):
    """(name, got, exact float64, exact objects, fd estimate) for value, grads, hvp."""
    yield "value", run.value, ref.value, ref.exact_value, None
    for name in _names(ref.grads, ref.exact_grads, run.grads):
        yield (f"grad.{name}", run.grads.get(name), ref.grads.get(name),
               ref.exact_grads.get(name), run.error_estimate.get(name))
    if case.order >= 2:
        for name in _names(ref.hvp, ref.exact_hvp, run.hvp):
            yield (f"hvp.{name}", run.hvp.get(name), ref.hvp.get(name), ref.exact_hvp.get(name),
                   run.error_estimate.get(f"hvp.{name}"))


def _names(*dicts) -> list[str]:
    seen: dict[str, None] = {}
    for d in dicts:
        for name in d:
            seen.setdefault(name, None)
    return list(seen)


def _oracle_run(oracle, dtype: str, follow) -> ReferenceValues:
    try:
        values = oracle.at(dtype, follow)
    except LimitExceeded:
        raise  # the case's time limit ends the whole case (the runner reports it)
    except Exception as exc:  # the oracle's failure is reported on the rows it judges
        return ReferenceValues(dtype=dtype, error_kind="other",
                               error_message=f"{type(exc).__name__}: {exc}")
    if not hasattr(values, "unfinished"):  # a plain Run from a test's fixed reference
        values.unfinished = False
    return values


def _oracle_problem(ref) -> str:
    return ref.skipped or f"{ref.error_kind}: {ref.error_message}"


# --- the oracle's row: the claims -------------------------------------------------
def _judge_oracle(case: Case, oracle, claims: list, oracle_suspect: bool) -> Verdict:
    ref = _oracle_run(oracle, EXACT, None)
    v = _verdict(case, *ORACLE, "pass", seconds=ref.seconds)
    expected = case.expect.error
    if expected and expected != "shape":
        v.status = "skip"
        v.message = f"the exact oracle runs no autograd; {expected} is checked on the autograd backends"
    elif expected:
        _judge_expected_error(expected, *ORACLE, ref, v)
    elif ref.skipped:
        v.status, v.message = "skip", ref.skipped
    elif ref.error_kind:
        v.status, v.message = "error", f"{ref.error_kind}: {ref.error_message}"
    else:
        _judge_claims(claims, v, ref)
    if oracle_suspect:
        v.blame = ORACLE_NAME
        v.message = "; ".join(filter(None, [v.message, "the numeric backends agree with each "
                                            "other but not with the oracle's derivative"]))
    return v


def _judge_claims(claims: list, v: Verdict, ref) -> None:
    wrong = [c for c in claims if c.status == "fail"]
    broken = [c for c in claims if c.status == "error"]
    for c in claims:
        v.details[f"claim.{c.field}"] = {"status": c.status, "how": c.how,
                                         "max_abs_err": c.max_abs_err, "message": c.message}
    errors = [c.max_abs_err for c in claims if c.max_abs_err is not None]
    v.max_abs_err = max(errors) if errors else None
    if wrong:
        v.status = "fail"
        v.message = "; ".join(c.message or f"claim {c.field} does not hold" for c in wrong)
    elif broken:
        v.status = "error"
        v.message = "; ".join(c.message or f"claim {c.field} could not be checked" for c in broken)
    else:
        hows = ", ".join(f"{c.field}: {c.how}" for c in claims if c.how)
        v.message = (f"claims hold ({hows})" if hows else "") + \
            (f"; exactness: {ref.exactness}" if ref.exactness else "")
        v.message = v.message.lstrip("; ")


# --- markers -----------------------------------------------------------------------
def _apply_xfail(case: Case, v: Verdict) -> Verdict:
    if case.xfail is None or not case.xfail.covers(v.backend, v.dtype):
        return v
    if v.status in ("fail", "error"):
        v.status = "xfail"
        v.message = f"xfail ({case.xfail.reason}): {v.message}"
    elif v.status == "pass":
        v.status = "xpass"
        v.message = f"xpass: expected to fail ({case.xfail.reason}), but passed"
    return v


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""
