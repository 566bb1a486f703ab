"""The baseline gate: what is a regression, what is an improvement, and atomic writes."""

import json
import os

import pytest

from verifier.gate import baseline as bl
from verifier.verdict import Verdict


def row(case="c", backend="engine", dtype="float32", status="pass", ulp=1.0, **kw):
    return Verdict(case=case, file="cases/x.yaml", backend=backend, dtype=dtype, status=status,
                   max_abs_err=1e-7, max_rel_err=1e-7, max_ulp_err=ulp, seconds=0.5, **kw)


def whys(changes):
    return [(c.case, c.backend, c.dtype, c.why) for c in changes]


def test_identical_runs_have_no_changes():
    rows = [row("a"), row("b", status="xfail"), row("c", backend="sympy", dtype="exact", ulp=None)]
    result = bl.compare(rows, [Verdict(**r.to_json()) for r in rows])
    assert result.ok and result.improvements == [] and result.compared == 3


@pytest.mark.parametrize("before, after, why", [
    ("pass", "fail", "now fails"),
    ("pass", "error", "now errors"),
    ("skip", "fail", "now fails"),
    ("xfail", "error", "now errors"),
    ("xpass", "fail", "now fails"),
    ("pass", "skip", "no longer passes (skip)"),
    ("pass", "xfail", "no longer passes (xfail)"),
])
def test_status_regressions(before, after, why):
    result = bl.compare([row(status=before)], [row(status=after)])
    assert whys(result.regressions) == [("c", "engine", "float32", why)]
    assert not result.ok


def test_known_failure_is_tolerated_and_fixing_it_is_an_improvement():
    assert bl.compare([row(status="fail")], [row(status="error")]).ok
    fixed = bl.compare([row(status="fail")], [row(status="pass")])
    assert fixed.ok and whys(fixed.improvements) == [("c", "engine", "float32", "now passes")]


def test_vanished_row_and_vanished_case_are_regressions():
    before = [row("a"), row("a", dtype="float64"), row("b")]
    result = bl.compare(before, [row("a")])
    assert sorted(whys(result.regressions)) == [("a", "engine", "float64", "vanished"),
                                               ("b", "engine", "float32", "vanished")]
    assert result.regressions[0].after == "-"


def test_new_rows_fail_the_gate_only_when_failing():
    result = bl.compare([], [row("new_ok"), row("new_bad", status="error", ulp=None)])
    assert whys(result.regressions) == [("new_bad", "engine", "float32", "new row, error")]
    assert whys(result.improvements) == [("new_ok", "engine", "float32", "new row, passes")]


@pytest.mark.parametrize("before, after, regressed", [
    (3.0, 2 * 3.0 + 4, False),        # exactly at the limit: allowed
    (3.0, 2 * 3.0 + 4.5, True),
    (0.0, 4.0, False),                 # the slack lets an exact result become a few ULPs off
    (0.0, 5.0, True),
    (1000.0, 1900.0, False),
    (1000.0, 2100.0, True),
    (None, 1e9, False),                # no figure before: nothing to hold it against
])
def test_ulp_growth_rule(before, after, regressed):
    result = bl.compare([row(ulp=before)], [row(ulp=after)])
    assert (not result.ok) == regressed
    if regressed:
        assert "ULP error grew" in result.regressions[0].why


def test_ulp_shrink_is_an_improvement():
    result = bl.compare([row(ulp=100.0)], [row(ulp=10.0)])
    assert result.ok and whys(result.improvements) == [("c", "engine", "float32", "ULP error shrank")]


def test_factor_and_slack_are_parameters():
    assert not bl.compare([row(ulp=3.0)], [row(ulp=8.0)], factor=1.0, slack=1.0).ok


def test_file_move_is_not_a_regression():
    moved = row()
    moved.file = "cases/elsewhere.yaml"
    assert bl.compare([row()], [moved]).ok


def test_write_then_read_round_trips_without_times(tmp_path):
    path = tmp_path / "ci" / "baseline.json"
    rows = [row("a"), row("b", status="fail", message="grad.x off by 3 ulp", ulp=3.0)]
    bl.write_baseline(path, rows)
    data = json.loads(path.read_text())
    assert data["summary"] == {"passed": 1, "failed": 1, "errors": 0, "skipped": 0,
                               "xfailed": 0, "xpassed": 0}
    assert all("seconds" not in r and "details" not in r for r in data["results"])
    back = bl.read_baseline(path)
    assert [(v.key, v.status, v.max_ulp_err, v.message) for v in back] == \
        [(v.key, v.status, v.max_ulp_err, v.message) for v in rows]
    assert os.listdir(path.parent) == ["baseline.json"]  # no temporary left behind


def test_write_is_deterministic(tmp_path):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    bl.write_baseline(a, [row("x")])
    slower = row("x")
    slower.seconds = 99.0
    bl.write_baseline(b, [slower])
    assert a.read_bytes() == b.read_bytes()


def test_failed_write_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "baseline.json"
    bl.write_baseline(path, [row("old")])
    before = path.read_bytes()

    def broken_replace(src, dst):
        raise OSError("disk full")
    monkeypatch.setattr(bl.os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        bl.write_baseline(path, [row("new")])
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["baseline.json"]


def test_reads_a_contract_report_with_extra_keys(tmp_path):
    path = tmp_path / "report.json"
    path.write_text(json.dumps({"summary": {}, "results": [
        {"case": "a", "file": "f", "backend": "torch", "dtype": "float64", "status": "pass",
         "max_abs_err": 0.0, "max_rel_err": 0.0, "message": "", "some_future_key": 1}]}))
    (v,) = bl.read_baseline(path)
    assert v.key == ("a", "torch", "float64") and v.max_ulp_err is None


@pytest.mark.parametrize("text, expected", [
    (None, "does not exist; create it with"),
    ("{not json", "is not readable JSON"),
    ('[1, 2]', "expected a JSON report with a 'results' list"),
    ('{"results": [{"case": "a"}]}', "results[0] lacks backend, dtype, status"),
    ('{"results": [{"case": "a", "backend": "b", "dtype": "d", "status": "ok"}]}',
     "has status 'ok'; expected one of"),
])
def test_bad_baselines_say_what_is_wrong(tmp_path, text, expected):
    path = tmp_path / "b.json"
    if text is not None:
        path.write_text(text)
    with pytest.raises(bl.BaselineError, match=expected.replace("[", r"\[").replace("(", r"\(")):
        bl.read_baseline(path)


def test_table_names_case_backend_dtype_before_and_after():
    result = bl.compare([row("mean_sq", ulp=2.0)], [row("mean_sq", status="fail", ulp=40.0)])
    text = bl.format_comparison(result, "ci/baseline.json")
    lines = text.splitlines()
    assert lines[0] == "Regressions against ci/baseline.json (1):"
    assert lines[1].split() == ["case", "backend", "dtype", "before", "after", "why"]
    assert "mean_sq  engine   float32  pass (2 ulp)  fail (40 ulp)  now fails" in text
    assert lines[-1].startswith("baseline ci/baseline.json: FAILED: 1 regression(s)")


# --- `verifier run --baseline / --update-baseline / --workers`, end to end -----------------

SUITE = """
cases:
  - name: square_sum
    inputs:
      x: {value: [1, 2, 3]}
    expr: sum(x ** 2)
    expect:
      grad: {x: 2 * x}
    backends: [engine, sympy]
    dtypes: [float64]
  - name: cube_sum
    inputs:
      x: {value: [1, 2]}
    expr: sum(x ** 3)
    expect:
      grad: {x: CLAIM}
    backends: [engine, sympy]
    dtypes: [float64]
"""


def cli(*args):
    from verifier.cli import main
    return main(["run", "-qq", "--no-progress", *map(str, args)])


def suite(tmp_path, claim="3 * x ** 2", drop_cube=False):
    text = SUITE.replace("CLAIM", claim)
    if drop_cube:
        text = text[:text.index("  - name: cube_sum")]
    path = tmp_path / "cases.yaml"
    path.write_text(text)
    return path


def test_gate_end_to_end(tmp_path, capsys):
    cases, base = suite(tmp_path), tmp_path / "ci" / "baseline.json"
    assert cli(cases, "--workers", 1, "--baseline", base) == 2  # no baseline yet
    assert "create it with" in capsys.readouterr().err
    assert cli(cases, "--workers", 1, "--baseline", base, "--update-baseline") == 0
    assert f"baseline {base}: written (4 rows)" in capsys.readouterr().out
    assert cli(cases, "--workers", 1, "--baseline", base) == 0
    assert "ok: 0 regression(s)" in capsys.readouterr().out

    # A claim that no longer holds fails the oracle's row: a regression, with its table row.
    assert cli(suite(tmp_path, claim="2 * x"), "--workers", 1, "--baseline", base) == 1
    out = capsys.readouterr().out
    assert "Regressions against" in out
    assert any(line.split()[:5] == ["cube_sum", "sympy", "exact", "pass", "fail"]
               for line in out.splitlines())

    # A case that vanished is a regression too, although everything that ran passed.
    assert cli(suite(tmp_path, drop_cube=True), "--workers", 1, "--baseline", base) == 1
    assert "vanished" in capsys.readouterr().out


def test_known_failure_in_the_baseline_is_tolerated(tmp_path, capsys):
    cases, base = suite(tmp_path, claim="2 * x"), tmp_path / "baseline.json"
    assert cli(cases, "--workers", 1, "--baseline", base, "--update-baseline") == 1  # the run's own
    assert base.exists()
    assert cli(cases, "--workers", 1, "--baseline", base) == 0
    # Fixing it is an improvement, reported, not failing.
    assert cli(suite(tmp_path), "--workers", 1, "--baseline", base) == 0
    assert "Improvements against" in capsys.readouterr().out


def test_update_baseline_needs_a_file(tmp_path, capsys):
    assert cli(suite(tmp_path), "--update-baseline") == 2
    assert "--update-baseline needs --baseline FILE" in capsys.readouterr().err


def test_workers_must_be_positive(tmp_path, capsys):
    assert cli(suite(tmp_path), "--workers", 0) == 2
    assert "expected a whole number of processes >= 1, got '0'" in capsys.readouterr().err


def test_workers_give_the_serial_report(tmp_path):
    cases = suite(tmp_path, claim="2 * x")  # a failure in the mix
    serial, parallel_json = tmp_path / "serial.json", tmp_path / "parallel.json"
    assert cli(cases, "--workers", 1, "--json", serial) == 1
    assert cli(cases, "--workers", 2, "--json", parallel_json) == 1

    def rows(path):
        return [{k: v for k, v in r.items() if k != "seconds"}
                for r in json.loads(path.read_text())["results"]]
    assert rows(parallel_json) == rows(serial) and len(rows(serial)) == 4
