"""One invalid case never silences its file: the valid cases run, the broken one is reported
as FILE:LINE and counted, and exit 2 wins."""

from __future__ import annotations

import json
import textwrap

from verifier.cases.loader import load_text
from verifier.cli import main

MIXED = """\
cases:
  - name: good_square
    inputs:
      x: {value: [1, 2]}
    expr: sum(x ** 2)
    backends: [sympy]
  - name: broken_typo
    inputs:
      x: {value: [1, 2]}
    exprr: sum(x)
  - name: good_cube
    inputs:
      x: {value: [1, 2]}
    expr: sum(x ** 3)
    backends: [sympy]
"""


def test_the_valid_cases_of_a_mixed_file_load():
    result = load_text(MIXED, "mixed.yaml")
    assert [c.name for c in result.cases] == ["good_square", "good_cube"]
    assert {p.case for p in result.problems} == {"broken_typo"}
    assert min(p.line for p in result.problems) == 7


def test_a_duplicate_key_inside_one_case_leaves_out_that_case_only():
    text = MIXED.replace("    expr: sum(x ** 3)\n", "    expr: sum(x ** 3)\n    expr: sum(x)\n")
    result = load_text(text, "mixed.yaml")
    assert [c.name for c in result.cases] == ["good_square"]
    assert {p.case for p in result.problems} == {"broken_typo", "good_cube"}


def test_a_problem_outside_every_case_leaves_out_the_file():
    result = load_text("verison: 1\n" + MIXED, "mixed.yaml")
    assert result.cases == [] and any(p.line == 1 for p in result.problems)


def test_run_runs_the_valid_cases_reports_the_broken_one_and_exits_2(tmp_path, capsys):
    path = tmp_path / "mixed.yaml"
    path.write_text(MIXED)
    report = tmp_path / "report.json"
    status = main(["run", str(path), "--no-progress", "--workers", "1", "--json", str(report)])
    out, err = capsys.readouterr()
    assert status == 2
    assert "mixed.yaml:10: case broken_typo: exprr: unknown key" in err
    assert "no case was found" not in err
    rows = json.loads(report.read_text())["results"]
    assert {(r["case"], r["status"]) for r in rows} == {("good_square", "pass"), ("good_cube", "pass")}
    assert "2 invalid case file problems, 2 passed" in out, out


def test_check_counts_the_valid_and_the_broken(tmp_path, capsys):
    path = tmp_path / "mixed.yaml"
    path.write_text(textwrap.dedent(MIXED))
    assert main(["check", str(path)]) == 2
    out = capsys.readouterr().out
    assert out.splitlines()[-1] == "2 problems; 2 cases valid in 1 file"
