"""Finite differences: step rule, error estimate, path changes, skips, order 2."""

from __future__ import annotations

import numpy as np
import pytest
from numeric_helpers import doubling_loop_case, expr_case, inp, notebook_mean_case, program_case

from verifier.backends.fd import FiniteDifferences
from verifier.cases.model import Expect

FD = FiniteDifferences()


def test_notebook_gradient_within_its_error_estimate():
    run = FD.run(notebook_mean_case(), "float64")
    assert run.error_kind is None, run.error_message
    assert run.value == 27.0
    err = np.abs(run.grads["x"] - 4.5)
    assert np.all(err <= run.error_estimate["x"])
    assert np.all(run.error_estimate["x"] < 1e-6)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_smooth_function_within_error_estimate(seed):
    x = np.random.default_rng(seed).uniform(-2, 2, size=5)
    case = expr_case("smooth", [inp("x", x.tolist())], "sum(exp(x) / (x * x + 1))")
    run = FD.run(case, "float64")
    # d/dx e^x / (x^2 + 1) = e^x (x - 1)^2 / (x^2 + 1)^2
    exact = np.exp(x) * (x - 1) ** 2 / (x * x + 1) ** 2
    err = np.abs(run.grads["x"] - exact)
    # `exact` here is itself float64 arithmetic (a few ULPs); fd's 50-digit result is finer.
    assert np.all(err <= run.error_estimate["x"] + 8e-16 * np.abs(exact)), (err, run.error_estimate["x"])
    assert np.all(run.error_estimate["x"] < 1e-5)


def test_seed_and_repeat_scale_the_gradient():
    run = FD.run(doubling_loop_case([10, 1, 0.1]), "float64")
    assert run.error_kind is None, run.error_message
    exact = 2.0 ** 11 * np.array([10, 1, 0.1])
    assert np.all(np.abs(run.grads["x"] - exact) <= run.error_estimate["x"])
    twice = expr_case("e", [inp("x", [1, 2])], "sum(x * x)", backward_repeat=2, retain_graph=True)
    run = FD.run(twice, "float64")
    assert np.all(np.abs(run.grads["x"] - [4, 8]) <= run.error_estimate["x"])


def test_order_two_by_mixed_differences():
    run = FD.run(notebook_mean_case(order=2), "float64")
    exact = 1.5 * np.array([[1, 1.25], [1.5, 1.75]])
    assert np.all(np.abs(run.hvp["x"] - exact) <= run.error_estimate["hvp.x"])
    case = expr_case("e", [inp("x", [0.5, -0.3])], "sum(exp(x) * x)", order=2)
    run = FD.run(case, "float64")
    x = np.array([0.5, -0.3])
    exact = (x + 2) * np.exp(x) * np.array([1, 1.25])  # (x e^x)'' = (x + 2) e^x, Hessian diagonal
    assert np.all(np.abs(run.hvp["x"] - exact) <= run.error_estimate["hvp.x"])


def test_float32_is_skipped():
    run = FD.run(notebook_mean_case(), "float32")
    assert run.skipped == "finite differences run in float64 only"


def test_a_step_that_changes_the_path_marks_the_element():
    # sum(x) == 0 exactly: the else branch; a step up in either element flips it.
    case = program_case("kink", [inp("x", [0.5, -0.5])],
                        "if sum(x) > 0:\n    y = x * 2\nelse:\n    y = x * 3", "y",
                        seed=inp("seed", [1, 1], False))
    run = FD.run(case, "float64")
    assert run.error_kind is None
    assert np.all(np.isnan(run.grads["x"])) and np.all(np.isinf(run.error_estimate["x"]))
    assert any("another path" in note for note in run.notes)


def test_too_many_elements_is_skipped_with_the_reason():
    case = expr_case("big", [inp("x", [1.0] * 300)], "sum(x)")
    run = FD.run(case, "float64")
    assert "cap of 256" in run.skipped


def test_expected_autograd_error_is_skipped_but_shape_is_observed():
    leaf = expr_case("e", [inp("x", [1, 2])], "sum(x)", expect=Expect(error="inplace_leaf"))
    assert "cannot raise the expected error inplace_leaf" in FD.run(leaf, "float64").skipped
    shape = expr_case("e", [inp("x", [1, 2]), inp("y", [1, 2, 3])], "sum(x + y)",
                      expect=Expect(error="shape"))
    assert FD.run(shape, "float64").error_kind == "shape"


def test_nonscalar_output_without_seed():
    run = FD.run(expr_case("e", [inp("x", [1, 2])], "x * 2"), "float64")
    assert run.error_kind == "nonscalar_output"


def test_kinks_are_marked_not_averaged():
    # relu at 0: the central difference would report 1/2, a value no convention gives.
    run = FD.run(expr_case("relu", [inp("x", [0, 1, -1])], "sum(relu(x))"), "float64")
    assert np.isnan(run.grads["x"][0]) and np.isinf(run.error_estimate["x"][0])
    assert abs(run.grads["x"][1] - 1) <= run.error_estimate["x"][1]
    assert abs(run.grads["x"][2]) <= run.error_estimate["x"][2]
    assert any("kink" in note for note in run.notes)
