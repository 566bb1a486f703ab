"""Issue 10's reproducers for the command line: report targets, hostile baselines,
--timeout, -k, and user text that reaches the terminal or the JUnit file."""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET

import pytest
from runner_fakes import FakeNumeric, toolkit

import verifier.runner
from verifier.cli import main

GOOD = """\
cases:
  - name: sum_small
    tags: [seed]
    inputs:
      x: {value: [1, 2]}
    expr: sum(x)
"""

# User text with an escape sequence that erases the line above, a bidi override and a NUL.
EVIL = """\
cases:
  - name: evil
    tags: ["a\\e[2K\\e[1Ab", "\\u202e"]
    description: "d\\e]0;title\\a"
    inputs:
      x: {value: [1, 2]}
    expr: sum(x)
    xfail: {reason: "r\\e[31mred\\x00"}
  - name: "bad\\e[31m"
    inputs:
      x: {value: 1}
    expr: x
"""


@pytest.fixture(autouse=True)
def fake_backends(monkeypatch):
    kit = toolkit(FakeNumeric("engine"), FakeNumeric("torch"))
    monkeypatch.setattr(verifier.runner, "real_toolkit", lambda: kit)


@pytest.fixture
def suite(tmp_path):
    (tmp_path / "good.yaml").write_text(GOOD)
    return tmp_path / "good.yaml"


def run(capsys, *argv):
    status = main(list(map(str, argv)))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


# --- defect 6: report targets ------------------------------------------------------
def test_a_folder_as_report_target_is_refused_before_running(capsys, suite, tmp_path, monkeypatch):
    ran = []
    monkeypatch.setattr("verifier.gate.options.run_verdicts", lambda *a: ran.append(1) or [])
    status, _, err = run(capsys, "run", suite, "--json", tmp_path)
    assert status == 2 and "it is a folder" in err and not ran


@pytest.mark.parametrize("option", ["--json", "--junit-xml"])
def test_special_files_are_refused_not_replaced(capsys, suite, tmp_path, option):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    status, _, err = run(capsys, "run", suite, option, fifo)
    assert status == 2 and "FIFO" in err and fifo.is_fifo()
    status, _, err = run(capsys, "run", suite, option, os.devnull)
    assert status == 2 and "character device" in err


def test_a_symlinked_report_is_written_through_to_its_target(capsys, suite, tmp_path):
    target, link = tmp_path / "real.json", tmp_path / "link.json"
    link.symlink_to(target)
    status, _, _ = run(capsys, "run", suite, "--json", link)
    assert status == 0 and link.is_symlink() and json.loads(target.read_text())["results"]


def test_a_symlinked_baseline_stays_a_symlink_when_updated(capsys, suite, tmp_path):
    target, link = tmp_path / "baseline-real.json", tmp_path / "baseline.json"
    link.symlink_to(target)
    status, _, _ = run(capsys, "run", suite, "--baseline", link, "--update-baseline")
    assert status == 0 and link.is_symlink() and json.loads(target.read_text())["results"]


def test_a_report_that_fails_to_write_is_one_line_and_exit_2(capsys, suite, tmp_path, monkeypatch):
    def full(*args):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr("verifier.report.json_report.write_json", full)
    status, _, err = run(capsys, "run", suite, "--json", tmp_path / "r.json")
    assert status == 2 and "No space left on device" in err and "Traceback" not in err


# --- defect 7: hostile baselines ----------------------------------------------------
ROW = {"case": "sum_small", "file": "f", "backend": "engine", "dtype": "float64", "status": "pass"}


@pytest.mark.parametrize("content, phrase", [
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    (json.dumps({"results": [ROW | {"case": ["x"]}]}), "results[0].case is a list"),
    (json.dumps({"results": [ROW | {"max_ulp_err": "3"}]}), "max_ulp_err is the text '3'"),
    (json.dumps({"results": [ROW | {"max_abs_err": True}]}), "max_abs_err is a boolean"),
    (json.dumps({"results": [ROW | {"diverged": "yes"}]}), "diverged is the text"),
    (json.dumps({"results": [7]}), "results[0] is a number"),
    ('{"results": [{"case": "a", "backend": "b", "dtype": "d", "status": "pass", "seconds": NaN}]}',
     "NaN is not JSON"),
    (b"\xff\xfe", "not UTF-8"),
])
def test_a_hostile_baseline_is_exit_2_before_the_run(capsys, suite, tmp_path, monkeypatch, content, phrase):
    ran = []
    monkeypatch.setattr("verifier.gate.options.run_verdicts", lambda *a: ran.append(1) or [])
    baseline = tmp_path / "baseline.json"
    baseline.write_bytes(content if isinstance(content, bytes) else content.encode())
    status, _, err = run(capsys, "run", suite, "--baseline", baseline)
    assert status == 2 and phrase in err and not ran, err


def test_a_baseline_row_without_file_is_read(tmp_path):
    from verifier.gate.baseline import read_baseline
    row = {k: v for k, v in ROW.items() if k != "file"}
    (tmp_path / "b.json").write_text(json.dumps({"results": [row]}))
    assert read_baseline(tmp_path / "b.json")[0].file == ""


@pytest.mark.parametrize("special", ["fifo", "/dev/zero", "folder"])
def test_a_baseline_that_is_not_a_regular_file_is_refused_without_reading_it(tmp_path, special):
    from verifier.gate.baseline import BaselineError, read_baseline
    path = tmp_path / "b.json"
    if special == "fifo":
        os.mkfifo(path)  # opening it blocking would wait forever for a writer
    elif special == "folder":
        path.mkdir()
    else:
        path = special  # reading it would never end
    with pytest.raises(BaselineError, match="folder|not a regular file"):
        read_baseline(path)


def test_a_baseline_past_the_size_limit_is_refused(tmp_path, monkeypatch):
    from verifier.gate import baseline_reader
    monkeypatch.setattr(baseline_reader, "MAX_BASELINE_BYTES", 100)
    (tmp_path / "b.json").write_text(json.dumps({"results": [ROW] * 10}))
    with pytest.raises(baseline_reader.BaselineError, match="beyond the limit of 100"):
        baseline_reader.read_baseline(tmp_path / "b.json")


# --- defect 8: --timeout --------------------------------------------------------------
@pytest.mark.parametrize("value", ["inf", "nan", "1e300", "-1", "-0.5", "abc", "700000"])
def test_a_timeout_that_is_not_a_time_is_a_command_line_error(capsys, suite, value):
    status, _, err = run(capsys, "run", suite, f"--timeout={value}")
    assert status == 2 and "--timeout" in err


@pytest.mark.parametrize("value, seconds", [("0", None), ("2.5", 2.5), ("604800", 604800.0)])
def test_a_valid_timeout_reaches_the_runner(capsys, suite, monkeypatch, value, seconds):
    seen = []

    def record(cases, args, on_verdicts, on_start, timeout, kit):
        seen.append(timeout)
        return []
    monkeypatch.setattr("verifier.gate.options.run_verdicts", record)
    run(capsys, "run", suite, f"--timeout={value}")
    assert seen == [seconds]


# --- defect 14: -k ------------------------------------------------------------------
@pytest.mark.parametrize("keyword", ["(" * 5000 + "seed" + ")" * 5000, "not " * 2000 + "seed",
                                     "not ( " * 60 + "seed" + " )" * 60])
def test_a_deeply_nested_k_is_an_error_not_a_recursion_error(capsys, suite, keyword):
    status, _, err = run(capsys, "list", suite, "-k", keyword)
    assert status == 2 and "-k" in err and "Traceback" not in err


# --- defect 10: terminal injection ------------------------------------------------------
def _no_raw_controls(text: str) -> None:
    assert not any(ch in text for ch in "\x1b\x00\x07\u202e\r"), repr(text)


def test_check_list_run_and_show_escape_user_text(capsys, tmp_path):
    path = tmp_path / "evil.yaml"
    path.write_text(EVIL)
    status, out, err = run(capsys, "check", path)
    assert status == 2 and "bad\\x1b[31m" in out
    _no_raw_controls(out + err)
    path.write_text(EVIL.split('  - name: "bad')[0])
    status, out, err = run(capsys, "list", path)
    assert "a\\x1b[2K\\x1b[1Ab" in out and "\\u202e" in out
    _no_raw_controls(out + err)
    junit = tmp_path / "junit.xml"
    status, out, err = run(capsys, "run", "-v", "--no-progress", path, "--junit-xml", junit)
    _no_raw_controls(out + err)
    ET.parse(junit)  # valid XML whatever the reason held
    status, out, err = run(capsys, "show", "evil", path)
    assert "d\\x1b]0;title\\x07" in out
    _no_raw_controls(out + err)


def test_run_v_escapes_messages_names_and_files():
    from verifier.report.style import Style
    from verifier.report.table import render_failures, render_table
    from verifier.verdict import Verdict
    v = Verdict(case="c\x1b[2K", file="f\x1b[1A.yaml", backend="engine", dtype="float64", status="xfail",
                message="xfail: expected to fail (r\x1b[31mred\x00)", blame="b\r")
    text = render_failures([v], Style(), verbose=True) + render_table([v], Style())
    assert "r\\x1b[31mred\\x00" in text and "c\\x1b[2K" in text and "f\\x1b[1A.yaml" in text
    _no_raw_controls(text)


def test_junit_parses_whatever_a_problem_or_message_holds(tmp_path):
    from verifier.report.junit import build_junit
    from verifier.verdict import Verdict
    nasty = "".join(chr(c) for c in range(0x20)) + "\ud800\ufffe"
    verdicts = [Verdict(case=nasty, file=nasty, backend="engine", dtype="float64", status=s, message=nasty)
                for s in ("fail", "error", "skip", "xpass")]
    ET.fromstring(build_junit(verdicts, [nasty]).encode("utf-8", "surrogatepass"))


def test_printable_leaves_ordinary_text_alone():
    from verifier.report.escape import printable
    text = "mean(3 * (x + 2) ** 2)\n  ∂/∂x = 6·(x+2)/numel(x)\twith ünïcode"
    assert printable(text) == text
    assert printable("a\tb\nc", one_line=True) == "a\\x09b\\x0ac"


# --- defect 15: minor ------------------------------------------------------------------------
def test_runtime_warnings_do_not_reach_stderr(capsys, suite, monkeypatch):
    import warnings

    import numpy as np
    from runner_fakes import FakeNumeric as Fake

    class Noisy(Fake):
        def run(self, case, dtype):
            nothing = np.mean(np.array([]))  # numpy warns "Mean of empty slice"
            warnings.warn("overflow encountered in divide", RuntimeWarning, stacklevel=2)
            assert np.isnan(nothing)
            return super().run(case, dtype)

    kit = toolkit(Noisy("engine"), FakeNumeric("torch"))
    monkeypatch.setattr(verifier.runner, "real_toolkit", lambda: kit)
    import sys

    def to_stderr(message, category, filename, lineno, file=None, line=None):
        sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))

    with warnings.catch_warnings():
        # What a user's Python does (pytest would record the warnings instead of printing them).
        warnings.simplefilter("default")
        warnings.showwarning = to_stderr
        status, _, err = run(capsys, "run", "--no-progress", suite)
    assert status == 0 and "RuntimeWarning" not in err and "empty slice" not in err


def test_a_parser_memory_error_says_what_happened(monkeypatch):
    import ast

    from verifier.lang.parser import ParseError, parse_expression

    def exhausted(*args, **kwargs):
        raise MemoryError()
    monkeypatch.setattr(ast, "parse", exhausted)
    with pytest.raises(ParseError, match="too complex for Python's parser") as info:
        parse_expression("sum(x)", {"x"})
    assert "MemoryError: )" not in info.value.message


def test_an_unwritable_report_target_is_refused_before_running(capsys, suite, tmp_path, monkeypatch):
    # As root every path is writable, so os.access is what says no here.
    import verifier.report.targets as targets
    target = tmp_path / "report.json"
    target.write_text("{}")
    monkeypatch.setattr(targets.os, "access", lambda path, mode: os.fspath(path) != os.fspath(target))
    status, _, err = run(capsys, "run", suite, "--json", target)
    assert status == 2 and "not writable" in err and target.read_text() == "{}"
    monkeypatch.setattr(targets.os, "access", lambda path, mode: os.fspath(path) != os.fspath(tmp_path))
    status, _, err = run(capsys, "run", suite, "--junit-xml", tmp_path / "new.xml")
    assert status == 2 and "is not writable" in err and not (tmp_path / "new.xml").exists()
