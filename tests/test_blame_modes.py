"""Blame across differentiation paths: which of torch's paths agree with the oracle."""

from __future__ import annotations

from verifier.cases.loader import load_paths, shipped_suite
from verifier.compare.paths import by_path, path_of
from verifier.runner import run_case


def test_path_names_for_first_and_second_order_and_cuda_twins():
    assert path_of("torch", "grad.x") == "torch's reverse mode (.backward())"
    assert path_of("torch-fwd", "hvp.x") == "torch's forward-over-reverse (forward_ad)"
    assert path_of("torch-func-cuda", "grad.x") == "torch.func.vjp on CUDA"
    assert path_of("engine-fwd", "grad.x") == "the engine's forward-mode JVPs"


def test_by_path_says_which_paths_agree():
    text = by_path([("torch", True), ("torch-func", True), ("torch-fwd", False),
                    ("torch", True)], "grad.X")
    assert text == ("by path, grad.X: torch's reverse mode (.backward()) and torch.func.vjp "
                    "agree with exact, torch's forward-mode JVPs (forward_ad) does not")
    # One failing row makes its path disagree, even where another dtype agrees.
    assert "torch.func.vjp does not" in by_path([("torch-func", True), ("torch-func", False),
                                                  ("torch", True)], "grad.X")
    assert by_path([("torch", False), ("torch", True)], "grad.X") == ""  # one path only
    assert by_path([("torch", False), ("engine", True)], "value") == ""


def test_singular_det_blames_backward_and_forward_mode_not_torch_func():
    case = next(c for c in load_paths([shipped_suite()]).cases if c.name == "modes_det_singular")
    verdicts = run_case(case, ["torch", "torch-fwd", "torch-func", "sympy"], ["float64"])
    rows = {v.backend: v for v in verdicts}
    assert rows["torch-func"].status == "pass"
    for wrong in ("torch", "torch-fwd"):
        v = rows[wrong]
        assert v.status == "xfail" and v.blame == wrong, v
        assert "torch.func.vjp agrees with exact" in v.message
        assert "forward-mode JVPs (forward_ad)" in v.message.split("agrees with exact")[1]
        assert "torch-func float64 agree with exact" in v.message
    assert rows["sympy"].status == "pass"  # the adjugate claim holds exactly


def test_sqrt_at_zero_fails_forward_mode_only():
    case = next(c for c in load_paths([shipped_suite()]).cases
                if c.name == "modes_sqrt_zero_beside_positive")
    verdicts = run_case(case, ["engine", "engine-fwd", "torch", "torch-fwd", "torch-func",
                               "sympy"], ["float64"])
    rows = {v.backend: v for v in verdicts}
    assert {b: rows[b].status for b in ("engine", "torch", "torch-func")} == dict.fromkeys(
        ("engine", "torch", "torch-func"), "pass")
    for forward in ("engine-fwd", "torch-fwd"):
        assert rows[forward].status == "xfail" and "grad.x[1] = nan" in rows[forward].message
        agree, _, disagree = rows[forward].message.partition("by path, grad.x: ")[2] \
            .partition(" agree with exact, ")
        assert "torch.func.vjp" in agree and "reverse mode" in agree
        assert disagree.startswith(("torch's forward-mode JVPs (forward_ad) and the engine's "
                                    "forward-mode JVPs do not", "the engine's forward-mode JVPs "
                                    "and torch's forward-mode JVPs (forward_ad) do not"))
