"""Parallel runs: verdicts in case order whatever the completion order, real worker processes."""

import os
import time
from dataclasses import dataclass

import pytest

from verifier import parallel
from verifier.verdict import Verdict


@dataclass(frozen=True)
class FakeCase:
    """Enough of a Case for the parallel runner: it only pickles cases and reads name/file."""
    name: str
    file: str = "cases/fake.yaml"
    sleep: float = 0.0


def fake_run_case(case, backends, dtypes, timeout, toolkit=None):
    """Deterministic rows per case; a sleep makes later cases finish first."""
    time.sleep(case.sleep)
    return [Verdict(case=case.name, file=case.file, backend=b, dtype=d, status="pass",
                    max_ulp_err=float(len(case.name)), message=f"timeout={timeout}")
            for b in (backends or ["engine", "torch"]) for d in (dtypes or ["float64"])]


def pid_run_case(case, backends, dtypes, timeout, toolkit=None):
    return [Verdict(case=case.name, file=case.file, backend="engine", dtype="float64",
                    status="pass", message=str(os.getpid()))]


def crashing_run_case(case, backends, dtypes, timeout, toolkit=None):
    if case.name == "crash":
        os._exit(3)  # as a segfault in native code would: no exception, the process is gone
    return fake_run_case(case, backends, dtypes, timeout, toolkit)


def test_chunks_cover_every_index_exactly_once():
    for n in (0, 1, 7, 80, 161):
        for workers in (1, 2, 16):
            chunks = parallel.chunked(n, workers)
            assert sorted(i for c in chunks for i in c) == list(range(n))
            assert len(chunks) <= max(1, workers * parallel.CHUNKS_PER_WORKER)


def test_serial_path_needs_no_worker():
    cases = [FakeCase("a"), FakeCase("b")]
    seen = []
    out = parallel.run_cases_parallel(cases, workers=1, run_case=pid_run_case,
                                      on_verdicts=lambda c, vs: seen.append(c.name))
    assert [v.message for v in out] == [str(os.getpid())] * 2 and seen == ["a", "b"]


def test_parallel_equals_serial_in_case_order_even_when_early_cases_finish_last():
    # The first cases are the slowest, so completion order differs from case order.
    cases = [FakeCase(f"case_{i}", sleep=0.05 if i < 4 else 0.0) for i in range(40)]
    serial = parallel.run_cases_parallel(cases, ["engine"], ["float32", "float64"], workers=1,
                                         timeout=7.0, run_case=fake_run_case)
    arrived = []
    parallel_run = parallel.run_cases_parallel(cases, ["engine"], ["float32", "float64"], workers=2,
                                               timeout=7.0, run_case=fake_run_case,
                                               on_verdicts=lambda c, vs: arrived.append(c.name))
    assert [v.to_json() for v in parallel_run] == [v.to_json() for v in serial]
    assert sorted(arrived) == sorted(c.name for c in cases)
    assert serial[0].message == "timeout=7.0"


def test_work_runs_in_other_processes():
    cases = [FakeCase(f"c{i}") for i in range(20)]
    out = parallel.run_cases_parallel(cases, workers=2, run_case=pid_run_case)
    pids = {v.message for v in out}
    assert str(os.getpid()) not in pids and [v.case for v in out] == [c.name for c in cases]


def test_a_dead_worker_becomes_error_rows_not_a_crash_of_the_run():
    cases = [FakeCase("ok_0"), FakeCase("crash")] + [FakeCase(f"ok_{i}") for i in range(1, 30)]
    out = parallel.run_cases_parallel(cases, workers=2, run_case=crashing_run_case)
    crashed = [v for v in out if v.case == "crash"]
    assert len(crashed) == 1 and crashed[0].status == "error"
    assert "worker process died" in crashed[0].message and "--workers 1" in crashed[0].message
    assert {v.case for v in out} == {c.name for c in cases}  # every case is accounted for


def test_bad_worker_count_says_how_to_fix_it():
    with pytest.raises(ValueError, match="workers must be at least 1, got 0; omit it"):
        parallel.run_cases_parallel([FakeCase("a")], workers=0, run_case=fake_run_case)


def test_default_workers_is_the_usable_cpu_count():
    assert 1 <= parallel.default_workers() <= (os.cpu_count() or 1)


@pytest.mark.skipif(parallel.start_method() != "forkserver", reason="no fork server on this platform")
def test_prestart_warms_the_fork_server_that_the_run_then_uses():
    from multiprocessing import forkserver
    parallel.prestart(1)  # one worker: nothing to warm, nothing started by this call
    parallel.prestart(2)
    server = forkserver._forkserver._forkserver_pid
    assert server is not None
    out = parallel.run_cases_parallel([FakeCase(f"c{i}") for i in range(8)], workers=2,
                                      run_case=pid_run_case)
    assert len(out) == 8 and str(os.getpid()) not in {v.message for v in out}
    assert forkserver._forkserver._forkserver_pid == server  # the same, already warm server
