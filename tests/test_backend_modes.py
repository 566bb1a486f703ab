"""The backends for torch's other differentiation paths and the engine's forward mode.

engine-fwd, torch-fwd, torch-func and torch-vmap on the notebook's numbers, loops,
branches, order 2, unused inputs, accumulation and the errors that do not apply to
them; torch-compile (opt-in) on one small case; the CUDA twins' selection.
"""

from __future__ import annotations

import numpy as np
import pytest
from numeric_helpers import doubling_loop_case, expr_case, inp, notebook_mean_case, program_case

from verifier.backends.available import all_backends
from verifier.backends.base import Run
from verifier.backends.case_function import CaseFunction
from verifier.backends.forward_mode import forward_mode
from verifier.backends.torch_func import _entry
from verifier.backends.torch_modes import (
    EngineForward,
    TorchCompile,
    TorchForward,
    TorchForwardCuda,
    TorchFunc,
    TorchVmap,
)
from verifier.runner import select_backends

MODES = [EngineForward(), TorchForward(), TorchFunc(), TorchVmap()]
DTYPES = ["float64", "float32"]


def ok(run: Run) -> Run:
    assert run.skipped is None, run.skipped
    assert run.error_kind is None, run.error_message
    return run


@pytest.mark.parametrize("backend", MODES, ids=lambda b: b.name)
@pytest.mark.parametrize("dtype", DTYPES)
def test_notebook_mean_gives_27_and_4_5(backend, dtype):
    run = ok(backend.run(notebook_mean_case(), dtype))
    assert run.value == 27.0 and run.backend == backend.name and run.dtype == dtype
    np.testing.assert_array_equal(run.grads["x"], np.full((2, 2), 4.5))


@pytest.mark.parametrize("backend", MODES, ids=lambda b: b.name)
def test_doubling_loop_follows_the_path_and_gives_two_to_the_k_times_seed(backend):
    # vmap cannot branch per entry: it follows the path decided at the case's inputs.
    case = doubling_loop_case((10, 1, 0.1))
    for dtype in DTYPES:
        run = ok(backend.run(case, dtype))
        assert run.trace == (("while", 3, 10),)
        expected = 2.0 ** 11 * case.seed.rounded(dtype).astype(np.float64)
        np.testing.assert_array_equal(run.grads["x"], expected)


@pytest.mark.parametrize("backend", MODES, ids=lambda b: b.name)
@pytest.mark.parametrize("dtype", DTYPES)
def test_order_two_hessian_vector_product(backend, dtype):
    # f = mean(3 (x+2)^2): Hessian = 6/4 I, so hvp = 1.5 v with v = 1, 1.25, 1.5, 1.75
    run = ok(backend.run(notebook_mean_case(order=2), dtype))
    np.testing.assert_allclose(run.hvp["x"], 1.5 * np.array([[1, 1.25], [1.5, 1.75]]))
    if backend.name == "torch-func":
        assert "torch-func: hvp = torch.func.hessian(<seed, f>) · v" in run.notes


@pytest.mark.parametrize("backend", MODES, ids=lambda b: b.name)
def test_order_two_mixed_inputs(backend):
    # f = sum(x * y): d/dx <g, v> = v_y, d/dy <g, v> = v_x
    case = expr_case("e", [inp("x", [1, 2]), inp("y", [3, 4])], "sum(x * y)", order=2)
    run = ok(backend.run(case, "float64"))
    np.testing.assert_array_equal(run.hvp["x"], [1, 1.25])
    np.testing.assert_array_equal(run.hvp["y"], [1, 1.25])


@pytest.mark.parametrize("backend", MODES, ids=lambda b: b.name)
def test_nonlinear_program_matches_torch_backward(backend):
    case = program_case("e", [inp("x", [0.5, -1.0, 2.0]), inp("w", [[1, 2], [3, 4], [5, 6]])],
                        "y = x * 1\ny += sin(x)\nz = softmax(y @ w, dim=0)", "z",
                        seed=inp("seed", [1, -2], False), order=2)
    reference = ok(all_backends()["torch"].run(case, "float64"))
    run = ok(backend.run(case, "float64"))
    for name in ("x", "w"):
        np.testing.assert_allclose(run.grads[name], reference.grads[name], rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(run.hvp[name], reference.hvp[name], rtol=1e-11, atol=1e-13)


@pytest.mark.parametrize("backend", MODES, ids=lambda b: b.name)
def test_unused_input_and_constant_input(backend):
    case = expr_case("e", [inp("x", [1, 2]), inp("y", [3, 4]), inp("c", [5, 6], False)],
                     "sum(x * c)")
    run = ok(backend.run(case, "float64"))
    assert set(run.grads) == {"x", "y"}
    np.testing.assert_array_equal(run.grads["x"], [5, 6])
    np.testing.assert_array_equal(run.grads["y"], [0, 0])


@pytest.mark.parametrize("backend", MODES, ids=lambda b: b.name)
def test_backward_repeat_accumulates(backend):
    twice = expr_case("e", [inp("x", [1, 2, 3])], "sum(x * x)", backward_repeat=2,
                      retain_graph=True)
    np.testing.assert_array_equal(ok(backend.run(twice, "float64")).grads["x"], [4, 8, 12])


@pytest.mark.parametrize("backend", MODES, ids=lambda b: b.name)
@pytest.mark.parametrize("kind", ["backward_twice", "inplace_leaf", "nonscalar_output"])
def test_errors_of_backward_do_not_apply_and_say_why(backend, kind):
    from verifier.cases.model import Expect
    case = expr_case("e", [inp("x", [1, 2, 3])], "sum(x * x)", expect=Expect(error=kind))
    run = backend.run(case, "float64")
    assert run.skipped and kind in run.skipped and "does not apply" in run.skipped


@pytest.mark.parametrize("backend", MODES, ids=lambda b: b.name)
def test_shape_errors_are_raised_on_every_path(backend):
    from verifier.cases.model import Expect
    case = expr_case("e", [inp("x", [1, 2, 3]), inp("y", [1, 2])], "sum(x + y)",
                     expect=Expect(error="shape"))
    assert backend.run(case, "float64").error_kind == "shape"


def test_forward_mode_skips_past_its_element_cap_with_the_reason():
    import torch
    fn = CaseFunction(expr_case("e", [inp("x", [1, 2, 3])], "sum(x * x)"), "float64", torch)
    run = Run(backend="torch-fwd", dtype="float64")
    with pytest.raises(Exception, match="one pass per input element.*3 input elements"):
        forward_mode(fn, run, max_elements=2)


def test_vmap_entries_that_differ_are_an_error():
    assert _entry(Run("torch-vmap", "float64"), "grad.x", np.array([[1.0], [5.0], [1.0]])) == [1.0]
    with pytest.raises(RuntimeError, match="mixed up its entries"):
        _entry(Run("torch-vmap", "float64"), "grad.x", np.array([[1.0], [5.0], [2.0]]))


def test_vmap_skips_what_it_cannot_batch_with_torchs_reason(monkeypatch):
    import torch.func

    def refuses(*args, **kwargs):
        raise RuntimeError("vmap: It looks like you're attempting to use a Tensor in some "
                           "data-dependent control flow.")
    monkeypatch.setattr(torch.func, "vmap", lambda f: refuses)
    run = TorchVmap().run(notebook_mean_case(), "float64")
    assert run.skipped.startswith("vmap cannot batch this case: vmap: It looks like")


def test_default_selection_leaves_out_the_opt_in_backends():
    table = all_backends()
    default = select_backends(table, None)
    assert "torch-compile" not in default
    assert {"engine-fwd", "torch-fwd", "torch-func", "torch-vmap"} <= set(default)
    assert "torch-compile" in select_backends(table, ["torch-compile"])
    import torch
    if not torch.cuda.is_available():
        assert not [n for n in default if n.endswith("-cuda") and n != "torch-cuda"]
        run = TorchForwardCuda().run(notebook_mean_case(), "float64")
        assert run.skipped == "CUDA is not available (torch.cuda.is_available() is False)"


def test_torch_compile_really_compiles_a_graph_here():
    backend = TorchCompile()
    if backend.unavailable():
        pytest.skip(backend.unavailable())
    case = program_case("e", [inp("x", [0.5, 1.5])],
                        "y = x * 2\nif sum(y) > 1:\n    y = y * y\nout = sum(y)", "out")
    run = ok(backend.run(case, "float64"))
    assert any("1 graph(s) compiled by inductor" in n for n in run.notes), run.notes
    assert run.trace == (("if", 2, True),)
    np.testing.assert_array_equal(run.grads["x"], [4.0, 12.0])  # d/dx sum(4 x^2) = 8x
    second = backend.run(notebook_mean_case(order=2), "float64")
    assert second.skipped and "double backward" in second.skipped
