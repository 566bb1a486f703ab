"""The pytest plugin, run by pytest itself through `pytester`.

The cases are tiny and limited to the engine and the oracle (and float64) so that each
inner run takes a fraction of a second once torch and SymPy are imported.
"""

import importlib.metadata
import os
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import verifier

pytest_plugins = ["pytester"]


def _plugin_args() -> list[str]:
    # Installed, the package registers the plugin through its pytest11 entry point; naming it
    # again with -p would register the module twice.
    installed = any(ep.value == "verifier.pytest_plugin"
                    for ep in importlib.metadata.entry_points(group="pytest11"))
    return [] if installed else ["-p", "verifier.pytest_plugin"]


PLUGIN = _plugin_args()

GOOD = """
cases:
  - name: square_sum
    tags: [demo]
    inputs:
      x: {value: [1, 2, 3]}
    expr: sum(x ** 2)
    expect:
      value: 14
      grad: {x: 2 * x}
    backends: [engine, sympy]
    dtypes: [float64]
"""

WRONG_CLAIM = """
cases:
  - name: cube_sum
    inputs:
      x: {value: [1, 2]}
    expr: sum(x ** 3)
    expect:
      grad: {x: 2 * x}
    backends: [engine, sympy]
    dtypes: [float64]
"""

MARKED = """
cases:
  - name: known_wrong
    inputs:
      x: {value: [1, 2]}
    expr: sum(x ** 3)
    expect:
      grad: {x: 2 * x}
    xfail: {reason: the claim forgot the 3, backends: [sympy]}
    backends: [engine, sympy]
    dtypes: [float64]
  - name: fixed_since
    inputs:
      x: {value: [1, 2]}
    expr: sum(x ** 3)
    expect:
      grad: {x: 3 * x ** 2}
    xfail: {reason: was wrong once, backends: [sympy]}
    backends: [engine, sympy]
    dtypes: [float64]
  - name: not_today
    inputs:
      x: {value: [1, 2]}
    expr: sum(x)
    skip: {reason: switched off for the test}
    backends: [engine, sympy]
    dtypes: [float64]
"""

BROKEN = """
cases:
  - name: typo
    inputs:
      x: {value: [1, 2]}
    expr: sum(x)
    expcet:
      value: 3
"""


@pytest.fixture(scope="module", autouse=True)
def warm_imports():
    """Run a case in this process first, so that every module a run needs stays imported.
    In-process pytester runs forget the modules they imported: each run would import the
    oracle and the backends again (seconds), and a C extension (numpy.fft under scipy)
    cannot even be imported twice."""
    from verifier.cases.loader import load_text
    from verifier.runner import run_case

    loaded = load_text(GOOD, "warm.yaml")
    assert not loaded.problems
    assert [v.status for v in run_case(loaded.cases[0])] == ["pass", "pass"]
    import verifier.pytest_plugin.items  # noqa: F401
    from verifier.backends.available import all_backends
    all_backends()


def run(pytester, *args, subprocess=False):
    # no:unraisableexception: at the end of each in-process run it calls gc.collect five
    # times, which costs seconds once torch and SymPy are loaded.
    common = [*PLUGIN, "-p", "no:cacheprovider", "-p", "no:unraisableexception"]
    if subprocess:
        return pytester.runpytest_subprocess(*common, *args)
    return pytester.runpytest(*common, *args)


def importable_checkout(monkeypatch):
    """Let a subprocess import this checkout when the package is not installed."""
    root = str(Path(verifier.__file__).resolve().parent.parent)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])))


def test_ids_are_file_case_backend_dtype(pytester):
    pytester.makefile(".yaml", seed=GOOD)
    result = run(pytester, "seed.yaml", "--collect-only", "-q")
    assert result.ret == 0
    result.stdout.fnmatch_lines(["seed.yaml::square_sum[[]engine-float64[]]",
                                 "seed.yaml::square_sum[[]sympy-exact[]]"])


def test_a_passing_case_passes_on_every_row(pytester):
    pytester.makefile(".yaml", seed=GOOD)
    result = run(pytester, "seed.yaml", "-v")
    result.assert_outcomes(passed=2)


def test_a_wrong_claim_fails_the_oracle_row_alone_and_says_why(pytester):
    pytester.makefile(".yaml", cube=WRONG_CLAIM)
    result = run(pytester, "cube.yaml")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines([
        "*case cube_sum (cube.yaml:*) on sympy at exact: fail*",
        "source:", "  sum(x ** 3)",
        "claims:", "  grad x = 2 * x",
        "errors: abs *",
        "every row of this case:",
        "  engine * float64 * pass *",
        "  sympy * exact * fail *",
    ])
    assert "Traceback" not in result.stdout.str()


def test_numbers_and_errors_of_a_numeric_failure(pytester):
    # A zero tolerance at float32: the engine's rounding error is a failure, shown with
    # the exact value, each backend's number at the worst element and the ULP error.
    pytester.makefile(".yaml", tight="""
cases:
  - name: exp_sum
    inputs:
      x: {value: [0.1, 0.2, 0.3]}
    expr: sum(exp(x))
    backends: [engine, sympy]
    dtypes: [float32]
    tolerance: {float32: {rtol: 0, atol: 0}}
""")
    result = run(pytester, "tight.yaml")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines([
        "*case exp_sum (tight.yaml:*) on engine at float32: fail*",
        "errors: abs *, rel *, ULP *",
        "*: abs *, rel *, ULP * (tolerance rtol 0, atol 0)",
        "  exact: *",
        "  engine: *",
        "  worst element [[]*[]]: exact *",
        "    engine float32 * <-",
    ])


def test_xfail_xpass_and_skip_map_to_pytest(pytester):
    pytester.makefile(".yaml", marked=MARKED)
    result = run(pytester, "marked.yaml", "-rxXs")
    result.assert_outcomes(passed=2, xfailed=1, xpassed=1, skipped=2)
    result.stdout.fnmatch_lines(["*XFAIL*known_wrong[[]sympy-exact[]]*the claim forgot the 3*",
                                 "*XPASS*fixed_since[[]sympy-exact[]]*was wrong once*",
                                 "*SKIPPED*switched off for the test*"])
    assert result.ret == 0  # XPASS is not a failure, as in `verifier run`


def test_xpass_fails_under_xfail_strict(pytester):
    pytester.makefile(".yaml", marked=MARKED)
    pytester.makeini("[pytest]\nxfail_strict = true\n")
    result = run(pytester, "marked.yaml", "-k", "fixed_since")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*XPASS(strict)*was wrong once*"])


def test_an_invalid_file_is_a_collection_error_with_file_and_line(pytester):
    pytester.makefile(".yaml", broken=BROKEN, seed=GOOD)
    result = run(pytester, "broken.yaml", "seed.yaml")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines([
        "*ERROR collecting broken.yaml*",
        "broken.yaml:*: case typo: expcet: unknown key 'expcet'; did you mean 'expect'?"])
    assert "Traceback" not in result.stdout.str()


def test_duplicate_names_across_files_are_a_collection_error(pytester):
    pytester.makefile(".yaml", one=GOOD, two=GOOD)
    result = run(pytester, "one.yaml", "two.yaml")
    result.stdout.fnmatch_lines(["two.yaml:*: case square_sum: name: already used at one.yaml:*"])


def test_only_configured_folders_and_named_files_are_collected(pytester):
    pytester.mkdir("cases")
    pytester.mkdir("config")
    (pytester.path / "cases" / "seed.yaml").write_text(GOOD)
    (pytester.path / "config" / "settings.yaml").write_text("threshold: 3\n")
    (pytester.path / "config" / "other_cases.yaml").write_text(WRONG_CLAIM)
    # Without configuration, walking the repository collects no YAML at all.
    unconfigured = run(pytester, "--collect-only", "-q")
    assert unconfigured.ret == pytest.ExitCode.NO_TESTS_COLLECTED
    pytester.makeini("[pytest]\nverifier_paths = cases\n")
    configured = run(pytester, "--collect-only", "-q")
    assert configured.ret == 0
    names = [line for line in configured.stdout.lines if "::" in line]
    assert names == ["cases/seed.yaml::square_sum[engine-float64]",
                     "cases/seed.yaml::square_sum[sympy-exact]"]


def test_keyword_selects_rows_by_backend_and_cases_by_tag(pytester):
    pytester.makefile(".yaml", seed=GOOD)
    by_backend = run(pytester, "seed.yaml", "-k", "engine")
    by_backend.assert_outcomes(passed=1, deselected=1)
    by_tag = run(pytester, "seed.yaml", "-k", "demo", "--collect-only", "-q")
    assert sum("::square_sum[" in line for line in by_tag.stdout.lines) == 2


def test_backend_option_narrows_the_rows(pytester):
    pytester.makefile(".yaml", seed=GOOD)
    result = run(pytester, "seed.yaml", "--verifier-backend", "sympy", "--collect-only", "-q")
    result.stdout.fnmatch_lines(["seed.yaml::square_sum[[]sympy-exact[]]"])
    assert not any("engine" in line for line in result.stdout.lines)
    unknown = run(pytester, "seed.yaml", "--verifier-backend", "jax")
    assert unknown.ret == pytest.ExitCode.USAGE_ERROR
    unknown.stderr.fnmatch_lines(["*--verifier-backend: unknown backend 'jax'*expected one of*"])


def test_a_case_runs_once_for_all_its_rows(pytester, monkeypatch):
    import verifier.runner

    calls = []
    real = verifier.runner.run_case

    def counting(case, *args, **kwargs):
        calls.append(case.name)
        return real(case, *args, **kwargs)
    monkeypatch.setattr(verifier.runner, "run_case", counting)
    pytester.makefile(".yaml", seed=GOOD, cube=WRONG_CLAIM)
    run(pytester, "seed.yaml", "cube.yaml").assert_outcomes(passed=3, failed=1)
    assert sorted(calls) == ["cube_sum", "square_sum"]


def test_junitxml_records_each_row_with_its_errors(pytester):
    pytester.makefile(".yaml", cube=WRONG_CLAIM)
    run(pytester, "cube.yaml", "--junitxml=report.xml")
    tree = ET.parse(pytester.path / "report.xml")
    cases = {c.get("name"): c for c in tree.iter("testcase")}
    assert set(cases) == {"cube_sum[engine-float64]", "cube_sum[sympy-exact]"}
    failure = cases["cube_sum[sympy-exact]"].find("failure")
    assert failure is not None and "grad x = 2 * x" in failure.text
    props = {p.get("name") for p in cases["cube_sum[engine-float64]"].iter("property")}
    assert "max_abs_err" in props


def test_xdist_runs_the_rows_in_workers(pytester, monkeypatch):
    importable_checkout(monkeypatch)
    pytester.makefile(".yaml", seed=GOOD, cube=WRONG_CLAIM)
    result = run(pytester, "seed.yaml", "cube.yaml", "-n", "2", "--dist", "loadgroup",
                 subprocess=True)
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(["*cube_sum*sympy-exact*"])
