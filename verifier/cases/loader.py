"""Case files and folders → validated `Case`s plus every problem, as `FILE:LINE: case NAME: ...`.

An invalid case is reported and left out; the file's other cases still load (and
the run exits 2 all the same).  A problem outside every case (YAML syntax, the top
level of the file) leaves the whole file out; the other files still load.  Folders
are searched recursively for *.yaml / *.yml, in sorted order; files named explicitly keep the order given.
Case names must be unique across everything one call loads.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from verifier import limits
from verifier.cases.budget import load_budget
from verifier.cases.fields import TOP_KEYS, check_keys
from verifier.cases.model import Case
from verifier.cases.problems import Problem, Problems, capped
from verifier.cases.validate import validate_case
from verifier.cases.yaml_lines import LineList, LineMap, error_line, load_yaml

__all__ = ["Problem", "LoadResult", "load_paths", "load_text", "shipped_suite", "MAX_FILE_BYTES",
           "MAX_CASES_PER_FILE"]

MAX_FILE_BYTES = limits.MAX_FILE_BYTES
MAX_CASES_PER_FILE = 1_000
CASE_SUFFIXES = (".yaml", ".yml")


@dataclass
class LoadResult:
    cases: list[Case] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def shipped_suite() -> Path:
    """The shipped suite: `cases/` in a checkout (and an editable install), installed as
    `verifier/suite` by `pip install .` (pyproject.toml maps the one to the other)."""
    package = Path(__file__).resolve().parent.parent
    installed = package / "suite"
    return installed if installed.is_dir() else package.parent / "cases"


def load_paths(paths: list[str | Path]) -> LoadResult:
    with load_budget():  # one budget for everything this call reads (cases/budget.py)
        return _load_paths(paths)


def _load_paths(paths: list[str | Path]) -> LoadResult:
    result = LoadResult()
    seen: dict[str, Case] = {}
    for path, problem in _case_files(paths):
        if problem is not None:
            result.problems.append(problem)
            continue
        shown = display_path(path)
        try:
            size = path.stat().st_size
            if size > MAX_FILE_BYTES:
                result.problems.append(Problem(shown, 1, "", "", f"the file has {size} bytes, beyond the "
                                                                 f"limit of {MAX_FILE_BYTES}; split it"))
                continue
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            result.problems.append(Problem(shown, 1, "", "", f"cannot read the file: {exc}"))
            continue
        try:
            loaded = load_text(text, shown)
        except (Exception, MemoryError, RecursionError) as exc:  # noqa: BLE001 - the last line of defence
            # A bug of ours must not abort the whole load: this file is reported, the others load.
            loaded = LoadResult(problems=[Problem(shown, 1, "", "", f"the file could not be validated "
                                                  f"({type(exc).__name__}: {str(exc)[:200]}); this is a "
                                                  "bug of the verifier: please report it with the file")])
        _merge(loaded, result, seen)
    return result


def load_text(text: str, file: str = "<string>") -> LoadResult:
    """The valid cases of one file's text, and every problem of it (see the module doc)."""
    with load_budget():  # the load's budget, or a fresh one when called alone
        return _load_text(text, file)


def _load_text(text: str, file: str) -> LoadResult:
    problems = Problems(file)
    if len(text.encode("utf-8", "replace")) > MAX_FILE_BYTES:
        problems.add(1, "", f"the file is larger than {MAX_FILE_BYTES} bytes; split it")
        return LoadResult(problems=problems.items)
    try:
        document, duplicates = load_yaml(text)
    except yaml.MarkedYAMLError as exc:
        return LoadResult(problems=[_syntax_problem(exc, text, file)])
    except (yaml.YAMLError, RecursionError, ValueError) as exc:
        problems.add(error_line(exc, text), "", f"cannot read the YAML: {exc}")
        return LoadResult(problems=problems.items)
    for line, message in duplicates:
        problems.add(line, "", message)
    cases, case_problems = _cases(document, file, problems)
    all_problems = _attach_case_names(problems.items, document) + case_problems
    all_problems.sort(key=lambda p: p.line)
    valid = _valid_cases(cases, all_problems, document)
    return LoadResult(cases=valid, problems=capped(all_problems))


def _valid_cases(cases: list[Case], problems: list[Problem], document) -> list[Case]:
    """The cases without a problem between their first line and the next case's; none at
    all when a problem lies outside every case."""
    starts = _item_starts(document)
    if not problems:
        return cases
    if not starts or any(p.line < starts[0] for p in problems):
        return []
    ends = starts[1:] + [10**9]
    broken = {start for start, end in zip(starts, ends) for p in problems if start <= p.line < end}
    return [c for c in cases if c.line not in broken]


def _item_starts(document) -> list[int]:
    if not isinstance(document, LineMap) or not isinstance(document.get("cases"), LineList):
        return []
    items = document["cases"]
    return [items.item_line(i) for i in range(len(items))]


def display_path(path: Path) -> str:
    """Relative to the current directory when under it, else as given."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _case_files(paths):
    """(path, None) for each case file, or (None, Problem) for a path that isn't there."""
    listed: set[Path] = set()
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found, unreadable = _files_under(path)
            for folder, why in unreadable:
                yield None, Problem(display_path(folder), 0, "", "", f"cannot read this folder ({why}); "
                                                                      "its case files were not loaded")
            if not found and not unreadable:
                yield None, Problem(display_path(path), 0, "", "", "no *.yaml or *.yml case files in this "
                                                                    "folder")
        elif path.is_file():
            found = [path]
        elif path.exists():
            yield None, Problem(str(given), 0, "", "", "is not a regular file or folder (a FIFO, a device "
                                                      "or a socket); expected a case file (*.yaml)")
            continue
        else:
            yield None, Problem(str(given), 0, "", "", "no such file or folder")
            continue
        for p in found:
            key = p.resolve()
            if key not in listed:
                listed.add(key)
                yield p, None


def _files_under(folder: Path) -> tuple[list[Path], list[tuple[Path, str]]]:
    """The case files under `folder`, sorted, and each subfolder that could not be read
    (Path.rglob would skip it silently)."""
    found: list[Path] = []
    unreadable: list[tuple[Path, str]] = []

    def failed(exc: OSError) -> None:
        unreadable.append((Path(exc.filename or folder), exc.strerror or str(exc)))

    visited: set[str] = set()
    # Symlinked folders are followed, as rglob did, each real folder once (a link cycle ends).
    for root, dirs, files in os.walk(folder, onerror=failed, followlinks=True):
        real = os.path.realpath(root)
        if real in visited:
            dirs[:] = []
            continue
        visited.add(real)
        for name in files:
            p = Path(root) / name
            if p.suffix in CASE_SUFFIXES and p.is_file():
                found.append(p)
    return sorted(found), unreadable


def _merge(loaded: LoadResult, result: LoadResult, seen: dict[str, Case]) -> None:
    """Add one file's outcome; a name already loaded from another file is a problem of this
    file's case, which is left out (its other cases load)."""
    clashes = []
    for case in loaded.cases:
        first = seen.get(case.name)
        if first is not None:
            clashes.append(Problem(case.file, case.line, case.name, "name", f"name: the case name "
                                   f"'{case.name}' is already used at {first.file}:{first.line}"))
    result.problems.extend(loaded.problems + clashes)
    clashing = {(p.case, p.line) for p in clashes}
    for case in loaded.cases:
        if (case.name, case.line) not in clashing:
            seen[case.name] = case
            result.cases.append(case)


def _cases(document, file: str, problems: Problems) -> tuple[list[Case], list[Problem]]:
    if document is None:
        problems.add(1, "", "the file is empty; expected a mapping with 'cases:' (a list of cases)")
        return [], []
    if not isinstance(document, LineMap):
        problems.add(getattr(document, "line", 1) or 1, "", "the top level must be a mapping with 'cases:' "
                                                            "(a list of cases)")
        return [], []
    check_keys(document, TOP_KEYS, "", problems)
    if "cases" not in document:
        problems.add(document.line, "", "the file needs 'cases:' (a list of cases)")
        return [], []
    items = document["cases"]
    if not isinstance(items, LineList):
        problems.add(document.value_line("cases"), "cases", "expected a list of cases (each item starts "
                                                            "with '- name: ...')")
        return [], []
    if len(items) > MAX_CASES_PER_FILE:
        problems.add(items.line, "cases", f"{len(items)} cases, beyond the limit of {MAX_CASES_PER_FILE} "
                                          "per file; split the file")
        return [], []
    cases, found, first_line = [], [], {}
    for i, raw in enumerate(items):
        line = items.item_line(i)
        case, case_problems = validate_case(raw, file, line)
        found.extend(case_problems)
        if case is not None:
            cases.append(case)
        name = raw.get("name") if isinstance(raw, LineMap) else None
        if isinstance(name, str) and name in first_line:
            found.append(Problem(file, line, name, "name", f"name: the case name '{name}' is already "
                                                           f"used at {file}:{first_line[name]}"))
        elif isinstance(name, str):
            first_line[name] = line
    return cases, found


def _attach_case_names(problems: list[Problem], document) -> list[Problem]:
    """File-level problems (duplicate keys) inside a case get that case's name."""
    spans = _case_spans(document)
    out = []
    for p in problems:
        name = next((n for start, end, n in spans if start <= p.line < end), "")
        out.append(Problem(p.file, p.line, name, p.field, p.message) if name and not p.case else p)
    return out


def _case_spans(document) -> list[tuple[int, int, str]]:
    if not isinstance(document, LineMap) or not isinstance(document.get("cases"), LineList):
        return []
    items = document["cases"]
    starts = [items.item_line(i) for i in range(len(items))]
    ends = starts[1:] + [10**9]
    return [(s, e, raw.get("name")) for s, e, raw in zip(starts, ends, items)
            if isinstance(raw, LineMap) and isinstance(raw.get("name"), str)]


def _syntax_problem(exc: yaml.MarkedYAMLError, text: str, file: str) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark else 1
    message = f"YAML syntax error: {exc.problem or exc.context or 'invalid YAML'}"
    if exc.context and exc.problem:
        started = exc.context_mark
        at = f" started at line {started.line + 1}" if started and started.line + 1 != line else ""
        message += f" ({exc.context}{at})"
    lines = text.splitlines()
    if "\t" in (lines[line - 1] if 0 < line <= len(lines) else "") or "'\\t'" in message:
        message += "; YAML does not allow tabs for indentation: indent with spaces"
    return Problem(file, line, "", "", message)

