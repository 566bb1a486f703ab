"""The generic-element path agrees with symbol-by-symbol expansion, element for element."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from verifier.cases.loader import load_text
from verifier.ops import registry
from verifier.oracle.backend import SympyOracle
from verifier.oracle.evaluate import as_sympy
from verifier.oracle.reductions import sum_form

PROGRAMS = [
    "mean(3 * (x + 2) ** 2)",
    "sum(exp(x) * y) / sum(y * y + 1)",
    "sqrt(sum(x ** 2)) * mean(sigmoid(x * y))",
    "logsumexp(x, dim=0) - sqrt(sum((x - mean(x)) ** 2) + 1)",
    "sum(relu(x) + abs(y) * x)",
]

values = st.lists(st.sampled_from([-2, -1, 0, 0.5, 1, 3]), min_size=3, max_size=3)


@settings(max_examples=8, deadline=None)
@given(program=st.sampled_from(PROGRAMS), x=values, y=values)
def test_generic_equals_expanded(program, x, y):
    text = f"""cases:
  - name: agree
    inputs: {{x: {{value: {x}}}, y: {{value: {y}}}}}
    expr: {program}
    order: 2
"""
    loaded = load_text(text)
    assert not loaded.problems, loaded.problems
    case = loaded.cases[0]
    generic = SympyOracle(path="generic").run(case, "exact")
    expanded = SympyOracle(path="expand").run(case, "exact")
    assert generic.error_kind == expanded.error_kind, (generic.error_message, expanded.error_message)
    if generic.error_kind:
        return
    _agree(generic, expanded)


def _agree(one, other) -> None:
    """Equal element for element where both are finite numbers (at an undefined point,
    0/0 say, the paths may say NaN or take a limit: that is not what this compares)."""
    for quantity in ("exact_grads", "exact_hvp"):
        for name, g in getattr(one, quantity).items():
            e = getattr(other, quantity)[name]
            for a, b in zip(g.flat, e.flat):
                a, b = as_sympy(a), as_sympy(b)
                if not (a.is_finite and b.is_finite):
                    continue
                assert abs(complex(a - b)) <= 1e-25 * max(1, abs(complex(b))), (quantity, name, a, b)


@settings(max_examples=8, deadline=None)
@given(program=st.sampled_from(PROGRAMS), x=values, y=values)
def test_graph_equals_expanded(program, x, y):
    text = f"""cases:
  - name: agree
    inputs: {{x: {{value: {x}}}, y: {{value: {y}}}}}
    expr: {program}
    order: 2
"""
    case = load_text(text).cases[0]
    graph = SympyOracle(path="graph").run(case, "exact")
    expanded = SympyOracle(path="expand").run(case, "exact")
    assert graph.error_kind is None, graph.error_message
    if expanded.error_kind is None:
        _agree(graph, expanded)


@pytest.mark.parametrize("name, params", [("sum", {}), ("mean", {}), ("logsumexp", {"dim": 0})])
def test_reduction_forms_match_the_registry(name, params):
    op = registry.get(name)
    full = {p.name: p.default for p in op.params}
    full.update(params)
    assert sum_form(op, full, 1) is not None


def test_a_form_that_breaks_the_registry_kink_convention_is_refused():
    # sqrt(Σx²) has no derivative at 0; the registry's norm takes 0 there (torch), so the
    # generic form is refused and norm is expanded.
    op = registry.get("norm")
    full = {p.name: p.default for p in op.params}
    assert sum_form(op, full, 1) is None


def test_partial_reductions_are_expanded():
    op = registry.get("sum")
    assert sum_form(op, {"dim": 0, "keepdim": False}, 2) is None
