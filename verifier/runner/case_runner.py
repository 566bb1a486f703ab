"""Running one case on every selected backend and judging the results.

`run_case` is a pure function of its arguments (a Case in, Verdicts out, both
picklable), so cases can run in parallel processes with results identical to
a serial run.  Nothing that goes wrong inside one case escapes it: an
unexpected exception becomes "error" verdicts for that case, with the message.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass, field
from typing import Callable

from verifier.backends.base import Backend, Run
from verifier.cases.model import Case
from verifier.contract import EXACT, ORACLE, ReferenceValues
from verifier.runner.timeout import DEFAULT_TIMEOUT, CaseTimeout, time_limit
from verifier.verdict import Verdict


@dataclass(frozen=True)
class Toolkit:
    """The pieces the runner assembles; tests swap in small fakes."""
    backends: Callable[[], dict[str, Backend]]  # the numeric backends, by name
    reference: Callable  # (case, budget seconds) -> a Reference (`at`, `claims`)
    judge_case: Callable  # (case, runs, reference, claims) -> list[Verdict]


@functools.lru_cache(maxsize=1)
def _all_backends() -> dict[str, Backend]:
    # Imported here, not at module level: `verifier check` must not import torch.
    from verifier.backends.available import all_backends
    return all_backends()


def _real_reference(case: Case, budget: float | None):
    from verifier.reference import Reference
    return Reference(case, budget)


def real_toolkit() -> Toolkit:
    from verifier.compare.judge import judge_case
    return Toolkit(_all_backends, _real_reference, judge_case)


@dataclass
class CaseOutcome:
    """Everything one case produced: the verdicts, and the runs behind them (for `verifier show`)."""
    case: Case
    verdicts: list[Verdict]
    runs: dict[tuple[str, str], Run] = field(default_factory=dict)  # (backend, dtype) -> Run
    # (dtype, followed trace or None) -> the reference's values there
    oracle_runs: dict[tuple[str, tuple | None], ReferenceValues] = field(default_factory=dict)
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


def row_sources(table: dict[str, Backend]) -> list[str]:
    """The names that produce rows, in the contract's order: the numeric backends with the
    exact reference ('sympy') before fd (or last)."""
    names = [n for n in table if n != ORACLE]
    at = names.index("fd") if "fd" in names else len(names)
    return names[:at] + [ORACLE] + names[at:]


def select_backends(table: dict[str, Backend], requested: list[str] | None) -> list[str]:
    """The requested row sources in the contract's order; an unknown name is a ValueError.

    Without a request: every source but the opt-in backends (slow ones such as
    torch-compile, CUDA twins where CUDA is absent), which run only when named.
    """
    names = row_sources(table)
    if requested is None:
        return [n for n in names if n == ORACLE or not getattr(table[n], "opt_in", False)]
    unknown = [n for n in requested if n not in names]
    if unknown:
        raise ValueError(f"unknown backend {', '.join(map(repr, unknown))}; "
                         f"expected one of: {', '.join(names)}")
    return [n for n in names if n in requested]


def planned_rows(case: Case, table: dict[str, Backend], backends: list[str] | None,
                 dtypes: list[str] | None) -> list[tuple[str, str]]:
    """The (backend, dtype) rows a run of `case` produces: the selected backends the case
    allows, the oracle at 'exact' and every other backend at each selected dtype -- less
    the rows that cannot run anywhere in this run (see `left_out_rows`)."""
    rows, _ = _plan(case, table, backends, dtypes)
    return rows


def left_out_rows(cases: list[Case], table: dict[str, Backend], backends: list[str] | None,
                  dtypes: list[str] | None) -> dict[tuple[str, str], str]:
    """{(backend, dtype or ''): why} of the rows planned for no case as they cannot run:
    a backend unavailable here (torch-cuda without CUDA), a dtype the backend does not
    compute in (fd at float32).  Asked for by name (`--backend torch-cuda`; `--backend fd
    --dtype float32`), they are planned and reported as skipped instead."""
    found: dict[tuple[str, str], str] = {}
    for case in cases:
        found.update(_plan(case, table, backends, dtypes)[1])
    return found


def _plan(case, table, backends, dtypes):
    names = select_backends(table, backends)
    if case.backends:
        names = [n for n in names if n in case.backends]
    case_dtypes = [d for d in case.dtypes if dtypes is None or d in dtypes]
    named_backends, named_dtypes = set(backends or ()), set(dtypes or ())
    rows, left_out = [], {}
    for n in names:
        if n == ORACLE:
            rows.append((n, EXACT))
            continue
        backend = table[n]
        why = None if n in named_backends else backend.unavailable()
        for d in case_dtypes:
            supported = backend.dtypes is None or d in backend.dtypes
            if why:
                left_out[(n, "")] = why  # '': at every dtype
            elif not supported and not (n in named_backends and d in named_dtypes):
                left_out[(n, d)] = backend.dtypes_reason or f"{n} does not compute in {d}"
            else:
                rows.append((n, d))
    return rows, left_out


def case_timeout(case: Case, timeout: float | None) -> float | None:
    """The case's own `timeout:` where it has one, else the run's (--timeout)."""
    own = getattr(case, "timeout", None)
    return own if own is not None else timeout


def run_case_detailed(case: Case, backends: list[str] | None = None, dtypes: list[str] | None = None,
                      timeout: float | None = DEFAULT_TIMEOUT,
                      toolkit: Toolkit | None = None) -> CaseOutcome:
    """Run the numeric backends (within the time limit), then judge them against the
    case's Reference, which has a time limit of its own: an oracle that cannot finish
    costs the exact verdict, never the numeric results."""
    started = time.perf_counter()
    toolkit = toolkit or real_toolkit()
    table = toolkit.backends()
    rows = planned_rows(case, table, backends, dtypes)
    names = list(dict.fromkeys(n for n, _ in rows if n != ORACLE))
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

    limit = case_timeout(case, timeout)
    crashed: dict[tuple[str, str], str] = {}
    try:
        with time_limit(limit, f"case {case.name}"):
            for name, dtype in live_rows:
                if name == ORACLE:
                    continue
                try:
                    outcome.runs[(name, dtype)] = table[name].run(case, dtype)
                except CaseTimeout:
                    raise
                except Exception as exc:  # one backend's crash does not hide the others' results
                    crashed[(name, dtype)] = f"backend {name} at {dtype} raised {_describe(exc)}"
    except CaseTimeout as exc:
        outcome.verdicts = skipped + [_error(case, n, d, str(exc)) for n, d in live_rows]
        return _finish(outcome, started, rows)

    reference = toolkit.reference(case, limit)
    oracle_selected = any(n == ORACLE for n, _ in live_rows)
    try:
        judged = toolkit.judge_case(case, dict(outcome.runs), reference,
                                    reference.claims if oracle_selected else [],
                                    include_oracle=oracle_selected)
    except Exception as exc:  # the case's own failure, never the suite's
        message = f"judging the results: {_describe(exc)}"
        outcome.verdicts = skipped + [_error(case, n, d, message) for n, d in live_rows]
        return _finish(outcome, started, rows)
    outcome.oracle_runs = dict(getattr(reference, "computed", {}))
    if oracle_selected:
        outcome.claims = list(reference.claims())

    wanted = set(live_rows)
    by_key = {(v.backend, v.dtype): v for v in judged if (v.backend, v.dtype) in wanted}
    for key, message in crashed.items():
        by_key[key] = _error(case, key[0], key[1], message)
    outcome.verdicts = skipped + list(by_key.values())
    return _finish(outcome, started, rows)


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
