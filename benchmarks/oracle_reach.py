"""How the exact oracle's time grows with the computation, against the engine on the same program.

    python benchmarks/oracle_reach.py [--quick]

Three ladders of realistic programs: tanh MLPs 6 -> W -> 1 on a batch of 8 (growing width W),
power iteration on a 3x3 matrix (growing number of steps), and matrix chains sum(A B A)
(growing size n).  For each program it prints the scalar operations executed (the elements
produced by every recorded operation, n^2 k per matrix product), the oracle's time for the
exact values and gradients (graph oracle, certified or exact), the engine's float64
forward + backward time on the same program (best of 5), and their ratio, all measured in
this run.  The first rung of each ladder also pays for deriving each op's partials with SymPy
once (later rungs reuse them).  Run it on an otherwise idle machine: other processes distort
the ratios.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the checkout, installed or not


def mlp(width: int) -> str:
    return f"""
  - name: mlp_{width}
    inputs:
      X: {{random: {{dist: normal, seed: 1}}, shape: [8, 6], requires_grad: false}}
      W1: {{random: {{dist: normal, seed: 2, std: 0.4}}, shape: [6, {width}]}}
      b1: {{random: {{dist: normal, seed: 3, std: 0.1}}, shape: [{width}]}}
      W2: {{random: {{dist: normal, seed: 4, std: 0.2}}, shape: [{width}, 1]}}
    expr: mean((tanh(X @ W1 + b1) @ W2) ** 2)
"""


def power(steps: int) -> str:
    return f"""
  - name: power_{steps}
    inputs:
      A: {{value: [[2, 1, 0.5], [1, 3, 0.25], [0.5, 0.25, 1]]}}
      v0: {{value: [1, 1, 1], requires_grad: false}}
    program: |
      v = v0
      for i in range({steps}):
          v = A @ v
          v = v / norm(v)
      r = dot(v, A @ v)
    output: r
"""


def chain(n: int) -> str:
    return f"""
  - name: chain_{n}
    inputs:
      A: {{random: {{dist: uniform, seed: 5, low: -1, high: 1}}, shape: [{n}, {n}]}}
      B: {{random: {{dist: uniform, seed: 6, low: -1, high: 1}}, shape: [{n}, {n}]}}
    expr: sum(tanh(A @ B) @ A)
"""


def case_of(body: str):
    from verifier.cases.loader import load_text
    result = load_text("cases:\n" + body)
    if result.problems:
        sys.exit("\n".join(map(str, result.problems)))
    return result.cases[0]


def oracle(case) -> tuple[float, int, int]:
    """(seconds, recorded operations, scalar operations) of the graph oracle at float64."""
    from verifier.oracle.graph.derivation import GraphDerivation
    from verifier.oracle.graph.products import MatmulRule
    from verifier.oracle.point import case_point
    started = time.perf_counter()
    d = GraphDerivation(case, case_point(case, "float64"), dtype="float64")
    d.derive()
    seconds = time.perf_counter() - started
    scalar = 0
    for node in d.ns.tape.nodes:
        if node.rule is None:
            continue
        size = sum(getattr(t, "size", 0) for t in node.inputs)
        if isinstance(node.rule, MatmulRule):
            size = node.rule.a2.size * node.rule.b2.shape[-1]
        scalar += max(size, 1)
    return seconds, len(d.ns.tape.nodes), scalar


def engine(case, repeats: int = 5) -> float:
    from verifier.backends.engine_backend import EngineBackend
    backend = EngineBackend()
    backend.run(case, "float64")  # warm-up: imports, caches
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        run = backend.run(case, "float64")
        best = min(best, time.perf_counter() - started)
        if run.error_kind:
            sys.exit(f"engine: {run.error_kind}: {run.error_message}")
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the two smallest rungs of each ladder")
    args = parser.parse_args()
    ladders = [("MLP 6-W-1, batch 8", mlp, [4, 16, 64, 256]),
               ("power iteration, steps", power, [5, 10, 20, 40]),
               ("matrix chain n x n", chain, [8, 16, 32, 64])]
    print(f"{'program':<28} {'size':>5} {'ops':>6} {'scalar ops':>11} {'oracle s':>9} "
          f"{'engine s':>9} {'ratio':>7} {'oracle us/op':>13}")
    for title, make, sizes in ladders:
        for size in sizes[:2] if args.quick else sizes:
            case = case_of(make(size))
            seconds, nodes, scalar = oracle(case)
            fast = engine(case)
            print(f"{title:<28} {size:>5} {nodes:>6} {scalar:>11} {seconds:>9.3f} {fast:>9.4f} "
                  f"{seconds / fast:>7.0f} {1e6 * seconds / scalar:>13.2f}")


if __name__ == "__main__":
    main()
