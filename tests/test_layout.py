"""The layout the project promises: verifier/, cases/, tests/, pyproject.toml, README.md at the
top, and the shipped suite installed with the package so `verifier run` works anywhere."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import tomllib

from verifier.cases.loader import shipped_suite

ROOT = Path(__file__).resolve().parent.parent


def test_top_level_layout():
    for name in ("verifier", "cases", "tests", "pyproject.toml", "README.md"):
        assert (ROOT / name).exists(), name
    assert not (ROOT / "verifier" / "suite").exists(), "the suite lives in cases/, not verifier/suite"


def test_a_checkout_runs_the_top_level_cases_folder():
    assert shipped_suite() == ROOT / "cases"
    assert sorted(p.name for p in shipped_suite().glob("*.yaml"))


def test_every_folder_of_python_files_is_a_package():
    # A folder without __init__.py is a namespace package that pyproject's list (and so a
    # wheel) silently leaves out: verifier/oracle/graph was one.
    folders = {p.parent for p in (ROOT / "verifier").rglob("*.py") if "__pycache__" not in p.parts}
    assert [str(f) for f in folders if not (f / "__init__.py").is_file()] == []


def test_the_package_list_matches_the_packages_on_disk():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    on_disk = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "verifier").rglob("__init__.py")}
    declared = set(config["packages"])
    assert declared - {"verifier.suite"} == on_disk
    assert config["package-dir"] == {"verifier.suite": "cases"}


def test_the_wheel_ships_the_suite_as_verifier_suite(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp_path), str(ROOT)], check=True, capture_output=True)
    (wheel,) = tmp_path.glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    shipped = {Path(n).name for n in names if n.startswith("verifier/suite/")}
    assert shipped == {p.name for p in (ROOT / "cases").glob("*.yaml")}
    assert "verifier/schema/case.schema.json" in names
