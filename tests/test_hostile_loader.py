"""Issue 10's reproducers for loading: each one a FILE:LINE problem, never a traceback, and
never an allocation past the limits (verifier/limits.py, docs/security.md)."""

from __future__ import annotations

import tracemalloc

import pytest

from verifier import limits
from verifier.cases.budget import LoadBudget, load_budget
from verifier.cases.loader import load_paths, load_text

CASE = """\
cases:
  - name: c
    inputs:
{inputs}
    expr: {expr}
{extra}"""


def case(inputs: str, expr: str = "sum(x)", extra: str = "") -> str:
    return CASE.format(inputs=inputs, expr=expr, extra=extra)


def one_problem(text: str):
    result = load_text(text, "f.yaml")
    assert not result.cases and result.problems, result
    return result.problems


# Defect 2: each of these crashed the loader (traceback, exit 1, the other files unchecked).
CRASHERS = {
    "uniform low 1e1000": (case("      x: {random: {dist: uniform, seed: 0, low: 1e1000}, shape: [2]}"),
                           4, "float64's range"),
    "uniform range overflows": (case("      x: {random: {dist: uniform, seed: 0, low: -1e308, high: 1e308}, "
                                     "shape: [2]}"), 4, "overflows"),
    "normal std 1e308": (case("      x: {random: {dist: normal, seed: 0, std: 1e308}, shape: [1000]}"),
                         4, "infinite"),
    "rtol 1e1000": (case("      x: {value: 1}", extra="    tolerance: {float64: {rtol: 1e1000, atol: 0}}\n"),
                    6, "tolerance.float64.rtol"),
    "40 dimensions": (case("      x: {fill: 1, shape: [" + ", ".join(["1"] * 40) + "]}"), 4, "40 dimensions"),
    "70 dimensions": (case("      x: {fill: 1, shape: [" + ", ".join(["1"] * 70) + "]}"), 4, "70 dimensions"),
    "zero times huge": (case("      x: {fill: 1, shape: [0, 1000000000000, 1000000000000]}"), 4,
                        "zero sizes counted as one"),
    "5000-digit string": (case('      x: {value: "' + "1" * 5000 + '"}'), 4, "5000 characters"),
    "5000-digit number": (case("      x: {value: " + "7" * 5000 + "}"), 4, "5000 characters"),
    "1e1000 in a value": (case("      x: {value: [1e1000]}"), 4, "float64's range"),
    "fill 1e400": (case("      x: {fill: 1e400, shape: [2]}"), 4, "float64's range"),
}


@pytest.mark.parametrize("text, line, phrase", CRASHERS.values(), ids=list(CRASHERS))
def test_extreme_data_is_a_problem_at_its_line(text, line, phrase):
    problems = one_problem(text)
    assert any(p.line == line and phrase in p.message for p in problems), [str(p) for p in problems]


def test_sixty_large_inputs_stop_at_the_case_budget_before_allocating(tmp_path):
    inputs = "\n".join(f"      x{i}: {{fill: 1, shape: [10000000]}}" for i in range(60))
    tracemalloc.start()
    problems = one_problem(case(inputs, "sum(x0)"))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert any("per case" in p.message for p in problems)
    assert peak < 300e6  # one 10⁷-element input (80 MB of pointers), not 60 of them (4.8 GB)


def _alias_file(cases: int) -> str:
    """`cases` cases whose four inputs each name one alias of 10⁶ elements (60 lines of YAML);
    the anchors are defined in the first case's description (a problem of that case only)."""
    anchors = ["&a0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]"] + \
        [f"&a{k} [" + ", ".join([f"*a{k - 1}"] * 10) + "]" for k in range(1, 6)]
    lines = ["cases:"]
    for c in range(cases):
        lines.append(f"  - name: c{c}")
        if c == 0:
            lines.append("    description: [" + ", ".join(anchors) + "]")
        lines.append("    inputs:")
        lines += [f"      {n}: {{value: *a5}}" for n in "xyzw"]
        lines.append("    expr: sum(x)")
    return "\n".join(lines) + "\n"


def test_aliases_are_walked_once_and_the_load_budget_stops_amplification():
    budget = LoadBudget(case_elements=limits.MAX_CASE_ELEMENTS, load_elements=5_000_000)
    with load_budget(budget):
        result = load_text(_alias_file(40), "alias.yaml")
    assert any("per run" in p.message for p in result.problems), [str(p) for p in result.problems][:5]
    assert budget.load_used <= 5_000_000  # charged before allocating: never past the budget


def test_a_long_choice_list_is_one_problem():
    text = case("      x: {value: 1}", extra="    backends: [" + ", ".join(["fd"] * 20_000) + "]\n")
    problems = one_problem(text)
    assert len(problems) == 1 and "20000 names listed" in problems[0].message


def test_a_file_reports_at_most_the_problem_cap():
    cases = "".join(f"  - name: c{i}\n    inputs: 1\n    expr: x\n" for i in range(300))
    problems = one_problem("cases:\n" + cases)
    assert len(problems) == limits.MAX_PROBLEMS_PER_FILE
    assert "more problems" in problems[-1].message


# Defect 12: line numbers.
def test_deep_yaml_is_reported_at_the_line_where_it_gets_too_deep():
    text = case("      x: {value: 1}", extra="    description: " + "[" * 900 + "]" * 900 + "\n")
    assert one_problem(text)[0].line == 6


def test_deep_flow_nesting_never_reaches_the_yaml_parser():
    # 200 000 levels crash libyaml's composer (a segfault), so they are counted first.
    problems = one_problem("cases: " + "[" * 200_000 + "]" * 200_000 + "\n")
    assert "nested more than" in problems[0].message


def test_deep_block_nesting_is_refused_at_its_line():
    lines = ["cases:", "  - name: c", "    inputs: {x: {value: 1}}", "    expr: x", "    tags:"]
    lines += [" " * (6 + 2 * i) + "-" for i in range(100)]
    problems = one_problem("\n".join(lines) + " x\n")
    assert "nested more than" in problems[0].message and problems[0].line > 60


def test_a_nul_byte_is_reported_at_its_line():
    problems = one_problem(case("      x: {value: 1}", "sum(x)\x00"))
    assert problems[0].line == 5 and "#x0000" in problems[0].message


def test_a_recursive_alias_is_refused():
    assert "contains it" in one_problem("cases: &a\n  - *a\n")[0].message


# Defect 13 and the parser-level half of defect 11.
@pytest.mark.parametrize("expr, phrase", [
    ("sum(where(2 > 0.5, x, x))", "compares constants only"),
    ("sum(where(not (1 < 2) or true, x, x))", "compares constants only"),
    ("sum(x) * 9**10000", "beyond the limit of 1000"),
    ("sum(x) * (9**900 * 9**900)", "beyond the limit of 1000"),
])
def test_constant_conditions_and_huge_constants_are_refused_when_loading(expr, phrase):
    problems = one_problem(case("      x: {value: [1, 2]}", expr))
    assert problems[0].line == 5 and phrase in problems[0].message


def test_case_names_ending_in_a_newline_are_refused():
    text = 'cases:\n  - name: "ok\\n"\n    inputs: {x: {value: 1}}\n    expr: x\n'
    assert "not a valid case name" in one_problem(text)[0].message


# Defect 2's other half and defect 15: the other files still load.
def test_a_bad_file_leaves_the_other_files_loading(tmp_path):
    (tmp_path / "a_bad.yaml").write_text(CRASHERS["zero times huge"][0])
    (tmp_path / "b_good.yaml").write_text(case("      x: {value: [1, 2]}").replace("name: c", "name: good"))
    result = load_paths([tmp_path])
    assert [c.name for c in result.cases] == ["good"]
    assert [p.file.endswith("a_bad.yaml") for p in result.problems] == [True]


def test_an_unreadable_subfolder_is_reported(tmp_path, monkeypatch):
    import os

    from verifier.cases import loader

    (tmp_path / "sub").mkdir()
    real_walk = os.walk

    def walk(top, onerror=None, followlinks=False):
        onerror(PermissionError(13, "Permission denied", str(tmp_path / "sub")))
        yield from real_walk(top, onerror=onerror, followlinks=followlinks)

    monkeypatch.setattr(loader.os, "walk", walk)
    result = load_paths([tmp_path])
    assert any("cannot read this folder" in p.message and "Permission denied" in p.message
               for p in result.problems)


def test_a_fifo_on_the_command_line_is_not_called_missing(tmp_path):
    import os
    fifo = tmp_path / "cases.yaml"
    os.mkfifo(fifo)
    problems = load_paths([fifo]).problems
    assert "not a regular file or folder" in problems[0].message
