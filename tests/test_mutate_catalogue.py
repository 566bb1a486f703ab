"""The mutation catalogue: generated from registry entries, installable, undoable."""

from __future__ import annotations

import numpy as np
import pytest

import verifier.engine as engine
from verifier.mutate.catalogue import by_id, catalogue, generate, sample
from verifier.mutate.model import BUG_CLASSES
from verifier.mutate.textbook import textbook_forward
from verifier.ops import registry
from verifier.ops.registry import Op
from verifier.ops.symbolic import elementwise, sp

# The bug classes issue 13 names; each must have at least one scored mutant.
REQUIRED_CLASSES = ("sign_flip", "dropped_factor", "dropped_upstream", "wrong_operand",
                    "missing_transpose", "wrong_axis", "keepdim", "negative_dim", "kink",
                    "accumulation", "float64", "unstable_forward", "retain_graph")


def test_every_required_bug_class_has_scored_mutants():
    scored = {m.bug_class for m in catalogue() if not m.equivalent}
    assert set(REQUIRED_CLASSES) <= scored
    assert set(REQUIRED_CLASSES) <= set(BUG_CLASSES)


def test_ids_are_unique_and_every_mutant_has_a_known_class():
    ids = [m.id for m in catalogue()]
    assert len(ids) == len(set(ids))
    assert all(m.bug_class in BUG_CLASSES for m in catalogue())
    assert all(m.rule in ("vjp", "forward", "core") for m in catalogue())


def test_a_new_op_gets_mutants_without_being_listed():
    # An op nobody wrote a mutant for: cube(x) = x^3, d/dx = 3 x^2.
    cube = Op(name="cube_for_test", inputs=("input",), forward=lambda x: x * x * x,
              vjp=lambda ns, g, out, x: (g * 3 * x * x,), sympy=elementwise(lambda a: a ** 3))
    ids = {m.id: m for m in generate([cube])}
    for expected in ("sign_flip:cube_for_test:input", "dropped_factor:cube_for_test",
                     "dropped_upstream:cube_for_test"):
        assert expected in ids and not ids[expected].equivalent
    # Its textbook formula is its forward: an equivalent mutant, not scored.
    assert ids["unstable_forward:cube_for_test"].equivalent


def test_an_unstable_textbook_formula_is_scored_and_a_faithful_one_is_not():
    mutants = by_id()
    for name in ("log1p", "expm1", "logsumexp", "softmax", "log_softmax", "softplus"):
        assert not mutants[f"unstable_forward:{name}"].equivalent, name
    for name in ("exp", "sin", "square"):
        assert mutants[f"unstable_forward:{name}"].equivalent, name


def test_probes_find_mutants_that_change_nothing():
    mutants = by_id()
    assert mutants["wrong_operand:add"].equivalent  # add's VJP never reads its operands
    assert not mutants["wrong_operand:mul"].equivalent
    assert mutants["negative_dim:squeeze"].equivalent  # its VJP reshapes back, dims unused
    assert not mutants["negative_dim:sum"].equivalent


def test_textbook_log1p_cancels_where_log1p_does_not():
    x = np.array([1e-10], dtype=np.float32)
    assert textbook_forward(registry.get("log1p"))(x)[0] == 0
    assert registry.get("log1p").forward(x)[0] == pytest.approx(1e-10, rel=1e-6)


def _grad_of_product():
    x = engine.tensor([1.0, 2.0], requires_grad=True)
    y = engine.tensor([3.0, 5.0], requires_grad=True)
    (x * y).sum().backward()
    return x.grad.numpy().copy(), y.grad.numpy().copy()


def test_installing_a_rule_mutant_changes_the_engine_and_undo_restores_it():
    op_before = registry.get("mul")
    healthy = _grad_of_product()
    undo = by_id()["sign_flip:mul:input"].install()
    try:
        gx, gy = _grad_of_product()
        np.testing.assert_array_equal(gx, -healthy[0])
        np.testing.assert_array_equal(gy, healthy[1])
    finally:
        undo()
    assert registry.get("mul") is op_before
    np.testing.assert_array_equal(_grad_of_product()[0], healthy[0])


def test_the_float64_mutant_leaks_float64_into_a_float32_result():
    undo = by_id()["float64:add"].install()
    try:
        y = engine.tensor([1.0, 2.0], dtype=engine.float32) + 2.0
    finally:
        undo()
    assert y.dtype == engine.float64
    assert (engine.tensor([1.0], dtype=engine.float32) + 2.0).dtype == engine.float32


def test_core_mutants_retain_graph_and_accumulation():
    def twice():
        x = engine.tensor([1.0, 2.0], requires_grad=True)
        y = (x.exp()).sum()
        y.backward()
        y.backward()
        return x.grad.numpy().copy()

    with pytest.raises(RuntimeError, match="second time"):
        twice()
    undo = by_id()["retain_graph:engine.backward"].install()
    try:
        np.testing.assert_allclose(twice(), 2 * np.exp([1.0, 2.0]))
        undo_overwrite = by_id()["accumulation:engine.accumulate"].install()
        try:
            np.testing.assert_allclose(twice(), np.exp([1.0, 2.0]))  # overwritten, not added
        finally:
            undo_overwrite()
    finally:
        undo()
    with pytest.raises(RuntimeError, match="second time"):
        twice()


def test_kink_mutant_takes_the_other_side_at_zero():
    def relu_grad():
        x = engine.tensor([0.0, 1.0], requires_grad=True)
        engine.relu(x).sum().backward()
        return x.grad.numpy().copy()

    np.testing.assert_array_equal(relu_grad(), [0.0, 1.0])
    undo = by_id()["kink:relu:nonstrict"].install()
    try:
        np.testing.assert_array_equal(relu_grad(), [1.0, 1.0])
    finally:
        undo()


def test_the_sample_is_fixed_and_spread_over_the_classes():
    first, second = sample(catalogue(), 20), sample(catalogue(), 20)
    assert [m.id for m in first] == [m.id for m in second]
    assert len(first) == 20 and not any(m.equivalent for m in first)
    assert len({m.bug_class for m in first}) >= 12


def test_sympy_is_only_used_for_the_textbook_formula():
    # The probes evaluate SymPy trees by walking them: no lambdify (exec) anywhere.
    import inspect

    import verifier.mutate.textbook as textbook
    assert "lambdify" not in inspect.getsource(textbook)
    assert sp.log(1) == 0


def test_another_engine_installs_rule_mutants_with_its_own_installer():
    # The seam: an engine with its own rule table receives the replacement callables.
    table = {"mul": (registry.get("mul").forward, registry.get("mul").vjp)}
    calls = []

    def my_installer(name, forward=None, vjp=None):
        calls.append(name)
        before = table[name]
        table[name] = (forward or before[0], vjp or before[1])
        return lambda: table.__setitem__(name, before)

    original = table["mul"]
    undo = by_id()["sign_flip:mul:other"].install(my_installer)
    from verifier.ops.raw import RAW
    grads = table["mul"][1](RAW, np.ones(2), None, np.array([1.0, 2.0]), np.array([3.0, 5.0]))
    np.testing.assert_array_equal(grads[1], [-1.0, -2.0])
    undo()
    assert calls == ["mul"] and table["mul"] == original
    assert registry.get("mul").vjp is original[1]  # our own engine was never touched


def test_the_other_side_of_a_tie_is_no_bug_where_torch_leaves_the_order_open():
    mutants = {m.id: m for m in catalogue()}
    assert "order open" in mutants["kink:topk:nonstrict"].equivalent
    assert not mutants["kink:relu:nonstrict"].equivalent
