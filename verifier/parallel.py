"""Running cases in parallel worker processes, with results identical to a serial run.

`run_case` is a pure function (a Case in, Verdicts out, both picklable), so the
cases are cut into chunks of consecutive cases, each chunk runs in a worker, and
the verdicts are put back in the order of the cases, never of completion.

Start method: `forkserver` where the platform has it (Linux, macOS), else `spawn`.
  * A worker must not be `fork`ed from a parent that may hold threads or locks
    (torch's intra-op pool, a progress bar) — a fork copies a held lock, not its owner.
  * Importing torch costs about 1.5 s per process. The fork server imports
    numpy, SymPy, torch and the runner once (`set_forkserver_preload`) before it
    has started any thread, and each worker is forked from it already warm; so
    the start-up is paid once, not once per worker.
Chunks are small (about 12 per worker) and strided because case costs vary by
100x: a worker that drew the slow cases should not leave the other idle at the
end; the cost of a chunk, one pickled Case list, is a millisecond.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Callable

from verifier.verdict import Verdict

if TYPE_CHECKING:  # the runner and the case model import numpy: not for `verifier --help`
    from verifier.cases.model import Case

_RUNNER_DEFAULT = object()  # the runner's own time limit (DEFAULT_TIMEOUT)

# What the fork server imports before forking workers (an import error is ignored there).
PRELOAD = ("numpy", "sympy", "mpmath", "scipy.special", "torch", "verifier.runner",
           "verifier.backends.available", "verifier.backends.engine_backend",
           "verifier.backends.torch_backend", "verifier.backends.fd", "verifier.oracle.backend",
           "verifier.reference", "flint", "verifier.oracle.graph.derivation",
           "verifier.oracle.claims", "verifier.ops.sympy_functions", "verifier.compare.judge")
CHUNKS_PER_WORKER = 30


def prestart(workers: int) -> None:
    """Start the fork server now, so that its imports (torch alone: ~1.5 s) overlap the
    parent's own start-up (reading and validating the case files) instead of following it.

    A later `run_cases_parallel` forks its workers from this same, by then warm, server.
    """
    if workers > 1 and start_method() == "forkserver":
        from multiprocessing import forkserver
        multiprocessing.get_context("forkserver").set_forkserver_preload(list(PRELOAD))
        forkserver.ensure_running()


def default_workers() -> int:
    """The CPUs this process may run on (the affinity mask, as in a container), else cpu_count."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def start_method() -> str:
    methods = multiprocessing.get_all_start_methods()
    return "forkserver" if "forkserver" in methods else "spawn"


def chunked(n_items: int, workers: int) -> list[range]:
    """Strided index ranges, about CHUNKS_PER_WORKER per worker, covering 0..n_items-1.

    Chunk k holds items k, k + K, k + 2K, ... (K chunks): neighbouring cases of
    a file tend to cost alike (the linalg file's symbolic inverses), so striding
    spreads the slow ones over the chunks instead of giving them to one worker.
    """
    if n_items == 0:
        return []
    count = min(n_items, workers * CHUNKS_PER_WORKER)
    return [range(k, n_items, count) for k in range(count)]


def _run_chunk(cases: list[Case], backends, dtypes, timeout, run_case, toolkit) -> list[list[Verdict]]:
    """In a worker: the verdicts of each case of the chunk, in the chunk's order."""
    return [run_case(case, backends, dtypes, timeout, toolkit) for case in cases]


def _real_run_case():
    from verifier.runner import run_case
    return run_case


def run_cases_parallel(cases: list[Case], backends: list[str] | None = None,
                       dtypes: list[str] | None = None, workers: int | None = None,
                       on_verdicts: Callable | None = None, timeout=_RUNNER_DEFAULT,
                       run_case: Callable | None = None, toolkit=None) -> list[Verdict]:
    """Run `cases` in `workers` processes (default: default_workers()); verdicts in case order.

    `on_verdicts(case, verdicts)` is called in the parent as each case's verdicts
    arrive (completion order: for progress bars). `run_case(case, backends, dtypes,
    timeout, toolkit)` must be a module-level function (it is pickled by reference);
    it defaults to the runner's; `toolkit` (None: the real one) must be picklable.
    With one worker, or one case, nothing is forked. As with any forkserver/spawn pool, a
    script that calls this must guard its top level with `if __name__ == "__main__":`.
    """
    run_case = run_case or _real_run_case()
    if timeout is _RUNNER_DEFAULT:
        from verifier.runner import DEFAULT_TIMEOUT
        timeout = DEFAULT_TIMEOUT
    workers = default_workers() if workers is None else workers
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}; omit it to use every CPU "
                         f"({default_workers()} here)")
    chunks = chunked(len(cases), workers)
    if workers == 1 or len(chunks) <= 1:
        return _run_serially(cases, backends, dtypes, timeout, run_case, toolkit, on_verdicts)

    context = multiprocessing.get_context(start_method())
    if context.get_start_method() == "forkserver":
        context.set_forkserver_preload(list(PRELOAD))
    results: list[list[Verdict] | None] = [None] * len(cases)
    executor = ProcessPoolExecutor(max_workers=min(workers, len(chunks)), mp_context=context)
    try:
        futures = {executor.submit(_run_chunk, [cases[i] for i in chunk], backends, dtypes,
                                   timeout, run_case, toolkit): chunk for chunk in chunks}
        for future in as_completed(futures):
            chunk = futures[future]
            try:
                per_case = future.result()
            except BrokenProcessPool as exc:
                per_case = [[_worker_died(cases[i], exc)] for i in chunk]
            for i, verdicts in zip(chunk, per_case):
                results[i] = verdicts
                if on_verdicts is not None:
                    on_verdicts(cases[i], verdicts)
    except BaseException:
        executor.shutdown(wait=False, cancel_futures=True)
        raise
    executor.shutdown(wait=True)
    return [v for verdicts in results for v in verdicts]


def _run_serially(cases, backends, dtypes, timeout, run_case, toolkit, on_verdicts) -> list[Verdict]:
    out: list[Verdict] = []
    for case in cases:
        verdicts = run_case(case, backends, dtypes, timeout, toolkit)
        out.extend(verdicts)
        if on_verdicts is not None:
            on_verdicts(case, verdicts)
    return out


def _worker_died(case: Case, exc: BaseException) -> Verdict:
    """An error row for a case whose result never came back: a worker process died
    (a crash in native code, or killed for memory), which breaks the whole pool."""
    return Verdict(case=case.name, file=case.file, backend="worker", dtype="-", status="error",
                   message=f"a worker process died before this case's result came back ({exc}); "
                           "rerun with --workers 1 to see which case crashes it")
