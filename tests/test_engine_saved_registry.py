"""Every registry entry saves what torch 2.13 saves.

For each op and each of its tensor inputs, the input is bumped in place after
the op ran (`add_(0)`: same values, new version); backward must raise exactly
when torch's does (the op saved that input).  The same for the output: it is
saved exactly when torch saves the result (exp, tanh, softmax, ...).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import verifier.engine as engine
from tests.op_examples import RandomDraws, build
from tests.test_ops_vs_torch import TESTED, call, differentiable, make_inputs, make_leaves
from verifier.ops.registry import all_ops

# split and chunk return several views: torch refuses any in-place change of them (its
# multiple-view rule), so the bump below cannot ask what they save; their pieces are narrow's.
TESTED = [name for name in TESTED if not all_ops()[name].extra.get("composite")]
CASES = []
for _name in TESTED:
    _op = all_ops()[_name]
    _count = 2 if _op.variadic else len(_op.inputs)
    CASES += [(_name, i) for i in range(_count) if i not in _op.nondiff]
NOT_VIEWS = [name for name in TESTED if not all_ops()[name].extra.get("view")]


def _outcome(lib, op, arrays, params, bump):
    """'raises' or 'ok' for: op on non-leaf inputs, bump(inputs, output), backward."""
    diff = differentiable(op, arrays)
    leaves = make_leaves(lib, op, arrays, lib.float64)
    inputs = [t * 1 if i in diff else t for i, t in enumerate(leaves)]
    out = call(lib, op, inputs, params)
    if not out.requires_grad:
        return "no graph"
    bump(inputs, out)
    try:
        out.backward(lib.ones_like(out))
    except RuntimeError as exc:
        assert "modified by an inplace operation" in str(exc), str(exc)
        return "raises"
    return "ok"


def _example(name):
    op = all_ops()[name]
    shapes, params = build(op, RandomDraws(0))
    return op, make_inputs(op, shapes, 0), params


@pytest.mark.parametrize("name, index", CASES)
def test_an_input_is_saved_exactly_when_torch_saves_it(name, index):
    op, arrays, params = _example(name)
    if index >= len(arrays) or index not in differentiable(op, arrays):
        pytest.skip("the example leaves this input out or holds integers in it")

    def bump(inputs, out):
        inputs[index].add_(0.0)

    theirs = _outcome(torch, op, arrays, params, bump)
    ours = _outcome(engine, op, arrays, params, bump)
    assert ours == theirs, f"{name}: input {index}: torch {theirs}, engine {ours}"


@pytest.mark.parametrize("name", NOT_VIEWS)
def test_the_output_is_saved_exactly_when_torch_saves_it(name):
    op, arrays, params = _example(name)

    def bump(inputs, out):
        out.add_(0.0)

    theirs = _outcome(torch, op, arrays, params, bump)
    ours = _outcome(engine, op, arrays, params, bump)
    assert ours == theirs, f"{name}: output: torch {theirs}, engine {ours}"


def test_the_bump_keeps_values():
    x = engine.tensor(np.array([1.0, 2.0]), requires_grad=True) * 1
    version = x._version[0]
    x.add_(0.0)
    assert x._version[0] == version + 1 and x.tolist() == [1.0, 2.0]
