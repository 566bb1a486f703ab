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
from tests.test_ops_vs_torch import (
    DTYPES,
    TESTED,
    TORCH_ACCURACY,
    assert_close,
    call,
    differentiable,
    make_inputs,
    make_leaves,
    tolerance,
)
from verifier.engine.autograd import forward_ad as engine_fwd
from verifier.ops.registry import all_ops


def forward_mode(module, fwd, op, arrays, tangents, params, dtype):
    """(value, tangent of the output) of op at `arrays` along `tangents` (None: no tangent)."""
    wanted = differentiable(op, arrays)
    with fwd.dual_level():
        args = []
        for i, a in enumerate(arrays):
            if a is None:
                args.append(None)  # an optional input left out
            elif i not in wanted:
                args.append(module.tensor(a, dtype=dtype) if a.dtype.kind == "f" else module.tensor(a))
            else:
                primal = module.tensor(a, dtype=dtype)
                args.append(fwd.make_dual(primal, module.tensor(tangents[i], dtype=dtype)))
        out = call(module, op, args, params)
        primal, tangent = fwd.unpack_dual(out)
        return primal.detach(), (None if tangent is None else tangent.detach())


# torch's forward-mode formula for logcumsumexp is less accurate than its reverse mode (a
# few hundred ULPs in float64; found by cases/statistics.yaml against the exact oracle).
TORCH_FORWARD_ACCURACY = {"logcumsumexp": 1e-9}


def _direction(op, i, a, rng):
    """A random tangent; symmetric where the input's domain is (cholesky reads one triangle,
    so only a symmetric direction has a convention-free derivative)."""
    t = rng.uniform(-1, 1, size=np.shape(a))
    domain = op.domain[min(i, len(op.domain) - 1)] if op.domain else None
    if domain is not None and getattr(domain, "symmetric", False):
        t = (t + np.swapaxes(t, -1, -2)) / 2
    return t


def torch_reference(op, arrays, tangents, params, dtype):
    """torch's (value, JVP): forward AD, or where torch has no forward formula for the op
    (cdist, huber_loss...), torch.autograd.functional.jvp, the double-backward trick over
    torch's reverse-mode formulas."""
    try:
        return forward_mode(torch, torch_fwd, op, arrays, tangents, params, dtype)
    except NotImplementedError:
        pass
    wanted = differentiable(op, arrays)
    fixed = make_leaves(torch, op, arrays, dtype)

    twice = op.extra.get("torch_twice_differentiable")  # cdist: its definition, not its kernel

    def f(*inputs):
        args = list(fixed)
        for i, x in zip(wanted, inputs):
            args[i] = x
        return twice(torch, *args, **params) if twice else call(torch, op, args, params)
    primals = tuple(torch.tensor(arrays[i], dtype=dtype) for i in wanted)
    directions = tuple(torch.tensor(tangents[i], dtype=dtype) for i in wanted)
    if not primals:
        return f().detach(), None
    value, jvp = torch.autograd.functional.jvp(f, primals, directions)
    return value.detach(), jvp.detach()


def check_forward_mode(op, shapes, params, dtype_name, seed=0):
    torch_dtype, engine_dtype = DTYPES[dtype_name]
    arrays = make_inputs(op, shapes, seed)
    rng = np.random.default_rng(seed + 7)
    wanted = differentiable(op, arrays)
    tangents = [_direction(op, i, a, rng) if i in wanted else None for i, a in enumerate(arrays)]
    t_value, t_tangent = torch_reference(op, arrays, tangents, params, torch_dtype)
    e_value, e_tangent = forward_mode(engine, engine_fwd, op, arrays, tangents, params,
                                      engine_dtype)
    tol = max(tolerance(np.float32 if dtype_name == "float32" else np.float64),
              TORCH_ACCURACY.get(op.name, 0.0), TORCH_FORWARD_ACCURACY.get(op.name, 0.0))
    assert_close(f"{op.name} value under forward mode", e_value, t_value, tol)
    if t_tangent is None or not t_value.is_floating_point():
        assert e_tangent is None or not np.any(e_tangent.numpy()), \
            f"{op.name}: torch has no tangent, the engine has {e_tangent}"
        return
    if torch.isnan(t_value).any():
        return  # no derivative where the value itself is undefined (a mean over no target)
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
    leaves = make_leaves(module, op, arrays, dtype)
    diff = differentiable(op, arrays)
    with fwd.dual_level():
        args = [fwd.make_dual(leaf, module.tensor(tangents[i], dtype=dtype)) if i in diff else leaf
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
    diff = differentiable(op, arrays)
    tangents = [_direction(op, i, a, rng) if i in diff else None for i, a in enumerate(arrays)]
    with torch.no_grad():
        out = call(torch, op, make_leaves(torch, op, arrays, torch_dtype), params)
    if torch.isnan(out).any():
        pytest.skip("the value is undefined here (NaN): no derivative to compare")
    cotangent = rng.uniform(-1, 1, size=tuple(out.shape))
    try:
        theirs = forward_over_reverse(torch, torch_fwd, op, arrays, tangents, cotangent, params,
                                      torch_dtype)
    except NotImplementedError as exc:  # torch has no forward formula for this op's backward
        pytest.skip(f"torch has no forward-over-reverse for {name}: {str(exc).splitlines()[0]}")
    ours = forward_over_reverse(engine, engine_fwd, op, arrays, tangents, cotangent, params,
                                engine_dtype)
    tol = 4 * max(tolerance(np.float32 if dtype_name == "float32" else np.float64),
                  TORCH_ACCURACY.get(name, 0.0), TORCH_FORWARD_ACCURACY.get(name, 0.0))
    for k, (mine, want) in enumerate(zip(ours, theirs)):
        if want is None and mine is None:
            continue
        # A gradient independent of the inputs has no tangent on one side: zero.
        zeros = torch.zeros(tuple((mine if want is None else want).shape), dtype=torch.float64)
        mine = zeros if mine is None else mine
        want = zeros if want is None else want
        assert_close(f"{name} forward-over-reverse, input {k}", mine, want, tol)
