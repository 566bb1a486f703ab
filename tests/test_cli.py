"""`verifier run | show | check | list` in-process, on small case files, with fake backends.

The fakes (runner_fakes.py) compute sum(x) for every case; `engine` is off by one on the
cases named in `wrong_on`.  test_cli_end_to_end.py runs the real backends.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from runner_fakes import FakeNumeric, toolkit

import verifier.runner
from verifier.cli import main

GOOD = """\
cases:
  - name: sum_small
    tags: [seed, reduction]
    inputs:
      x: {value: [1, 2]}
    expr: sum(x)
  - name: sum_other
    inputs:
      x: {value: [3, 4]}
    expr: sum(x)
"""

WRONG = """\
cases:
  - name: sum_wrong
    inputs:
      x: {value: [1, 2]}
    expr: sum(x)
"""

BROKEN = """\
cases:
  - name: broken_one
    inputs:
      x: {value: [1, 2]}
    exprr: sum(x)
"""


@pytest.fixture
def suite(tmp_path):
    folder = tmp_path / "cases"
    folder.mkdir()
    (folder / "good.yaml").write_text(GOOD)
    return folder


@pytest.fixture(autouse=True)
def fake_backends(monkeypatch):
    kit = toolkit(FakeNumeric("engine", wrong_on=("sum_wrong",)), FakeNumeric("torch"),
                  FakeNumeric("torch-cuda", reason="CUDA is not available here"))
    monkeypatch.setattr(verifier.runner, "real_toolkit", lambda: kit)
    return kit


def run(capsys, *argv):
    status = main(list(map(str, argv)))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_run_all_passing_exits_0_with_table_and_summary(capsys, suite):
    status, out, err = run(capsys, "run", suite)
    assert status == 0
    assert "sum_small" in out and "sum_other" in out
    assert out.splitlines()[0].split() == ["case", "engine", "torch", "sympy"]
    assert "skipped on every case" not in out  # rows that cannot run are not planned...
    assert ("left out, as they cannot run here: torch-cuda (CUDA is not available here)"
            in out)  # ...and said once
    assert "10 passed, 0 failed, 0 errors, 0 skipped, 0 xfailed in" in out.splitlines()[-1]
    assert "\r" not in err  # not a terminal: no progress bar


def test_run_with_a_failure_exits_1_and_details_it(capsys, suite):
    (suite / "wrong.yaml").write_text(WRONG)
    status, out, _ = run(capsys, "run", suite)
    assert status == 1
    assert "FAILED sum_wrong [engine float64]" in out
    assert "wrong.yaml:2" in out and "value off by 1.0" in out


def test_a_broken_file_is_reported_and_the_others_still_run(capsys, suite):
    (suite / "wrong.yaml").write_text(WRONG)
    (suite / "broken.yaml").write_text(BROKEN)
    status, out, err = run(capsys, "run", suite)
    assert status == 2  # an invalid case file wins over the failure
    assert "broken.yaml:5: case broken_one: exprr: unknown key 'exprr'; did you mean 'expr'?" in err
    assert "Traceback" not in err
    assert "sum_small" in out and "FAILED sum_wrong" in out


def test_unknown_backend_exits_2_listing_the_names(capsys, suite):
    status, _, err = run(capsys, "run", suite, "--backend", "jax")
    assert status == 2
    assert "unknown backend 'jax'; expected one of: engine, torch, torch-cuda, sympy" in err


def test_invalid_command_lines_exit_2(capsys, suite):
    assert run(capsys, "run", suite, "--dtype", "float8")[0] == 2
    assert run(capsys, "frobnicate")[0] == 2
    assert run(capsys, "run", suite, "-k", "seed and")[0] == 2
    status, _, err = run(capsys, "run", suite / "missing.yaml")
    assert status == 2 and "missing.yaml: no such file or folder" in err


def test_backend_and_dtype_select_columns(capsys, suite):
    status, out, _ = run(capsys, "run", suite, "--backend", "engine", "--backend", "sympy",
                         "--dtype", "float32")
    assert status == 0
    header = out.splitlines()[:2]
    assert header[0].split() == ["case", "engine", "sympy"]
    assert header[1].split() == ["f32", "exact"]


def test_k_selects_by_substring_tag_and_not(capsys, suite):
    _, out, _ = run(capsys, "list", suite, "-k", "other")
    assert [line.split()[0] for line in out.splitlines()] == ["sum_other"]
    _, out, _ = run(capsys, "list", suite, "-k", "reduction")
    assert [line.split()[0] for line in out.splitlines()] == ["sum_small"]
    _, out, _ = run(capsys, "list", suite, "-k", "sum and not (seed or nothing)")
    assert [line.split()[0] for line in out.splitlines()] == ["sum_other"]
    status, _, err = run(capsys, "run", suite, "-k", "nothing_like_this")
    assert status == 2 and "no case matches -k 'nothing_like_this'" in err


def test_list_prints_name_tags_and_location(capsys, suite):
    status, out, _ = run(capsys, "list", suite)
    assert status == 0
    first = out.splitlines()[0]
    assert first.startswith("sum_small") and "seed, reduction" in first
    assert first.endswith("good.yaml:2")


def test_json_and_junit_reports(capsys, suite, tmp_path):
    (suite / "wrong.yaml").write_text(WRONG)
    report, junit = tmp_path / "r.json", tmp_path / "r.xml"
    status, _, _ = run(capsys, "run", suite, "--json", report, "--junit-xml", junit, "-q")
    assert status == 1
    data = json.loads(report.read_text())
    assert data["summary"]["failed"] == 2 and data["summary"]["passed"] == 13
    row = next(r for r in data["results"] if r["case"] == "sum_wrong" and r["status"] == "fail")
    assert row["backend"] == "engine" and row["file"].endswith("wrong.yaml")
    assert row["max_abs_err"] == 1.0
    suite_element = ET.parse(junit).getroot().find("testsuite")
    assert suite_element.get("failures") == "2"
    names = {c.get("name") for c in suite_element.findall("testcase")}
    assert "sum_wrong[engine-float32]" in names


def test_quiet_prints_failures_and_summary_without_table(capsys, suite):
    (suite / "wrong.yaml").write_text(WRONG)
    _, out, _ = run(capsys, "run", suite, "-q")
    assert "sum_small" not in out and "FAILED sum_wrong" in out
    _, out, _ = run(capsys, "run", suite, "-qq")
    assert len(out.strip().splitlines()) == 1


def test_check_reports_ok_and_problems(capsys, suite):
    status, out, _ = run(capsys, "check", suite)
    assert status == 0 and out.strip() == "2 cases in 1 file OK"
    (suite / "broken.yaml").write_text(BROKEN)
    status, out, _ = run(capsys, "check", suite)
    assert status == 2
    assert "broken.yaml:5: case broken_one:" in out
    assert out.strip().splitlines()[-1].endswith("2 cases valid in 2 files")


def test_show_prints_case_derivative_and_numbers(capsys, suite):
    status, out, _ = run(capsys, "show", "sum_small", suite)
    assert status == 0
    assert "case sum_small" in out and "good.yaml:2" in out and "sum(x)" in out
    assert "d out / d x =" in out
    assert "oracle at exact" in out and "engine float32" in out


def test_show_unknown_name_suggests_close_ones(capsys, suite):
    status, _, err = run(capsys, "show", "sum_smal", suite)
    assert status == 2 and "did you mean 'sum_small'" in err


def test_help_exits_0(capsys):
    assert main(["--help"]) == 0
    assert "verifier" in capsys.readouterr().out


