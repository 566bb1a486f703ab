"""The command line with the real loader and backends, and as a separate process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from verifier.cli import main

ROOT = Path(__file__).resolve().parents[1]

SEED = """\
cases:
  - name: mean_of_affine_square
    tags: [seed]
    inputs:
      x: {fill: 1, shape: [2, 2]}
    expr: mean(3 * (x + 2) ** 2)
    expect:
      value: 27
      grad:
        x: 6 * (x + 2) / numel(x)
  - name: wrong_claim
    inputs:
      x: {value: [1, 2]}
    expr: sum(x ** 2)
    expect:
      grad: {x: 3 * x}
"""


def _python(*code_or_args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT), NO_COLOR="1")
    return subprocess.run([sys.executable, *code_or_args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120)


@pytest.fixture
def seed_file(tmp_path):
    path = tmp_path / "seed.yaml"
    path.write_text(SEED)
    return path


def test_check_does_not_import_torch(seed_file, tmp_path):
    code = ("import sys; from verifier.cli import main; status = main(['check', sys.argv[1]]); "
            "print('torch' in sys.modules, 'sympy' in sys.modules, status)")
    result = _python("-c", code, str(seed_file), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0] == "2 cases in 1 file OK"
    assert lines[-1].split()[0] == "False"  # torch was never imported


def test_python_dash_m_verifier_list(seed_file, tmp_path):
    result = _python("-m", "verifier", "list", str(seed_file), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].startswith("mean_of_affine_square")


def test_real_run_passes_the_seed_case_and_fails_the_wrong_claim_on_the_oracle_row(
        seed_file, tmp_path, capsys):
    report = tmp_path / "report.json"
    status = main(["run", str(seed_file), "--backend", "engine", "--backend", "sympy",
                   "--workers", "1", "--json", str(report)])
    out = capsys.readouterr().out
    assert status == 1, out
    rows = json.loads(report.read_text())["results"]
    by_key = {(r["case"], r["backend"], r["dtype"]): r["status"] for r in rows}
    assert by_key[("mean_of_affine_square", "engine", "float64")] == "pass"
    assert by_key[("mean_of_affine_square", "engine", "float32")] == "pass"
    assert by_key[("mean_of_affine_square", "sympy", "exact")] == "pass"
    # a wrong claim fails the oracle's row alone
    assert by_key[("wrong_claim", "sympy", "exact")] == "fail"
    assert by_key[("wrong_claim", "engine", "float64")] == "pass"


def test_real_show_prints_the_symbolic_derivative(seed_file, capsys):
    status = main(["show", "mean_of_affine_square", str(seed_file), "--backend", "engine",
                   "--backend", "sympy"])
    out = capsys.readouterr().out
    assert status == 0, out
    assert "d out / d x =" in out
    assert "9/2" in out  # the exact gradient at fill 1
