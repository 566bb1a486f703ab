"""The attainable error bound per element (oracle/graph/rounding.py), consumed by the judge."""

from __future__ import annotations

import numpy as np
import pytest

from verifier.backends.engine_backend import EngineBackend
from verifier.backends.torch_backend import TorchBackend
from verifier.cases.loader import load_paths, load_text
from verifier.reference import Reference

U64, U32 = 2.0 ** -53, 2.0 ** -24


def case_of(body: str):
    result = load_text("cases:\n" + body)
    assert not result.problems, [str(p) for p in result.problems]
    return result.cases[0]


def bound(body: str, dtype: str = "float64"):
    values = Reference(case_of(body)).at(dtype)
    assert values.error_bound is not None, values.error_message
    return values


def test_moving_elements_adds_nothing_to_the_inputs_rounding():
    v = bound("""
  - name: move
    inputs: {x: {value: [3, -5]}}
    expr: x[1]
""")
    assert v.error_bound["value"] == pytest.approx(5 * U64)
    assert v.error_bound["grad.x"].tolist() == [0, 0]  # a gradient of exact 0s and 1s


def test_a_sum_is_bounded_by_the_magnitude_of_its_terms_not_of_its_result():
    v = bound("""
  - name: cancel
    inputs: {x: {value: [1000000, -1000000, 0.001]}}
    expr: sum(x)
""")
    assert v.value.item() == pytest.approx(0.001)
    assert v.error_bound["value"] >= 2 * U64 * 2_000_000  # (k-1) u sum|x_i|


def test_the_bound_scales_with_the_dtype():
    body = """
  - name: smooth
    inputs: {x: {value: [0.5, 1.5, -2]}}
    expr: sum(tanh(x) * exp(x))
"""
    b64, b32 = bound(body, "float64"), bound(body, "float32")
    ratio = b32.error_bound["grad.x"] / b64.error_bound["grad.x"]
    np.testing.assert_allclose(ratio, U32 / U64, rtol=1e-3)


def test_the_exact_reference_has_no_bound():
    assert Reference(case_of("""
  - name: e
    inputs: {x: {value: 2}}
    expr: x * x
""")).at("exact").error_bound is None


@pytest.mark.parametrize("path", ["cases/realistic.yaml", "cases/second_order.yaml",
                                  "cases/reductions.yaml"])
def test_engine_and_torch_stay_within_the_bound(path):
    # The bound is what a backward-stable implementation in the dtype can deliver: the
    # engine and torch, on the shipped programs, are within it at every element.
    for case in load_paths([path]).cases:
        if case.expect.error or "large" in case.tags:
            continue
        reference = Reference(case)
        for backend in (EngineBackend(), TorchBackend()):
            for dtype in case.dtypes:
                run = backend.run(case, dtype)
                ref = reference.at(dtype, tuple(run.trace))
                if run.error_kind or ref.error_bound is None:
                    continue
                got = {"value": run.value, **{f"grad.{n}": g for n, g in run.grads.items()},
                       **{f"hvp.{n}": h for n, h in run.hvp.items()}}
                exact = {"value": ref.value, **{f"grad.{n}": g for n, g in ref.grads.items()},
                         **{f"hvp.{n}": h for n, h in ref.hvp.items()}}
                for q, b in ref.error_bound.items():
                    err = np.abs(np.asarray(got[q], float) - np.asarray(exact[q], float))
                    finite = np.isfinite(err) & np.isfinite(b)
                    assert np.all(err[finite] <= b[finite] * (1 + 1e-9) + 1e-300), \
                        (case.name, backend.name, dtype, q, err, b)
