"""`verifier show`: the numbers first, the symbolic part capped by default, --full for all."""

from __future__ import annotations

import numpy as np
import sympy

from verifier.cli import main
from verifier.report.show import (
    MAX_SYMBOLIC_LINES,
    MAX_SYMBOLIC_NODES,
    capped_derivative,
    expression_nodes,
)

x = sympy.symbols("x0:60")


def test_a_small_derivative_is_printed_whole():
    expression = 6 * (x[0] + 2) / 4
    assert capped_derivative(expression) == sympy.pretty(expression, use_unicode=True)


def test_a_huge_derivative_is_not_printed_unless_full():
    huge = sum(sympy.tanh(sum(xi * (i + 1) for i, xi in enumerate(x[:k]))) for k in range(1, 40))
    assert expression_nodes(huge, MAX_SYMBOLIC_NODES) > MAX_SYMBOLIC_NODES
    capped = capped_derivative(huge)
    assert capped.startswith(f"(an expression of more than {MAX_SYMBOLIC_NODES} nodes, not printed; "
                             "--full prints all of it)")
    assert len(capped_derivative(huge, full=True)) > 10 * len(capped)


def test_a_tall_printout_stops_after_the_line_cap():
    tall = np.array([[sympy.Rational(1, k + 2) + x[k] for k in range(8)]]).reshape(8, 1)
    # A column of 8 fractions prints about 3 lines per row: 24 lines fit; a smaller cap shows the cut.
    import verifier.report.show as show
    original = show.MAX_SYMBOLIC_LINES
    try:
        show.MAX_SYMBOLIC_LINES = 5
        out = capped_derivative(tall).splitlines()
        assert len(out) == 6 and out[-1].startswith("… (") and "--full prints all of it" in out[-1]
    finally:
        show.MAX_SYMBOLIC_LINES = original
    assert MAX_SYMBOLIC_LINES == original


def test_show_prints_the_numbers_before_the_symbolic_part(tmp_path, capsys):
    path = tmp_path / "c.yaml"
    path.write_text("cases:\n  - name: c\n    inputs: {x: {value: [1.5, 2]}}\n"
                    "    expr: sum(x ** 3)\n")
    assert main(["show", "c", str(path), "--backend", "engine", "--backend", "sympy",
                 "--dtype", "float64"]) == 0
    out = capsys.readouterr().out
    assert out.index("numbers") < out.index("verdicts") < out.index("symbolic derivative")
    assert "3⋅x" in out  # small enough to print in full
