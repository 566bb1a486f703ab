"""The reports: table, failures, summary line, progress bar, JSON, JUnit XML, show."""

from __future__ import annotations

import io
import json
import math
import xml.etree.ElementTree as ET

from runner_fakes import FakeNumeric, make_case, toolkit

from verifier.report.json_report import build_report, write_json
from verifier.report.junit import build_junit, write_junit
from verifier.report.progress import Progress
from verifier.report.show import format_array, pretty_derivative, render_show
from verifier.report.style import Style
from verifier.report.table import render_failures, render_summary_line, render_table
from verifier.runner import run_case_detailed, summarize
from verifier.verdict import Verdict

CONTRACT_ROW_KEYS = {"case", "file", "backend", "dtype", "status", "max_abs_err", "max_rel_err",
                     "message"}
CONTRACT_SUMMARY_KEYS = {"passed", "failed", "errors", "skipped", "xfailed"}


def sample() -> list[Verdict]:
    return [
        Verdict("square", "cases/a.yaml", "sympy", "exact", "pass"),
        Verdict("square", "cases/a.yaml", "engine", "float64", "pass", 0.0, 0.0, 0.0),
        Verdict("square", "cases/a.yaml", "engine", "float32", "fail", 1e-3, 2e-4, 1680.0,
                message="grad.x off", blame="engine"),
        Verdict("loop", "cases/b.yaml", "engine", "float64", "error", message="boom <&>"),
        Verdict("loop", "cases/b.yaml", "torch-cuda", "float64", "skip", message="no CUDA"),
        Verdict("loop", "cases/b.yaml", "engine", "float32", "pass", diverged=True),
        Verdict("kink", "cases/b.yaml", "torch", "float64", "xfail", message="known"),
        Verdict("kink", "cases/b.yaml", "torch", "float32", "xpass",
                max_abs_err=math.inf, max_rel_err=math.nan),
    ]


def test_table_has_a_row_per_case_a_column_per_backend_dtype_and_a_legend():
    text = render_table(sample(), Style(color=False))
    lines = text.splitlines()
    assert lines[0].split() == ["case", "sympy", "engine", "torch"]
    assert lines[1].split() == ["exact", "f64", "f32", "f64", "f32"]
    assert lines[2].split() == ["square", "✓", "✓", "✗", "-", "-"]
    assert lines[3].split() == ["loop", "-", "E", "D", "-", "-"]
    assert lines[4].split() == ["kink", "-", "-", "-", "x", "X"]
    # marks sit under their dtype labels
    assert lines[2].index("✗") == lines[1].index("f32")
    assert "✗ fail" in text and "D diverged" in text and "- not run" in text
    # a column skipped on every case for one reason is folded into a note
    assert "torch-cuda float64: skipped on every case (no CUDA)" in text


def test_a_column_with_a_skip_and_a_result_is_kept():
    verdicts = sample() + [Verdict("square", "cases/a.yaml", "torch-cuda", "float64", "pass")]
    text = render_table(verdicts, Style())
    assert "torch-cuda" in text.splitlines()[0] and "skipped on every case" not in text


def test_colors_only_when_asked_and_ascii_fallback():
    assert "\x1b[" not in render_table(sample(), Style(color=False))
    assert "\x1b[32m✓\x1b[0m" in render_table(sample(), Style(color=True))
    assert "F" in render_table(sample(), Style(unicode=False)).splitlines()[2].split()


def test_no_color_env_and_non_tty_disable_color(monkeypatch):
    class Tty(io.StringIO):
        def isatty(self):
            return True
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    assert Style.for_stream(Tty()).color
    assert not Style.for_stream(io.StringIO()).color
    monkeypatch.setenv("NO_COLOR", "1")
    assert not Style.for_stream(Tty()).color


def test_failures_in_detail_with_location_worst_errors_and_blame():
    text = render_failures(sample(), Style(), {"square": 12, "loop": 30})
    assert "FAILED square [engine float32]  cases/a.yaml:12" in text
    assert "worst error: abs 0.001  rel 0.0002  ULP 1.68e+03" in text
    assert "blame: engine" in text
    assert "ERROR loop [engine float64]  cases/b.yaml:30" in text and "boom <&>" in text
    assert "XPASS" not in text
    assert "XPASS kink" in render_failures(sample(), Style(), verbose=True)


def test_summary_line_counts_every_status():
    summary = summarize(sample())
    line = render_summary_line(summary, 2.0, Style())
    assert line == "3 passed, 1 failed, 1 errors, 1 skipped, 1 xfailed, 1 xpassed in 2.00 s"
    assert render_summary_line(summary, 2.0, Style(), problems=1).startswith(
        "1 invalid case file problem, ")


def test_json_report_has_exactly_the_contract_shape(tmp_path):
    verdicts = sample()
    path = tmp_path / "out" / "report.json"
    write_json(path, verdicts, summarize(verdicts), ["a.yaml:3: case x: bad"], 1.25)
    report = json.loads(path.read_text())
    assert CONTRACT_SUMMARY_KEYS <= set(report["summary"])
    assert report["summary"] == {"passed": 3, "failed": 1, "errors": 1, "skipped": 1,
                                 "xfailed": 1, "xpassed": 1}
    assert len(report["results"]) == len(verdicts)
    for row in report["results"]:
        assert CONTRACT_ROW_KEYS <= set(row)
        assert row["status"] in {"pass", "fail", "error", "skip", "xfail", "xpass"}
        assert all(isinstance(row[k], str) for k in ("case", "file", "backend", "dtype", "message"))
        assert all(row[k] is None or isinstance(row[k], float) for k in ("max_abs_err",
                                                                         "max_rel_err"))
    assert report["results"][2]["max_abs_err"] == 1e-3
    assert report["results"][-1]["max_abs_err"] is None  # inf: JSON has no infinity
    assert report["problems"] == ["a.yaml:3: case x: bad"]
    assert [p.name for p in path.parent.iterdir()] == ["report.json"]  # no temp file left


def test_json_report_validates_against_a_schema_of_the_contract():
    jsonschema = __import__("jsonschema")
    number = {"type": ["number", "null"]}
    schema = {
        "type": "object", "required": ["summary", "results"],
        "properties": {
            "summary": {"type": "object", "required": sorted(CONTRACT_SUMMARY_KEYS),
                        "properties": {k: {"type": "integer"} for k in CONTRACT_SUMMARY_KEYS}},
            "results": {"type": "array", "items": {
                "type": "object", "required": sorted(CONTRACT_ROW_KEYS),
                "properties": {"status": {"enum": ["pass", "fail", "error", "skip", "xfail",
                                                   "xpass"]},
                               "max_abs_err": number, "max_rel_err": number,
                               "case": {"type": "string"}, "message": {"type": "string"}}}}}}
    verdicts = sample()
    jsonschema.validate(json.loads(json.dumps(build_report(verdicts, summarize(verdicts)))), schema)


def test_junit_is_valid_xml_with_one_testcase_per_row(tmp_path):
    verdicts = sample()
    path = tmp_path / "junit.xml"
    write_junit(path, verdicts, ["cases/c.yaml:4: case z: unknown key 'expr2'"], 3.0)
    root = ET.parse(path).getroot()
    suite = root.find("testsuite")
    cases = suite.findall("testcase")
    assert len(cases) == len(verdicts) + 1
    assert suite.get("tests") == str(len(cases))
    assert (suite.get("failures"), suite.get("errors"), suite.get("skipped")) == ("1", "2", "2")
    failed = cases[2]
    assert failed.get("classname") == "a" and failed.get("name") == "square[engine-float32]"
    assert failed.find("failure").get("message") == "grad.x off"
    assert "blame: engine" in failed.find("failure").text
    assert cases[3].find("error").get("message") == "boom <&>"
    assert cases[4].find("skipped").get("message") == "no CUDA"
    assert cases[6].find("skipped").get("message") == "expected failure: known"
    assert cases[-1].find("error").get("type") == "InvalidCaseFile"
    assert build_junit([]).startswith('<?xml version="1.0"')


def test_progress_is_silent_when_not_a_tty():
    stream = io.StringIO()
    bar = Progress(2, stream=stream)
    case = make_case("a")
    bar.start(case)
    bar.finish(case, [])
    bar.close()
    assert stream.getvalue() == ""


def test_progress_on_a_terminal_shows_count_failures_elapsed_and_case():
    stream = io.StringIO()
    ticks = iter([0.0, 1.5, 2.5, 3.0])
    bar = Progress(4, stream=stream, enabled=True, clock=lambda: next(ticks))
    bar.start(make_case("first_case"))
    bar.finish(make_case("first_case"), [Verdict("first_case", "f", "engine", "float64", "fail")])
    output = stream.getvalue()
    assert "\r" in output and "first_case" in output
    assert "1/4  1 failed  2.5 s  first_case" in output
    bar.clock = lambda: 3.0
    assert len(bar.line(20)) == 19  # fitted to the terminal's width


def test_format_array_precision_and_summary():
    import numpy as np
    assert format_array(np.float64(0.1)) == "0.10000000000000001"
    assert format_array(np.float32(0.1), "float32") == "0.100000001"
    assert format_array(np.arange(20.0)).endswith("… (20 elements)] shape (20,)")
    assert format_array(None) == "—"


def test_pretty_derivative_uses_sympy():
    import sympy
    x = sympy.Symbol("x")
    assert "x" in pretty_derivative(6 * (x + 2) / 4)
    text = pretty_derivative(__import__("numpy").array([x, 2 * x], dtype=object))
    assert "2⋅x" in text


def test_show_prints_source_derivative_and_numbers_side_by_side():
    kit = toolkit(FakeNumeric("engine", offset=0.5))
    outcome = run_case_detailed(make_case("summed", values=(1, 2)), toolkit=kit)
    text = render_show(outcome)
    assert "case summed  cases/fake.yaml:3" in text
    assert "sum(x)" in text and "x: value, shape (2,), requires grad: [1, 2] shape (2,)" in text
    assert "d out / d x =" in text
    assert "oracle at exact" in text and "engine float64" in text and "engine float32" in text
    assert "3.5" in text and "max_abs_err 0.5" in text
    assert "fail" in text and "value off by 0.5" in text


def test_reports_are_written_with_the_umask_mode_not_0600(tmp_path):
    import os
    import stat

    from verifier.report.files import write_atomically
    old = os.umask(0o022)
    try:
        target = tmp_path / "report.json"
        write_atomically(target, "{}")
    finally:
        os.umask(old)
    assert target.read_text() == "{}"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
