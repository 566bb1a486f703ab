"""verifier/limits.py: result sizes are refused before anything is allocated, on every
namespace that runs the interpreter, and docs/security.md lists every limit with its value."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from verifier import limits
from verifier.backends.base import LimitExceeded
from verifier.cases.shape_probe import NumpyForward
from verifier.lang.interpreter import Interpreter, Limits
from verifier.lang.parser import parse_expression

DOCS = Path(__file__).resolve().parent.parent / "docs" / "security.md"


@pytest.mark.parametrize("func, shapes, params, bound", [
    ("outer", [(25000,), (25000,)], {}, (25000, 25000)),
    ("matmul", [(25000, 1), (1, 25000)], {}, (25000, 25000)),
    ("matmul", [(3, 4, 1), (5, 1, 7)], {}, None),  # batch dims 3 and 5 don't broadcast: matmul reports it
    ("matmul", [(2, 3, 4), (4, 5)], {}, (2, 3, 5)),
    ("add", [(25000, 1), (1, 25000)], {}, (25000, 25000)),
    ("add", [(3,), (4,)], {}, None),  # doesn't broadcast: the op reports it
    ("expand", [(1,)], {"size": [10, -1]}, (10, 1)),
    ("cat", [[(5,), (6, 2)]], {}, (17,)),
    ("sum", [(10,)], {}, None),
])
def test_result_shape_bounds(func, shapes, params, bound):
    assert limits.result_shape_bound(func, shapes, params) == bound


@pytest.mark.parametrize("expr, names", [
    ("sum(x * y)", {"x": (25000, 1), "y": (1, 25000)}),
    ("sum(x @ y)", {"x": (25000, 1), "y": (1, 25000)}),
    ("sum(outer(a, b))", {"a": (25000,), "b": (25000,)}),
    ("sum(a.expand([25000, 25000]))", {"a": (1,)}),
    ("sum(cat([a, a, a], dim=0))", {"a": (4_000_000,)}),
])
def test_the_interpreter_refuses_a_result_past_the_limit_before_allocating_it(expr, names):
    env = {name: np.ones(shape) for name, shape in names.items()}
    program = parse_expression(expr, set(names))
    from verifier.lang import ir
    tracemalloc.start()
    with pytest.raises(LimitExceeded, match="nothing was computed"):
        Interpreter(NumpyForward(), Limits()).run(ir.Program(body=(), result=program), env)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 20e6  # the result would be 5 GB; nothing close to it was allocated


@pytest.mark.parametrize("module_name", ["verifier.engine", "torch"])
def test_the_engine_and_torch_namespaces_are_checked_too(module_name):
    import importlib

    from verifier.backends.numeric import TensorNamespace
    from verifier.lang import ir
    module = importlib.import_module(module_name)
    ns = TensorNamespace(module, uses_registry_torch=module_name == "torch")
    env = {"x": module.ones(25000, 1, dtype=module.float64), "y": module.ones(1, 25000, dtype=module.float64)}
    with pytest.raises(LimitExceeded, match="nothing was computed"):
        Interpreter(ns, Limits()).run(ir.Program(body=(), result=parse_expression("x * y", {"x", "y"})), env)


def test_docs_list_every_limit_with_its_default():
    text = DOCS.read_text()
    missing = []
    for name in dir(limits):
        if name.startswith("MAX_"):
            value = getattr(limits, name)
            shown = {f"{value:_}".replace("_", " "), f"{value:,}", str(value), f"{value:g}"}
            row = next((line for line in text.splitlines() if line.startswith(f"| `{name}`")), "")
            if not any(s in row for s in shown):
                missing.append(f"{name} = {value}")
    assert not missing, missing
