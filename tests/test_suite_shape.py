"""The shipped suite (cases/*.yaml): it loads cleanly and covers what it promises.

Coverage is read from the parsed program IR, not from the text, so a function named only in
a comment or a description does not count, and `x + y` counts as `add`.
"""

from __future__ import annotations

import dataclasses
from collections import Counter

import pytest

from verifier.backends.base import ERROR_KINDS
from verifier.cases.loader import load_paths, shipped_suite
from verifier.lang import ir
from verifier.ops.registry import language_functions

# The operators of the language and the registered function each one means.
BINARY_OPERATORS = {"+": "add", "-": "sub", "*": "mul", "/": "div", "**": "pow", "@": "matmul"}
UNARY_OPERATORS = {"-": "neg"}
# Most elements any input may have, except in cases tagged `large` (the generic-element path).
SMALL_INPUT_ELEMENTS = 16
# The oracle expands det and inverse symbolically: matrices stay small.
LARGEST_SYMBOLIC_MATRIX = 4


@pytest.fixture(scope="module")
def suite():
    result = load_paths([shipped_suite()])
    assert not result.problems, "\n".join(str(p) for p in result.problems)
    return result.cases


def walk(node):
    """Every IR node under `node` (statements, expressions, slices), depth first."""
    if isinstance(node, (list, tuple)):
        for item in node:
            yield from walk(item)
    elif dataclasses.is_dataclass(node) and not isinstance(node, type):
        yield node
        for f in dataclasses.fields(node):
            yield from walk(getattr(node, f.name))


def functions_called(case) -> set[str]:
    """The registered functions a case's computation uses, operators included."""
    used = set()
    for node in walk(case.program):
        if isinstance(node, ir.Call):
            used.add(node.func)
        elif isinstance(node, ir.BinOp) and node.op in BINARY_OPERATORS:
            used.add(BINARY_OPERATORS[node.op])
        elif isinstance(node, ir.UnaryOp) and node.op in UNARY_OPERATORS:
            used.add(UNARY_OPERATORS[node.op])
        elif isinstance(node, ir.AugAssign):
            used.add(BINARY_OPERATORS[node.op])
    return used


def coverable_functions() -> dict:
    return {name: op for name, op in language_functions().items() if op.kind != "meta"}


def test_suite_has_at_least_80_cases(suite):
    assert len(suite) >= 80, f"the shipped suite has {len(suite)} cases; the issue asks for at least 80"


def test_case_names_are_unique(suite):
    repeated = [name for name, n in Counter(c.name for c in suite).items() if n > 1]
    assert not repeated, f"case names used more than once: {repeated}"


def test_every_case_says_what_it_checks(suite):
    undocumented = [c.name for c in suite if not c.description.strip() or not c.tags]
    assert not undocumented, f"cases without a description or tags: {undocumented}"


def test_every_function_is_used_at_first_order(suite):
    used = set().union(*(functions_called(c) for c in suite))
    missing = sorted(set(coverable_functions()) - used)
    assert not missing, f"registered functions that no shipped case calls: {missing}; add a case"


def test_every_differentiable_function_is_used_at_second_order(suite):
    twice = {name for name, op in coverable_functions().items() if op.vjp is not None}
    used = set().union(*(functions_called(c) for c in suite if c.order == 2))
    missing = sorted(twice - used)
    assert not missing, (f"differentiable functions that no `order: 2` case calls: {missing}; "
                         f"add them to cases/second_order.yaml")


def test_every_error_kind_has_a_case(suite):
    expected = {c.expect.error for c in suite if c.expect.error}
    missing = sorted(set(ERROR_KINDS) - expected)
    assert not missing, f"error kinds of the contract without a case: {missing}"


def test_the_seed_notebook_derivations_are_cases(suite):
    seed_cases = [c for c in suite if "seed" in c.tags]
    texts = " | ".join(c.source for c in seed_cases)
    assert "mean(3 * (x + 2) ** 2)" in texts
    assert "while norm(y) < 1000" in texts
    assert any(c.backward_repeat == 2 and c.retain_graph for c in seed_cases)
    assert {"backward_twice", "nonscalar_output"} <= {c.expect.error for c in seed_cases}
    claims = {claim.text for c in seed_cases for claim in c.expect.grad.values()}
    assert {"6 * (x + 2) / 4", "2 ** k * seed"} <= claims, claims


def test_inputs_stay_small_except_large_cases(suite):
    # `realistic` cases (cases/realistic.yaml) are sized as practitioners' programs are
    too_big = [(c.name, name, spec.shape) for c in suite
               if "large" not in c.tags and "realistic" not in c.tags
               for name, spec in c.inputs.items() if spec.exact.size > SMALL_INPUT_ELEMENTS]
    assert not too_big, f"inputs over {SMALL_INPUT_ELEMENTS} elements outside `large` cases: {too_big}"
    large = [c for c in suite if "large" in c.tags]
    assert large and all(max(s.exact.size for s in c.inputs.values()) >= 10_000 for c in large), \
        "the suite needs a `large` case (10^4 elements or more) for the oracle's generic-element path"


def test_symbolic_linear_algebra_stays_small(suite):
    for case in suite:
        if functions_called(case) & {"det", "inverse"}:
            for name, spec in case.inputs.items():
                assert all(n <= LARGEST_SYMBOLIC_MATRIX for n in spec.shape), \
                    f"{case.name}: input {name} of shape {spec.shape} is too large for det/inverse"


def test_markers_give_reasons(suite):
    for case in suite:
        for marker in (case.xfail, case.skip):
            assert marker is None or marker.reason.strip(), f"{case.name}: xfail/skip without a reason"


def test_walk_counts_operators_as_functions():
    # The coverage helper itself: operators and in-place ops map to their functions.
    program = ir.Program(
        body=(ir.AugAssign("y", "*", ir.Name("x")),),
        result=ir.UnaryOp("-", ir.BinOp("@", ir.Name("y"), ir.Call("exp", (ir.Name("x"),)))))
    case = dataclasses.make_dataclass("FakeCase", ["program"])(program)
    assert functions_called(case) == {"mul", "neg", "matmul", "exp"}


def test_docs_name_every_function():
    import re
    from pathlib import Path

    docs = (Path(__file__).resolve().parent.parent / "docs" / "cases.md").read_text(encoding="utf-8")
    missing = [name for name in language_functions() if not re.search(rf"`[^`]*\b{name}\b[^`]*`", docs)]
    assert not missing, f"docs/cases.md does not list these registered functions: {missing}"
