"""Counting verdicts: the summary line, the JSON summary and the exit status all read this."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from verifier.verdict import Verdict

# status -> the summary's field (the JSON report's key)
_FIELD = {"pass": "passed", "fail": "failed", "error": "errors", "skip": "skipped",
          "xfail": "xfailed", "xpass": "xpassed"}


@dataclass
class Summary:
    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0
    xfailed: int = 0
    # An xfail that passed: reported, not a failure (as pytest's non-strict xfail).
    xpassed: int = 0

    @property
    def ok(self) -> bool:
        """Nothing failed: no status 'fail' or 'error' (the contract's exit status 1)."""
        return self.failed == 0 and self.errors == 0

    def to_json(self) -> dict:
        return asdict(self)

    def line(self, seconds: float | None = None) -> str:
        """`3 passed, 1 failed, 0 errors, 2 skipped, 0 xfailed in 1.23 s` (xpassed when any)."""
        parts = [f"{self.passed} passed", f"{self.failed} failed", f"{self.errors} errors",
                 f"{self.skipped} skipped", f"{self.xfailed} xfailed"]
        if self.xpassed:
            parts.append(f"{self.xpassed} xpassed")
        text = ", ".join(parts)
        return text if seconds is None else f"{text} in {seconds:.2f} s"


def summarize(verdicts: list[Verdict]) -> Summary:
    summary = Summary()
    for v in verdicts:
        field_name = _FIELD.get(v.status)
        if field_name is None:
            raise ValueError(f"verdict {v.case} {v.backend} {v.dtype} has status {v.status!r}; "
                             f"expected one of {', '.join(_FIELD)}")
        setattr(summary, field_name, getattr(summary, field_name) + 1)
    return summary
