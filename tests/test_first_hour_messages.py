"""The messages a new user meets in the first hour: one clear problem from `verifier check`
(exit 2) instead of six error rows of six wordings."""

from __future__ import annotations

import textwrap

import pytest

from verifier.cases.loader import load_text
from verifier.cli import main


def case(body: str, name: str = "c") -> str:
    return f"cases:\n  - name: {name}\n" + textwrap.indent(textwrap.dedent(body), "    ")


def problems(text: str) -> list[str]:
    result = load_text(text, "c.yaml")
    assert result.cases == [], "expected the case to be refused"
    return [str(p) for p in result.problems]


@pytest.mark.parametrize("expr, expected", [
    ("np.sum(x)", "functions are called without a module prefix: write sum(x), not np.sum(x)"),
    ("torch.sum(x * 2)", "write sum(x * 2), not torch.sum(x * 2)"),
    ("torch.linalg.det(A)", "write det(A), not torch.linalg.det(A)"),
    ("linalg.det(A)", "write det(A), not linalg.det(A)"),
    ("np.frobnicate(x)", "'frobnicate' is not a function of the case language"),
    ("sum(x ^ 2)", "in Python it is bitwise xor, not a power); for a power write x ** 2"),
    ("sum(x[x > 0])", "boolean-mask indexing (x[x > 0]) is not supported"),
    ("sum(x[not x])", "boolean-mask indexing"),
])
def test_habits_from_numpy_and_torch_get_a_hint(expr, expected):
    text = case(f"""\
        inputs:
          x: {{value: [1, -2, 3]}}
          A: {{value: [[1, 2], [3, 4]]}}
        expr: "{expr}"
    """)
    (found,) = problems(text)
    assert found.startswith("c.yaml:6: case c: expr: ") and expected in found, found


def test_a_shape_mismatch_is_one_static_problem_and_exit_2(tmp_path, capsys):
    path = tmp_path / "c.yaml"
    path.write_text(case("""\
        inputs:
          A: {fill: 1, shape: [3, 2]}
          v: {fill: 1, shape: [3]}
        expr: sum(A @ v)
    """))
    assert main(["check", str(path)]) == 2
    out = capsys.readouterr().out.splitlines()
    assert out[0].endswith("c.yaml:6: case c: expr: '@': mat1 and mat2 shapes cannot be multiplied "
                           "(3x2 and 3); the last dimension of the first must equal the first (or "
                           "second-to-last) of the second")
    assert len(out) == 2 and "gufunc" not in out[0]
    assert main(["run", str(path), "--no-progress", "--workers", "1"]) == 2
    captured = capsys.readouterr()
    assert captured.err.count("cannot be multiplied") == 1


def test_a_broadcast_mismatch_in_a_program_names_its_line():
    (found,) = problems(case("""\
        inputs:
          x: {fill: 1, shape: [3]}
          y: {fill: 1, shape: [2]}
        program: |
          z = x * 2
          w = z + y
        output: w
        seed: [1, 1, 1]
    """))
    assert found.startswith("c.yaml:8: case c: program: '+': operands could not be broadcast"), found
    assert found.endswith("(line 2 of the text)")


def test_a_mask_held_in_a_variable_is_refused_by_check():
    (found,) = problems(case("""\
        inputs:
          x: {value: [1, -2, 3]}
        program: |
          m = x > 0
          y = sum(x[m])
        output: y
    """))
    assert "program: boolean-mask indexing is not supported" in found, found


@pytest.mark.parametrize("body", [
    """\
    inputs:
      t: {value: [1, -2, 3]}
    expr: sum(t * t) + sum(t.t())
    """,
    """\
    inputs:
      x: {value: [[1, 2], [3, 4]]}
    program: |
      y = x
      for t in range(3):
          y = y * 2 + t
      exp = sum(y)
      out = exp * t
    output: out
    """,
])
def test_variables_may_shadow_function_names(body):
    result = load_text(case(body), "c.yaml")
    assert not result.problems, [str(p) for p in result.problems]
    assert len(result.cases) == 1


def test_calling_a_shadowed_function_says_why():
    (found,) = problems(case("""\
        inputs:
          t: {value: [[1, 2], [3, 4]]}
        expr: sum(t(t))
    """))
    assert "'t' is a variable here (an input or an assigned name), so it cannot be called" in found


def test_a_shadowing_input_runs_on_every_backend():
    from verifier.runner import run_case
    text = case("""\
        inputs:
          t: {value: [1.5, -2, 3]}
        expr: sum(t * t)
        expect:
          grad: {t: 2 * t}
    """)
    verdicts = run_case(load_text(text, "c.yaml").cases[0], timeout=None)
    assert verdicts and all(v.status == "pass" for v in verdicts), verdicts


def test_a_domain_error_names_the_element_once():
    (found,) = problems(case("""\
        inputs:
          x: {value: [1, -2, 3]}
        expr: sum(log(x))
    """))
    assert found == ("c.yaml:5: case c: expr: log() is not real at element [1] of its result "
                     "(operand -2): the case leaves the real domain, so it has no real derivative "
                     "to check; change the inputs")
    assert "other:" not in found


def test_a_masked_domain_error_is_not_a_problem():
    # where() computes both branches: the NaN of sqrt(-2) never reaches the output.
    result = load_text(case("""\
        inputs:
          x: {value: [1, -2, 3]}
        expr: sum(where(x > 0, sqrt(x), 0 * x))
    """), "c.yaml")
    assert not result.problems, [str(p) for p in result.problems]


def test_an_endless_while_stops_at_the_iteration_cap_in_check():
    (found,) = problems(case("""\
        inputs:
          x: {value: [1, 2, 3]}
        program: |
          y = x
          while sum(y) > 0:
              y = y * 1
        output: y
        seed: [1, 1, 1]
    """))
    assert found.startswith("c.yaml:6: case c: program: program line 2: the while loop ran more "
                            "than 10000 iterations (the cap of one loop, docs/cases.md)"), found


def test_an_expected_shape_error_is_left_to_the_run():
    result = load_text(case("""\
        inputs:
          A: {fill: 1, shape: [3, 2]}
          v: {fill: 1, shape: [3]}
        expr: sum(A @ v)
        expect: {error: shape}
    """), "c.yaml")
    assert not result.problems and len(result.cases) == 1
