"""judge_case: tolerance, wrong gradients, NaN, shapes, divergence, blame, markers, errors."""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction

import numpy as np
import pytest
from numeric_helpers import doubling_loop_case, exact, expr_case, inp, notebook_mean_case

from verifier.backends.base import Run
from verifier.backends.engine_backend import EngineBackend
from verifier.backends.fd import FiniteDifferences
from verifier.backends.torch_backend import TorchBackend
from verifier.cases.model import Expect, Marker, Tolerance
from verifier.compare.judge import judge_case
from verifier.compare.tolerance import default_tolerance, tolerance_for
from verifier.contract import ReferenceValues


@dataclass
class Claim:
    field: str
    status: str
    how: str = ""
    max_abs_err: float | None = None
    message: str = ""


def exact_run(dtype, value, grads, hvp=None, trace=()) -> ReferenceValues:
    """Reference values: exact object arrays plus their float64 roundings."""
    def both(v):
        e = exact(v)
        return e, np.vectorize(float, otypes=[float])(e)
    ev, fv = both(value)
    run = ReferenceValues(dtype=dtype, exact_value=ev, value=fv, trace=trace, exactness="exact")
    for name, g in grads.items():
        run.exact_grads[name], run.grads[name] = both(g)
    for name, h in (hvp or {}).items():
        run.exact_hvp[name], run.hvp[name] = both(h)
    return run


def notebook_oracle(dtype, follow=None):
    return exact_run(dtype, 27, {"x": [[Fraction(9, 2)] * 2] * 2},
                     {"x": [[Fraction(3, 2), Fraction(15, 8)], [Fraction(9, 4), Fraction(21, 8)]]})


def real_runs(case, backends=None):
    runs = {}
    for b in backends or (EngineBackend(), TorchBackend(), FiniteDifferences()):
        for dtype in ("float64", "float32"):
            runs[(b.name, dtype)] = b.run(case, dtype)
    return runs


def by_key(verdicts):
    return {(v.backend, v.dtype): v for v in verdicts}


def test_correct_runs_pass_and_the_oracle_row_reports_claims():
    case = notebook_mean_case(order=2)
    claims = [Claim("grad.x", "pass", "identity proven", 0.0)]
    verdicts = by_key(judge_case(case, real_runs(case), notebook_oracle, claims))
    assert verdicts[("fd", "float32")].status == "skip"
    for key in [("engine", "float64"), ("engine", "float32"), ("torch", "float64"),
                ("torch", "float32"), ("fd", "float64")]:
        assert verdicts[key].status == "pass", verdicts[key].message
    oracle_row = verdicts[("sympy", "exact")]
    assert oracle_row.status == "pass" and "identity proven" in oracle_row.message
    details = verdicts[("engine", "float32")].details
    assert set(details) == {"value", "grad.x", "hvp.x"}
    assert {"exact", "got", "max_abs_err", "max_rel_err", "max_ulp_err", "rtol", "atol",
            "worst_index"} <= set(details["grad.x"])
    assert details["grad.x"]["exact"] == [4.5] * 4


def test_perturbed_gradient_fails_and_is_blamed_with_evidence():
    case = notebook_mean_case()
    runs = real_runs(case)
    wrong = replace(runs[("engine", "float64")], grads={"x": np.array([[4.5, 3.0], [4.5, 4.5]])})
    runs[("engine", "float64")] = wrong
    verdicts = by_key(judge_case(case, runs, notebook_oracle, []))
    v = verdicts[("engine", "float64")]
    assert v.status == "fail" and v.blame == "engine"
    assert "grad.x[0, 1] = 3.0, exact 4.5" in v.message
    assert "torch float64" in v.message and "fd float64" in v.message and "agree with exact" in v.message
    assert v.details["grad.x"]["worst_index"] == [0, 1]
    assert verdicts[("torch", "float64")].status == "pass"
    assert verdicts[("sympy", "exact")].blame == ""


def test_nan_where_exact_is_finite_fails():
    case = notebook_mean_case()
    runs = {("torch", "float32"): replace(real_runs(case, [TorchBackend()])[("torch", "float32")],
                                          grads={"x": np.full((2, 2), np.nan)})}
    v = judge_case(case, runs, notebook_oracle, [])[0]
    assert v.status == "fail" and "nan" in v.message
    assert v.max_abs_err == float("inf")


def test_shape_mismatch_fails_with_both_shapes():
    case = notebook_mean_case()
    run = replace(real_runs(case, [EngineBackend()])[("engine", "float64")],
                  grads={"x": np.full((4,), 4.5)})
    v = judge_case(case, {("engine", "float64"): run}, notebook_oracle, [])[0]
    assert v.status == "fail" and "shape [4]" in v.message and "[2, 2]" in v.message


def test_divergence_is_judged_along_the_backends_path():
    case = doubling_loop_case([1, 1, 1])
    calls = []

    def oracle(dtype, follow=None):
        calls.append(follow)
        # Exactly, the loop runs 10 times (grad 2^11); following the backend's 9: 2^10.
        count = 10 if follow is None else follow[0][2]
        return exact_run(dtype, [0, 0, 0], {"x": [2 ** (count + 1)] * 3},
                         trace=(("while", 3, count),))

    run = Run(backend="torch", dtype="float32", value=np.zeros(3),
              grads={"x": np.full(3, 1024.0)}, trace=(("while", 3, 9),))
    v = judge_case(case, {("torch", "float32"): run}, oracle, [], include_oracle=False)[0]
    assert v.diverged and v.status == "pass", v.message
    assert "line 3: while ran 9 times, exactly 10" in v.message
    assert (("while", 3, 9),) in calls


def test_all_numeric_backends_agreeing_against_the_oracle_blame_sympy():
    case = notebook_mean_case()

    def wrong_oracle(dtype, follow=None):
        return exact_run(dtype, 27, {"x": [[5, 5], [5, 5]]})

    verdicts = by_key(judge_case(case, real_runs(case), wrong_oracle, []))
    for key in [("engine", "float64"), ("torch", "float32"), ("fd", "float64")]:
        assert verdicts[key].status == "fail" and verdicts[key].blame == "sympy"
        assert "registry convention" in verdicts[key].message
    assert verdicts[("sympy", "exact")].blame == "sympy"


def test_xfail_xpass_and_skip():
    case = notebook_mean_case(xfail=Marker("known engine bug", backends=("engine",)))
    runs = real_runs(case, [EngineBackend(), TorchBackend()])
    runs[("engine", "float32")] = replace(runs[("engine", "float32")],
                                          grads={"x": np.zeros((2, 2))})
    verdicts = by_key(judge_case(case, runs, notebook_oracle, []))
    assert verdicts[("engine", "float32")].status == "xfail"
    assert "known engine bug" in verdicts[("engine", "float32")].message
    assert verdicts[("engine", "float64")].status == "xpass"
    assert verdicts[("torch", "float64")].status == "pass"
    skipped = notebook_mean_case(skip=Marker("not today"))
    verdicts = judge_case(skipped, runs, notebook_oracle, [])
    assert {v.status for v in verdicts} == {"skip"} and len(verdicts) == len(runs) + 1
    assert all("not today" in v.message for v in verdicts)


def test_expected_errors():
    case = expr_case("e", [inp("x", [1, 2])], "sum(x * x)", backward_repeat=2,
                     expect=Expect(error="backward_twice"))
    runs = real_runs(case)
    runs[("torch", "float32")] = Run(backend="torch", dtype="float32", value=np.array(5.0))
    runs[("engine", "float32")] = Run(backend="engine", dtype="float32", error_kind="shape",
                                      error_message="bad shapes")

    def oracle(dtype, follow=None):
        return exact_run(dtype, 5, {"x": [4, 8]})

    verdicts = by_key(judge_case(case, runs, oracle, []))
    assert verdicts[("engine", "float64")].status == "pass"
    assert verdicts[("torch", "float64")].status == "pass"
    assert verdicts[("torch", "float32")].status == "fail"
    assert "expected error backward_twice, but torch (float32) succeeded" in \
        verdicts[("torch", "float32")].message
    assert "raised shape" in verdicts[("engine", "float32")].message
    assert verdicts[("fd", "float64")].status == "skip"
    assert verdicts[("sympy", "exact")].status == "skip"


def test_run_error_without_expectation_is_an_error():
    case = notebook_mean_case()
    run = Run(backend="engine", dtype="float64", error_kind="other", error_message="boom")
    v = judge_case(case, {("engine", "float64"): run}, notebook_oracle, [])[0]
    assert v.status == "error" and "boom" in v.message


def test_oracle_failure_is_an_error_not_a_pass():
    case = notebook_mean_case()
    runs = real_runs(case, [EngineBackend()])

    def broken(dtype, follow=None):
        raise RuntimeError("sympy could not simplify")

    verdicts = by_key(judge_case(case, runs, broken, []))
    assert verdicts[("engine", "float64")].status == "error"
    assert "sympy could not simplify" in verdicts[("engine", "float64")].message
    assert verdicts[("sympy", "exact")].status == "error"


def test_wrong_claim_fails_the_oracle_row_alone():
    case = notebook_mean_case()
    claims = [Claim("grad.x", "fail", "at these inputs", 0.5,
                    "grad.x: claimed 5, exact 9/2"), Claim("value", "pass", "exact", 0.0)]
    verdicts = by_key(judge_case(case, real_runs(case), notebook_oracle, claims))
    oracle_row = verdicts[("sympy", "exact")]
    assert oracle_row.status == "fail" and "claimed 5, exact 9/2" in oracle_row.message
    assert oracle_row.details["claim.grad.x"]["status"] == "fail"
    assert verdicts[("engine", "float64")].status == "pass"


def test_float32_million_element_reduction_passes_default_tolerance():
    n = 1_000_000
    x = np.random.default_rng(0).uniform(-1, 1, n)
    case = expr_case("big", [inp("x", [0.0])], "mean(3 * (x + 2) ** 2)")
    big = replace(case.inputs["x"], exact=np.empty(n, dtype=object))
    case = replace(case, inputs={"x": big})
    x32 = x.astype(np.float32).astype(np.float64)
    value = np.array(np.sum(3 * (x32 + 2) ** 2, dtype=np.longdouble) / n, dtype=np.float64)
    oracle_run = ReferenceValues(dtype="float32", value=value,
                     grads={"x": 6 * (x32 + 2) / n})
    run = Run(backend="torch", dtype="float32", value=np.float64(np.float32(value) * (1 + 2e-6)),
              grads={"x": (6 * (x32.astype(np.float32) + 2) / n).astype(np.float64)})
    v = judge_case(case, {("torch", "float32"): run}, lambda d, f=None: oracle_run, [],
                   include_oracle=False)[0]
    assert v.status == "pass", v.message
    assert v.details["grad.x"]["truncated"] == n - 1000


def test_tolerance_grows_with_size_and_respects_overrides():
    small = notebook_mean_case()
    big = replace(small, inputs={"x": replace(small.inputs["x"], exact=np.empty(10_000, object))})
    assert default_tolerance(big, "float32").rtol == pytest.approx(
        default_tolerance(small, "float32").rtol * 50)
    assert default_tolerance(small, "float64").rtol < 1e-13
    override = replace(small, tolerance={"float32": Tolerance(1e-3, 1e-4)})
    assert tolerance_for(override, "float32", "grad.x") == Tolerance(1e-3, 1e-4)
    assert tolerance_for(small, "float32", "hvp.x").rtol == 4 * tolerance_for(
        small, "float32", "grad.x").rtol


def test_fd_elements_it_cannot_check_are_no_evidence_for_blame():
    # relu'(0): exact says 0 here (a fake oracle), engine and torch say 1; fd marks the kink.
    case = expr_case("kink", [inp("x", [0, 2])], "sum(relu(x))")

    def oracle(dtype, follow=None):
        return exact_run(dtype, 2, {"x": [5, 1]})

    verdicts = by_key(judge_case(case, real_runs(case), oracle, []))
    assert verdicts[("fd", "float64")].status == "pass"
    assert verdicts[("fd", "float64")].details["grad.x"]["not_compared"] == 1
    engine = verdicts[("engine", "float64")]
    assert engine.status == "fail" and engine.blame == "sympy", engine.message
    assert "fd float64 agree" not in engine.message


def test_an_oracle_that_cannot_compute_blames_nobody():
    # Too large to expand, or a value outside the reals: no exact value is no evidence
    # against any backend, so the rows are errors without blame.
    case = notebook_mean_case()

    def failed_oracle(dtype, follow=None):
        return ReferenceValues(dtype=dtype, error_kind="other",
                   error_message="the oracle would expand 3600 symbols")

    verdicts = by_key(judge_case(case, real_runs(case), failed_oracle, []))
    for key in [("engine", "float64"), ("torch", "float32"), ("fd", "float64")]:
        assert verdicts[key].status == "error" and verdicts[key].blame == ""
        assert "cannot judge" in verdicts[key].message
