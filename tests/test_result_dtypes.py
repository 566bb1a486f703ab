"""Result dtypes: a float32 run must give float32 values and gradients, as torch does."""

from __future__ import annotations

import numpy as np

from verifier.backends.base import Run
from verifier.cases.loader import load_text
from verifier.compare.dtypes import dtype_problems
from verifier.mutate.catalogue import by_id
from verifier.runner import run_case

CASE = """\
cases:
  - name: float32_plus_number
    inputs:
      x: {value: [[1, 2], [3, 4]]}
    expr: sum((x + 2) * 3)
"""


def test_a_float64_result_of_a_float32_run_is_a_problem():
    problems = dtype_problems("float32", {"value": "float64", "grad.x": "float32"})
    assert len(problems) == 1 and problems[0].startswith("value has dtype float64, expected float32")
    assert dtype_problems("float64", {"value": "float64", "grad.x": "float64"}) == []
    assert dtype_problems("float32", {"value": "bool"}) == []  # not a promoted float
    assert dtype_problems("exact", {"value": "float64"}) == []


def test_backends_report_the_dtypes_they_produced():
    case = load_text(CASE).cases[0]
    from verifier.backends.engine_backend import EngineBackend
    run = EngineBackend().run(case, "float32")
    assert isinstance(run, Run)
    assert run.result_dtypes == {"value": "float32", "grad.x": "float32"}
    np.testing.assert_array_equal(run.grads["x"], np.full((2, 2), 3.0))


def test_an_engine_computing_a_float32_run_in_float64_fails_with_a_clear_message():
    case = load_text(CASE).cases[0]
    undo = by_id()["float64:add"].install()
    try:
        verdicts = run_case(case, ["engine", "torch", "sympy"], ["float32"])
    finally:
        undo()
    rows = {(v.backend, v.dtype): v for v in verdicts}
    assert rows[("engine", "float32")].status == "fail"
    assert "value has dtype float64, expected float32" in rows[("engine", "float32")].message
    assert rows[("torch", "float32")].status == "pass"
