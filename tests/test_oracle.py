"""The exact oracle: the seed notebook's derivations, exactness, paths, kinks, errors."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from verifier.cases.loader import load_text
from verifier.oracle.backend import NO_GRAPH, SympyOracle

PATHS = ["auto", "expand"]  # auto: the graph oracle


def case_of(body: str):
    result = load_text("cases:\n" + body)
    assert not result.problems, result.problems
    assert len(result.cases) == 1
    return result.cases[0]


def run(body: str, dtype: str = "exact", path: str = "auto"):
    return SympyOracle(path=path).run(case_of(body), dtype)


MEAN_SQUARE = """
  - name: mean_square
    inputs: {x: {fill: 1, shape: [2, 2]}}
    expr: mean(3 * (x + 2) ** 2)
"""

DOUBLING = """
  - name: doubling
    inputs: {x: {value: [1, 1, 1]}}
    seed: {value: [10, 1, 0.1]}
    program: |
      y = x * 2
      k = 1
      while norm(y) < 1000:
        y = y * 2
        k = k + 1
    output: y
"""


@pytest.mark.parametrize("path", PATHS)
def test_seed_notebook_mean_square_is_exact(path):
    r = run(MEAN_SQUARE, path=path)
    assert r.error_kind is None, r.error_message
    assert r.exact_value.reshape(()).item() == 27
    assert all(g == sp.Rational(9, 2) and g.is_Rational for g in r.exact_grads["x"].flat)
    assert r.exactness == "exact"
    np.testing.assert_array_equal(r.grads["x"], np.full((2, 2), 4.5))
    assert r.path == ("graph" if path == "auto" else "expand")


@pytest.mark.parametrize("path", PATHS)
def test_doubling_loop_counts_and_scales_the_seed_exactly(path):
    r = run(DOUBLING, path=path)
    assert r.error_kind is None, r.error_message
    k = r.variables["k"]
    assert k == 10 and isinstance(k, int)  # 2^10 * sqrt(3) > 1000 > 2^9 * sqrt(3)
    seed = [sp.Integer(10), sp.Integer(1), sp.Rational(1, 10)]
    assert list(r.exact_grads["x"]) == [2 ** k * s for s in seed]
    assert r.exact_grads["x"][2] == sp.Rational(512, 5)  # 0.1 is 1/10, so 102.4 exactly
    assert r.trace == (("while", 3, 9),)


def test_float32_run_uses_the_rounded_seed():
    r = run(DOUBLING, dtype="float32")
    assert r.exact_grads["x"][2] == sp.Rational(2 ** 10) * sp.Rational(np.float32(0.1).item())


def test_rounding_that_changes_nothing_reuses_the_exact_run():
    from verifier.reference import Reference
    reference = Reference(case_of(MEAN_SQUARE))
    exact = reference.at("exact")
    f32 = reference.at("float32")
    assert f32.dtype == "float32" and f32.exact_grads["x"] is exact.exact_grads["x"]
    assert reference.computed[("float32", None)] is f32  # no second oracle run: the same numbers


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("value, expected", [(2, "x ** 2"), (-2, "-x")])
def test_branch_taken_is_differentiated(path, value, expected):
    r = run(f"""
  - name: branch
    inputs: {{x: {{value: [{value}, 1]}}}}
    program: |
      if sum(x) > 0:
        y = sum(x ** 2)
      else:
        y = sum(-x)
    output: y
""", path=path)
    assert r.error_kind is None, r.error_message
    grads = list(r.exact_grads["x"])
    assert grads == ([4, 2] if value == 2 else [-1, -1])
    assert r.trace == (("if", 1, value == 2),)


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("func, at_zero", [("relu", 0), ("abs", 0)])
def test_kinks_follow_the_registry_conventions(path, func, at_zero):
    r = run(f"""
  - name: kink
    inputs: {{x: {{value: [-1, 0, 2]}}}}
    expr: sum({func}(x))
""", path=path)
    assert r.error_kind is None, r.error_message
    grads = list(r.exact_grads["x"])
    assert grads[1] == at_zero
    assert grads[0] == (0 if func == "relu" else -1) and grads[2] == 1


@pytest.mark.parametrize("path", PATHS)
def test_order_two_hvp_matches_a_hand_derived_hessian(path):
    # f = sum(x^3) + x0*x1: H = diag(6x) + [[0,1],[1,0]] -> H v with v = (1, 5/4)
    r = run("""
  - name: hessian
    inputs: {x: {value: [1, 2]}}
    expr: sum(x ** 3) + prod(x)
    order: 2
""", path=path)
    assert r.error_kind is None, r.error_message
    x = [1, 2]
    v = [sp.Integer(1), sp.Rational(5, 4)]
    expected = [6 * x[0] * v[0] + v[1], v[0] + 6 * x[1] * v[1]]
    assert list(r.exact_hvp["x"]) == expected


def test_generic_hvp_through_a_reduction():
    # f = sqrt(sum x^2): H = (I - x x^T / |x|^2) / |x|; at x = (3, 4), v = (1, 5/4)
    r = run("""
  - name: norm_hessian
    inputs: {x: {value: [3, 4]}}
    expr: sqrt(sum(x ** 2))
    order: 2
""", path="symbolic")
    assert r.path == "generic"
    x = sp.Matrix([3, 4])
    v = sp.Matrix([1, sp.Rational(5, 4)])
    hessian = (sp.eye(2) - x * x.T / 25) / 5
    assert list(r.exact_hvp["x"]) == list(hessian * v)


@pytest.mark.parametrize("path", PATHS)
def test_backward_repeat_accumulates(path):
    r = run("""
  - name: twice
    inputs: {x: {value: [1, 2]}}
    expr: sum(x * x)
    backward: {repeat: 2, retain_graph: true}
""", path=path)
    assert list(r.exact_grads["x"]) == [4, 8]


def test_irrational_values_carry_thirty_digits():
    r = run("""
  - name: exp_sum
    inputs: {x: {value: [1, 0]}}
    expr: sum(exp(x))
""", path="symbolic")
    g = r.exact_grads["x"]
    assert g[1] == 1 and g[1].is_Rational
    assert abs(g[0] - sp.E) < sp.Float(10) ** -29
    assert r.exactness == "30 digits"


def test_matmul_needs_the_expansion_path():
    r = run("""
  - name: mm
    inputs:
      a: {value: [[1, 2], [3, 4]]}
      b: {value: [[1, 0], [0, 1]], requires_grad: false}
    expr: sum(a @ b)
""", path="symbolic")
    assert r.path == "expand"
    assert r.exact_grads["a"].tolist() == [[1, 1], [1, 1]]


@pytest.mark.parametrize("path", PATHS)
def test_shapes_that_do_not_broadcast_are_shape_errors(path):
    r = run("""
  - name: bad
    inputs: {a: {value: [1, 2]}, b: {value: [1, 2, 3]}}
    expr: sum(a + b)
    expect: {error: shape}
""", path=path)
    assert r.error_kind == "shape"
    assert "[2]" in r.error_message and "[3]" in r.error_message


def test_matmul_mismatch_is_a_shape_error():
    r = run("""
  - name: bad_mm
    inputs: {a: {value: [[1, 2, 3]]}, b: {value: [[1, 2]]}}
    expr: sum(a @ b)
    expect: {error: shape}
""")
    assert r.error_kind == "shape"


def test_graph_errors_are_skipped_with_the_reason():
    r = run("""
  - name: twice_freed
    inputs: {x: {value: [1, 2]}}
    expr: sum(x * x)
    backward: {repeat: 2}
    expect: {error: backward_twice}
""")
    assert r.skipped == NO_GRAPH


def test_expansion_beyond_the_limit_is_a_clear_error():
    r = run("""
  - name: big_matmul
    inputs: {a: {fill: 1, shape: [60, 60]}}
    expr: sum(a @ a)
""", path="symbolic")
    assert r.error_kind == "other"
    assert "would expand 3600 symbols" in r.error_message


def test_a_million_elements_on_the_generic_path():
    r = run("""
  - name: million
    inputs: {x: {fill: 1, shape: [1000000]}}
    expr: mean(3 * (x + 2) ** 2)
""")
    assert r.exactness == "exact"
    assert r.exact_value.reshape(()).item() == 27
    assert r.exact_grads["x"][12345] == sp.Rational(9, 500000)


def test_many_distinct_values_use_extended_precision():
    r = run("""
  - name: random_big
    inputs: {x: {random: {dist: uniform, seed: 3}, shape: [20000]}}
    expr: mean(3 * (x + 2) ** 2)
""", path="symbolic")
    assert r.exactness.endswith("(longdouble)")
    x = r.inputs["x"].astype(np.longdouble)
    expected = 6 * (x + 2) / 20000
    assert np.max(np.abs(r.exact_grads["x"] - expected) / expected) < 1e-17


def test_follow_replays_another_backends_path():
    case = case_of(DOUBLING)
    r = SympyOracle().run(case, "exact", follow=(("while", 3, 3),))
    assert r.variables["k"] == 4
    assert list(r.exact_grads["x"]) == [160, 16, sp.Rational(8, 5)]


@pytest.mark.parametrize("path", ["generic", "expand"])
def test_power_of_float32_roundings_is_numeric_not_a_huge_exact_root(path):
    # (p/2^24)^(q/2^24) exactly would need p**q: millions of digits (it hung).
    r = run("""
  - name: pow_tensor_exponent
    inputs:
      a: {value: [0.7, 1.3]}
      b: {value: [0.3, -0.9]}
    expr: sum(pow(a, b))
""", dtype="float32", path=path)
    a = [sp.Rational(float(np.float32(v))) for v in (0.7, 1.3)]
    b = [sp.Rational(float(np.float32(v))) for v in (0.3, -0.9)]
    for i in range(2):
        exact_db = sp.N(a[i] ** b[i] * sp.log(a[i]), 40)
        assert abs(r.exact_grads["b"][i] - exact_db) < sp.Float(10) ** -28
    assert r.exactness.startswith("30 digits")
