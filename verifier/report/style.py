"""Colors and status marks for the terminal reports.

Colors only on a terminal, and never when NO_COLOR is set (https://no-color.org);
plain ASCII marks where the stream cannot encode the Unicode ones.
"""

from __future__ import annotations

import os

_CODES = {"green": "32", "red": "31", "yellow": "33", "cyan": "36", "bold": "1", "dim": "2"}

# status -> (mark, color)
MARKS = {"pass": ("✓", "green"), "fail": ("✗", "red"), "error": ("E", "red"),
         "skip": ("s", "yellow"), "xfail": ("x", "yellow"), "xpass": ("X", "yellow")}
ASCII_MARKS = {"pass": ".", "fail": "F"}
DIVERGED_MARK = "D"
NOT_RUN_MARK = "-"


def wants_color(stream) -> bool:
    if "NO_COLOR" in os.environ or os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def can_encode(stream, text: str = "✓✗·") -> bool:
    encoding = getattr(stream, "encoding", None) or "ascii"
    try:
        text.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


class Style:
    def __init__(self, color: bool = False, unicode: bool = True) -> None:
        self.color = color
        self.unicode = unicode

    @classmethod
    def for_stream(cls, stream) -> "Style":
        return cls(color=wants_color(stream), unicode=can_encode(stream))

    def paint(self, text: str, *styles: str) -> str:
        if not self.color or not styles:
            return text
        codes = ";".join(_CODES[s] for s in styles)
        return f"\x1b[{codes}m{text}\x1b[0m"

    def mark(self, status: str, diverged: bool = False) -> str:
        """The one-character mark of a status ('D' for a diverged row that did not fail)."""
        if diverged and status not in ("fail", "error"):
            return self.paint(DIVERGED_MARK, "cyan")
        symbol, color = MARKS[status]
        if not self.unicode:
            symbol = ASCII_MARKS.get(status, symbol)
        return self.paint(symbol, color)

    def legend(self) -> str:
        names = ["pass", "fail", "error", "skip", "xfail", "xpass"]
        parts = [f"{self.mark(s)} {s}" for s in names]
        parts.append(f"{self.mark('pass', diverged=True)} diverged (took another branch or loop "
                     "count than the oracle; judged on its own path)")
        parts.append(f"{NOT_RUN_MARK} not run")
        return "  ".join(parts)
