"""Rows that cannot run are not planned (fd at float32, torch-cuda without CUDA); one line
says what was left out and why; naming the backend brings its rows back, as skips."""

from __future__ import annotations

from runner_fakes import FakeNumeric, make_case, toolkit

from verifier.backends.fd import FiniteDifferences
from verifier.report.left_out import render_left_out
from verifier.runner import left_out_rows, planned_rows


def table():
    return toolkit(FakeNumeric("engine"), FakeNumeric("torch-cuda", reason="no CUDA"),
                   FiniteDifferences()).backends()


def test_fd_at_float32_and_an_unavailable_backend_are_not_planned():
    rows = planned_rows(make_case(), table(), None, None)
    assert ("fd", "float32") not in rows and ("fd", "float64") in rows
    assert not any(b == "torch-cuda" for b, _ in rows)
    assert left_out_rows([make_case()], table(), None, None) == {
        ("torch-cuda", ""): "no CUDA", ("fd", "float32"): "finite differences run in float64 only"}


def test_named_rows_are_planned_and_will_report_their_skip():
    rows = planned_rows(make_case(), table(), ["torch-cuda", "fd"], ["float32"])
    assert rows == [("torch-cuda", "float32"), ("fd", "float32")]
    assert left_out_rows([make_case()], table(), ["torch-cuda", "fd"], ["float32"]) == {}
    # fd named without --dtype float32 keeps float64 only.
    assert planned_rows(make_case(), table(), ["fd"], None) == [("fd", "float64")]


def test_the_left_out_line():
    line = render_left_out({("torch-cuda", ""): "no CUDA", ("fd", "float32"): "float64 only"})
    assert line.startswith("left out, as they cannot run here: torch-cuda (no CUDA); "
                           "fd at float32 (float64 only)")
    assert render_left_out({}) == ""


def test_the_real_cli_reports_a_named_torch_cuda_as_skipped(tmp_path, capsys):
    import torch

    from verifier.cli import main

    if torch.cuda.is_available():
        import pytest
        pytest.skip("this machine has CUDA: torch-cuda runs")
    path = tmp_path / "c.yaml"
    path.write_text("cases:\n  - name: c\n    inputs: {x: {value: [1.5]}}\n    expr: sum(x)\n")
    assert main(["run", str(path), "--no-progress", "--workers", "1", "--backend", "torch-cuda",
                 "--backend", "sympy"]) == 0
    out = capsys.readouterr().out
    assert "torch-cuda float64: skipped on every case (CUDA is not available" in out
    assert "1 passed, 0 failed, 0 errors, 2 skipped" in out and "left out" not in out
