"""The engine's forward mode as an API: forward_ad, func.jvp/jacfwd, forward-over-reverse.

Every JVP is derived from the op's VJP (verifier.engine.dual); the registry-wide
comparison with torch is tests/test_forward_mode_vs_torch.py.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.func

import verifier.engine as engine
from verifier.engine import dual, func
from verifier.engine.autograd import forward_ad
from verifier.engine.function import plan_of
from verifier.ops.registry import get


def e(values):
    return engine.tensor(np.asarray(values, dtype=np.float64), dtype=engine.float64)


def t(values):
    return torch.tensor(np.asarray(values, dtype=np.float64), dtype=torch.float64)


def test_jvp_through_a_composite_matches_torch():
    x, v = [[0.5, -1.0], [2.0, 0.25]], [[1.0, 0.5], [-0.5, 2.0]]

    def f(m, a):
        return (m.softmax(a @ a.T, dim=1) * m.exp(a) + m.tanh(a) ** 2).sum(dim=0)

    value, jvp = func.jvp(lambda a: f(engine, a), (e(x),), (e(v),))
    t_value, t_jvp = torch.func.jvp(lambda a: f(torch, a), (t(x),), (t(v),))
    np.testing.assert_allclose(value.numpy(), t_value.numpy(), rtol=1e-14)
    np.testing.assert_allclose(jvp.numpy(), t_jvp.numpy(), rtol=1e-13)


def test_jacfwd_matches_torch_jacfwd_and_jacrev():
    x = [[1.0, 2.0], [3.0, 5.0]]
    ours = func.jacfwd(lambda a: engine.inverse(a) * 2)(e(x)).numpy()
    assert ours.shape == (2, 2, 2, 2)
    np.testing.assert_allclose(ours, torch.func.jacfwd(lambda a: torch.inverse(a) * 2)(t(x)),
                               rtol=1e-13)
    two = func.jacfwd(lambda a, b: a * b, argnums=(0, 1))(e([1.0, 2.0]), e([3.0, 4.0]))
    np.testing.assert_array_equal(two[0].numpy(), np.diag([3.0, 4.0]))
    np.testing.assert_array_equal(two[1].numpy(), np.diag([1.0, 2.0]))


def test_forward_over_reverse_gives_the_hessian_vector_product():
    x, v = [0.5, -1.0, 2.0], [1.0, 0.5, -2.0]
    leaf = e(x).requires_grad_()
    with forward_ad.dual_level():
        d = forward_ad.make_dual(leaf, e(v))
        (g,) = engine.autograd.grad((engine.exp(d) * d).sum() + (d ** 3).sum(), [leaf],
                                    create_graph=True)
        hvp = forward_ad.unpack_dual(g).tangent.numpy()
    a = np.array(x)
    np.testing.assert_allclose(hvp, (np.exp(a) * (a + 2) + 6 * a) * np.array(v), rtol=1e-14)


def test_tangents_flow_through_operators_and_inplace_ops():
    with forward_ad.dual_level():
        x = forward_ad.make_dual(e([1.0, 2.0]), e([1.0, 0.0]))
        y = x * 1  # the binary operators' fast path is left for the general one
        y.mul_(x)  # y = x^2 in place: tangent 2 x dx
        y += 3 * x  # tangent + 3 dx
        primal, tangent = forward_ad.unpack_dual(y)
    np.testing.assert_array_equal(primal.numpy(), [4.0, 10.0])
    np.testing.assert_array_equal(tangent.numpy(), [5.0, 0.0])


def test_levels_behave_as_torchs():
    x = e([1.0])
    with pytest.raises(RuntimeError, match="inside a dual level"):
        forward_ad.make_dual(x, e([1.0]))
    with forward_ad.dual_level():
        with pytest.raises(RuntimeError, match="Nested forward mode AD"):
            forward_ad.enter_dual_level()
        with pytest.raises(RuntimeError, match="different size"):
            forward_ad.make_dual(x, e([1.0, 2.0]))
        d = forward_ad.make_dual(x, e([3.0]))
        assert forward_ad.unpack_dual(d).tangent.item() == 3.0
        assert forward_ad.unpack_dual(x).tangent is None  # the primal itself carries none
    with forward_ad.dual_level():
        assert forward_ad.unpack_dual(d).tangent is None  # forgotten with its level
    assert dual.OPEN[0] == 0


def test_the_jvp_is_the_vjp_transposed_so_a_wrong_vjp_shows_in_forward_mode(monkeypatch):
    plan = plan_of(get("sin"))
    monkeypatch.setattr(plan, "vjp", lambda ns, g, out, x: (ns.cos(x) * g * 2,))
    monkeypatch.setattr(plan, "vjp_parts", None)
    _, jvp = func.jvp(engine.sin, (e([0.0, 1.0]),), (e([1.0, 1.0]),))
    np.testing.assert_allclose(jvp.numpy(), 2 * np.cos([0.0, 1.0]))


def test_a_tangent_that_does_not_reach_the_output_gives_zeros():
    value, jvp = func.jvp(lambda a: a.detach() * 2, (e([1.0, 2.0]),), (e([1.0, 1.0]),))
    np.testing.assert_array_equal(value.numpy(), [2.0, 4.0])
    np.testing.assert_array_equal(jvp.numpy(), [0.0, 0.0])


@pytest.mark.parametrize("name, y", [("xlog1py", -1.0), ("xlogy", 0.0)])
def test_masked_log_gradients_stay_finite_in_forward_mode(name, y):
    # At x = 0 and y on log's pole torch masks the x-gradient to 0; a rule computing log y
    # there and masking afterwards gives 0 * -inf = nan once forward mode differentiates it.
    def f(module, x):
        fn = getattr(module.special, name) if module is torch else getattr(module, name)
        return fn(x, module.tensor([y, 0.5], dtype=module.float64)).sum()

    ours = func.jvp(lambda x: f(engine, x), (engine.zeros(2, dtype=engine.float64),),
                    (engine.ones(2, dtype=engine.float64),))[1]
    theirs = torch.func.jvp(lambda x: f(torch, x), (torch.zeros(2, dtype=torch.float64),),
                            (torch.ones(2, dtype=torch.float64),))[1]
    assert np.isfinite(float(ours)) and float(ours) == pytest.approx(float(theirs))
