"""The engine's integer and bool tensors against torch 2.13: result values and dtypes (torch's
promotion), and the same error type where torch refuses an integer or bool input."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import verifier.engine as engine
from verifier.ops.integer_support import FLOAT_ONLY, NOT_BOOL
from verifier.ops.registry import all_ops


def ints(m):
    return m.tensor([[1, -2, 3], [4, 0, -6]])


def int32s(m):
    return m.tensor([[1, -2, 3], [4, 0, -6]], dtype=m.int32)


def bools(m):
    return m.tensor([[True, False, True], [False, False, True]])


def floats(m):
    return m.tensor([[0.5, 1.5, -2.0], [1.0, 2.0, 3.0]])


def float64s(m):
    return m.tensor([[0.5, 1.5, -2.0], [1.0, 2.0, 3.0]], dtype=m.float64)


EXPRESSIONS = {
    "sum of bool": lambda m: m.sum(bools(m)),
    "sum of int over a dim": lambda m: m.sum(ints(m), 1),
    "sum of int32": lambda m: m.sum(int32s(m)),
    "prod of int": lambda m: m.prod(ints(m)),
    "cumsum of bool": lambda m: m.cumsum(bools(m), 1),
    "cumsum of int32": lambda m: m.cumsum(int32s(m), 1),
    "amax of int": lambda m: m.amax(ints(m)),
    "max of int along a dim": lambda m: m.max(ints(m), 1),
    "abs of int": lambda m: m.abs(ints(m)),
    "exp of int": lambda m: m.exp(ints(m)),
    "tanh of bool": lambda m: m.tanh(bools(m)),
    "sigmoid of int32": lambda m: m.sigmoid(int32s(m)),
    "reciprocal of int": lambda m: m.reciprocal(ints(m)),
    "int to a float power": lambda m: ints(m) ** 0.5,
    "float to an int power": lambda m: floats(m) ** ints(m),
    "int / int": lambda m: ints(m) / ints(m).abs().clamp(1, 9),
    "int32 / 2": lambda m: int32s(m) / 2,
    "int - 1.5": lambda m: ints(m) - 1.5,
    "bool * 1.5": lambda m: bools(m) * 1.5,
    "bool + int": lambda m: bools(m) + ints(m),
    "int * 0-d float64": lambda m: ints(m) * m.tensor(2.5, dtype=m.float64),
    "int32 * 0-d int64": lambda m: int32s(m) * m.tensor(3),
    "int == float": lambda m: ints(m) == floats(m),
    "bool < int": lambda m: bools(m) < ints(m),
    "where on ints": lambda m: m.where(bools(m), ints(m), 0),
    "where int or float64": lambda m: m.where(bools(m), ints(m), float64s(m)),
    "masked_fill of int with a float": lambda m: m.masked_fill(ints(m), bools(m), 7.5),
    "matmul of int32": lambda m: int32s(m) @ int32s(m).T,
    "cat of int and float": lambda m: m.cat([ints(m), floats(m)]),
    "stack of int32 and int64": lambda m: m.stack([ints(m), int32s(m)]),
    "sort of int": lambda m: m.sort(ints(m), 1),
    "gather of int": lambda m: m.gather(ints(m), 1, m.tensor([[0], [2]])),
    "clamp of int with a float bound": lambda m: m.clamp(ints(m), -1.5, 2),
    "all of int along a dim": lambda m: m.all(ints(m), 1),
    "count_nonzero of bool": lambda m: m.count_nonzero(bools(m), 0),
    "mean of int": lambda m: m.mean(ints(m)),
    "std of int": lambda m: m.std(ints(m)),
    "softmax of int": lambda m: m.softmax(ints(m), 1),
    "norm of bool": lambda m: m.norm(bools(m)),
    "hypot of int": lambda m: m.hypot(ints(m), ints(m)),
    "relu of bool": lambda m: m.relu(bools(m)),
    "abs of bool": lambda m: m.abs(bools(m)),
    "median of bool": lambda m: m.median(bools(m)),
}


def outcome(module, expression):
    try:
        result = expression(module)
    except Exception as exc:  # noqa: BLE001 - the error type is what is compared
        return type(exc).__name__, str(exc).split("\n")[0]
    if isinstance(result, tuple):
        result = result[0]
    return str(result.dtype), np.asarray(result.tolist(), dtype=np.float64)


@pytest.mark.parametrize("name", list(EXPRESSIONS))
def test_integer_and_bool_tensors_behave_as_in_torch(name):
    theirs, ours = outcome(torch, EXPRESSIONS[name]), outcome(engine, EXPRESSIONS[name])
    assert ours[0] == theirs[0], f"{name}: torch gives {theirs}, the engine {ours}"
    if isinstance(theirs[1], np.ndarray):
        np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-6, equal_nan=True)
    else:
        assert ours[1] == theirs[1]  # torch's own message


def _first_argument(name, module, dtype):
    op = all_ops()[name]
    x = module.tensor([[1, 0, 2], [3, 1, 1], [0, 2, 1]], dtype=getattr(module, dtype))
    if op.kind in ("reduction",) and name not in ("mean", "std", "var", "norm", "median"):
        return (x, 1), {}
    return (x,) * len(op.inputs), {}


@pytest.mark.parametrize("name, dtype", [(n, d) for n in sorted(FLOAT_ONLY) for d in ("int64", "bool")]
                         + [(n, "bool") for n in sorted(NOT_BOOL)])
def test_the_refusal_table_is_torchs(name, dtype):
    """Every entry of ops/integer_support.py: torch refuses it, with this type and message."""
    args, kwargs = _first_argument(name, torch, dtype)
    fn = getattr(torch, name, None) or getattr(torch.nn.functional, name)
    if name == "lerp":
        args = (args[0], args[0], 0.5)
    with pytest.raises((RuntimeError, NotImplementedError)) as theirs:
        fn(*args, **kwargs)
    e_args, e_kwargs = _first_argument(name, engine, dtype)
    if name == "lerp":
        e_args = (e_args[0], e_args[0], 0.5)
    with pytest.raises(type(theirs.value)) as ours:
        getattr(engine, name)(*e_args, **e_kwargs)
    assert str(ours.value) == str(theirs.value).split("\n")[0]


def test_integer_tensors_of_the_other_ops_stay_accepted():
    # abs, floor, relu of an int64 tensor are int64 tensors (only bool is refused there)
    for name in ("abs", "floor", "relu", "neg", "trunc"):
        for module in (torch, engine):
            out = getattr(module, name)(ints(module))
            assert str(out.dtype) == "torch.int64", (name, module.__name__)
