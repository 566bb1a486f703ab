"""The runner: selection of backends and dtypes, skips, crashes, the time limit, oracle reuse."""

from __future__ import annotations

import pickle
import time

import pytest
from runner_fakes import FakeNumeric, FakeOracle, Marker, make_case, toolkit

from verifier.runner import (
    CaseTimeout,
    left_out_rows,
    run_case,
    run_case_detailed,
    run_cases,
    summarize,
    time_limit,
)


def keys(verdicts):
    return [(v.backend, v.dtype, v.status) for v in verdicts]


def test_every_backend_and_dtype_gets_a_row_in_order():
    kit = toolkit(FakeNumeric("engine"), FakeNumeric("torch"))
    verdicts = run_case(make_case(), toolkit=kit)
    assert keys(verdicts) == [("engine", "float64", "pass"), ("engine", "float32", "pass"),
                              ("torch", "float64", "pass"), ("torch", "float32", "pass"),
                              ("sympy", "exact", "pass")]


def test_requested_backends_and_dtypes_intersect_the_case():
    engine, torch = FakeNumeric("engine"), FakeNumeric("torch")
    case = make_case(dtypes=("float64",), backends=("engine", "torch", "sympy"))
    verdicts = run_case(case, backends=["engine", "sympy"], dtypes=["float64", "float32"],
                        toolkit=toolkit(engine, torch))
    assert keys(verdicts) == [("engine", "float64", "pass"), ("sympy", "exact", "pass")]
    assert torch.calls == []


def test_unknown_backend_is_a_value_error_listing_the_names():
    with pytest.raises(ValueError, match="unknown backend 'jax'; expected one of: engine, sympy"):
        run_case(make_case(), backends=["jax"], toolkit=toolkit(FakeNumeric("engine")))


def test_oracle_rows_are_dropped_when_not_requested_but_oracle_still_judges():
    oracle = FakeOracle()
    verdicts = run_case(make_case(), backends=["engine"], toolkit=toolkit(
        FakeNumeric("engine", offset=1.0), oracle=oracle))
    assert keys(verdicts) == [("engine", "float64", "fail"), ("engine", "float32", "fail")]
    assert oracle.calls  # the comparison still needed the truth


def test_unavailable_backend_is_left_out_unless_named():
    cuda = FakeNumeric("torch-cuda", reason="CUDA is not available")
    kit = toolkit(FakeNumeric("engine"), cuda)
    verdicts = run_case(make_case(), toolkit=kit)
    assert {v.backend for v in verdicts} == {"engine", "sympy"}  # no noise rows
    assert left_out_rows([make_case()], kit.backends(), None, None) == {
        ("torch-cuda", ""): "CUDA is not available"}
    assert cuda.calls == []


def test_unavailable_backend_named_is_skipped_with_its_reason():
    cuda = FakeNumeric("torch-cuda", reason="CUDA is not available")
    verdicts = run_case(make_case(), ["engine", "torch-cuda"],
                        toolkit=toolkit(FakeNumeric("engine"), cuda))
    skipped = [v for v in verdicts if v.backend == "torch-cuda"]
    assert [v.status for v in skipped] == ["skip", "skip"]
    assert skipped[0].message == "CUDA is not available"
    assert cuda.calls == []


def test_skip_marker_runs_nothing():
    engine = FakeNumeric("engine")
    verdicts = run_case(make_case(skip=Marker("not today")), toolkit=toolkit(engine))
    assert {v.status for v in verdicts} == {"skip"} and len(verdicts) == 3
    assert verdicts[0].message == "not today" and engine.calls == []


def test_a_crashing_backend_errors_alone_with_its_message():
    kit = toolkit(FakeNumeric("engine", crash=ZeroDivisionError("boom")), FakeNumeric("torch"))
    verdicts = run_case(make_case(), toolkit=kit)
    by = {(v.backend, v.dtype): v for v in verdicts}
    assert by[("engine", "float64")].status == "error"
    assert by[("engine", "float64")].message == \
        "backend engine at float64 raised ZeroDivisionError: boom"
    assert by[("torch", "float32")].status == "pass"


def test_a_crashing_oracle_makes_the_whole_case_error_not_the_suite():
    kit = toolkit(FakeNumeric("engine"), oracle=FakeOracle(crash=RuntimeError("no sympy")))
    cases = [make_case("a"), make_case("b")]
    verdicts = run_cases(cases, toolkit=kit)
    assert {v.status for v in verdicts} == {"error"} and len(verdicts) == 6
    assert "the oracle (sympy) at exact raised RuntimeError: no sympy" in verdicts[0].message


def test_an_error_covered_by_xfail_is_an_xfail():
    case = make_case(xfail=Marker("known", backends=("engine",)))
    kit = toolkit(FakeNumeric("engine", crash=ValueError("x")), FakeNumeric("torch"))
    statuses = {(v.backend, v.dtype): v.status for v in run_case(case, toolkit=kit)}
    assert statuses[("engine", "float64")] == "xfail"
    assert statuses[("torch", "float64")] == "pass"


def test_the_time_limit_stops_a_hanging_oracle_and_the_next_case_runs():
    slow = FakeOracle(sleep=5.0)
    kit = toolkit(FakeNumeric("engine"), oracle=slow)
    verdicts = run_case(make_case("hang"), timeout=0.2, toolkit=kit)
    oracle_row = verdicts[-1]
    assert (oracle_row.backend, oracle_row.status) == ("sympy", "error")
    assert "oracle timed out after" in oracle_row.message and "--timeout" in oracle_row.message
    slow.sleep = 0.0
    assert {v.status for v in run_case(make_case("next"), timeout=0.2, toolkit=kit)} == {"pass"}


def real_judge_toolkit(*backends, oracle):
    from verifier.compare.judge import judge_case
    from verifier.runner import Toolkit
    table = {b.name: b for b in backends}
    return Toolkit(lambda: table, oracle, judge_case)


def test_an_oracle_time_out_loses_no_numeric_result():
    # The engine's value is off by one; torch is right: compared with each other they disagree,
    # and every numeric row says that no exact verdict was reached.
    oracle = FakeOracle(sleep=5.0)
    kit = real_judge_toolkit(FakeNumeric("engine", offset=1.0), FakeNumeric("torch"),
                             FakeNumeric("fd"), oracle=oracle)
    verdicts = {(v.backend, v.dtype): v for v in run_case(make_case("slow"), timeout=0.3,
                                                            toolkit=kit)}
    assert oracle.calls and oracle.finished == 0  # the limit stopped the oracle mid-run
    oracle_row = verdicts[("sympy", "exact")]
    assert oracle_row.status == "error" and "oracle timed out after" in oracle_row.message
    for key in [("engine", "float64"), ("torch", "float64"), ("fd", "float32")]:
        assert "no exact verdict" in verdicts[key].message, verdicts[key].message
    assert verdicts[("engine", "float64")].status == "fail"
    assert "disagrees with torch float64" in verdicts[("engine", "float64")].message
    torch64 = verdicts[("torch", "float64")]
    assert "agrees with" in torch64.message and "fd float64" in torch64.message


def test_the_case_timeout_key_overrides_the_run_timeout():
    from dataclasses import replace
    kit = real_judge_toolkit(FakeNumeric("engine"), oracle=FakeOracle(sleep=1.0))
    case = replace(make_case("own_limit"), timeout=0.1)
    verdicts = run_case(case, timeout=60, toolkit=kit)
    assert "time limit 0.1 s" in verdicts[-1].message


def test_time_limit_restores_the_previous_alarm_handler():
    import signal
    before = signal.getsignal(signal.SIGALRM)
    with time_limit(10):
        pass
    assert signal.getsignal(signal.SIGALRM) is before
    with pytest.raises(CaseTimeout):
        with time_limit(0.05):
            while True:
                pass


def test_oracle_runs_once_when_rounding_changes_nothing():
    oracle = FakeOracle()
    run_case(make_case(values=(1, 2)), toolkit=toolkit(FakeNumeric("engine"), oracle=oracle))
    assert oracle.calls == [("exact", None)]


def test_oracle_runs_per_rounding_when_it_matters():
    oracle = FakeOracle()
    outcome = run_case_detailed(make_case(values=("0.1", 2)),
                                toolkit=toolkit(FakeNumeric("engine"), oracle=oracle))
    assert sorted(oracle.calls) == [("exact", None), ("float32", None), ("float64", None)]
    # each backend is judged at its own rounded inputs: no error from the rounding itself
    assert {v.status for v in outcome.verdicts} == {"pass"}


def test_run_cases_reports_progress_and_verdicts_pickle():
    seen = []
    kit = toolkit(FakeNumeric("engine"))
    verdicts = run_cases([make_case("a"), make_case("b")], on_start=lambda c: seen.append(c.name),
                         on_verdicts=lambda c, v: seen.append(len(v)), toolkit=kit)
    assert seen == ["a", 3, "b", 3]
    assert pickle.loads(pickle.dumps(verdicts)) == verdicts
    assert pickle.loads(pickle.dumps(make_case())).name == "c"


def test_summary_counts_and_line():
    kit = toolkit(FakeNumeric("engine", offset=1.0), FakeNumeric("torch"))
    summary = summarize(run_case(make_case(), toolkit=kit))
    assert (summary.passed, summary.failed, summary.errors) == (3, 2, 0)
    assert not summary.ok
    assert summary.line(1.5) == "3 passed, 2 failed, 0 errors, 0 skipped, 0 xfailed in 1.50 s"


class SwallowingOracle(FakeOracle):
    """Catches the first alarm as library code with `except Exception` would, then hangs on."""

    def run(self, case, dtype, follow=None):
        self.sleeps_done = 0
        try:
            time.sleep(5.0)
            self.sleeps_done += 1
        except Exception:  # noqa: BLE001 - the point of the test
            pass
        time.sleep(5.0)
        self.sleeps_done += 1
        return super().run(case, dtype, follow)


def test_the_time_limit_survives_code_that_swallows_the_first_alarm():
    oracle = SwallowingOracle()
    kit = toolkit(FakeNumeric("engine"), oracle=oracle)
    verdicts = run_case(make_case("swallowed"), timeout=0.2, toolkit=kit)
    assert {v.status for v in verdicts} == {"error"}
    assert "time limit" in verdicts[0].message
    # The repeated alarm cut the second sleep too: no sleep ran to its end.
    assert oracle.sleeps_done == 0 and oracle.finished == 0


def test_backends_hand_the_time_limit_to_the_runner_instead_of_recording_it():
    # The real oracle and the autograd backends turn their failures into data; the case's
    # wall-clock limit must pass through them, or it would be spent on one backend.
    from verifier.backends.base import TimeLimit
    from verifier.backends.engine_backend import EngineBackend
    from verifier.oracle.backend import SympyOracle
    case = make_case("limited")

    class Interrupting:
        def __init__(self, *args, **kwargs):
            raise TimeLimit("the case's time limit")

    for backend, target in ((SympyOracle(), "verifier.oracle.backend.case_point"),
                            (EngineBackend(), "verifier.backends.autograd_run.TensorNamespace")):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(target, Interrupting)
            with pytest.raises(TimeLimit):
                backend.run(case, "float64")
