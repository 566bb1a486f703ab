"""Validation (`verifier check`, the loader) imports no SymPy, SciPy, torch or mpmath.

Importing SymPy costs about 0.2 s and SciPy's special functions 0.15 s; the
parser and the loader read only the registry's names and signatures, so the
registry declares SymPy and SciPy forms that import them on first call.  Each
check runs in a fresh interpreter, since this test process imports them all.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from verifier.ops.symbolic import LazyModule

REPO = Path(__file__).resolve().parents[1]
HEAVY = ("sympy", "scipy", "torch", "mpmath")
REPORT_HEAVY = f"""
import json, sys
print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))
"""


def run_python(code: str, *, report_heavy: bool = False):
    """Run code in a fresh interpreter; its last stdout line is JSON, returned decoded."""
    code = textwrap.dedent(code) + (REPORT_HEAVY if report_heavy else "")
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"subprocess failed:\n{done.stdout}\n{done.stderr}"
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_loading_the_shipped_suite_imports_nothing_heavy():
    heavy = run_python("""
        from verifier.cases.loader import load_paths, shipped_suite
        loaded = load_paths([shipped_suite()])
        assert loaded.cases and not loaded.problems, loaded.problems
    """, report_heavy=True)
    assert heavy == [], f"loading cases imported {heavy}; import them inside the functions that need them"


def test_verifier_check_imports_nothing_heavy():
    heavy = run_python("""
        import contextlib, io
        from verifier.cli import main
        with contextlib.redirect_stdout(io.StringIO()) as out:
            status = main(["check"])
        assert status == 0, out.getvalue()
        assert "OK" in out.getvalue(), out.getvalue()
    """, report_heavy=True)
    assert heavy == [], f"`verifier check` imported {heavy}; it must stay import-light"


def test_sympy_and_scipy_forms_import_on_first_call_and_compute_right():
    result = run_python("""
        import json, math, sys
        import numpy as np
        from verifier.ops.registry import all_ops, get
        all_ops()
        before = sorted(m for m in ("sympy", "scipy") if m in sys.modules)
        exp = get("exp").sympy(np.array([0, 1], dtype=object))
        after_exp = "sympy" in sys.modules
        import sympy as sp
        relu = get("relu").sympy(np.array([sp.Integer(-2), sp.Integer(3)], dtype=object))
        amax = get("amax").sympy(np.array([sp.Integer(1), sp.Integer(5)], dtype=object))
        x = sp.Symbol("x")
        dsqrt = sp.diff(get("sqrt").sympy(np.array([x], dtype=object))[0], x).subs(x, 0)
        erf = get("erf").forward(np.array([0.0, 0.5, -1.0]))
        print(json.dumps({
            "before": before, "after_exp": after_exp, "scipy": "scipy.special" in sys.modules,
            "exp": [bool(exp[0] == 1), bool(exp[1] == sp.E)],
            "relu": [int(v) for v in relu], "amax": int(amax),
            "dsqrt_is_oo": bool(dsqrt == sp.oo),
            "erf": [bool(abs(v - math.erf(t)) < 1e-15) for v, t in zip(erf, [0.0, 0.5, -1.0])],
        }))
    """)
    assert result["before"] == [], "loading the registry imported SymPy or SciPy"
    assert result["after_exp"], "exp's SymPy form ran without importing SymPy?"
    assert result["exp"] == [True, True]
    assert result["relu"] == [0, 3]
    assert result["amax"] == 5
    assert result["dsqrt_is_oo"], "sqrt's kink convention (+oo at 0) lost in the lazy form"
    assert result["scipy"] and result["erf"] == [True, True, True]


def test_lazy_module_imports_on_first_attribute_and_caches_it():
    json_module = LazyModule("json")
    assert "dumps" not in vars(json_module)
    assert json_module.dumps([1]) == "[1]"
    assert vars(json_module)["dumps"] is json.dumps


def test_lazy_module_does_not_import_for_dunder_probes():
    missing = LazyModule("verifier_no_such_module")
    with pytest.raises(AttributeError):
        missing.__wrapped__  # noqa: B018  inspect.unwrap probes this name
    with pytest.raises(ModuleNotFoundError):
        missing.anything  # noqa: B018


def test_lazy_module_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no_such_function"):
        LazyModule("json").no_such_function  # noqa: B018
