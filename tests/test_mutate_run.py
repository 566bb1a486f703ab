"""`verifier mutate`: cases run on mutants, the score, survivors, killers, JSON, exit status."""

from __future__ import annotations

import json

from verifier.cases.loader import load_text
from verifier.cli import main
from verifier.mutate.catalogue import by_id
from verifier.mutate.report import build_report, render_text, to_json
from verifier.mutate.run import MutationPlan, mutate_case

PRODUCT = """\
cases:
  - name: product_weighted
    inputs:
      x: {value: [1, 2, 3]}
      y: {value: [0.5, -1, 2]}
    expr: sum(x * y * y)
"""

LOG1P_ORDINARY = """\
cases:
  - name: log1p_ordinary
    inputs:
      x: {value: [0.5, 1, 2]}
    expr: sum(log1p(x))
"""

MUL_MUTANTS = ("sign_flip:mul:input", "sign_flip:mul:other", "wrong_operand:mul")


def case_of(text: str):
    result = load_text(text)
    assert not result.problems, result.problems
    return result.cases[0]


def test_a_case_reaches_and_kills_the_mutants_of_the_ops_it_uses():
    ids = MUL_MUTANTS + ("sign_flip:sin:input", "accumulation:engine.to_leaf")
    [result] = mutate_case(case_of(PRODUCT), None, None, 60, MutationPlan(ids))
    assert result.usable
    assert set(MUL_MUTANTS) <= set(result.killed)
    assert "sign_flip:sin:input" not in result.reached  # the case never calls sin
    assert "accumulation:engine.to_leaf" in result.reached  # the core is always reached
    assert "accumulation:engine.to_leaf" not in result.killed  # one backward: nothing to add


def test_the_report_scores_killed_over_reached_and_explains_survivors():
    ids = ("unstable_forward:log1p", "sign_flip:log1p:input", "sign_flip:sin:input")
    [result] = mutate_case(case_of(LOG1P_ORDINARY), None, None, 60, MutationPlan(ids))
    mutants = [by_id()[i] for i in ids]
    report = build_report(mutants, [result], seconds=1.0, workers=1)
    status = {m.id: m.status for m in report.mutants}
    assert status == {"unstable_forward:log1p": "survived", "sign_flip:log1p:input": "killed",
                      "sign_flip:sin:input": "unreached"}
    assert report.score == 50.0
    text = render_text(report, verbose=True)
    assert "unstable_forward:log1p" in text and "tiny (1e-10)" in text
    assert "sign_flip:log1p:input: log1p_ordinary" in text  # the killer
    data = to_json(report)
    assert data["summary"]["score"] == 50.0 and data["summary"]["unreached"] == 1
    killed = next(m for m in data["mutants"] if m["id"] == "sign_flip:log1p:input")
    assert killed["killed_by"] == ["log1p_ordinary"]


def test_a_failing_case_cannot_kill():
    wrong_claim = PRODUCT.replace("expr: sum(x * y * y)", "expr: sum(x * y * y)\n"
                                  "    expect: {value: 1000}")
    [result] = mutate_case(case_of(wrong_claim), None, ["float64"], 60,
                           MutationPlan(MUL_MUTANTS))
    # The claim fails on the oracle's row only: the engine rows still pass and can kill.
    assert result.usable and set(MUL_MUTANTS) <= set(result.killed)
    broken = PRODUCT.replace("expr: sum(x * y * y)", "expr: sum(x * y * y)\n"
                             "    expect: {error: shape}")
    [result] = mutate_case(case_of(broken), None, None, 60, MutationPlan(MUL_MUTANTS))
    assert not result.usable and not result.killed


def test_cli_prints_score_writes_json_and_gates_on_min_score(tmp_path, capsys):
    path = tmp_path / "log1p.yaml"
    path.write_text(LOG1P_ORDINARY)
    report = tmp_path / "mutants.json"
    status = main(["mutate", str(path), "--workers", "1", "--only", "*log1p*",
                   "--json", str(report), "--min-score", "100"])
    out = capsys.readouterr()
    # sum(log1p(x)) at ordinary arguments: the textbook formula and a VJP that ignores its
    # upstream gradient (all ones here) both survive.
    assert status == 1
    assert "mutation score" in out.out and "below --min-score" in out.err
    data = json.loads(report.read_text())
    assert {m["id"] for m in data["mutants"] if m["status"] == "survived"} == \
        {"unstable_forward:log1p", "dropped_upstream:log1p"}
    status = main(["mutate", str(path), "--workers", "1", "--only", "sign_flip:log1p*",
                   "--min-score", "100"])
    assert status == 0


def test_cli_lists_the_catalogue_and_rejects_unknown_classes(capsys):
    assert main(["mutate", "--list", "--class", "retain_graph"]) == 0
    assert "retain_graph:engine.backward" in capsys.readouterr().out
    assert main(["mutate", "--class", "no_such_class"]) == 2
    assert "unknown bug class" in capsys.readouterr().err


def test_identical_runs_are_recognised_and_any_difference_is_not():
    import dataclasses

    import numpy as np

    from verifier.backends.engine_backend import EngineBackend
    from verifier.mutate.run import same_run
    case = case_of(PRODUCT)
    a, b = EngineBackend().run(case, "float32"), EngineBackend().run(case, "float32")
    assert same_run(a, b)
    assert not same_run(a, dataclasses.replace(b, value=b.value + 1e-7))
    assert not same_run(a, dataclasses.replace(b, grads={"x": b.grads["x"], "y": -b.grads["y"]}))
    assert not same_run(a, dataclasses.replace(b, result_dtypes={"value": "float64"}))
    assert not same_run(a, dataclasses.replace(b, error_kind="shape"))
    nan = dataclasses.replace(a, value=np.array(np.nan))
    assert same_run(nan, dataclasses.replace(a, value=np.array(np.nan)))


def test_cli_runs_the_mutants_a_file_lists_and_rejects_unknown_ids(tmp_path, capsys):
    path = tmp_path / "product.yaml"
    path.write_text(PRODUCT)
    ids = tmp_path / "sample.txt"
    ids.write_text("# a sample\nsign_flip:mul:input\nwrong_operand:mul  # operands swapped\n")
    report = tmp_path / "r.json"
    assert main(["mutate", str(path), "--workers", "1", "--mutants", str(ids),
                 "--min-score", "100", "--json", str(report)]) == 0
    assert {m["id"] for m in json.loads(report.read_text())["mutants"]} == \
        {"sign_flip:mul:input", "wrong_operand:mul"}
    ids.write_text("sign_flip:no_such_op:input\n")
    assert main(["mutate", str(path), "--mutants", str(ids)]) == 2
    assert "not have: sign_flip:no_such_op:input" in capsys.readouterr().err


def test_the_ci_sample_names_mutants_of_the_catalogue():
    from pathlib import Path

    from verifier.cli.mutate_command import read_ids
    ids = read_ids(str(Path(__file__).resolve().parents[1] / "ci" / "mutation_sample.txt"))
    mutants = by_id()
    assert len(ids) == 24 and all(i in mutants and not mutants[i].equivalent for i in ids)
    assert {mutants[i].bug_class for i in ids} == {m.bug_class for m in mutants.values()}
