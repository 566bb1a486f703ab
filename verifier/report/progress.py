"""The progress bar on a terminal (stderr): cases done of total, failures, elapsed, current case.

Off when the stream is not a terminal, so CI logs stay clean.
"""

from __future__ import annotations

import shutil
import sys
import time


class Progress:
    def __init__(self, total: int, stream=None, enabled: bool | None = None,
                 clock=time.monotonic) -> None:
        self.stream = stream if stream is not None else sys.stderr
        isatty = getattr(self.stream, "isatty", None)
        self.enabled = bool(isatty and isatty()) if enabled is None else enabled
        self.total = total
        self.done = 0
        self.failed = 0
        self.clock = clock
        self.started = clock()
        self.current = ""

    def start(self, case) -> None:
        self.current = case.name
        self._draw()

    def finish(self, case, verdicts) -> None:
        self.done += 1
        self.current = case.name  # worker processes report only finished cases
        self.failed += sum(v.status in ("fail", "error") for v in verdicts)
        self._draw()

    def line(self, width: int) -> str:
        """The bar as text, fitted to `width` columns (without colors)."""
        fraction = self.done / self.total if self.total else 1.0
        bar_width = 20
        filled = int(round(fraction * bar_width))
        bar = "#" * filled + "." * (bar_width - filled)
        failed = f"  {self.failed} failed" if self.failed else ""
        text = (f"[{bar}] {self.done}/{self.total}{failed}  {self.clock() - self.started:.1f} s"
                f"  {self.current}")
        return text[:max(width - 1, 10)]

    def _draw(self) -> None:
        if not self.enabled:
            return
        width = shutil.get_terminal_size((80, 20)).columns
        self.stream.write("\r\x1b[K" + self.line(width))
        self.stream.flush()

    def close(self) -> None:
        """Erase the bar so the report starts on a clean line."""
        if self.enabled:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
