"""The baseline gate as a new user meets it: FILE checked before the run, a renamed case
said "renamed?", and finite differences gated on pass/fail only."""

from __future__ import annotations

import json

import pytest

from verifier.cli import main
from verifier.gate import baseline as bl
from verifier.gate import options as gate_options
from verifier.verdict import Verdict

CASES = """
cases:
  - name: square_sum
    inputs:
      x: {value: [1, 2, 3]}
    expr: sum(x ** 2)
    backends: [engine, sympy]
    dtypes: [float64]
  - name: cube_sum
    inputs:
      x: {value: [1, 2]}
    expr: sum(x ** 3)
    backends: [engine, sympy]
    dtypes: [float64]
"""


def run(*args):
    return main(["run", "-qq", "--no-progress", "--workers", "1", *map(str, args)])


@pytest.fixture
def never_runs(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("the cases ran although --baseline was unusable")
    monkeypatch.setattr(gate_options, "run_verdicts", fail)


@pytest.mark.parametrize("content, expected", [
    (None, "does not exist; create it with"),
    ("{not json", "is not readable JSON"),
    ('{"summary": {}}', "expected a JSON report with a 'results' list"),
    ('{"results": [{"case": "a"}]}', "results[0] lacks backend, dtype, status"),
])
def test_an_unusable_baseline_is_reported_before_anything_runs(tmp_path, capsys, never_runs,
                                                                content, expected):
    cases = tmp_path / "cases.yaml"
    cases.write_text(CASES)
    base = tmp_path / "baseline.json"
    if content is not None:
        base.write_text(content)
    assert run(cases, "--baseline", base) == 2
    err = capsys.readouterr().err
    assert err.startswith("verifier: error: --baseline: ") and expected in err, err


def test_a_renamed_case_is_said_renamed(tmp_path, capsys):
    cases, base = tmp_path / "cases.yaml", tmp_path / "baseline.json"
    cases.write_text(CASES)
    assert run(cases, "--baseline", base, "--update-baseline") == 0
    assert json.loads(base.read_text())["case_digests"].keys() == {"square_sum", "cube_sum"}
    capsys.readouterr()

    cases.write_text(CASES.replace("name: cube_sum", "name: sum_of_cubes"))
    assert run(cases, "--baseline", base) == 1  # the rows still vanished: a rename is pointed at
    out = capsys.readouterr().out
    vanished = [line for line in out.splitlines() if line.lstrip().startswith("cube_sum")]
    assert len(vanished) == 2 and all("vanished; renamed to sum_of_cubes?" in v for v in vanished)
    assert "new row, passes; renamed from cube_sum?" in out
    assert "square_sum" not in out.split("baseline ")[0]  # unchanged rows are not listed


def test_a_changed_case_is_not_said_renamed(tmp_path, capsys):
    cases, base = tmp_path / "cases.yaml", tmp_path / "baseline.json"
    cases.write_text(CASES)
    run(cases, "--baseline", base, "--update-baseline")
    capsys.readouterr()
    cases.write_text(CASES.replace("name: cube_sum", "name: sum_of_cubes")
                     .replace("x: {value: [1, 2]}", "x: {value: [1, 3]}"))
    assert run(cases, "--baseline", base) == 1
    out = capsys.readouterr().out
    assert "vanished" in out and "renamed" not in out


def row(backend, ulp, status="pass"):
    return Verdict(case="c", file="x.yaml", backend=backend, dtype="float64", status=status,
                   max_abs_err=1e-9, max_rel_err=1e-9, max_ulp_err=ulp)


def test_fd_is_gated_on_pass_and_fail_only():
    # fd's error is its truncation error: a thousandfold ULP change is no regression...
    assert bl.compare([row("fd", 10.0)], [row("fd", 10_000.0)]).ok
    assert bl.compare([row("fd", 10_000.0)], [row("fd", 10.0)]).improvements == []
    # ...but failing is, and the same ULP growth on another backend is too.
    assert not bl.compare([row("fd", 10.0)], [row("fd", 10.0, status="fail")]).ok
    assert not bl.compare([row("engine", 10.0)], [row("engine", 10_000.0)]).ok
