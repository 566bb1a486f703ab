"""Random compositions of registered functions agree on every backend, end to end.

Each seed builds an expression from elementwise functions, binary operators,
numbers and reductions over a dim, writes it as a case, and runs it through
the real loader, runner, backends, oracle and judge.  Any row that does not
pass is a disagreement between independent implementations, or a gap in the
pipeline (fuzzing this way found that `sigmoid(0.5)` failed on torch and ran
in float32 on the engine).
"""

from __future__ import annotations

import random

import pytest
from sympy_work import WorkBudgetExceeded, sympy_node_budget

from verifier.cases.loader import load_text
from verifier.runner import run_case

# Work budgets in SymPy expression nodes (see sympy_work.py), not seconds: the largest
# case below creates about 8 000 (random) and 123 000 (FOUND) nodes; the Piecewise
# folding these guard against created millions.
RANDOM_NODE_BUDGET = 100_000
FOUND_NODE_BUDGET = 600_000

UNARY = ("sin", "cos", "tanh", "sigmoid", "atan", "erf", "square", "softplus", "abs", "relu")
BOUNDED = ("exp", "sinh", "expm1")  # applied to tanh(...) so that values stay moderate
REDUCTIONS = ("softmax({}, dim=-1)", "log_softmax({}, dim=-1)",
              "({0} - mean({0}, dim=-1, keepdim=true))")
FINAL = ("sum({})", "mean({})", "logsumexp({}, dim=-1).sum()")


def expression(rng: random.Random, depth: int) -> str:
    if depth == 0 or rng.random() < 0.2:
        return rng.choice(["x", "y", "x", "y", "0.5", "2"])
    r = rng.random()
    if r < 0.45:
        return f"{rng.choice(UNARY)}({expression(rng, depth - 1)})"
    if r < 0.55:
        return f"{rng.choice(BOUNDED)}(tanh({expression(rng, depth - 1)}))"
    if r < 0.85:
        op = rng.choice(["+", "-", "*"])
        return f"({expression(rng, depth - 1)} {op} {expression(rng, depth - 1)})"
    return rng.choice(REDUCTIONS).format(expression(rng, depth - 1))


def random_case(seed: int) -> tuple[str, str]:
    rng = random.Random(seed)
    body = rng.choice(FINAL).format(expression(rng, 4))
    return body, f"""cases:
  - name: random_{seed}
    inputs:
      x: {{random: {{dist: uniform, seed: {seed}, low: -1, high: 1}}, shape: [2, 3]}}
      y: {{random: {{dist: uniform, seed: {seed + 1000}, low: -1, high: 1}}, shape: [3]}}
    expr: "{body}"
"""


@pytest.mark.parametrize("seed", range(12))
def test_random_composition_agrees_everywhere(seed):
    body, text = random_case(seed)
    loaded = load_text(text)
    assert not loaded.problems, (body, [str(p) for p in loaded.problems])
    with sympy_node_budget(RANDOM_NODE_BUDGET):
        verdicts = run_case(loaded.cases[0], ["engine", "torch", "sympy", "fd"], None, timeout=None)
    bad = [(v.backend, v.dtype, v.status, v.message) for v in verdicts
           if v.status not in ("pass", "skip")]
    assert not bad, (body, bad)


# Found by the fuzzing above with amax and norm added: kink conventions written as
# Piecewise made SymPy spend minutes folding conditions between large expressions (or
# overflow its recursion); as TieShare/ZeroAtOrigin, and with Piecewise branches resolved
# at the point, they take a bounded amount of work.
FOUND = (
    "amax(abs((sin(2) * softplus((2 * y)))))",
    "amax(abs((erf((2 * 0.5)) - tanh(softmax(x, dim=-1)))))",
    "norm((log_softmax(log_softmax(abs(y), dim=-1), dim=-1) + ((x - (x - y)) * square(exp(tanh(y))))))",
    # relu's Piecewise inside a softmax: resolved at the point (PointNamespace), 3 s not minutes.
    "sum(softmax((sinh(tanh(log_softmax(x, dim=-1))) * relu((x + 0.5))), dim=-1))",
)


@pytest.mark.parametrize("body", FOUND)
def test_compositions_under_amax_and_norm_stay_within_a_work_budget(body):
    text = f"""cases:
  - name: found
    inputs:
      x: {{random: {{dist: uniform, seed: 29, low: -1, high: 1}}, shape: [2, 3]}}
      y: {{random: {{dist: uniform, seed: 1029, low: -1, high: 1}}, shape: [3]}}
    expr: "{body}"
"""
    with sympy_node_budget(FOUND_NODE_BUDGET):
        verdicts = run_case(load_text(text).cases[0], ["engine", "torch", "sympy"], None, timeout=None)
    bad = [(v.backend, v.dtype, v.status, v.message) for v in verdicts if v.status != "pass"]
    assert not bad, bad


def test_the_work_budget_stops_a_case_that_exceeds_it():
    # The budget is a real limit: the largest FOUND case's symbolic derivation (the
    # monolithic SymPy path that `verifier show` and identity proofs use) does not fit
    # in a small one.  (The graph oracle that judges rows derives each op's partials
    # once and caches them, so a run may create few nodes.)
    from verifier.oracle.backend import symbolic_derivation
    from verifier.oracle.point import case_point

    text = f"""cases:
  - name: found
    inputs:
      x: {{random: {{dist: uniform, seed: 29, low: -1, high: 1}}, shape: [2, 3]}}
      y: {{random: {{dist: uniform, seed: 1029, low: -1, high: 1}}, shape: [3]}}
    expr: "{FOUND[-1]}"
"""
    case = load_text(text).cases[0]
    with pytest.raises(WorkBudgetExceeded), sympy_node_budget(1_000) as counter:
        symbolic_derivation(case, case_point(case, "exact"), None)
    assert counter.created == 1_001
