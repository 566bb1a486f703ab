"""Claims against the exact oracle: identity proven, exact, 30 digits, failures with a message."""

from __future__ import annotations

import pytest
from test_oracle import DOUBLING

from verifier.cases.loader import load_text
from verifier.oracle.backend import SympyOracle
from verifier.oracle.claims import DIGITS_HOW, EXACT, IDENTITY, check_claims

PATHS = ["auto", "expand"]


def claims_of(body: str, path: str = "auto") -> dict:
    result = load_text("cases:\n" + body)
    assert not result.problems, result.problems
    case = result.cases[0]
    run = SympyOracle(path=path).run(case, "exact")
    assert run.error_kind is None, run.error_message
    return {c.field: c for c in check_claims(case, run)}


def mean_square(grad: str, value: str = "27") -> str:
    return f"""
  - name: mean_square
    inputs: {{x: {{fill: 1, shape: [2, 2]}}}}
    expr: mean(3 * (x + 2) ** 2)
    expect:
      value: {value}
      grad: {{x: "{grad}"}}
"""


def doubling(claim: str) -> str:
    return DOUBLING + f"""    expect:
      grad: {{x: "{claim}"}}
"""


@pytest.mark.parametrize("path", PATHS)
def test_notebook_closed_form_is_an_identity(path):
    results = claims_of(mean_square("6 * (x + 2) / numel(x)"), path)
    assert results["grad.x"].status == "pass"
    assert results["grad.x"].how == IDENTITY
    assert results["value"].status == "pass" and results["value"].how == EXACT


@pytest.mark.parametrize("path", PATHS)
def test_exact_number_claim(path):
    results = claims_of(mean_square("9/2"), path)
    assert results["grad.x"].status == "pass" and results["grad.x"].how == EXACT


@pytest.mark.parametrize("path", PATHS)
def test_wrong_number_fails_with_index_and_values(path):
    result = claims_of(mean_square("4.5", value="26"), path)["value"]
    assert result.status == "fail"
    assert "claimed 26" in result.message and "exact 27" in result.message
    assert result.max_abs_err == 1.0


@pytest.mark.parametrize("path", PATHS)
def test_loop_counter_claim_is_proven(path):
    result = claims_of(doubling("2 ** k * seed"), path)["grad.x"]
    assert result.status == "pass" and result.how == IDENTITY


@pytest.mark.parametrize("path", PATHS)
def test_wrong_loop_counter_claim_fails(path):
    result = claims_of(doubling("2 ** (k + 1) * seed"), path)["grad.x"]
    assert result.status == "fail"
    assert "grad.x[2]: claimed 2048/10" in result.message.replace("1024/5", "2048/10") or \
        "grad.x[0]" in result.message
    assert "3 of 3 elements" in result.message


def test_decimal_seed_claim_holds_exactly():
    # 2^10 * 0.1 = 102.4, with 0.1 meaning 1/10 exactly
    body = doubling("2 ** k * seed").replace('grad: {x: "2 ** k * seed"}',
                                             "grad: {x: [10240, 1024, 102.4]}")
    result = claims_of(body)["grad.x"]
    assert result.status == "pass" and result.how == EXACT


def test_irrational_claim_holds_to_thirty_digits():
    body = """
  - name: exp_point
    inputs: {x: {value: [1, 2]}}
    expr: sum(exp(x))
    expect:
      grad:
        x:
          - 2.71828182845904523536028747135266249775724709369995
          - 7.38905609893065022723042746057500781318031557055184
"""
    result = claims_of(body)["grad.x"]
    assert result.status == "pass" and result.how == DIGITS_HOW


def test_irrational_claim_off_in_the_twentieth_digit_fails():
    body = """
  - name: exp_point
    inputs: {x: {value: [1]}}
    expr: sum(exp(x))
    expect:
      grad: {x: [2.7182818284590452354]}
"""
    assert claims_of(body)["grad.x"].status == "fail"


def test_an_irrational_claim_of_a_rational_value_is_refuted_at_more_bits():
    # six Newton steps for sqrt(2) give a rational 3e-49 away from sqrt(2): equal to 30
    # digits, but the claim at more bits is certified to differ
    body = """
  - name: newton
    inputs: {a: {value: 2}}
    program: |
      y = a
      for i in range(6):
          y = 0.5 * (y + a / y)
    output: y
    expect:
      value: sqrt(2)
"""
    result = claims_of(body)["value"]
    assert result.status == "fail" and "certified at" in result.how, (result.how, result.message)
    assert "differs from the exact value" in result.message
    # one step less: off by 1.6e-24, already wrong at 30 digits
    assert claims_of(body.replace("range(6)", "range(5)"))["value"].status == "fail"


def test_a_claim_through_inverse_in_an_order_2_case_is_checked():
    # the claim needs values only; inverse() has no second-order rule in the graph oracle
    body = """
  - name: inverse_claim
    inputs: {A: {value: [[2, 1], [1, 3]]}}
    expr: sum(A * A)
    order: 2
    expect:
      grad: {A: "2 * A @ inverse(A) @ A"}
"""
    assert claims_of(body)["grad.A"].status == "pass"


def test_closed_form_true_only_at_the_point_is_not_an_identity():
    # d/dx sum(x^2) = 2x; at x = 1 and 2 it equals x^2 - x + 2 without being the same function
    body = """
  - name: square
    inputs: {x: {value: [1, 2]}}
    expr: sum(x ** 2)
    expect:
      grad: {x: "x ** 2 - x + 2"}
"""
    result = claims_of(body)["grad.x"]
    assert result.status == "pass" and result.how == EXACT


def test_closed_form_with_a_reduction_is_proven_on_the_generic_path():
    body = """
  - name: squared_mean
    inputs: {x: {value: [3, 4, 7]}}
    expr: mean(x) ** 2
    expect:
      grad: {x: "2 * mean(x) / numel(x)"}
"""
    for path in PATHS:
        result = claims_of(body, path)["grad.x"]
        assert result.status == "pass" and result.how == IDENTITY


def test_claim_of_the_wrong_shape_is_an_error():
    body = """
  - name: shape_mismatch
    inputs: {x: {value: [1, 2]}}
    expr: sum(x ** 2)
    expect:
      grad: {x: [1, 2, 3]}
"""
    result = claims_of(body)["grad.x"]
    assert result.status == "error" and "broadcast" in result.message


def test_claims_on_a_million_elements():
    body = """
  - name: million
    inputs: {x: {fill: 1, shape: [1000000]}}
    expr: mean(3 * (x + 2) ** 2)
    expect:
      value: 27
      grad: {x: "6 * (x + 2) / numel(x)"}
"""
    results = claims_of(body)
    assert results["grad.x"].how == IDENTITY and results["grad.x"].status == "pass"
    assert results["value"].status == "pass"
