"""The engine's forward mode against torch's, for every registry entry: value and JVP.

Driven by the registry (as tests/test_ops_vs_torch.py), so an op added there is
covered here with no new line.  Each JVP is derived from the op's VJP
(verifier.engine.dual); torch's comes from its separate forward formulas, so
agreement checks the derivation and the VJP rule at once.  Tolerance as in
test_ops_vs_torch: 2**10 eps(dtype) * (1 + |torch|).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.autograd.forward_ad as torch_fwd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import verifier.engine as engine
from tests.op_examples import HypothesisDraws, RandomDraws, build
from tests.test_ops_vs_torch import DTYPES, TESTED, assert_close, call, make_inputs, tolerance
from verifier.engine.autograd import forward_ad as engine_fwd
from verifier.ops.registry import all_ops


def forward_mode(module, fwd, op, arrays, tangents, params, dtype):
    """(value, tangent of the output) of op at `arrays` along `tangents` (None: no tangent)."""
    with fwd.dual_level():
        args = []
        for i, a in enumerate(arrays):
            if i in op.nondiff:
                args.append(module.tensor(a))
                continue
            primal = module.tensor(a, dtype=dtype)
            args.append(fwd.make_dual(primal, module.tensor(tangents[i], dtype=dtype)))
        out = call(module, op, args, params)
        primal, tangent = fwd.unpack_dual(out)
        return primal.detach(), (None if tangent is None else tangent.detach())


def check_forward_mode(op, shapes, params, dtype_name, seed=0):
    torch_dtype, engine_dtype = DTYPES[dtype_name]
    arrays = make_inputs(op, shapes, seed)
    rng = np.random.default_rng(seed + 7)
    tangents = [None if i in op.nondiff else rng.uniform(-1, 1, size=np.shape(a))
                for i, a in enumerate(arrays)]
    t_value, t_tangent = forward_mode(torch, torch_fwd, op, arrays, tangents, params, torch_dtype)
    e_value, e_tangent = forward_mode(engine, engine_fwd, op, arrays, tangents, params,
                                      engine_dtype)
    tol = tolerance(np.float32 if dtype_name == "float32" else np.float64)
    assert_close(f"{op.name} value under forward mode", e_value, t_value, tol)
    if t_tangent is None or not t_value.is_floating_point():
        assert e_tangent is None or not np.any(e_tangent.numpy()), \
            f"{op.name}: torch has no tangent, the engine has {e_tangent}"
        return
    assert e_tangent is not None, f"{op.name}: the engine's forward mode lost the tangent"
    assert str(e_tangent.dtype) == str(t_tangent.dtype)
    assert_close(f"{op.name} JVP", e_tangent, t_tangent, tol)


@pytest.mark.parametrize("dtype_name", sorted(DTYPES))
@pytest.mark.parametrize("name", TESTED)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_forward_mode_fixed_examples(name, dtype_name, seed):
    op = all_ops()[name]
    shapes, params = build(op, RandomDraws(seed))
    check_forward_mode(op, shapes, params, dtype_name, seed)


@pytest.mark.parametrize("dtype_name", sorted(DTYPES))
@pytest.mark.parametrize("name", TESTED)
@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), seed=st.integers(0, 2**16))
def test_forward_mode_random_examples(name, dtype_name, data, seed):
    op = all_ops()[name]
    shapes, params = build(op, HypothesisDraws(data))
    check_forward_mode(op, shapes, params, dtype_name, seed)


def test_every_language_function_is_covered():
    # The parametrization is the registry itself: nothing to keep in sync by hand.
    assert set(TESTED) == {n for n, op in all_ops().items() if op.in_language and op.kind != "meta"}
    assert len(TESTED) >= 40


# --- forward-over-reverse: the tangent of a gradient taken with create_graph=True ---------
def forward_over_reverse(module, fwd, op, arrays, tangents, cotangent, params, dtype):
    """d/dt [J(x + t v)^T g] at t = 0, per differentiable input (None where it has none)."""
    leaves = [module.tensor(a) if i in op.nondiff else
              module.tensor(a, dtype=dtype, requires_grad=True) for i, a in enumerate(arrays)]
    diff = [i for i in range(len(arrays)) if i not in op.nondiff]
    with fwd.dual_level():
        args = [leaf if i in op.nondiff else
                fwd.make_dual(leaf, module.tensor(tangents[i], dtype=dtype))
                for i, leaf in enumerate(leaves)]
        out = call(module, op, args, params)
        if not out.requires_grad:
            return [None] * len(diff)
        grads = module.autograd.grad(out, [leaves[i] for i in diff],
                                     module.tensor(cotangent, dtype=dtype),
                                     create_graph=True, allow_unused=True)
        return [None if g is None else fwd.unpack_dual(g).tangent for g in grads]


@pytest.mark.parametrize("dtype_name", sorted(DTYPES))
@pytest.mark.parametrize("name", TESTED)
@pytest.mark.parametrize("seed", [0, 1])
def test_forward_over_reverse_matches_torch(name, dtype_name, seed):
    op = all_ops()[name]
    shapes, params = build(op, RandomDraws(seed))
    torch_dtype, engine_dtype = DTYPES[dtype_name]
    arrays = make_inputs(op, shapes, seed)
    rng = np.random.default_rng(seed + 11)
    tangents = [None if i in op.nondiff else rng.uniform(-1, 1, size=np.shape(a))
                for i, a in enumerate(arrays)]
    with torch.no_grad():
        out_shape = tuple(call(torch, op, [torch.tensor(a) for a in arrays], params).shape)
    cotangent = rng.uniform(-1, 1, size=out_shape)
    theirs = forward_over_reverse(torch, torch_fwd, op, arrays, tangents, cotangent, params,
                                  torch_dtype)
    ours = forward_over_reverse(engine, engine_fwd, op, arrays, tangents, cotangent, params,
                                engine_dtype)
    tol = 4 * tolerance(np.float32 if dtype_name == "float32" else np.float64)
    for k, (mine, want) in enumerate(zip(ours, theirs)):
        if want is None and mine is None:
            continue
        # A gradient independent of the inputs has no tangent on one side: zero.
        zeros = torch.zeros(tuple((mine if want is None else want).shape), dtype=torch.float64)
        mine = zeros if mine is None else mine
        want = zeros if want is None else want
        assert_close(f"{name} forward-over-reverse, input {k}", mine, want, tol)
