"""Every registry entry against torch 2.13: value, gradient, second derivative, dtypes.

One helper (`check_against_torch`) parametrized over the registry x dtypes, fed by
hypothesis (shapes, broadcasting, params, values) and by fixed seeds.

Tolerance: both sides round in the same dtype, so a difference is a few ulps
times the operation's condition: |engine - torch| <= TOL * (1 + |torch|) with
TOL = 2**10 * eps(dtype) (2.3e-13 in float64, 1.2e-4 in float32); second
derivatives, which chain two rounded VJPs, get 4 * TOL.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import verifier.engine as engine
from tests.nn_contract import NO_TORCH_SECOND_ORDER
from tests.op_examples import HypothesisDraws, RandomDraws, build, values
from verifier.ops.registry import all_ops, language_functions, module_function, torch_style

DTYPES = {"float64": (torch.float64, engine.float64), "float32": (torch.float32, engine.float32)}
TESTED = sorted(name for name, op in language_functions().items() if op.kind != "meta")


# Where torch itself is less accurate than the tolerance: torch's float64 trigamma
# (digamma's gradient, polygamma(1, x)) is good to about 1e-10 relative, and its hardsigmoid
# gradient multiplies by the float32 1/6 even in float64; the engine's
# (SciPy's) agrees with mpmath to 1e-16.
# torch's binary_cross_entropy double backward is off by ~4e-10 relative from the exact
# t/x^2 + (1-t)/(1-x)^2 (mpmath), the engine's by 0.
TORCH_ACCURACY = {"digamma": 1e-8, "lgamma": 1e-8, "hardsigmoid": 1e-7,
                  "binary_cross_entropy": 1e-8}


def tolerance(np_dtype) -> float:
    return 2.0 ** 10 * float(np.finfo(np_dtype).eps)


def call(module, op, tensors, params):
    """Call op on torch (as a backend does: every param bound) or on the engine.

    Of a named tuple (max with dim: values, indices) the values, the differentiable field.
    """
    result = call_all(module, op, tensors, params)
    return result[op.extra.get("value_field", 0)] if isinstance(result, tuple) else result


def call_all(module, op, tensors, params):
    if module is torch:
        _, bound = op.bind((list(tensors),), dict(params)) if op.variadic else \
            op.bind(*torch_style(op, tensors, params))
        if op.torch is not None:
            return op.torch(torch, *tensors, **bound)
        fn = getattr(torch, op.name)
        return fn(list(tensors), **bound) if op.variadic else fn(*tensors, **bound)
    fn = module_function(module, op)
    if op.variadic:
        return fn(list(tensors), **params)
    args, kwargs = torch_style(op, tensors, params)
    return fn(*args, **kwargs)


def as_numpy(t):
    if isinstance(t, torch.Tensor):
        return t.detach().numpy(force=True)
    return np.asarray(t.detach()._array)


def assert_close(what, got, want, tol, slack=0.0):
    """|engine - torch| <= tol (1 + |torch|) + slack, element by element (slack: what torch's
    own result may be off by, where that is known)."""
    got, want = as_numpy(got), as_numpy(want)
    assert got.shape == want.shape, f"{what}: shape {got.shape}, torch has {want.shape}"
    both_inf = np.isinf(want) & (got == want)
    err = np.where(both_inf | (np.isnan(got) & np.isnan(want)), 0.0,
                   np.abs(got.astype(np.float64) - want.astype(np.float64)))
    bound = tol * (1 + np.abs(np.nan_to_num(want.astype(np.float64)))) + slack
    worst = np.nanmax(err - bound) if err.size else -1.0
    assert not np.isnan(err).any() and worst <= 0, (
        f"{what}: max |engine - torch| = {np.nanmax(err) if err.size else 0:.3g} exceeds "
        f"{tol:.3g} * (1 + |torch|)\nengine: {got}\ntorch:  {want}")


def make_inputs(op, shapes, seed):
    """Random arrays in each input's domain; a builder may give an array itself (class
    indices, fixed weights) or None (an optional input left out)."""
    rng = np.random.default_rng(seed)
    arrays = []
    for i, s in enumerate(shapes):
        if s is None or isinstance(s, np.ndarray):
            arrays.append(s)  # left out (None), or an index given by the builder
        elif i in op.nondiff:
            arrays.append(rng.uniform(size=s) < 0.5)  # where's condition
        else:
            domain = op.domain[min(i, len(op.domain) - 1)]
            arrays.append(values(domain, s, rng))
    return arrays


def differentiable(op, arrays):
    """Indices of the inputs that get gradients: floating, present, not declared nondiff."""
    return [i for i, a in enumerate(arrays)
            if i not in op.nondiff and a is not None and a.dtype.kind == "f"]


def make_leaves(module, op, arrays, dtype):
    """Tensors of `module` (torch or the engine): differentiable inputs require grad; other
    floating inputs (fixed weights) take the run's dtype; integer and bool inputs keep theirs."""
    wanted = differentiable(op, arrays)
    out = []
    for i, a in enumerate(arrays):
        if a is None:
            out.append(None)
        elif i in wanted:
            out.append(module.tensor(a, dtype=dtype, requires_grad=True))
        elif a.dtype.kind == "f":
            out.append(module.tensor(a, dtype=dtype))
        else:
            out.append(module.tensor(a))
    return out


def check_against_torch(op, shapes, params, dtype_name, seed=0):
    torch_dtype, engine_dtype = DTYPES[dtype_name]
    arrays = make_inputs(op, shapes, seed)
    diff = differentiable(op, arrays)
    t_in, e_in = make_leaves(torch, op, arrays, torch_dtype), make_leaves(engine, op, arrays,
                                                                          engine_dtype)
    t_out, e_out = call(torch, op, t_in, params), call(engine, op, e_in, params)
    tol = max(tolerance(np.float32 if dtype_name == "float32" else np.float64),
              TORCH_ACCURACY.get(op.name, 0.0))
    assert str(e_out.dtype) == str(t_out.dtype), f"{op.name}: dtype {e_out.dtype} vs {t_out.dtype}"
    assert_close(f"{op.name} value", e_out, t_out, tol)
    if not t_out.requires_grad:
        assert not e_out.requires_grad
        return
    rng = np.random.default_rng(seed + 1)
    seed_grad = rng.uniform(-1, 1, size=tuple(t_out.shape))
    t_g = torch.autograd.grad(t_out, [t_in[i] for i in diff], torch.tensor(seed_grad, dtype=torch_dtype),
                              create_graph=True, allow_unused=True)
    e_g = engine.autograd.grad(e_out, [e_in[i] for i in diff],
                               engine.tensor(seed_grad, dtype=engine_dtype),
                               create_graph=True, allow_unused=True)
    for i, tg, eg in zip(diff, t_g, e_g):
        if tg is None:
            assert eg is None or not np.any(as_numpy(eg)), f"{op.name}: torch has no grad for input {i}"
            continue
        assert eg is not None, f"{op.name}: engine has no gradient for input {i}"
        assert str(eg.dtype) == str(tg.dtype), f"{op.name}: grad dtype {eg.dtype} vs {tg.dtype}"
        assert_close(f"{op.name} grad of input {i}", eg, tg, tol)
    twice = op.extra.get("torch_twice_differentiable")
    if twice is not None:
        # torch has no double backward for this op (cdist): its second derivative is judged
        # against torch running the op's definition instead.
        _, bound = op.bind(*torch_style(op, t_in, params))
        t_g = torch.autograd.grad(twice(torch, *t_in, **bound), [t_in[i] for i in diff],
                                  torch.tensor(seed_grad, dtype=torch_dtype),
                                  create_graph=True, allow_unused=True)
    # In float32 a second derivative may cancel to rounding noise: the engine may then be as
    # far from torch's float32 result as that result is from torch's float64 one.
    reference = torch_second_derivative(op, arrays, params, diff, seed) \
        if dtype_name == "float32" and op.name not in NO_TORCH_SECOND_ORDER else None
    check_second_derivative(op, diff, t_in, e_in, t_g, e_g, torch_dtype, engine_dtype, rng, tol,
                            reference)


def torch_second_derivative(op, arrays, params, diff, seed):
    """torch's float64 Hessian-vector products at the float32-rounded inputs, with the seed and
    directions check_against_torch draws."""
    rounded = [a.astype(np.float32).astype(np.float64) if a is not None and a.dtype.kind == "f"
               else a for a in arrays]
    t_in = make_leaves(torch, op, rounded, torch.float64)
    t_out = call(torch, op, t_in, params)
    rng = np.random.default_rng(seed + 1)
    seed_grad = rng.uniform(-1, 1, size=tuple(t_out.shape))
    twice = op.extra.get("torch_twice_differentiable")
    if twice is not None:
        _, bound = op.bind(*torch_style(op, t_in, params))
        t_out = twice(torch, *t_in, **bound)
    t_g = torch.autograd.grad(t_out, [t_in[i] for i in diff],
                              torch.tensor(seed_grad, dtype=torch.float64),
                              create_graph=True, allow_unused=True)
    t_s = 0
    for tg in t_g:
        if tg is None or not tg.requires_grad:
            continue
        t_s = t_s + (tg * torch.tensor(rng.uniform(-1, 1, size=tuple(tg.shape)))).sum()
    if not isinstance(t_s, torch.Tensor):
        return None
    return torch.autograd.grad(t_s, [t_in[i] for i in diff], allow_unused=True)


def check_second_derivative(op, diff, t_in, e_in, t_g, e_g, torch_dtype, engine_dtype, rng, tol,
                            reference=None):
    """d/dx <grad(x), v> for a random v: one row of Hessian-vector products."""
    if op.name in NO_TORCH_SECOND_ORDER:
        return
    t_s, e_s = 0, 0
    for tg, eg in zip(t_g, e_g):
        if tg is None or not tg.requires_grad:
            continue
        v = rng.uniform(-1, 1, size=tuple(tg.shape))
        t_s = t_s + (tg * torch.tensor(v, dtype=torch_dtype)).sum()
        e_s = e_s + (eg * engine.tensor(v, dtype=engine_dtype)).sum()
    if not isinstance(t_s, torch.Tensor):
        return  # the gradient does not depend on the inputs (a linear op)
    t_h = torch.autograd.grad(t_s, [t_in[i] for i in diff], allow_unused=True)
    e_h = engine.autograd.grad(e_s, [e_in[i] for i in diff], allow_unused=True) \
        if isinstance(e_s, engine.Tensor) and e_s.requires_grad else [None] * len(diff)
    for k, (i, th, eh) in enumerate(zip(diff, t_h, e_h)):
        if th is None:
            assert eh is None or not np.any(as_numpy(eh)), f"{op.name}: torch has no 2nd derivative"
            continue
        if eh is None:
            assert not np.any(as_numpy(th)), f"{op.name}: engine has no second derivative for input {i}"
            continue
        exact = None if reference is None else reference[k]
        slack = 0.0 if exact is None else \
            2 * np.abs(as_numpy(th).astype(np.float64) - as_numpy(exact))
        assert_close(f"{op.name} second derivative of input {i}", eh, th, 4 * tol, slack)


@pytest.mark.parametrize("dtype_name", sorted(DTYPES))
@pytest.mark.parametrize("name", TESTED)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fixed_examples(name, dtype_name, seed):
    op = all_ops()[name]
    shapes, params = build(op, RandomDraws(seed))
    check_against_torch(op, shapes, params, dtype_name, seed)


@pytest.mark.parametrize("dtype_name", sorted(DTYPES))
@pytest.mark.parametrize("name", TESTED)
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), seed=st.integers(0, 2**16))
def test_random_examples(name, dtype_name, data, seed):
    op = all_ops()[name]
    shapes, params = build(op, HypothesisDraws(data))
    check_against_torch(op, shapes, params, dtype_name, seed)


# --- kink conventions: torch, the engine and the SymPy form agree at the kink ----------
def first_gradients(module, name, points, params):
    """Gradients of sum(op(*points)) for torch or the engine, as float64 arrays."""
    leaves = [module.tensor(np.asarray(p, dtype=np.float64), dtype=module.float64,
                            requires_grad=True) for p in points]
    out = call(module, all_ops()[name], leaves, params)
    out.sum().backward()
    return [as_numpy(t.grad) for t in leaves]


def sympy_gradients(name, points, params):
    """d/dx sum(op(x)) from the registry's SymPy form, differentiated, then evaluated at points."""
    op = all_ops()[name]
    arrays, bindings = [], {}
    for k, p in enumerate(points):
        p = np.asarray(p, dtype=object)
        symbols = sp.symbols(f"a{k}_0:{p.size}")
        bindings.update({s: sp.Rational(v) for s, v in zip(symbols, p.ravel())})
        arrays.append(np.array(symbols, dtype=object).reshape(p.shape))
    exact_params = {k: sp.Rational(v) if isinstance(v, float) and np.isfinite(v) else v
                    for k, v in params.items()}
    total = sp.Add(*np.asarray(op.sympy(*arrays, **exact_params), dtype=object).ravel())
    return [np.array([float(sp.diff(total, s).subs(bindings)) for s in a.ravel()]).reshape(a.shape)
            for a in arrays]


KINKS = [
    # (op, points, params, expected gradients)
    ("relu", [[-1.0, 0.0, 2.0]], {}, [[0, 0, 1]]),
    ("abs", [[-1.0, 0.0, 2.0]], {}, [[-1, 0, 1]]),
    ("clamp", [[-1.0, -0.5, 0.0, 0.5, 1.0]], {"min": -0.5, "max": 0.5}, [[0, 1, 1, 1, 0]]),
    ("clamp", [[-1.0, -0.5, 0.0]], {"min": -0.5}, [[0, 1, 1]]),
    ("maximum", [[1.0, 2.0, 3.0], [1.0, 1.0, 4.0]], {}, [[0.5, 1, 0], [0.5, 0, 1]]),
    ("minimum", [[1.0, 2.0, 3.0], [1.0, 1.0, 4.0]], {}, [[0.5, 0, 1], [0.5, 1, 0]]),
    ("amax", [[3.0, 1.0, 3.0, 3.0]], {}, [[1 / 3, 0, 1 / 3, 1 / 3]]),
    ("amin", [[[1.0, 1.0], [2.0, 0.5]]], {"dim": 1}, [[[0.5, 0.5], [0, 1]]]),
    ("norm", [[0.0, 0.0, 0.0]], {}, [[0, 0, 0]]),
    ("prod", [[2.0, 0.0, 3.0]], {}, [[0, 6, 0]]),
    ("prod", [[2.0, 0.0, 0.0]], {}, [[0, 0, 0]]),
    ("sqrt", [[0.0, 4.0]], {}, [[np.inf, 0.25]]),
    ("softplus", [[0.0, 30.0]], {}, [[0.5, 1.0]]),
]


@pytest.mark.parametrize("name, points, params, expected", KINKS,
                         ids=[f"{k[0]}-{i}" for i, k in enumerate(KINKS)])
def test_kink_convention(name, points, params, expected):
    for where, grads in (("torch", first_gradients(torch, name, points, params)),
                         ("engine", first_gradients(engine, name, points, params)),
                         ("sympy", sympy_gradients(name, points, params))):
        for got, want in zip(grads, expected):
            np.testing.assert_allclose(got, np.asarray(want, dtype=float), rtol=1e-12, atol=0,
                                       err_msg=f"{name}'s gradient at its kink ({where})")


def test_sympy_values_stay_exact_at_rational_points():
    op = all_ops()["softplus"]
    assert op.sympy(np.array([sp.Integer(0)], dtype=object))[0] == sp.log(2)
    assert all_ops()["sigmoid"].sympy(np.array([sp.Integer(0)], dtype=object))[0] == sp.Rational(1, 2)
    assert all_ops()["norm"].sympy(np.array([sp.Integer(3), sp.Integer(4)], dtype=object)) == 5


# --- Python scalars, torch's promotion, shape errors, the engine's in-place helpers -----
SCALAR_EXPRESSIONS = [
    lambda m, x: 2 - x, lambda m, x: x ** 2, lambda m, x: 2 ** x, lambda m, x: 1.5 / x,
    lambda m, x: x * m.tensor(3.0, dtype=m.float64),  # a 0-d float64 must not promote float32
    lambda m, x: m.where(x > 0, x, 0.0), lambda m, x: m.maximum(x, m.tensor(0.5, dtype=m.float64)),
]


@pytest.mark.parametrize("dtype_name", sorted(DTYPES))
@pytest.mark.parametrize("index", range(len(SCALAR_EXPRESSIONS)))
def test_python_scalars_and_zero_dim_operands(index, dtype_name):
    expression = SCALAR_EXPRESSIONS[index]
    arrays = np.array([0.5, 1.25, 2.0])
    results = []
    for module, dtype in zip((torch, engine), DTYPES[dtype_name]):
        x = module.tensor(arrays, dtype=dtype, requires_grad=True)
        out = expression(module, x)
        out.sum().backward()
        results.append((out, x.grad))
    (t_out, t_grad), (e_out, e_grad) = results
    tol = tolerance(np.float32 if dtype_name == "float32" else np.float64)
    assert str(e_out.dtype) == str(t_out.dtype)
    assert_close("value", e_out, t_out, tol)
    assert_close("grad", e_grad, t_grad, tol)


SHAPE_ERRORS = [
    lambda m: m.ones(2, 3) + m.ones(4),
    lambda m: m.matmul(m.ones(2, 3), m.ones(2, 3)),
    lambda m: m.cat([m.ones(2, 3), m.ones(2, 4)], dim=0),
    lambda m: m.stack([m.ones(2), m.ones(3)]),
    lambda m: m.ones(2, 3).reshape(4, 2),
    lambda m: m.dot(m.ones(2), m.ones(3)),
    lambda m: m.ones(2, 3).sum(dim=2),
    lambda m: m.ones(2, 3, 4).t(),
]


@pytest.mark.parametrize("index", range(len(SHAPE_ERRORS)))
def test_shape_errors_raise_like_torch(index):
    expression = SHAPE_ERRORS[index]
    with pytest.raises((RuntimeError, IndexError)):
        expression(torch)
    with pytest.raises((RuntimeError, IndexError)):
        expression(engine)


def test_copy_gives_the_gradient_to_src_only():
    for m in (torch, engine):
        x = m.ones(2, 3, dtype=m.float64, requires_grad=True)
        src = m.tensor([1.0, 2.0, 3.0], dtype=m.float64, requires_grad=True)
        y = x * 2
        y.copy_(src)
        (y * y).sum().backward()
        assert x.grad is None or not np.any(as_numpy(x.grad)), m.__name__
        np.testing.assert_allclose(as_numpy(src.grad), [4.0, 8.0, 12.0])


def test_fill_and_zero_cut_the_gradient():
    for m in (torch, engine):
        x = m.ones(3, dtype=m.float64, requires_grad=True)
        y = x * 2
        y.fill_(5.0)
        z = x * 3
        z.zero_()
        (y.sum() + z.sum() + x.sum()).backward()
        np.testing.assert_allclose(as_numpy(x.grad), [1.0, 1.0, 1.0], err_msg=m.__name__)
        np.testing.assert_allclose(as_numpy(y.detach()), [5.0, 5.0, 5.0])


def test_exp_reads_its_saved_input_after_an_inplace_change_like_torch_errors():
    for m in (torch, engine):
        x = m.ones(3, dtype=m.float64, requires_grad=True)
        y = x * 1
        z = (y * y).sum()  # mul saves y for the gradient of the other factor
        y.add_(1)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            z.backward()
