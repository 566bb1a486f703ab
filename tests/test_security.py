"""Case text is untrusted: nothing in the package may call eval, exec, sympify or parse_expr,
and case files are read with a loader built on yaml's SafeLoader."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

PACKAGE = Path(__file__).resolve().parent.parent / "verifier"
# A call of Python's eval/exec/compile, or SymPy's string parsers (not re.compile).
FORBIDDEN = re.compile(r"(?<![\w.])(eval|exec|compile)\(|\b(sympify|parse_expr)\(")


def test_no_code_evaluation_anywhere_in_the_package():
    hits = []
    for path in PACKAGE.rglob("*.py"):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("#", 1)[0]
            if FORBIDDEN.search(code):
                hits.append(f"{path.relative_to(PACKAGE.parent)}:{number}: {line.strip()}")
    assert not hits, "\n".join(hits)


def test_the_case_loader_is_a_safe_loader():
    from verifier.cases.yaml_lines import CaseLoader
    safe = tuple(c for c in (getattr(yaml, "SafeLoader", None), getattr(yaml, "CSafeLoader", None)) if c)
    assert issubclass(CaseLoader, safe)


def test_a_python_object_tag_is_refused_not_constructed():
    from verifier.cases.loader import load_text
    result = load_text("cases: !!python/object/apply:os.system ['echo owned']\n")
    assert result.problems and not result.cases
