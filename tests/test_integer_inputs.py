"""int64, int32 and bool inputs (`dtype:`): loading, the backends' tensors, the oracle's point,
and whole cases judged on every backend against the exact oracle."""

from __future__ import annotations

import textwrap
from fractions import Fraction

import numpy as np
import pytest

from verifier.cases.loader import load_text
from verifier.oracle.point import case_point
from verifier.runner.case_runner import run_case


def load(text: str):
    return load_text(textwrap.dedent(text), "cases.yaml")


def one_case(text: str):
    result = load(text)
    assert not result.problems, [str(p) for p in result.problems]
    return result.cases[0]


def problems_of(text: str) -> list[str]:
    result = load(text)
    assert result.problems and not result.cases
    return [str(p) for p in result.problems]


CASE = """
cases:
  - name: typed
    inputs:
      x: {value: [[-1, 0.5, 2], [3, 0.25, 1]]}
      i: {value: [[2, 0], [1, 1]], dtype: int64}
      m: {value: [[true, false, true], [false, 0, 1]], dtype: bool}
      k: {fill: 3, shape: [], dtype: int32}
    expr: sum(gather(x, 1, i) ** 2) + sum(where(m, x ** 3, x)) + sum(masked_fill(x, m, 0) * k)
    order: 2
"""


def test_typed_inputs_load_as_constants_of_their_dtype():
    case = one_case(CASE)
    i, m, k = case.inputs["i"], case.inputs["m"], case.inputs["k"]
    assert (i.dtype, m.dtype, k.dtype) == ("int64", "bool", "int32")
    assert not i.requires_grad and not m.requires_grad and not k.requires_grad
    assert case.grad_inputs == ["x"]
    assert i.rounded("float32").dtype == np.int64 and i.rounded("float32").tolist() == [[2, 0], [1, 1]]
    assert m.rounded("float64").dtype == np.bool_
    assert m.rounded("float64").tolist() == [[True, False, True], [False, False, True]]
    assert k.rounded("bfloat16").dtype == np.int32 and k.rounded("bfloat16").shape == ()
    assert m.tensor_dtype("float32") == "bool" and case.inputs["x"].tensor_dtype("float32") == "float32"


def test_an_integer_input_is_never_rounded_to_the_run_dtype():
    case = one_case("""
        cases:
          - name: big
            inputs:
              x: {value: [1.5]}
              n: {value: [16777217], dtype: int64}
            expr: sum(x * n)
        """)
    assert case.inputs["n"].rounded("float32").tolist() == [16777217]  # float32 would give ...216
    point = case_point(case, "float32")
    assert point["n"].as_fractions().tolist() == [Fraction(16777217)] and not point["n"].boolean
    assert case_point(case, "float16")["n"].as_fractions().tolist() == [Fraction(16777217)]


@pytest.mark.parametrize("spec, message", [
    ("{value: [1, 2.5], dtype: int64}", "holds an integer in"),
    ("{value: [1, 3000000000], dtype: int32}", "[-2147483648, 2147483647]; found 3000000000"),
    ("{value: [0, 2], dtype: bool}", "holds true, false, 0 or 1; found 2"),
    ("{value: [1, 2], dtype: int64, requires_grad: true}", "cannot require grad"),
    ("{random: {dist: uniform, seed: 0}, shape: [2], dtype: int64}", "takes value or fill"),
    ("{value: [1, 2], dtype: float16}", "dtypes: [float16] on the case"),
    ("{value: [1, 2], dtype: long}", "expected int64, int32, bool, found"),
    ("{value: [true, 2]}", "expected a number"),  # booleans only with dtype: bool
])
def test_bad_typed_inputs_are_reported_with_their_line(spec, message):
    text = f"""
        cases:
          - name: bad
            inputs:
              n: {spec}
            expr: sum(n * 2)
        """
    problems = problems_of(text)
    assert any(message in p for p in problems), problems
    assert all(p.startswith("cases.yaml:5: case bad:") for p in problems), problems


def test_typed_case_passes_on_every_backend_and_the_oracle():
    verdicts = run_case(one_case(CASE), backends=["engine", "torch", "sympy", "fd", "engine-fwd",
                                                  "torch-func"])
    assert {v.backend for v in verdicts} >= {"engine", "torch", "sympy", "fd"}
    bad = [(v.backend, v.dtype, v.status, v.message) for v in verdicts if v.status != "pass"]
    assert not bad, bad


def test_an_int64_tensor_indexes_like_its_list_and_a_bool_tensor_is_refused():
    indexed = one_case("""
        cases:
          - name: indexed
            inputs:
              x: {value: [[-1, 0.5, 2], [3, 0.25, 1]]}
              i: {value: [2, 0, 2], dtype: int64}
            expr: sum(x[:, i] ** 2)
            expect:
              grad:
                x: [[-2, 0, 8], [6, 0, 4]]   # column 2 twice, column 0 once
        """)
    assert indexed.expect.grad["x"].literal is not None
    verdicts = run_case(indexed, backends=["engine", "torch", "sympy"])
    assert all(v.status == "pass" for v in verdicts), [(v.backend, v.message) for v in verdicts]
    problems = problems_of("""
        cases:
          - name: masked
            inputs:
              x: {value: [-1, 0.5, 2]}
              m: {value: [true, false, true], dtype: bool}
            expr: sum(x[m])
        """)
    assert any("boolean-mask indexing is not supported" in p for p in problems), problems


# --- the graph oracle types integer and bool constants as torch does -----------------------
def _graph(case, dtype):
    from verifier.oracle.backend import SympyOracle
    r = SympyOracle(path="graph").run(case, dtype)
    assert r.method == "graph", r.error_message
    return r


PROMOTION = """
cases:
  - name: promoted
    inputs:
      x: {value: [1, 2]}
      n: {value: [4, 5], dtype: int64}
      m: {value: [true, false], dtype: bool}
    expr: sum(x * (n / 3)) + sum(x * (n + 1)) + sum(x * n) + sum(x * (sum(m) * 0.1))
"""


@pytest.mark.parametrize("dtype", ["exact", "float64", "float32"])
def test_integer_only_quotients_are_torchs_default_float32_in_every_run(dtype):
    import torch
    case = one_case(PROMOTION)
    r = _graph(case, dtype)
    x = torch.tensor([1.0, 2.0], dtype=torch.float64)
    n, m = torch.tensor([4, 5]), torch.tensor([True, False])
    # n / 3 and sum(m) * 0.1 are float32 in torch even here; n + 1 and n stay exact integers
    want = ((x * (n / 3)).sum() + (x * (n + 1)).sum() + (x * n).sum() + (x * (m.sum() * 0.1)).sum())
    grad = (n / 3).double() + (n + 1) + n + (m.sum() * 0.1).double()
    assert r.exact_value.item() == pytest.approx(want.item(), rel=1e-15, abs=0)
    assert (n / 3).dtype == torch.float32 and float((n / 3)[0]) != 4 / 3
    np.testing.assert_allclose(r.grads["x"], grad.double().numpy(), rtol=1e-15)


def test_a_float64_run_of_an_integer_quotient_passes_where_torch_computes_in_float32():
    case = one_case("""
        cases:
          - name: quotient
            inputs:
              x: {value: [[-1, 0.5, 2], [3, 0.25, 1]]}
              i: {value: [[2, 0], [1, 1]], dtype: int64}
              k: {value: 3, dtype: int32}
            expr: sum(x * (i.sum() / k)) + sum(x ** 2 * exp(k))
            order: 2
        """)
    verdicts = run_case(case, backends=["engine", "torch", "sympy"])
    assert all(v.status == "pass" for v in verdicts), [(v.backend, v.dtype, v.message)
                                                        for v in verdicts if v.status != "pass"]


def test_show_names_the_dtype_of_an_integer_input():
    from verifier.report.show import _inputs_section
    lines = _inputs_section(one_case(CASE))
    assert "    m: value, shape (2, 3), bool in every run, no grad: " \
           "[[true, false, true], [false, false, true]]" in lines
    assert any(line.startswith("    i: value, shape (2, 2), int64 in every run") for line in lines)
    assert any(line.startswith("    x: value, shape (2, 3), requires grad: ") for line in lines)


def test_the_schema_takes_dtype_and_refuses_a_float_dtype():
    import json
    from pathlib import Path

    import jsonschema
    import yaml

    root = Path(__file__).resolve().parent.parent
    schema = json.loads((root / "verifier" / "schema" / "case.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    shipped = yaml.safe_load((root / "cases" / "integer_and_bool.yaml").read_text())
    assert not [e.message for e in validator.iter_errors(shipped)]
    bad = {"cases": [{"name": "a", "inputs": {"n": {"value": [1], "dtype": "float16"}},
                      "expr": "sum(n)"}]}
    assert list(validator.iter_errors(bad))


INTEGER_ONLY = [
    "sum(x * (n / 3))", "sum(x * exp(k))", "sum(x * sqrt(n))", "sum(x * sin(n))",
    "sum(x * (sum(m) * 0.1))", "sum(x * ((n + 1) / 7))", "sum(x * where(m, n / 3, x))",
    "sum(x * (abs(n - 5) / 3)) + count_nonzero(m) / 3 * sum(x)", "sum(x * (n * k / 11))",
]


@pytest.mark.parametrize("expr", INTEGER_ONLY)
def test_float_results_of_integers_are_judged_as_torch_computes_them(expr):
    """Each term is float32 in torch, in the float64 run too: every row must pass."""
    case = one_case(f"""
        cases:
          - name: integers
            inputs:
              x: {{value: [0.3, -1.7, 2.9]}}
              n: {{value: [4, 5, 11], dtype: int64}}
              k: {{value: 7, dtype: int32}}
              m: {{value: [true, false, true], dtype: bool}}
            expr: {expr}
            order: 2
        """)
    verdicts = run_case(case, backends=["engine", "torch", "sympy"])
    bad = [(v.backend, v.dtype, v.message) for v in verdicts if v.status != "pass"]
    assert not bad, bad
