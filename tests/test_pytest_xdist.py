"""The pytest plugin under pytest-xdist: every row of a case on one worker, each case run
once, whatever `--dist` the session uses (load, the default of -n, or loadgroup, which
xdist 3.8 no longer honours under pytest 9.2)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import verifier
from verifier.pytest_plugin.xdist_scheduling import case_scope

pytest_plugins = ["pytester"]
pytest.importorskip("xdist")

CASES = """
cases:
""" + "".join(f"""
  - name: case_{i}
    inputs:
      x: {{value: [1, {i + 2}]}}
    expr: sum(x ** 2)
    backends: [engine, sympy]
""" for i in range(6))

# Each run of a case is logged with the worker's process id.
COUNTING_CONFTEST = """
import os
import verifier.runner as runner

_run_case = runner.run_case

def counting(case, *args, **kwargs):
    with open(os.environ["CASE_RUN_LOG"], "a") as log:
        log.write(f"{os.getpid()} {case.name}\\n")
    return _run_case(case, *args, **kwargs)

runner.run_case = counting
"""


@pytest.mark.parametrize("nodeid, scope", [
    ("cases/seed.yaml::seed_doubling[engine-float32]", "cases/seed.yaml::seed_doubling"),
    ("cases/seed.yaml::seed_doubling[sympy-exact]@seed_doubling", "cases/seed.yaml::seed_doubling"),
    ("a.yml::c.d-e[fd-float64]", "a.yml::c.d-e"),
    ("tests/test_x.py::test_y[1]", "tests/test_x.py::test_y[1]"),
    ("tests/test_x.py::test_y@db", "db"),
])
def test_the_unit_of_work_is_the_case(nodeid, scope):
    assert case_scope(nodeid) == scope


@pytest.mark.parametrize("dist", ["load", "loadgroup"])
def test_each_case_runs_once_on_two_workers(pytester, monkeypatch, dist):
    root = str(Path(verifier.__file__).resolve().parent.parent)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])))
    log = pytester.path / "runs.log"
    monkeypatch.setenv("CASE_RUN_LOG", str(log))
    pytester.makeconftest(COUNTING_CONFTEST)
    pytester.makefile(".yaml", cases=CASES)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2", "--dist", dist,
                                           "cases.yaml")
    result.assert_outcomes(passed=18)  # 6 cases x (engine f64, engine f32, sympy)
    runs = [line.split() for line in log.read_text().splitlines()]
    names = [name for _, name in runs]
    assert sorted(names) == [f"case_{i}" for i in range(6)]  # each case once, not once per worker
    assert len({pid for pid, _ in runs}) == 2  # and the work was shared by both workers


def test_python_tests_keep_xdists_own_scheduling(pytester):
    from verifier.pytest_plugin.xdist_scheduling import schedules_by_case

    pytester.makepyfile(test_plain="def test_a():\n    pass\n")
    config = pytester.parseconfig("-n", "2", "--dist", "load", "test_plain.py")
    assert not schedules_by_case(config)  # no case file in the session
    config = pytester.parseconfig("-n", "2", "--dist", "loadfile", "cases.yaml")
    assert not schedules_by_case(config)  # an explicit other --dist is respected
    for dist in ("load", "loadgroup"):  # -n alone means --dist load
        assert schedules_by_case(pytester.parseconfig("-n", "2", "--dist", dist, "cases.yaml"))
    pytester.makeini("[pytest]\nverifier_paths = cases\n")
    assert schedules_by_case(pytester.parseconfig("-n", "2", "--dist", "load", "tests"))
