"""The one error the case-language parser raises."""

from __future__ import annotations


class ParseError(Exception):
    """A case-language text that is not valid.

    `line` is 1-based within the parsed text, `col` 1-based within that line
    (0 where unknown); the loader adds the YAML line of the field.
    """

    def __init__(self, message: str, line: int = 1, col: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.col = col

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", column {self.col}" if self.col else "")
        return f"{where}: {self.message}"
