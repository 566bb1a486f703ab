"""Fuzzers for everything that reads untrusted input (docs/security.md).

The only exceptions allowed out of loading are the project's own problem reports: the
loader returns problems (never raises), the parsers raise ParseError, -k raises
SelectionError, the baseline reader raises BaselineError.  Anything else (a ValueError
from numpy, an OverflowError from float(), a RecursionError) is a bug these find.

Derandomized under CI=true (conftest.py), like every hypothesis test here; together they
stay well under a minute there (EXAMPLES below).
"""

from __future__ import annotations

import json
import string
import tracemalloc
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from verifier.cases.budget import LoadBudget, load_budget
from verifier.cases.loader import LoadResult, load_text
from verifier.cli.selection import SelectionError, select_cases
from verifier.gate.baseline_reader import BaselineError, read_baseline
from verifier.lang.parser import ParseError, parse_expression, parse_program

SUITE = Path(__file__).resolve().parent.parent / "cases"
SEEDS = sorted(p.read_text() for p in SUITE.glob("*.yaml"))
# Examples per fuzzer: the closing note of issue 10 quotes these.
EXAMPLES = {"structured": 120, "mutated": 150, "text": 100, "expression": 300, "program": 150,
            "selection": 300, "baseline": 150}
FUZZ = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
# A small budget, so that an example that slips past a limit shows up as memory, not as a slow test.
MEMORY_BOUND = 200e6


def check_load(text: str) -> LoadResult:
    budget = LoadBudget(case_elements=2_000_000, load_elements=2_000_000, probe_seconds=2.0)
    with load_budget(budget):
        result = load_text(text, "fuzz.yaml")
    assert isinstance(result, LoadResult)
    lines = text.count("\n") + 2
    for p in result.problems:
        assert isinstance(p.line, int) and 0 <= p.line <= lines, str(p)
        assert str(p).startswith("fuzz.yaml:")
    # One invalid case leaves out that case only (its file's valid cases still load,
    # tests/test_loader.py); what loads has unique names.
    names = [c.name for c in result.cases]
    assert len(names) == len(set(names)), names
    return result


# --- the loader: structured cases with extreme values in every numeric slot -----------------
EXTREME = st.one_of(
    st.sampled_from([0, 1, -1, 2**63, -2**64, 10**400, 1e308, -1e308, 5e-324, 1e-320, 0.1,
                     float("inf"), float("-inf"), float("nan"), True, None, "1e1000", "-1e1000",
                     "1/0", "1/3", "0x1f", "1_000", "1:30", "9" * 500, "1e99999", "", "x", [], {}]),
    st.integers(), st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=8))
SHAPES = st.one_of(st.lists(st.sampled_from([0, 1, 2, 3, 10**6, 10**12, -1]), max_size=10), EXTREME)


def _leaf_lists(draw_value):
    return st.recursive(draw_value, lambda inner: st.lists(inner, max_size=3), max_leaves=12)


INPUT = st.one_of(
    st.fixed_dictionaries({"value": _leaf_lists(EXTREME)}),
    st.fixed_dictionaries({"fill": EXTREME, "shape": SHAPES}),
    st.fixed_dictionaries({"random": st.fixed_dictionaries(
        {"dist": st.sampled_from(["uniform", "normal", "cauchy"]), "seed": EXTREME},
        optional={"low": EXTREME, "high": EXTREME, "mean": EXTREME, "std": EXTREME}), "shape": SHAPES}),
    EXTREME)
EXPRESSIONS = ["sum(x)", "sum(x * y)", "sum(x @ y)", "outer(x, y)", "x", "sum(where(x > 0, x, y))",
               "sum(x) * 9**999", "sum(x.expand([1000, 1000]))", "mean(x)", "det(x)"]
NAMES = ["x", "y", "x_0", "__x", "sum", "pi"]
CLAIMS = st.fixed_dictionaries({}, optional={
    "value": _leaf_lists(EXTREME),
    "grad": st.dictionaries(st.sampled_from(["x", "y"]), _leaf_lists(EXTREME))})
CASE = st.fixed_dictionaries(
    {"name": st.one_of(st.from_regex(r"[a-z]{1,6}", fullmatch=True), EXTREME),
     "inputs": st.dictionaries(st.sampled_from(NAMES), INPUT, max_size=3),
     "expr": st.sampled_from(EXPRESSIONS)},
    optional={"seed": st.one_of(INPUT, _leaf_lists(EXTREME)),
              "tolerance": st.fixed_dictionaries({"float64": st.fixed_dictionaries(
                  {"rtol": EXTREME, "atol": EXTREME})}),
              "backward": st.fixed_dictionaries({"repeat": EXTREME}),
              "order": EXTREME,
              "backends": st.lists(st.sampled_from(["fd", "engine", "jax", 1]), max_size=30),
              "dtypes": st.lists(EXTREME, max_size=3),
              "tags": st.one_of(st.lists(st.text(max_size=5)), EXTREME),
              "expect": CLAIMS,
              "xfail": st.fixed_dictionaries({"reason": EXTREME})})


def _with_aliases(cases: list, share: bool) -> str:
    """YAML of the cases; with `share`, the first input spec object is reused by every case,
    so the dumper writes one anchor and aliases (&id001 / *id001)."""
    if share and cases and isinstance(cases[0].get("inputs"), dict) and cases[0]["inputs"]:
        first = next(iter(cases[0]["inputs"].values()))
        for c in cases[1:]:
            if isinstance(c.get("inputs"), dict):
                c["inputs"]["x"] = first
    return yaml.safe_dump({"cases": cases}, allow_unicode=True, sort_keys=False, width=10**6)


@settings(max_examples=EXAMPLES["structured"], **FUZZ)
@given(st.lists(CASE, min_size=1, max_size=3), st.booleans())
def test_fuzz_loader_with_extreme_values_and_aliases(cases, share):
    text = _with_aliases(cases, share)
    tracemalloc.start()
    try:
        check_load(text)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < MEMORY_BOUND


# --- the loader: the shipped suite's files, mutated --------------------------------------------
HOSTILE_CHARS = "[]{}:,&*!|>-#'\"\\\n\t \x00\x1b0123456789.eE+/x_"


@st.composite
def mutated(draw):
    text = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(1, 8))):
        at = draw(st.integers(0, len(text)))
        kind = draw(st.sampled_from(["insert", "delete", "replace", "repeat"]))
        piece = draw(st.text(alphabet=HOSTILE_CHARS, min_size=1, max_size=6))
        if kind == "insert":
            text = text[:at] + piece + text[at:]
        elif kind == "delete":
            text = text[:at] + text[at + len(piece):]
        elif kind == "replace":
            text = text[:at] + piece + text[at + len(piece):]
        else:
            text = text[:at] + piece * draw(st.integers(2, 400)) + text[at:]
    return text


@settings(max_examples=EXAMPLES["mutated"], **FUZZ)
@given(mutated())
def test_fuzz_loader_with_mutated_suite_files(text):
    check_load(text)


@settings(max_examples=EXAMPLES["text"], **FUZZ)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=300) |
       st.text(alphabet=HOSTILE_CHARS, max_size=300))
def test_fuzz_loader_with_random_text(text):
    check_load(text)


# --- the expression and program parsers ------------------------------------------------------------
TOKENS = ["x", "y", "sum", "(", ")", "[", "]", ",", ":", "+", "-", "*", "/", "**", "@", ".T", ".sum()",
          "9", "0.5", "1e1000", "9" * 120, "<", ">", "==", "and", "not", "lambda", "__class__", "'s'",
          "where", "dim=0", "True", "\n", "=", "if", "while", "for i in range(3)", ":", "    ", "...", "x[0]"]


@settings(max_examples=EXAMPLES["expression"], **FUZZ)
@given(st.lists(st.sampled_from(TOKENS), max_size=40))
def test_fuzz_expression_parser(tokens):
    try:
        parse_expression(" ".join(tokens), {"x", "y"})
    except ParseError:
        pass


@settings(max_examples=EXAMPLES["program"], **FUZZ)
@given(st.lists(st.lists(st.sampled_from(TOKENS), max_size=12), max_size=8))
def test_fuzz_program_parser(lines):
    try:
        parse_program("\n".join(" ".join(line) for line in lines), "y", {"x"})
    except ParseError:
        pass


# --- -k --------------------------------------------------------------------------------------------
class _Case:
    def __init__(self, name, tags):
        self.name, self.tags = name, tags


@settings(max_examples=EXAMPLES["selection"], **FUZZ)
@given(st.lists(st.sampled_from(["(", ")", "and", "or", "not", "seed", "x", "", " "]), max_size=60) |
       st.text(max_size=60), st.integers(0, 3000))
def test_fuzz_keyword_selection(tokens, nesting):
    text = tokens if isinstance(tokens, str) else " ".join(tokens)
    for candidate in (text, "(" * nesting + text + ")" * nesting, "not " * nesting + text):
        try:
            chosen = select_cases([_Case("seed_x", ("seed",)), _Case("other", ())], candidate)
        except SelectionError:
            continue
        assert isinstance(chosen, list)


# --- the baseline reader ---------------------------------------------------------------------------
SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8)
JSON = st.recursive(SCALARS,
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                                max_size=4),
                    max_leaves=20)
ROW_KEYS = ["case", "file", "backend", "dtype", "status", "max_abs_err", "max_rel_err", "max_ulp_err",
            "message", "blame", "diverged", "seconds"]
ROW = st.dictionaries(st.sampled_from(ROW_KEYS), JSON | st.sampled_from(["pass", "fail", "engine"]))


@settings(max_examples=EXAMPLES["baseline"], **FUZZ)
@given(st.one_of(JSON.map(json.dumps), st.lists(ROW, max_size=5).map(lambda r: json.dumps({"results": r})),
                 st.binary(max_size=64).map(lambda b: b.decode("latin-1")),
                 st.integers(1, 5000).map(lambda n: "[" * n + "]" * n)))
def test_fuzz_baseline_reader(tmp_path_factory, text):
    path = tmp_path_factory.getbasetemp() / "fuzzed-baseline.json"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        rows = read_baseline(path)
    except BaselineError:
        return
    from verifier.gate.baseline import compare, format_comparison
    format_comparison(compare(rows, rows[:1]), path)


def test_every_fuzzer_has_an_example_count():
    names = {name for name in globals() if name.startswith("test_fuzz_")}
    assert len(names) == len(EXAMPLES) and all(isinstance(n, int) and n > 0 for n in EXAMPLES.values())


def test_the_hostile_alphabet_covers_yaml_structure():
    assert set("[]{}:&*!|>") <= set(HOSTILE_CHARS) and set(string.digits) <= set(HOSTILE_CHARS)
