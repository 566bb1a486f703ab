"""End to end: faults planted in one implementation are caught and blamed on it.

The verifier exists to catch wrong gradients, so these tests break one piece
on purpose — a VJP of the engine, a float32-unstable forward, a SymPy
convention of the oracle — run a real case through the real runner, and
check that the right rows fail and that the report blames the right backend
while the healthy backends still pass.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from verifier.cases.loader import load_text
from verifier.engine.function import plan_of
from verifier.ops import registry
from verifier.runner import run_case

BACKENDS = ["engine", "torch", "sympy", "fd"]


def case_of(body: str):
    result = load_text("cases:\n" + body)
    assert not result.problems, result.problems
    return result.cases[0]


def rows(verdicts):
    return {(v.backend, v.dtype): v for v in verdicts}


@pytest.fixture
def engine_plan(monkeypatch):
    """Replace one attribute of an op's engine plan for the test's duration."""
    def patch(name: str, **attributes):
        plan = plan_of(registry.get(name))
        for key, value in attributes.items():
            monkeypatch.setattr(plan, key, value)
    return patch


def test_a_wrong_engine_vjp_fails_the_engine_alone_and_is_blamed_on_it(engine_plan):
    # The classic sign slip: d sin/dx written as -cos.
    engine_plan("sin", vjp=lambda ns, g, out, x: (-g * ns.cos(x),), vjp_parts=None)
    case = case_of("""
  - name: sine
    inputs: {x: {value: [0.5, 1.0, 2.0]}}
    expr: sum(sin(x))
""")
    got = rows(run_case(case, BACKENDS, None))
    for dtype in ("float64", "float32"):
        assert got[("engine", dtype)].status == "fail"
        assert got[("engine", dtype)].blame == "engine"
        assert got[("torch", dtype)].status == "pass"
    assert got[("fd", "float64")].status == "pass"
    assert got[("sympy", "exact")].status == "pass"


def test_a_float32_overflow_is_caught_in_float32_only(engine_plan):
    # logsumexp without subtracting the maximum: exp(100) overflows float32 (max ~3.4e38),
    # while float64 (max ~1.8e308) still computes it correctly.
    def naive(a, dim, keepdim=False):
        return np.log(np.sum(np.exp(a), axis=dim, keepdims=keepdim))
    engine_plan("logsumexp", forward=naive)
    case = case_of("""
  - name: big_logsumexp
    inputs: {x: {value: [100, 99, 98]}}
    expr: logsumexp(x, dim=0)
""")
    got = rows(run_case(case, BACKENDS, None))
    assert got[("engine", "float64")].status == "pass"
    assert got[("engine", "float32")].status == "fail"
    assert got[("engine", "float32")].blame == "engine"
    assert got[("torch", "float32")].status == "pass"


def test_a_wrong_oracle_convention_is_blamed_on_the_oracle(monkeypatch):
    # SymPy's own Heaviside(0) = 1/2 instead of torch's relu'(0) = 0: every numeric
    # backend agrees with the others and not with the oracle, so the oracle is suspect.
    import sympy as sp

    from verifier.ops.symbolic import elementwise
    relu = registry.get("relu")
    monkeypatch.setitem(registry.OPS, "relu",
                        dataclasses.replace(relu, sympy=elementwise(lambda x: sp.Max(x, 0))))
    case = case_of("""
  - name: relu_at_zero
    inputs: {x: {value: [0, 1.5]}}
    expr: sum(relu(x))
    backends: [engine, torch, sympy]
""")
    got = rows(run_case(case, ["engine", "torch", "sympy"], None))
    for backend in ("engine", "torch"):
        for dtype in ("float64", "float32"):
            assert got[(backend, dtype)].status == "fail"
            assert got[(backend, dtype)].blame == "sympy"


def test_the_healthy_registry_passes_the_same_cases():
    # The control: without a planted fault the three cases above pass everywhere.
    for body in ("""
  - name: sine
    inputs: {x: {value: [0.5, 1.0, 2.0]}}
    expr: sum(sin(x))
""", """
  - name: big_logsumexp
    inputs: {x: {value: [100, 99, 98]}}
    expr: logsumexp(x, dim=0)
""", """
  - name: relu_at_zero
    inputs: {x: {value: [0, 1.5]}}
    expr: sum(relu(x))
    backends: [engine, torch, sympy]
"""):
        verdicts = run_case(case_of(body), BACKENDS, None)
        assert {v.status for v in verdicts} <= {"pass", "skip"}, \
            [(v.backend, v.dtype, v.status, v.message) for v in verdicts]


def test_a_number_where_a_function_takes_a_tensor_is_a_tensor_of_the_runs_dtype():
    # torch.sin(0.5) is a TypeError, and torch.tensor(0.5) would be float32 in a float64
    # run: the numeric backends pass numbers to functions as 0-d tensors of the run's dtype.
    case = case_of("""
  - name: function_of_a_number
    inputs: {x: {value: [0.25, 2]}}
    expr: sum(x * sigmoid(0.5)) + maximum(x, 1).sum()
""")
    got = rows(run_case(case, BACKENDS, None))
    assert {v.status for v in got.values()} <= {"pass", "skip"}, \
        [(k, v.status, v.message) for k, v in got.items()]
    assert got[("engine", "float64")].max_rel_err < 1e-15
    assert got[("torch", "float64")].max_rel_err < 1e-15
