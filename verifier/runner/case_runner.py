"""Running one case on every selected backend and judging the results.

`run_case` is a pure function of its arguments (a Case in, Verdicts out, both
picklable), so cases can run in parallel processes with results identical to
a serial run.  Nothing that goes wrong inside one case escapes it: an
unexpected exception becomes "error" verdicts for that case, with the message.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass, field, replace
from typing import Callable

from verifier.backends.base import Backend, Run
from verifier.cases.model import Case
from verifier.runner.timeout import DEFAULT_TIMEOUT, CaseTimeout, time_limit
from verifier.verdict import Verdict

EXACT = "exact"  # the oracle's dtype


@dataclass(frozen=True)
class Toolkit:
    """The pieces the runner assembles; tests swap in small fakes."""
    backends: Callable[[], dict[str, Backend]]
    check_claims: Callable  # (case, exact_run) -> list[ClaimResult]
    judge_case: Callable  # (case, runs, oracle, claims) -> list[Verdict]


@functools.lru_cache(maxsize=1)
def _all_backends() -> dict[str, Backend]:
    # Imported here, not at module level: `verifier check` must not import torch.
    from verifier.backends.available import all_backends
    return all_backends()


def real_toolkit() -> Toolkit:
    from verifier.compare.judge import judge_case
    from verifier.oracle.claims import check_claims
    return Toolkit(_all_backends, check_claims, judge_case)


@dataclass
class CaseOutcome:
    """Everything one case produced: the verdicts, and the runs behind them (for `verifier show`)."""
    case: Case
    verdicts: list[Verdict]
    runs: dict[tuple[str, str], Run] = field(default_factory=dict)  # (backend, dtype) -> Run
    oracle_runs: dict[tuple[str, tuple | None], Run] = field(default_factory=dict)  # (dtype, follow)
    claims: list = field(default_factory=list)
    seconds: float = 0.0


def run_case(case: Case, backends: list[str] | None = None, dtypes: list[str] | None = None,
             timeout: float | None = DEFAULT_TIMEOUT, toolkit: Toolkit | None = None) -> list[Verdict]:
    """The verdicts of one case, one per selected backend x dtype (the oracle's dtype is 'exact')."""
    return run_case_detailed(case, backends, dtypes, timeout, toolkit).verdicts


def run_cases(cases: list[Case], backends: list[str] | None = None, dtypes: list[str] | None = None,
              on_verdicts: Callable | None = None, timeout: float | None = DEFAULT_TIMEOUT,
              on_start: Callable | None = None, toolkit: Toolkit | None = None) -> list[Verdict]:
    """Run cases one after another; `on_start(case)` and `on_verdicts(case, verdicts)` report progress."""
    toolkit = toolkit or real_toolkit()
    verdicts: list[Verdict] = []
    for case in cases:
        if on_start is not None:
            on_start(case)
        these = run_case(case, backends, dtypes, timeout, toolkit)
        verdicts.extend(these)
        if on_verdicts is not None:
            on_verdicts(case, these)
    return verdicts


def select_backends(table: dict[str, Backend], requested: list[str] | None) -> list[str]:
    """The requested backend names in the table's order; an unknown name is a ValueError.

    Without a request: every backend but the opt-in ones (slow ones such as
    torch-compile, CUDA twins where CUDA is absent), which run only when named.
    """
    if requested is None:
        return [n for n, b in table.items() if not getattr(b, "opt_in", False)]
    unknown = [n for n in requested if n not in table]
    if unknown:
        raise ValueError(f"unknown backend {', '.join(map(repr, unknown))}; "
                         f"expected one of: {', '.join(table)}")
    return [n for n in table if n in requested]


def planned_rows(case: Case, table: dict[str, Backend], backends: list[str] | None,
                 dtypes: list[str] | None) -> list[tuple[str, str]]:
    """The (backend, dtype) rows a run of `case` produces: the selected backends the case
    allows, the oracle at 'exact' and every other backend at each selected dtype."""
    names = select_backends(table, backends)
    if case.backends:
        names = [n for n in names if n in case.backends]
    case_dtypes = [d for d in case.dtypes if dtypes is None or d in dtypes]
    return [(n, d) for n in names for d in ([EXACT] if table[n].exact else case_dtypes)]


def run_case_detailed(case: Case, backends: list[str] | None = None, dtypes: list[str] | None = None,
                      timeout: float | None = DEFAULT_TIMEOUT,
                      toolkit: Toolkit | None = None) -> CaseOutcome:
    started = time.perf_counter()
    toolkit = toolkit or real_toolkit()
    table = toolkit.backends()
    rows = planned_rows(case, table, backends, dtypes)
    names = list(dict.fromkeys(n for n, _ in rows))
    outcome = CaseOutcome(case, [])

    if case.skip is not None:
        outcome.verdicts = [_verdict(case, n, d, "skip", case.skip.reason) for n, d in rows]
        return _finish(outcome, started)

    unavailable = {n: table[n].unavailable() for n in names}
    unavailable = {n: why for n, why in unavailable.items() if why}
    skipped = [_verdict(case, n, d, "skip", unavailable[n]) for n, d in rows if n in unavailable]
    live_rows = [(n, d) for n, d in rows if n not in unavailable]
    if not live_rows:
        outcome.verdicts = skipped
        return _finish(outcome, started)

    stage = "preparing the case"
    try:
        with time_limit(timeout, f"case {case.name}"):
            oracle = _oracle_of(table)
            oracle_cache = outcome.oracle_runs

            def run_oracle(dtype: str, follow: tuple | None = None) -> Run:
                # Inputs that the rounding leaves unchanged need no second oracle run.
                effective = EXACT if dtype == EXACT or _rounding_is_exact(case, dtype) else dtype
                key = (effective, follow)
                if key not in oracle_cache:
                    oracle_cache[key] = _call_stage(
                        f"the oracle ({oracle.name}) at {effective}"
                        + (" following another backend's path" if follow is not None else ""),
                        lambda: oracle.run(case, effective, follow=follow))
                run = oracle_cache[key]
                return run if run.dtype == dtype else replace(run, dtype=dtype)

            crashed: dict[tuple[str, str], str] = {}
            for name, dtype in live_rows:
                if table[name].exact:
                    continue
                stage = f"backend {name} at {dtype}"
                try:
                    outcome.runs[(name, dtype)] = table[name].run(case, dtype)
                except CaseTimeout:
                    raise
                except Exception as exc:  # one backend's crash does not hide the others' results
                    crashed[(name, dtype)] = f"{stage} raised {_describe(exc)}"

            stage = "checking the claims"
            oracle_selected = any(table[n].exact for n, _ in live_rows)
            if oracle_selected:
                outcome.claims = list(toolkit.check_claims(case, run_oracle(EXACT)))
            stage = "judging the results"
            judged = toolkit.judge_case(case, dict(outcome.runs), run_oracle, outcome.claims)
    except Exception as exc:  # the case's own failure, never the suite's
        if isinstance(exc, (CaseTimeout, _StageError)):
            message = str(exc)
        else:
            message = f"{stage}: {_describe(exc)}"
        outcome.verdicts = skipped + [_error(case, n, d, message) for n, d in live_rows]
        return _finish(outcome, started, rows)

    wanted = set(live_rows)
    by_key = {(v.backend, v.dtype): v for v in judged if (v.backend, v.dtype) in wanted}
    for key, message in crashed.items():
        by_key[key] = _error(case, key[0], key[1], message)
    outcome.verdicts = skipped + list(by_key.values())
    return _finish(outcome, started, rows)


class _StageError(Exception):
    """An exception annotated with the stage it happened in."""


def _call_stage(stage: str, fn):
    try:
        return fn()
    except CaseTimeout:
        raise
    except Exception as exc:
        raise _StageError(f"{stage} raised {_describe(exc)}") from exc


def _oracle_of(table: dict[str, Backend]) -> Backend:
    for backend in table.values():
        if backend.exact:
            return backend
    raise RuntimeError("no exact oracle among the backends; expected one with exact = True")


def _rounding_is_exact(case: Case, dtype: str) -> bool:
    """Every input (and the seed) is exactly representable in `dtype`."""
    inputs = list(case.inputs.values()) + ([case.seed] if case.seed is not None else [])
    for inp in inputs:
        if inp.kind == "random" and dtype == "float64":
            continue  # drawn as float64: exact by construction
        if inp.kind == "random":
            as64 = inp.rounded("float64")
            if not (as64.astype(dtype) == as64).all():
                return False
            continue
        # `fill` repeats one value; literals are small: compare exactly.
        values = inp.exact.flat[:1] if inp.kind == "fill" else inp.exact.ravel()
        sample = replace(inp, exact=values.reshape(-1)) if values.size else None
        if sample is not None and not all(a == b for a, b in
                                          zip(sample.rounded_exact(dtype).ravel(), values)):
            return False
    return True


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _verdict(case: Case, backend: str, dtype: str, status: str, message: str) -> Verdict:
    return Verdict(case=case.name, file=case.file, backend=backend, dtype=dtype,
                   status=status, message=message)


def _error(case: Case, backend: str, dtype: str, message: str) -> Verdict:
    """An error row; an xfail covering this backend and dtype turns it into 'xfail'."""
    if case.xfail is not None and case.xfail.covers(backend, dtype):
        return _verdict(case, backend, dtype, "xfail", f"{case.xfail.reason} ({message})")
    return _verdict(case, backend, dtype, "error", message)


def _finish(outcome: CaseOutcome, started: float, rows: list | None = None) -> CaseOutcome:
    """Put the rows in a stable order (backends as listed, then dtypes) and time the case."""
    if rows is not None:
        order = {key: i for i, key in enumerate(rows)}
        outcome.verdicts.sort(key=lambda v: order.get((v.backend, v.dtype), len(order)))
    outcome.seconds = time.perf_counter() - started
    return outcome
