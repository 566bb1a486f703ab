"""The shipped divergence case: float32 takes another loop count and is judged on its own path."""

from __future__ import annotations

from fractions import Fraction

from verifier.cases.loader import load_paths, shipped_suite
from verifier.runner import run_case

NAME = "program_float32_takes_another_loop_count"


def test_float32_rows_diverge_and_pass_on_their_own_path():
    case = next(c for c in load_paths([shipped_suite()]).cases if c.name == NAME)
    got = {(v.backend, v.dtype): v for v in run_case(case, ["engine", "torch", "sympy"], None)}
    for backend in ("engine", "torch"):
        f32, f64 = got[(backend, "float32")], got[(backend, "float64")]
        assert f32.diverged and f32.status == "pass", f32.message
        assert "while ran 5 times, exactly 6" in f32.message
        assert not f64.diverged and f64.status == "pass"
    assert got[("sympy", "exact")].status == "pass"


def test_the_case_really_sits_on_the_threshold():
    # Exactly: six steps; in float32 arithmetic: five. (The premise the case depends on.)
    import numpy as np
    x = Fraction(13021663, 2097152)
    steps_exact = next(k for k in range(20) if x * Fraction(11, 10) ** k >= 10)
    y, steps_f32 = np.float32(float(x)), 0
    while y < np.float32(10):
        y, steps_f32 = np.float32(y * np.float32(1.1)), steps_f32 + 1
    assert (steps_exact, steps_f32) == (6, 5)
