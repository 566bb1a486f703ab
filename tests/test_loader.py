"""The case loader: exact values, line numbers, every problem as FILE:LINE: case NAME: ..."""

import textwrap
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from verifier.cases.loader import Problem, load_paths, load_text, shipped_suite
from verifier.lang import ir

DATA = Path(__file__).parent / "data"


def load(text: str):
    return load_text(textwrap.dedent(text), "cases.yaml")


def problems_of(text: str) -> list[str]:
    result = load(text)
    assert not result.cases, "a file with problems must contribute no cases"
    assert result.problems, "expected a problem"
    return [str(p) for p in result.problems]


def one_case(text: str):
    result = load(text)
    assert not result.problems, [str(p) for p in result.problems]
    assert len(result.cases) == 1
    return result.cases[0]


def test_contract_example_loads_exactly():
    result = load_paths([DATA / "good" / "basics.yaml"])
    assert not result.problems
    first, second = result.cases[:2]
    assert first.name == "mean_of_affine_square" and first.line == 2
    assert first.tags == ("seed", "reduction") and first.description.startswith("The notebook")
    assert first.inputs["x"].shape == (2, 2) and first.inputs["x"].kind == "fill"
    assert first.inputs["x"].exact[1, 1] == Fraction(1)
    assert first.expect.value.literal[()] == 27
    assert isinstance(first.expect.grad["x"].expr, ir.BinOp)
    assert first.program.body == () and isinstance(first.program.result, ir.Call)
    assert first.source == "mean(3 * (x + 2) ** 2)"
    assert second.expect.grad["x"].literal[()] == Fraction(9, 2)


def test_numbers_mean_their_decimal_value():
    case = one_case("""
        cases:
          - name: exact
            inputs:
              x: {value: [0.1, "1/3", 1e3, .5, -2, 1_000, 1.5e-3]}
            seed: [1, 1, 1, 1, 1, 1, 1]
            expr: x * 2
        """)
    assert list(case.inputs["x"].exact) == [Fraction(1, 10), Fraction(1, 3), 1000, Fraction(1, 2), -2, 1000,
                                            Fraction(3, 2000)]
    assert case.seed.name == "seed" and not case.seed.requires_grad


def test_random_fill_requires_grad_and_settings():
    case = one_case("""
        cases:
          - name: settings
            inputs:
              x: {random: {dist: normal, seed: 3, mean: 1, std: 2}, shape: [4]}
              u: {random: {dist: uniform, seed: 3, low: -1, high: 1}, shape: [2, 2]}
              w: {fill: 2, shape: [], requires_grad: false}
            expr: sum(x * w) + sum(u)
            backward: {repeat: 2, retain_graph: true}
            order: 2
            dtypes: [float32]
            backends: [engine, sympy]
            tolerance: {float32: {rtol: 1e-4, atol: "1/1000"}}
            xfail: {reason: documented, backends: [fd], dtypes: [float32]}
        """)
    drawn = np.random.default_rng(3).normal(1.0, 2.0, size=(4,))
    assert [float(v) for v in case.inputs["x"].exact] == list(drawn)
    assert case.inputs["x"].exact[0] == Fraction(float(drawn[0]))
    u = np.vectorize(float)(case.inputs["u"].exact)
    assert u.shape == (2, 2) and (np.abs(u) <= 1).all()
    assert case.grad_inputs == ["x", "u"]
    assert (case.backward_repeat, case.retain_graph, case.order) == (2, True, 2)
    assert case.dtypes == ("float32",) and case.backends == ("engine", "sympy")
    assert case.tolerance["float32"].rtol == 1e-4 and case.tolerance["float32"].atol == 0.001
    assert case.xfail.covers("fd", "float32") and not case.xfail.covers("torch", "float32")


def test_program_case_and_claims_over_variables_and_seed():
    result = load_paths([DATA / "good" / "programs.yaml"])
    assert not result.problems, [str(p) for p in result.problems]
    loop = result.cases[0]
    assert loop.program.result == ir.Name("y") and "k" in loop.program.variables
    assert loop.expect.grad["x"].text == "2 ** k * seed"
    assert result.cases[2].expect.error == "nonscalar_output" and result.cases[2].skip.reason


def test_problem_format():
    p = Problem("a.yaml", 3, "c", "expr", "expr: bad")
    assert str(p) == "a.yaml:3: case c: expr: bad"
    assert str(Problem("a.yaml", 3, "", "", "YAML syntax error")) == "a.yaml:3: YAML syntax error"


@pytest.mark.parametrize("body, line, words", [
    ("inputs:\n  x: {fill: 1, shape: [2]}\nexpr: sum(x)\nexpct: {value: 2}", 6, "did you mean 'expect'"),
    ("inputs:\n  x: {fil: 1, shape: [2]}\nexpr: sum(x)", 4, "did you mean 'fill'"),
    ("inputs:\n  x: {fill: 1, shape: [2]}\nexpr: exq(x)", 5, "did you mean 'exp'"),
    ("inputs:\n  x: {fill: 1, shape: [2]}\nexpr: sum(y)", 5, "name 'y' is not defined"),
    ("inputs:\n  x: {fill: 1, shape: [2]}", 2, "exactly one of 'expr'"),
    ("inputs:\n  x: {fill: 1, shape: [2]}\nexpr: sum(x)\nprogram: y = x\noutput: y", 2, "found both"),
    ("inputs:\n  x: {fill: 1, shape: [2]}\nprogram: y = x", 5, "needs 'output"),
    ("inputs:\n  x: {fill: 1, shape: [2]}\nprogram: |\n  y = x\n  z = open(y)\noutput: y", 7,
     "unknown function 'open'"),
    ("inputs:\n  x: {fill: 1}\nexpr: sum(x)", 4, "needs a shape"),
    ("inputs:\n  x: {fill: 1, value: 2}\nexpr: sum(x)", 4, "found value and fill"),
    ("inputs:\n  x: {fill: 1, shape: [2, a]}\nexpr: sum(x)", 4, "expected an integer"),
    # IEEE values are input values (fill: .inf is fine), never a distribution's parameter
    ("inputs:\n  x: {random: {dist: uniform, seed: 1, low: .inf}, shape: [2]}\nexpr: sum(x)", 4,
     "infinite and NaN"),
    ("inputs:\n  x: {value: [[1, 2], [3]]}\nexpr: sum(x)", 4, "ragged"),
    ("inputs:\n  x: {fill: 1, shape: [100000, 100000]}\nexpr: sum(x)", 4, "beyond the limit"),
    ("inputs:\n  x: {random: {dist: gauss, seed: 1}, shape: [2]}\nexpr: sum(x)", 4, "uniform or normal"),
    ("inputs:\n  x: {random: {dist: uniform}, shape: [2]}\nexpr: sum(x)", 4, "needs a seed"),
    ("inputs:\n  x: {random: {dist: uniform, seed: 1, std: 2}, shape: [2]}\nexpr: sum(x)", 4,
     "does not apply"),
    ("inputs:\n  x: {fill: 1, shape: [2], requires_grad: yes please}\nexpr: sum(x)", 4, "true or false"),
    # An input may shadow a function, as in Python; calling the shadowed name is the problem.
    ("inputs:\n  sum: {fill: 1, shape: [2]}\nexpr: sum(sum)", 5, "'sum' is a variable here"),
    ("inputs:\n  pi: {fill: 1, shape: [2]}\nexpr: sum(pi)", 4, "reserved"),
    ("inputs:\n  seed: {fill: 1, shape: [2]}\nexpr: sum(seed)", 4, "reserved"),
    ("inputs:\n  2x: {fill: 1, shape: [2]}\nexpr: sum(x)", 4, "not a valid name"),
    ("inputs:\n  x: {fill: 1, shape: [2]}\nexpr: exp(x)", 5, "needs a seed"),
    ("inputs:\n  x: {fill: 1, shape: [2]}\nexpr: exp(x)\nseed: [1, 2, 3]", 6, "must match"),
    ("inputs:\n  x: {fill: 1, shape: [2]}\nexpr: sum(x)\nexpect: {grad: {y: 1}}", 6, "'y' is not an input"),
    ("inputs:\n  x: {fill: 1, shape: [2], requires_grad: false}\nexpr: sum(x)\nexpect: {grad: {x: 1}}", 6,
     "requires_grad: false"),
    ("inputs:\n  x: {fill: 1, shape: [2]}\nexpr: sum(x)\nexpect: {grad: {x: seed}}", 6,
     "name 'seed' is not defined"),
    ("inputs:\n  x: {fill: 1, shape: [2]}\nexpr: sum(x)\nexpect: {error: boom}", 6, "unknown error kind"),
    ("inputs:\n  x: {fill: 1, shape: [2]}\nexpr: sum(x)\nexpect: {error: shape, value: 1}", 6, "excludes"),
    ("inputs:\n  x: {fill: 1, shape: [2]}\nexpr: sum(x)\nxfail: {backends: [fd]}", 6, "needs a reason"),
    ("inputs:\n  x: {fill: 1, shape: [2]}\nexpr: sum(x)\nskip: maybe", 6, "expected a mapping"),
    ("inputs:\n  x: {fill: 1, shape: [2]}\nexpr: sum(x)\ndtypes: [floot64]", 6, "did you mean 'float64'"),
    ("inputs:\n  x: {fill: 1, shape: [2]}\nexpr: sum(x)\nbackends: [torch, torch]", 6, "listed twice"),
    ("inputs:\n  x: {fill: 1, shape: [2]}\nexpr: sum(x)\norder: 3", 6, "from 1 to 2"),
    ("inputs:\n  x: {fill: 1, shape: [2]}\nexpr: sum(x)\nbackward: {repeat: 0}", 6, "from 1 to 100"),
    ("inputs:\n  x: {fill: 1, shape: [2]}\nexpr: sum(x)\ntolerance: {float32: {rtol: 1}}", 6,
     "both rtol and atol"),
    ("inputs:\n  x: {fill: 1, shape: [2]}\nexpr: sum(x)\ntags: nope", 6, "list of text"),
    ("inputs: [x]\nexpr: sum(x)", 3, "expected a mapping"),
    ("inputs:\n  x: {fill: 1, shape: [2]}\nexpr: 3", 5, "expected text"),
])
def test_each_problem_names_file_line_and_case(body, line, words):
    text = "cases:\n  - name: broken\n" + textwrap.indent(body, "    ") + "\n"
    found = problems_of(text)
    assert any(p.startswith(f"cases.yaml:{line}: case broken: ") and words in p for p in found), found


def test_every_problem_is_reported_not_only_the_first():
    found = problems_of("""
        cases:
          - name: many
            inpts: {}
            inputs:
              x: {vaule: 1}
              q: {value: [[1, 2], [3]]}
            expr: exq(x)
            dtypes: [float8]
            order: 3
        """)
    assert len(found) >= 6
    for words in ("inpts", "vaule", "ragged", "exq", "float8", "order"):
        assert any(words in p for p in found), (words, found)


def test_name_problems():
    assert any("needs a name" in p for p in problems_of("cases:\n  - inputs: {}\n    expr: 1\n"))
    assert any("not a valid case name" in p for p in problems_of(
        "cases:\n  - name: a b\n    inputs: {}\n    expr: 1\n"))


def test_flow_mapping_trap_gets_a_hint():
    found = [str(p) for p in load_paths([DATA / "bad" / "flow_trap.yaml"]).problems]
    assert found and all("flow_trap.yaml:8: case softmax_trap:" in p for p in found)
    assert any("YAML split this flow mapping" in p and "quote it" in p for p in found)


def test_duplicate_keys_are_reported():
    found = [str(p) for p in load_paths([DATA / "bad" / "duplicate_key.yaml"]).problems]
    assert any("duplicate_key.yaml:6: case dup: duplicate key 'expr' (first at line 5)" in p for p in found)


def test_yaml_syntax_error_and_tabs():
    syntax = [str(p) for p in load_paths([DATA / "bad" / "syntax.yaml"]).problems]
    assert syntax[0].startswith("tests/data/bad/syntax.yaml:4: YAML syntax error") or \
        ":4: YAML syntax error" in syntax[0]
    assert "started at line 3" in syntax[0] and "Traceback" not in syntax[0]
    tabs = [str(p) for p in load_paths([DATA / "bad" / "tabs.yaml"]).problems]
    assert ":4: " in tabs[0] and "tabs" in tabs[0]


def test_ragged_list_names_the_row():
    found = [str(p) for p in load_paths([DATA / "bad" / "ragged.yaml"]).problems]
    assert any(":7: case ragged_value: inputs.x.value[1] has 1 items" in p for p in found)


def test_line_inside_a_block_program():
    found = problems_of("""
        cases:
          - name: blocky
            inputs:
              x: {fill: 1, shape: [2]}
            program: |
              y = x * 2
              y = y +
            output: y
        """)
    assert any(p.startswith("cases.yaml:8: case blocky: program:") and "line 2 of the text" in p
               for p in found), found


def test_duplicate_case_names_within_and_across_files():
    within = load("""
        cases:
          - name: twin
            inputs: {x: {fill: 1, shape: []}}
            expr: x
          - name: twin
            inputs: {x: {fill: 1, shape: []}}
            expr: x
        """)
    found = [str(p) for p in within.problems]
    assert any("cases.yaml:6: case twin: name: the case name 'twin' is already used at cases.yaml:3" in p
               for p in found)
    assert [c.line for c in within.cases] == [3]  # the first keeps the name; the second is out
    across = load_paths([DATA / "dupnames"])
    assert [c.file.endswith("a.yaml") for c in across.cases] == [True]
    assert len(across.problems) == 1
    assert "b.yaml:2: case shared_name:" in str(across.problems[0])
    assert "a.yaml:2" in str(across.problems[0])


def test_broken_file_does_not_stop_the_others(tmp_path):
    (tmp_path / "a_good.yaml").write_text((DATA / "good" / "basics.yaml").read_text())
    (tmp_path / "b_bad.yaml").write_text((DATA / "bad" / "typo_key.yaml").read_text())
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c_good.yml").write_text((DATA / "good" / "programs.yaml").read_text())
    result = load_paths([tmp_path])
    assert len(result.cases) == 7
    assert len(result.problems) == 1 and "b_bad.yaml:6: case typo:" in str(result.problems[0])
    assert result.cases[0].file == str(tmp_path / "a_good.yaml")


def test_every_bad_file_fails_and_contributes_nothing():
    for path in sorted((DATA / "bad").glob("*.yaml")):
        result = load_paths([path])
        assert result.problems and not result.cases, path
        for p in result.problems:
            assert str(p).startswith(p.file + ":") and p.line >= 1


def test_missing_path_and_empty_or_wrong_top_level(tmp_path):
    assert "no such file" in str(load_paths([tmp_path / "nope.yaml"]).problems[0])
    assert any("empty" in str(p) for p in load_text("", "e.yaml").problems)
    assert any("top level must be a mapping" in str(p) for p in load_text("- 1\n", "e.yaml").problems)
    assert any("needs 'cases:'" in str(p) for p in load_text("cass: []\n", "e.yaml").problems)
    assert any("did you mean 'cases'" in str(p) for p in load_text("cass: []\n", "e.yaml").problems)


def test_relative_display_path(monkeypatch, tmp_path):
    (tmp_path / "c.yaml").write_text((DATA / "good" / "basics.yaml").read_text())
    monkeypatch.chdir(tmp_path)
    assert load_paths([tmp_path / "c.yaml"]).cases[0].file == "c.yaml"


def test_file_size_limit(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_text("cases: []\n" + "#" * 1_100_000)
    assert "beyond the limit" in str(load_paths([big]).problems[0])


def test_aliases_cannot_blow_up_a_value():
    rows = "\n".join(f"  r{i}: &r{i} [*r{i - 1}, *r{i - 1}, *r{i - 1}, *r{i - 1}]" for i in range(1, 14))
    text = f"defs:\n  r0: &r0 [1, 2, 3, 4]\n{rows}\ncases:\n  - name: bomb\n    inputs:\n" \
           f"      x: {{value: *r13}}\n    expr: sum(x)\n"
    found = [str(p) for p in load_text(text, "bomb.yaml").problems]
    assert any("nested more than 8 deep" in p for p in found)
    # 4**8 elements through aliases: within the limits, so only the unknown top-level key is reported.
    flat = "defs:\n  r0: &r0 [1, 2, 3, 4]\n" + "\n".join(
        f"  r{i}: &r{i} [*r{i - 1}, *r{i - 1}, *r{i - 1}, *r{i - 1}]" for i in range(1, 8)) + \
        "\ncases:\n  - name: fine\n    inputs:\n      x: {value: *r7}\n    expr: sum(x)\n"
    assert [p.message for p in load_text(flat, "ok.yaml").problems] == [
        "defs: unknown key 'defs'; known keys: cases"]


def test_shipped_suite_location():
    # A checkout (and an editable install) runs the top-level cases/ folder.
    assert shipped_suite().name == "cases" and (shipped_suite().parent / "pyproject.toml").is_file()
