"""Issue 9: every reproducer gets the right verdict, and cases/edges.yaml gets the verdicts it
declares (the oracle-side defects with the graph oracle of branch issue-8 merged)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

from verifier.cases.loader import load_paths, load_text
from verifier.runner.case_runner import run_case

EDGES = Path(__file__).resolve().parent.parent / "cases" / "edges.yaml"
BACKENDS = ["engine", "torch", "sympy", "fd"]


def case_of(expr: str, inputs: str, extra: str = "") -> object:
    text = f"cases:\n  - name: c\n    inputs: {inputs}\n    expr: \"{expr}\"\n{extra}"
    loaded = load_text(text)
    assert not loaded.problems, loaded.problems
    return loaded.cases[0]


def rows(case, backends=BACKENDS, dtypes=None) -> dict:
    return {(v.backend, v.dtype): v for v in run_case(case, backends, dtypes)}


def numeric(verdicts: dict) -> list:
    return [v for (b, _), v in verdicts.items() if b in ("engine", "torch")]


# --- defect 1: no absolute floor hides a complete loss of digits -------------------------
@pytest.mark.parametrize("expr, x, dtypes", [
    ("sum(sigmoid(x))", 40, None), ("sum(tanh(x))", 21, None),
    ("sum(expm1(x))", -41, None), ("sum(sigmoid(x))", 18, ["float32"])])
def test_total_loss_of_digits_fails(expr, x, dtypes):
    verdicts = rows(case_of(expr, f"{{x: {{value: {x}}}}}"), dtypes=dtypes)
    for v in numeric(verdicts):
        assert v.status == "fail", (v.key, v.message)
        assert v.blame != "sympy" and "ULPs" in v.message
    assert verdicts[("sympy", "exact")].blame == ""
    if dtypes is None:
        assert verdicts[("fd", "float64")].status == "pass"


# --- defect 2: backward-stable results pass ------------------------------------------------
@pytest.mark.parametrize("expr, inputs", [
    ("logsumexp(x, dim=0)", "{x: {value: [2000, 2000]}}"),
    ("sum(asin(x))", "{x: {value: 0.9999995}}")])
def test_results_within_the_conditioning_pass(expr, inputs):
    for v in rows(case_of(expr, inputs)).values():
        assert v.status in ("pass", "skip"), (v.key, v.message)


# --- defect 3: beyond the range, inf is right ---------------------------------------------
def test_overflow_to_inf_is_the_correct_rounding():
    verdicts = rows(case_of("sum(exp(x))", "{x: {value: 90}}"), dtypes=["float32"])
    for v in numeric(verdicts):
        assert v.status == "pass" and "beyond float32's range" in v.message


# --- defect 4 and IEEE values ----------------------------------------------------------------
def test_minus_inf_masks_in_inputs_and_the_language():
    case = case_of("logsumexp(x + m, dim=0) + sum(maximum(x, -inf))",
                   "{x: {value: [1, 2, 3]}, m: {value: [0, -.inf, '-inf'], requires_grad: false}}")
    assert np.isneginf(case.inputs["m"].rounded("float64")[1:]).all()
    for v in rows(case).values():
        assert v.status in ("pass", "skip"), (v.key, v.message)


def test_log_of_zero_gives_minus_inf_and_torch_is_accepted():
    verdicts = rows(case_of("sum(log(x))", "{x: {value: [0, 1]}}"), backends=["torch", "sympy"])
    for v in numeric(verdicts):
        assert v.status == "pass", v.message


def test_a_claim_of_minus_inf_holds():
    verdicts = rows(case_of("sum(log(x))", "{x: {value: 0}}", "    expect: {value: -inf}\n"),
                    backends=["sympy"])
    assert verdicts[("sympy", "exact")].status == "pass"


def test_fully_masked_softmax_is_undefined_everywhere():
    case = case_of("softmax(x + log(m), dim=0)",
                   "{x: {value: [1, 2]}, m: {value: [0, 0], requires_grad: false}}",
                   "    seed: [1, 2]\n")
    verdicts = rows(case, backends=["torch", "sympy"])
    assert all(v.status == "pass" and v.undefined_elements == 4 for v in numeric(verdicts))


# --- defect 5: undefined is a verdict, not a silent NaN == NaN --------------------------------
@pytest.mark.parametrize("expr, x, n", [("sqrt(sum(x ** 2))", "[0, 0]", 2),
                                        ("sqrt(sum((x - mean(x)) ** 2) / 2)", "[3, 3, 3]", 3)])
def test_no_derivative_is_said_out_loud(expr, x, n):
    verdicts = rows(case_of(expr, f"{{x: {{value: {x}}}}}"))
    for v in numeric(verdicts):
        assert v.status == "pass" and v.message.startswith("undefined: grad.x[0]")
        assert v.undefined_elements == n and v.to_json()["undefined_elements"] == n


def test_a_finite_number_where_no_derivative_exists_is_not_accepted():
    from fractions import Fraction

    from verifier.compare.errors import check_quantity
    check = check_quantity("grad.x", np.array([0.5, 1.0]), None,
                           np.array([np.nan, Fraction(1)], dtype=object), "float64", None,
                           allowed=np.array([1e-16, 1e-16]))
    assert not check.ok and "no derivative exists" in check.message
    conventional = check_quantity("grad.x", np.array([0.5, 1.0]), None,
                                  np.array([np.nan, Fraction(1)], dtype=object), "float64", None,
                                  allowed=np.array([1e-16, 1e-16]),
                                  convention=np.array([True, False]))
    assert conventional.ok and conventional.conventions == [(0,)]


# --- defects 6, 7, 10, 11, 14, 15: the oracle's half, judged here -----------------------------
ORACLE_REPRODUCERS = [
    ("sum(a ** b)", "{a: {value: 0}, b: {value: 3}}", ""),
    ("sum(softplus(x, beta=5, threshold=0.1))", "{x: {value: 0.02}}", ""),
    ("sum(relu(x - 0.1))", "{x: {value: 0.1}}", ""),
    ("sum(x / x)", "{x: {value: 0}}", ""),
    ("sum(x * 1e200 * 1e200)", "{x: {value: 1}}", "    dtypes: [float64]\n"),
    ("logsumexp(clamp(log1p(abs(x)), -5, 5), dim=0)", "{x: {value: [-1, 2]}}", ""),
]


@pytest.mark.parametrize("expr, inputs, extra", ORACLE_REPRODUCERS)
def test_oracle_side_reproducers_get_no_false_alarm(expr, inputs, extra):
    for v in rows(case_of(expr, inputs, extra), backends=["torch", "sympy", "fd"]).values():
        assert v.status in ("pass", "skip"), (v.key, v.message)


def test_a_constant_clamp_has_derivative_zero_and_fd_is_the_evidence():
    # clamp(x, 2, 2) is constant: torch passes the gradient at its bounds (1), wrongly here.
    verdicts = rows(case_of("sum(clamp(x, min=2, max=2))", "{x: {value: 2}}",
                            "    expect:\n      grad: {x: 0}\n"), backends=["torch", "sympy", "fd"])
    assert verdicts[("sympy", "exact")].status == "pass"
    assert verdicts[("fd", "float64")].status == "pass"
    torch64 = verdicts[("torch", "float64")]
    assert torch64.status == "fail" and torch64.blame == "torch" and "fd float64 agree" in torch64.message


# --- defect 8: blame on independent evidence ---------------------------------------------------
def test_an_expression_that_overflows_everywhere_blames_no_oracle():
    verdicts = rows(case_of("log(sum(exp(x)))", "{x: {value: [900, 900]}}"))
    for v in numeric(verdicts):
        assert v.status == "fail" and v.blame == "" and "unstable" in v.message
        assert "registry convention" not in v.message
    assert verdicts[("sympy", "exact")].blame == ""
    assert verdicts[("fd", "float64")].status == "pass"  # a 50-digit forward does not overflow


def test_fd_evidence_is_per_element_and_nan_agreement_is_none():
    verdicts = rows(case_of("sum(where(x > 3, log(x), 3 * x))", "{x: {value: [0, 3, 4]}}"))
    fd = verdicts[("fd", "float64")]
    assert fd.status == "pass" and "grad.x[1]" in fd.message  # the jump at 3, named
    for v in numeric(verdicts):
        assert v.status == "fail" and v.blame != "sympy", v.message


def test_a_float32_pass_is_no_evidence_against_a_float64_row():
    from dataclasses import replace

    from verifier.cases.loader import load_text as load
    from verifier.compare.judge import judge_case
    from verifier.reference import Reference
    case = load("cases:\n  - name: c\n    inputs: {x: {value: [0.5]}}\n    expr: sum(sin(x))\n"
                ).cases[0]
    from verifier.backends.available import all_backends
    table = all_backends()
    runs = {(b, d): table[b].run(case, d) for b in ("engine", "torch") for d in ("float64", "float32")}
    wrong = runs[("engine", "float64")]
    runs[("engine", "float64")] = replace(wrong, grads={"x": wrong.grads["x"] * (1 + 5e-12)})
    verdicts = {(v.backend, v.dtype): v for v in judge_case(case, runs, Reference(case), [])}
    engine = verdicts[("engine", "float64")]
    assert engine.status == "fail" and engine.blame == "engine"
    assert "float32" not in engine.message and "torch float64 agree" in engine.message


# --- defect 9: fd knows when it fails ---------------------------------------------------------
@pytest.mark.parametrize("expr, inputs, extra, named", [
    ("sum(relu(x))", "{x: {value: 0}}", "    order: 2\n", "hvp.x"),
    ("x / clamp(norm(x), min=1e-12)", "{x: {value: [0, 0]}}", "    seed: [1, 1]\n", None),
    ("sum(asin(x))", "{x: {value: 0.99999999999}}", "", None),
    ("det(x)", "{x: {value: [[1, 2], [2, 4]]}}", "", None),
    ("sum(where(abs(r) <= 1, 0.5 * r ** 2, abs(r) - 0.5))", "{r: {value: 1}}", "", None),
])
def test_fd_converges_or_names_the_element(expr, inputs, extra, named):
    fd = rows(case_of(expr, inputs, extra), backends=["fd", "sympy"])[("fd", "float64")]
    assert fd.status == "pass", fd.message
    if named:
        assert f"not checked by finite differences: grad.x: f has a kink here, {named}" in fd.message
    else:
        assert "not checked" not in fd.message


def test_fd_tolerance_can_be_set_per_case():
    case = case_of("sum(x * x)", "{x: {value: 1}}", "    tolerance: {fd: {rtol: 0, atol: 0}}\n")
    assert case.tolerance["fd"].rtol == 0
    assert rows(case, backends=["fd", "sympy"])[("fd", "float64")].status == "pass"


# --- defect 12: the shape probe and variadic ops ----------------------------------------------
def test_variadic_ops_in_the_shape_probe():
    case = case_of("logsumexp(stack([x, x]), dim=0)", "{x: {value: 2}}")
    for v in rows(case).values():
        assert v.status in ("pass", "skip"), (v.key, v.message)


# --- defect 13: engine bugs -------------------------------------------------------------------
def test_engine_norm_with_p_below_one_at_a_zero_coordinate_matches_torch():
    from verifier.backends.available import all_backends
    case = case_of("norm(x, p=0.5)", "{x: {value: [0, 1, 4]}}")
    table = all_backends()
    for dtype in ("float64", "float32"):
        engine, torch_run = table["engine"].run(case, dtype), table["torch"].run(case, dtype)
        assert np.array_equal(engine.grads["x"], torch_run.grads["x"]), (engine.grads, torch_run.grads)
        assert engine.grads["x"][0] == 0  # it was nan: sign(0) · |0|^(-1/2)


def test_engine_det_at_a_singular_matrix_is_the_adjugate_and_torch_is_not():
    verdicts = rows(case_of("det(x)", "{x: {value: [[1, 2], [2, 4]]}}"),
                    backends=["engine", "torch", "sympy"], dtypes=["float64"])
    assert verdicts[("engine", "float64")].status == "pass"
    torch_row = verdicts[("torch", "float64")]
    assert torch_row.status == "fail" and torch_row.blame == "torch"


# --- defect 16: cosmetics ---------------------------------------------------------------------
def test_no_warning_leaks_and_messages_read_as_written():
    case = case_of("sum(x * 0)", "{x: {value: [1e-300, 2]}}", "    expect:\n      grad: {x: [0, 1]}\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        verdicts = rows(case)
    oracle = verdicts[("sympy", "exact")]
    assert oracle.status == "fail" and "Fraction(" not in oracle.message and "[0, 1]" in oracle.message
    for v in verdicts.values():
        assert v.max_rel_err is None or v.max_rel_err in (0.0, float("inf")) or v.max_rel_err < 1e300


# --- the shipped edge file ---------------------------------------------------------------------
def test_the_edge_file_has_at_least_40_cases_each_with_its_verdict():
    cases = load_paths([EDGES]).cases
    assert len(cases) >= 40
    assert all(c.description and "edge" in c.tags for c in cases)


@pytest.mark.parametrize("name", ["edge_sigmoid_saturated_at_40", "edge_det_singular_2x2",
                                  "edge_naive_logsumexp_overflows", "edge_where_nan_trap",
                                  "edge_hand_written_norm_at_zero", "edge_relu_order2_at_zero",
                                  "edge_masked_logsumexp", "edge_exp_overflows_float32"])
def test_edge_cases_get_their_declared_verdicts(name):
    case = next(c for c in load_paths([EDGES]).cases if c.name == name)
    for v in run_case(case, BACKENDS):
        marked = case.xfail is not None and case.xfail.covers(v.backend, v.dtype)
        expected = ("xfail",) if marked else ("pass", "skip")
        assert v.status in expected, (v.key, v.status, v.message)


def test_show_prints_the_bound_and_the_condition_number(capsys):
    from verifier.cli import main
    status = main(["show", "edge_asin_near_one", str(EDGES), "--backend", "torch",
                   "--backend", "sympy", "--dtype", "float64"])
    out = capsys.readouterr().out
    assert status == 0, out
    assert "allowed" in out and "cond 1e+06" in out and "rule: fallback" in out


def test_the_json_report_counts_undefined_elements(tmp_path):
    import json

    from verifier.cli import main
    report = tmp_path / "r.json"
    main(["run", str(EDGES), "-k", "edge_hand_written_norm_at_zero", "--backend", "torch",
          "--backend", "sympy", "--no-progress", "-qq", "--json", str(report)])
    rows = json.loads(report.read_text())["results"]
    torch_rows = [r for r in rows if r["backend"] == "torch"]
    assert torch_rows and all(r["undefined_elements"] == 2 for r in torch_rows)
    assert torch_rows[0]["undefined"] == ["grad.x[0]", "grad.x[1]"]


def test_a_wrong_value_equal_in_every_dtype_is_named_a_shared_rule_not_rounding():
    # torch's clamp backward at x == min == max: 1 in float32 and float64 alike, fd says 0
    case = case_of("sum(clamp(x, min=2, max=2))", "{x: {value: [1, 2, 3]}}")
    verdicts = rows(case, backends=["torch", "torch-func", "fd", "sympy"])
    for dtype in ("float64", "float32"):
        v = verdicts[("torch", dtype)]
        assert v.status == "fail" and v.blame == "", v.message
        assert "not rounding but a rule they share" in v.message, v.message
    assert verdicts[("fd", "float64")].status == "pass"
    # the engine takes the derivative (0): beside it, torch alone is wrong and blamed
    verdicts = rows(case, backends=["engine", "torch", "fd", "sympy"])
    assert verdicts[("engine", "float64")].status == "pass"
    assert verdicts[("torch", "float64")].blame == "torch"
