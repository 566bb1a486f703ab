"""A problem in a case file, reported as `FILE:LINE: case NAME: what is wrong`."""

from __future__ import annotations

from dataclasses import dataclass

from verifier.limits import MAX_PROBLEMS_PER_FILE


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    case: str  # the case's name, '' where none is known (YAML syntax errors)
    field: str  # dotted path such as 'inputs.x.shape', '' for the file or the case itself
    message: str  # starts with the field where there is one

    def __str__(self) -> str:
        case = f"case {self.case}: " if self.case else ""
        return f"{self.file}:{self.line}: {case}{self.message}"


class Problems:
    """Collects every problem of one case (or file); validation never stops at the first."""

    def __init__(self, file: str, case: str = "") -> None:
        self.file = file
        self.case = case
        self.items: list[Problem] = []

    def add(self, line: int, field: str, message: str) -> None:
        text = f"{field}: {message}" if field else message
        self.items.append(Problem(self.file, line, self.case, field, text))

    def __len__(self) -> int:
        return len(self.items)


def capped(problems: list[Problem], limit: int = MAX_PROBLEMS_PER_FILE) -> list[Problem]:
    """One file's problems, at most `limit` of them and a last one counting the rest
    (a hostile file must not print a million lines)."""
    if len(problems) <= limit:
        return problems
    last = problems[limit - 1]
    more = len(problems) - limit + 1
    return problems[:limit - 1] + [Problem(last.file, last.line, "", "", f"... and {more} more problems "
                                           f"in this file (only the first {limit - 1} are listed)")]
