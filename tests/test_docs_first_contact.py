"""The docs a new user reads do not lie: the commands they show work on what is shipped, the
documents they cite are in the repository, and the install names our own distribution."""

from __future__ import annotations

import re
from pathlib import Path

import tomllib

from verifier.cases.loader import load_paths, shipped_suite

ROOT = Path(__file__).resolve().parent.parent
USER_DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")),
             *sorted((ROOT / "examples").glob("*")), *sorted((ROOT / "cases").glob("*.yaml"))]


def shipped_names() -> set[str]:
    return {c.name for c in load_paths([shipped_suite()]).cases}


def test_every_show_of_the_shipped_suite_names_a_shipped_case():
    names = shipped_names()
    shown = []
    for doc in USER_DOCS:
        for match in re.finditer(r"verifier show (\w+)([^\n`]*)", doc.read_text()):
            rest = match.group(2).split("#")[0].strip()
            if not rest or rest.startswith("-"):  # no PATH: the shipped suite
                shown.append((doc.name, match.group(1)))
    assert shown, "expected the README to show `verifier show NAME`"
    missing = [(doc, name) for doc, name in shown if name not in names]
    assert not missing, missing


def test_the_documents_cited_are_in_the_repository():
    for doc in USER_DOCS:
        text = doc.read_text()
        assert "shared/" not in text, f"{doc.name} cites a file outside the repository"
        for target in re.findall(r"\]\(((?:\.\./)?[\w/.-]+\.(?:md|txt|yml|yaml))\)", text):
            assert (doc.parent / target).exists(), (doc.name, target)
    assert (ROOT / "docs" / "contract.md").is_file()
    assert "In [1]:" in (ROOT / "docs" / "seed-notebook.txt").read_text()


def test_the_install_names_our_distribution():
    name = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["name"]
    assert name == "autodiff-verifier"  # PyPI's `verifier` (1.0.0) is an unrelated project
    for doc in [ROOT / "examples" / "github-workflow.yml", ROOT / "docs" / "ci.md"]:
        text = doc.read_text()
        assert not re.search(r"pip install verifier\b", text), doc.name
        assert "VERIFIER: autodiff-verifier" in text and 'pip install "$VERIFIER"' in text
