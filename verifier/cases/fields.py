"""The known keys of the case format and typed readers of single fields.

Every reader reports into a `Problems` and returns None when the field is
wrong, so validation goes on and collects every problem.  The key sets here
are the single source the JSON Schema is cross-checked against (tests).
"""

from __future__ import annotations

import difflib
import re
from fractions import Fraction

from verifier.cases.numbers import DataError, describe, exact_number, float64_number
from verifier.cases.problems import Problems
from verifier.cases.yaml_lines import LineList, LineMap
from verifier.float_formats import RUN_DTYPES

TOP_KEYS = ("cases",)
CASE_KEYS = ("name", "description", "tags", "inputs", "expr", "program", "output", "seed", "backward",
             "order", "expect", "xfail", "skip", "dtypes", "backends", "tolerance", "timeout")
INPUT_KEYS = ("value", "fill", "shape", "random", "requires_grad", "dtype")
SEED_KEYS = ("value", "fill", "shape", "random")
RANDOM_KEYS = ("dist", "seed", "low", "high", "mean", "std")
BACKWARD_KEYS = ("repeat", "retain_graph")
EXPECT_KEYS = ("value", "grad", "error")
XFAIL_KEYS = ("reason", "backends", "dtypes")
SKIP_KEYS = ("reason",)
TOLERANCE_KEYS = ("rtol", "atol")

DTYPES = RUN_DTYPES  # float64 float32 float16 bfloat16 (verifier/float_formats.py)
TOLERANCE_TARGETS = DTYPES + ("fd",)  # `tolerance:` keys: a dtype, or finite differences
BACKENDS = ("engine", "engine-fwd", "torch", "torch-fwd", "torch-func", "torch-vmap",
            "torch-compile", "torch-cuda", "torch-fwd-cuda", "torch-func-cuda", "torch-vmap-cuda",
            "torch-compile-cuda", "sympy", "fd")
DISTRIBUTIONS = ("uniform", "normal")
NAME_PATTERN = re.compile(r"[A-Za-z0-9_.-]+\Z")  # \Z: `$` would accept a final newline

FLOW_SPLIT_HINT = ("YAML split this flow mapping {...} at a comma inside the expression; write the "
                   "expression in block style (on its own line after 'key:') or quote it")


def looks_split(text) -> bool:
    """A key or value that is a fragment of an expression cut at a comma by YAML."""
    if not isinstance(text, str):
        return False
    return text.count("(") != text.count(")") or text.count("[") != text.count("]")


def key_looks_split(key) -> bool:
    return isinstance(key, str) and (looks_split(key) or bool(re.search(r"[()]|(?<![<>=!])=(?!=)", key)))


def check_keys(mapping: LineMap, known, field: str, problems: Problems) -> None:
    """Unknown keys, each with a 'did you mean' (or the flow-mapping hint)."""
    for key in mapping:
        if key in known:
            continue
        where = f"{field}.{key}" if field else str(key)
        line = mapping.key_line(key)
        if isinstance(key, bool):
            problems.add(line, field, f"the key {str(key).lower()} is a boolean to YAML (yes/no/on/off/"
                                      "true/false are booleans); quote it if you meant the text")
        elif key_looks_split(key):
            problems.add(line, field, f"unexpected key {key!r}: {FLOW_SPLIT_HINT}")
        else:
            close = difflib.get_close_matches(str(key), known, n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"known keys: {', '.join(known)}"
            problems.add(line, where, f"unknown key '{key}'; {hint}")


def mapping(value, field: str, line: int, problems: Problems, what: str = "a mapping") -> LineMap | None:
    if isinstance(value, LineMap):
        return value
    problems.add(line, field, f"expected {what}, found {describe(value)}")
    return None


def text(value, field: str, line: int, problems: Problems) -> str | None:
    if isinstance(value, str):
        return value
    problems.add(line, field, f"expected text, found {describe(value)}")
    return None


def boolean(value, field: str, line: int, problems: Problems) -> bool | None:
    if isinstance(value, bool):
        return value
    problems.add(line, field, f"expected true or false, found {describe(value)}")
    return None


def integer(value, field: str, line: int, problems: Problems, low: int | None = None,
            high: int | None = None) -> int | None:
    if isinstance(value, Fraction) and value.denominator == 1 and not isinstance(value, bool):
        n = int(value)
        if (low is None or n >= low) and (high is None or n <= high):
            return n
        bounds = f"at least {low}" if high is None else f"from {low} to {high}"
        problems.add(line, field, f"expected an integer {bounds}, found {n}")
        return None
    problems.add(line, field, f"expected an integer, found {describe(value)}")
    return None


def number(value, field: str, line: int, problems: Problems, nonnegative: bool = False,
           float64: bool = False) -> Fraction | None:
    """A number; with `float64`, one that is finite as a float64 (a tolerance, say)."""
    try:
        n = exact_number(value)
        if float64:
            float64_number(n)
    except DataError as exc:
        problems.add(line, field, exc.message)
        return None
    if nonnegative and n < 0:
        problems.add(line, field, f"expected a number >= 0, found {n}")
        return None
    return n


MAX_TIMEOUT = 3600  # seconds: a case's own time limit


def timeout(value, field: str, line: int, problems: Problems) -> float | None:
    """A case's time limit in seconds: a number > 0 and at most MAX_TIMEOUT."""
    n = number(value, field, line, problems)
    if n is None:
        return None
    if not 0 < n <= MAX_TIMEOUT:
        problems.add(line, field, f"expected a number of seconds > 0 and at most {MAX_TIMEOUT}, "
                                  f"found {n}")
        return None
    return float(n)


def choices(value, allowed, field: str, line: int, problems: Problems) -> tuple[str, ...] | None:
    """A non-empty list of distinct names from `allowed`."""
    if not isinstance(value, LineList) or not value:
        problems.add(line, field, f"expected a non-empty list from [{', '.join(allowed)}], "
                                  f"found {describe(value)}")
        return None
    if len(value) > len(allowed):
        problems.add(line, field, f"{len(value)} names listed, but there are only {len(allowed)} to "
                                  f"choose from: {', '.join(allowed)}")
        return None
    ok, seen, reported = True, set(), set()
    for i, item in enumerate(value):
        # Each distinct problem once: a list of 300 000 'fd' is one problem, not 300 000.
        try:
            hash(item)
        except TypeError:
            item = describe(item)
        if item not in allowed:
            if item not in reported:
                close = difflib.get_close_matches(str(item), allowed, n=1)
                hint = f"did you mean '{close[0]}'?" if close else f"expected one of {', '.join(allowed)}"
                problems.add(value.item_line(i), f"{field}[{i}]", f"unknown name {item!r}; {hint}")
                reported.add(item)
            ok = False
        elif item in seen:
            if item not in reported:
                problems.add(value.item_line(i), f"{field}[{i}]", f"{item!r} is listed twice")
                reported.add(item)
            ok = False
        seen.add(item)
    return tuple(value) if ok else None


def text_list(value, field: str, line: int, problems: Problems) -> tuple[str, ...] | None:
    if not isinstance(value, LineList) or not all(isinstance(v, str) for v in value):
        problems.add(line, field, f"expected a list of text items such as [seed, reduction], "
                                  f"found {describe(value)}")
        return None
    return tuple(value)
