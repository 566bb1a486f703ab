"""The engine and torch backends: the notebook's numbers, error kinds, accumulation, order 2."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from numeric_helpers import (
    doubling_loop_case,
    expr_case,
    inp,
    notebook_mean_case,
    program_case,
)

from verifier.backends.autograd_run import run_on_module
from verifier.backends.base import CaseError, LimitExceeded
from verifier.backends.engine_backend import EngineBackend
from verifier.backends.numeric import classify
from verifier.backends.torch_backend import TorchBackend, TorchCudaBackend
from verifier.lang.interpreter import Limits

BACKENDS = [EngineBackend(), TorchBackend()]
DTYPES = ["float64", "float32"]


@pytest.mark.parametrize("backend", BACKENDS, ids=lambda b: b.name)
@pytest.mark.parametrize("dtype", DTYPES)
def test_notebook_mean_gives_27_and_4_5(backend, dtype):
    run = backend.run(notebook_mean_case(), dtype)
    assert run.error_kind is None, run.error_message
    assert run.value == 27.0
    np.testing.assert_array_equal(run.grads["x"], np.full((2, 2), 4.5))
    assert run.dtype == dtype and run.backend == backend.name
    assert run.inputs["x"].dtype == np.dtype(dtype)


@pytest.mark.parametrize("backend", BACKENDS, ids=lambda b: b.name)
@pytest.mark.parametrize("seed", [(1, 1, 1), (10, 1, 0.1)])
def test_doubling_loop_gradient_is_two_to_the_k_times_seed(backend, seed):
    case = doubling_loop_case(seed)
    for dtype in DTYPES:
        run = backend.run(case, dtype)
        assert run.error_kind is None, run.error_message
        k = run.variables["k"]
        assert k == 11 and run.trace == (("while", 3, 10),)
        expected = 2.0 ** k * case.seed.rounded(dtype).astype(np.float64)
        np.testing.assert_array_equal(run.grads["x"], expected)


ERROR_CASES = {
    "nonscalar_output": lambda: expr_case("e", [inp("x", [1, 2, 3])], "x * 2"),
    "backward_twice": lambda: expr_case("e", [inp("x", [1, 2, 3])], "sum(x * x)",
                                        backward_repeat=2),
    "inplace_saved": lambda: program_case("e", [inp("x", [1, 2, 3])],
                                          "a = x * 2\nb = a * a\na += 1", "b",
                                          seed=inp("seed", [1, 1, 1], False)),
    "inplace_leaf": lambda: program_case("e", [inp("x", [1, 2, 3])], "x += 1\ny = x * 2", "y",
                                         seed=inp("seed", [1, 1, 1], False)),
    "shape": lambda: expr_case("e", [inp("x", [1, 2, 3]), inp("y", [1, 2])], "sum(x + y)"),
}


@pytest.mark.parametrize("backend", BACKENDS, ids=lambda b: b.name)
@pytest.mark.parametrize("kind", sorted(ERROR_CASES))
@pytest.mark.parametrize("dtype", DTYPES)
def test_each_error_kind_is_raised_and_classified(backend, kind, dtype):
    case = ERROR_CASES[kind]()
    run = backend.run(case, dtype)
    assert run.error_kind == kind, run.error_message
    assert run.error_message


@pytest.mark.parametrize("backend", BACKENDS, ids=lambda b: b.name)
def test_matmul_of_mismatched_shapes_is_a_shape_error(backend):
    case = expr_case("e", [inp("a", [[1, 2, 3]]), inp("b", [[1, 2, 3]])], "sum(a @ b)")
    assert backend.run(case, "float64").error_kind == "shape"


@pytest.mark.parametrize("backend", BACKENDS, ids=lambda b: b.name)
def test_backward_repeat_accumulates(backend):
    once = expr_case("e", [inp("x", [1, 2, 3])], "sum(x * x)")
    twice = expr_case("e", [inp("x", [1, 2, 3])], "sum(x * x)", backward_repeat=2,
                      retain_graph=True)
    a, b = backend.run(once, "float64"), backend.run(twice, "float64")
    assert b.error_kind is None, b.error_message
    np.testing.assert_array_equal(a.grads["x"], [2, 4, 6])
    np.testing.assert_array_equal(b.grads["x"], [4, 8, 12])


@pytest.mark.parametrize("backend", BACKENDS, ids=lambda b: b.name)
@pytest.mark.parametrize("dtype", DTYPES)
def test_order_two_hessian_vector_product(backend, dtype):
    # f = mean(3 (x+2)^2): Hessian = 6/4 I, so hvp = 1.5 v with v = 1, 1.25, 1.5, 1.75
    run = backend.run(notebook_mean_case(order=2), dtype)
    assert run.error_kind is None, run.error_message
    np.testing.assert_allclose(run.hvp["x"], 1.5 * np.array([[1, 1.25], [1.5, 1.75]]))
    np.testing.assert_array_equal(run.grads["x"], np.full((2, 2), 4.5))


@pytest.mark.parametrize("backend", BACKENDS, ids=lambda b: b.name)
def test_order_two_mixed_inputs(backend):
    # f = sum(x * y): d/dx <g, v> = v_y, d/dy <g, v> = v_x
    case = expr_case("e", [inp("x", [1, 2]), inp("y", [3, 4])], "sum(x * y)", order=2)
    run = backend.run(case, "float64")
    assert run.error_kind is None, run.error_message
    np.testing.assert_array_equal(run.hvp["x"], [1, 1.25])
    np.testing.assert_array_equal(run.hvp["y"], [1, 1.25])


@pytest.mark.parametrize("backend", BACKENDS, ids=lambda b: b.name)
def test_unused_input_gets_zero_gradient_with_a_note(backend):
    case = expr_case("e", [inp("x", [1, 2]), inp("y", [3, 4])], "sum(x * 3)")
    run = backend.run(case, "float64")
    np.testing.assert_array_equal(run.grads["y"], [0, 0])
    np.testing.assert_array_equal(run.grads["x"], [3, 3])
    assert any("y got no gradient" in n for n in run.notes)


@pytest.mark.parametrize("backend", BACKENDS, ids=lambda b: b.name)
def test_input_without_grad_is_not_differentiated(backend):
    case = expr_case("e", [inp("x", [1, 2]), inp("c", [3, 4], requires_grad=False)], "sum(x * c)")
    run = backend.run(case, "float32")
    assert set(run.grads) == {"x"}
    np.testing.assert_array_equal(run.grads["x"], [3, 4])


@pytest.mark.parametrize("backend", BACKENDS, ids=lambda b: b.name)
def test_branches_are_traced(backend):
    case = program_case("e", [inp("x", [1, 2])],
                        "if sum(x) > 2:\n    y = x * 2\nelse:\n    y = x * 3", "y",
                        seed=inp("seed", [1, 1], False))
    run = backend.run(case, "float64")
    assert run.trace == (("if", 1, True),)
    np.testing.assert_array_equal(run.grads["x"], [2, 2])


def test_loop_limit_is_reported_as_limit():
    import verifier.engine as engine
    case = program_case("e", [inp("x", [1.0])], "y = x\nwhile 1 < 2:\n    y = y * 1", "y",
                        seed=inp("seed", [1], False))
    run = run_on_module(case, "float64", backend="engine", module=engine,
                        uses_registry_torch=False, limits=Limits(max_iterations=5))
    assert run.error_kind == "limit"
    assert "more than 5 iterations" in run.error_message


def test_classification_table():
    assert classify(LimitExceeded("too long")) == ("limit", "too long")
    assert classify(CaseError("shape", "bad")) == ("shape", "bad")
    assert classify(RuntimeError("Trying to backward through the graph a second time"))[0] == \
        "backward_twice"
    kind, message = classify(ZeroDivisionError("division by zero"))
    assert kind == "other" and message.startswith("ZeroDivisionError")


def test_torch_cuda_is_skipped_with_the_reason_where_cuda_is_absent():
    import torch
    backend = TorchCudaBackend()
    if torch.cuda.is_available():
        run = backend.run(notebook_mean_case(), "float32")
        assert run.error_kind is None and run.value == 27.0
        np.testing.assert_array_equal(run.grads["x"], np.full((2, 2), 4.5))
    else:
        reason = "CUDA is not available (torch.cuda.is_available() is False)"
        assert backend.unavailable() == reason
        assert backend.run(notebook_mean_case(), "float32").skipped == reason


def test_backend_modules_do_not_import_torch():
    code = ("import sys\n"
            "import verifier.backends.available, verifier.backends.torch_backend\n"
            "import verifier.backends.fd, verifier.compare.judge\n"
            "assert 'torch' not in sys.modules, 'torch was imported'\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_all_backends_in_the_contract_order():
    # The oracle is no backend: its row comes from the Reference, before fd.
    from verifier.backends.available import ORDER, all_backends
    from verifier.runner import select_backends
    table = all_backends()
    assert "sympy" not in table
    from verifier.runner.case_runner import row_sources
    assert tuple(row_sources(table)) == ORDER
    # The default selection leaves out only the opt-in ones (torch-compile; the CUDA twins
    # where CUDA is absent), in the same order.
    opt_in = {n for n, b in table.items() if getattr(b, "opt_in", False)}
    assert "torch-compile" in opt_in
    assert tuple(select_backends(table, None)) == tuple(n for n in ORDER if n not in opt_in)


def test_torchs_warnings_are_notes_of_the_row_not_lines_on_the_terminal(recwarn):
    # std of one element: torch warns "degrees of freedom is <= 0"
    from verifier.backends.torch_backend import TorchBackend
    from verifier.cases.loader import load_text
    case = load_text("""cases:
  - name: std_of_one
    inputs:
      x: {value: [3]}
    expr: std(x)
""").cases[0]
    run = TorchBackend().run(case, "float64")
    assert any("torch warned: std(): degrees of freedom" in n for n in run.notes), run.notes
    assert not [w for w in recwarn if "degrees of freedom" in str(w.message)]
