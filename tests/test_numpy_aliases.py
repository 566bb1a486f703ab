"""torch's numpy-style keywords (`axis=` for `dim=`, `keepdims=` for `keepdim=`), as torch 2.13.

For every registry entry with a `dim` or `keepdim` parameter, each public function that
torch has under its name (torch.NAME, Tensor.NAME, torch.nn.functional.NAME,
torch.linalg.NAME) is called with the alias, and the engine's function of the same
place must accept it exactly where torch does (and give the same value) and refuse it
with a TypeError where torch does.  The table in verifier/ops/numpy_aliases.py must be
exactly the entries whose torch function accepts the alias.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as functional

import verifier.engine as engine
from tests.op_examples import RandomDraws, build
from tests.test_ops_vs_torch import as_numpy, make_inputs, make_leaves
from verifier.lang.parser import parse_expression
from verifier.ops.numpy_aliases import AXIS, KEEPDIMS
from verifier.ops.registry import all_ops, language_functions, torch_style

ALIASES = {"axis": "dim", "keepdims": "keepdim"}
PLACES = (("torch", torch, engine), ("Tensor", torch.Tensor, engine.Tensor),
          ("F", functional, engine.nn.functional), ("linalg", torch.linalg, engine.linalg))


def _with_param(op, name):
    """An example call of op whose params give `name` (and a dim that is not None: torch.sum
    takes keepdim only with a dim)."""
    for seed in range(40):
        shapes, params = build(op, RandomDraws(seed))
        if params.get(name) is not None and ("dim" not in op.param_names() or
                                             params.get("dim") is not None):
            return shapes, params, seed
    shapes, params = build(op, RandomDraws(0))
    if name == "keepdim":
        return shapes, {**params, "keepdim": True}, 0
    return None


def _calls():
    for name, op in sorted(language_functions().items()):
        for alias, param in ALIASES.items():
            if param in op.param_names():
                yield name, alias


def _call(place, function, module, op, tensors, params):
    args, kwargs = torch_style(op, tensors, params)
    if op.variadic:
        return function(list(tensors), **kwargs)
    if place == "Tensor":
        if not args:  # everything by name: self is the first input
            kwargs = dict(kwargs)
            return function(kwargs.pop(op.inputs[0]), **kwargs)
        return function(*args, **kwargs)
    return function(*args, **kwargs)


def _outcome(place, function, module, op, arrays, params, dtype):
    tensors = make_leaves(module, op, arrays, dtype)
    try:
        result = _call(place, function, module, op, tensors, params)
    except TypeError:
        return "refused", None
    if isinstance(result, tuple):
        result = result[0]
    return "accepted", as_numpy(result.detach())


@pytest.mark.parametrize("name, alias", list(_calls()))
def test_engine_accepts_the_alias_exactly_where_torch_does(name, alias):
    op = all_ops()[name]
    example = _with_param(op, ALIASES[alias])
    if example is None:
        pytest.skip(f"no example of {name} with {ALIASES[alias]}")
    shapes, params, seed = example
    params = {(alias if k == ALIASES[alias] else k): v for k, v in params.items()}
    arrays = make_inputs(op, shapes, seed)
    accepted_somewhere = False
    for place, theirs, ours in PLACES:
        t_function, e_function = getattr(theirs, name, None), getattr(ours, name, None)
        if t_function is None or e_function is None:
            continue
        if place == "Tensor" and (op.variadic or not op.method):
            continue
        t_result = _outcome(place, t_function, torch, op, arrays, params, torch.float64)
        e_result = _outcome(place, e_function, engine, op, arrays, params, engine.float64)
        assert e_result[0] == t_result[0], \
            f"{place}.{name}(..., {alias}=...): torch {t_result[0]} it, the engine {e_result[0]} it"
        if t_result[0] == "accepted":
            accepted_somewhere = accepted_somewhere or place != "F" or name not in ("softmax",
                                                                                    "log_softmax")
            np.testing.assert_allclose(e_result[1].astype(np.float64),
                                       t_result[1].astype(np.float64), rtol=1e-12, equal_nan=True)
    table = AXIS if alias == "axis" else KEEPDIMS
    assert (name in table) == accepted_somewhere, \
        f"numpy_aliases: {name} {'is' if name in table else 'is not'} listed for {alias}=, " \
        f"but torch {'accepts' if accepted_somewhere else 'refuses'} it"


def test_the_alias_and_its_name_together_are_refused():
    for module in (torch, engine):
        x = module.ones(2, 3)
        with pytest.raises(TypeError):
            module.sum(x, dim=1, axis=1)
        with pytest.raises(TypeError):
            module.sum(x, 1, axis=1)
        with pytest.raises(TypeError):
            module.norm(x, axis=1)  # torch.norm is a Python function: dim only


def test_the_case_language_takes_the_alias():
    expr = parse_expression("sum(x, axis=1) + amax(x, axis=0, keepdims=true).sum()")
    assert expr is not None
    with pytest.raises(Exception, match="no argument 'axis'"):
        parse_expression("norm(x, axis=1)")
