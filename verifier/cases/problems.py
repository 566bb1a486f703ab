"""A problem in a case file, reported as `FILE:LINE: case NAME: what is wrong`."""

from __future__ import annotations

from dataclasses import dataclass


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
