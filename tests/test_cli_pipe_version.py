"""`verifier --version`, and every command writing into a pipe whose reader has gone
(`verifier list | head`): no BrokenPipeError traceback, the SIGPIPE status 141."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from verifier import __version__
from verifier.cli import EXIT_BROKEN_PIPE, main

ROOT = Path(__file__).resolve().parent.parent

SEED = """\
cases:
  - name: mean_of_affine_square
    inputs:
      x: {fill: 1, shape: [2, 2]}
    expr: mean(3 * (x + 2) ** 2)
"""


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"verifier {__version__}"


def test_the_package_metadata_reads_the_same_version():
    import tomllib
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert "version" in project["dynamic"] and "version" not in project
    assert project["name"] != "verifier"  # an unrelated project owns that name on PyPI


@pytest.mark.parametrize("command", [
    ["list"], ["check"], ["run", "--backend", "sympy", "--workers", "1", "--no-progress"],
    ["show", "mean_of_affine_square", "--backend", "sympy"],
])
def test_a_reader_that_went_away_gets_no_traceback(command, tmp_path):
    case_file = tmp_path / "seed.yaml"
    case_file.write_text(SEED)
    args = command[:2] + [str(case_file)] + command[2:] if command[0] == "show" else \
        command[:1] + [str(case_file)] + command[1:]
    env = dict(os.environ, PYTHONPATH=str(ROOT), NO_COLOR="1")
    process = subprocess.Popen([sys.executable, "-m", "verifier", *args], cwd=tmp_path, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    process.stdout.close()  # the reader is gone before the first line: `| head -0`
    stderr = process.stderr.read()
    status = process.wait(timeout=300)
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr, stderr
    assert status == EXIT_BROKEN_PIPE, stderr
