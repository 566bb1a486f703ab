"""The Reference: exact values per dtype and path, its cache, its time budget, the timeout key."""

from __future__ import annotations

import pytest

from verifier.cases.loader import load_text
from verifier.contract import ReferenceValues
from verifier.reference import Reference


def case_of(body: str):
    result = load_text("cases:\n" + body)
    assert not result.problems, [str(p) for p in result.problems]
    return result.cases[0]


SMALL = """
  - name: small
    inputs: {x: {value: [0.1, 2]}}
    expr: sum(x * x)
"""


def test_values_per_dtype_are_computed_once_each():
    reference = Reference(case_of(SMALL))
    exact = reference.at("exact")
    assert isinstance(exact, ReferenceValues) and exact.error_kind is None
    assert list(exact.exact_grads["x"]) == [pytest.approx(0.2), 4] or \
        str(exact.exact_grads["x"][0]) == "1/5"
    f32 = reference.at("float32")
    assert f32.dtype == "float32" and f32.exact_grads["x"][0] != exact.exact_grads["x"][0]
    assert reference.at("float32") is f32
    assert set(reference.computed) == {("exact", None), ("float32", None)}


class SlowOracle:
    def run(self, case, dtype, follow=None):
        while True:
            pass


def test_a_reference_out_of_time_is_unfinished_not_an_exception():
    reference = Reference(case_of(SMALL), budget=0.2, oracle=SlowOracle())
    values = reference.at("float64")
    assert values.unfinished and values.error_kind == "other"
    assert "oracle timed out after" in values.error_message
    # once out of time, it does not try again
    assert reference.at("exact").unfinished and reference.timed_out


def test_claims_are_checked_from_the_reference():
    case = case_of(SMALL + "    expect: {grad: {x: 2 * x}}\n")
    [claim] = Reference(case).claims()
    assert claim.status == "pass" and claim.how == "identity proven"


@pytest.mark.parametrize("value, ok", [(5, True), (0.5, True), (0, False), (-1, False),
                                       (100000, False), ("soon", False)])
def test_the_timeout_key_is_validated(value, ok):
    result = load_text(f"cases:\n  - name: t\n    inputs: {{x: {{value: 1}}}}\n    expr: x\n"
                       f"    timeout: {value}\n", "f.yaml")
    if ok:
        assert not result.problems and result.cases[0].timeout == float(value)
    else:
        assert result.problems and "timeout" in str(result.problems[0])
        assert str(result.problems[0]).startswith("f.yaml:5:")


def test_a_case_whose_oracle_times_out_still_reports_every_numeric_row(tmp_path, capsys,
                                                                      monkeypatch):
    # An oracle that never finishes (patched in): the numeric rows are still reported.
    import json

    from verifier.cli import main
    monkeypatch.setattr("verifier.oracle.backend.SympyOracle", SlowOracle)
    path = tmp_path / "slow.yaml"
    path.write_text("cases:\n  - name: slow_oracle\n    inputs: {x: {value: [0.5, 1.5]}}\n"
                    "    program: |\n      y = x\n      for i in range(40):\n"
                    "          y = sqrt(1 + y * y) * sin(y)\n    output: y\n"
                    "    seed: {value: [1, 2]}\n    timeout: 2\n")
    report = tmp_path / "r.json"
    main(["run", str(path), "--no-progress", "--backend", "engine", "--backend", "sympy",
          "--backend", "fd", "--json", str(report)])
    rows = {(r["backend"], r["dtype"]): r for r in json.loads(report.read_text())["results"]}
    assert rows[("sympy", "exact")]["status"] == "error"
    assert "oracle timed out" in rows[("sympy", "exact")]["message"]
    engine = rows[("engine", "float64")]
    assert engine["status"] == "pass" and "no exact verdict" in engine["message"]
    assert "agrees with" in engine["message"] and "fd float64" in engine["message"]
    capsys.readouterr()
