"""The end-of-run report: a table of marks, the failures in detail, the summary line."""

from __future__ import annotations

from verifier.report.style import NOT_RUN_MARK, Style
from verifier.runner.summary import Summary
from verifier.verdict import Verdict

_DTYPE_ORDER = {"exact": 0, "float64": 1, "float32": 2}
_SHORT_DTYPE = {"float64": "f64", "float32": "f32"}
_MAX_NAME = 48


def columns_of(verdicts: list[Verdict]) -> list[tuple[str, str]]:
    """(backend, dtype) columns: backends in the order first seen, dtypes exact, f64, f32."""
    backends: list[str] = []
    dtypes: dict[str, set[str]] = {}
    for v in verdicts:
        if v.backend not in backends:
            backends.append(v.backend)
        dtypes.setdefault(v.backend, set()).add(v.dtype)
    return [(b, d) for b in backends
            for d in sorted(dtypes[b], key=lambda d: (_DTYPE_ORDER.get(d, 9), d))]


def _header(backend: str, dtype: str) -> str:
    return f"{backend} {_SHORT_DTYPE.get(dtype, dtype)}"


def _short(name: str) -> str:
    return name if len(name) <= _MAX_NAME else name[:_MAX_NAME - 1] + "…"


def render_table(verdicts: list[Verdict], style: Style) -> str:
    """One row per case, one column per backend x dtype, then the legend."""
    if not verdicts:
        return ""
    columns = columns_of(verdicts)
    cases: dict[str, dict[tuple[str, str], Verdict]] = {}
    for v in verdicts:
        cases.setdefault(v.case, {})[(v.backend, v.dtype)] = v
    name_width = max(len("case"), *(len(_short(c)) for c in cases))
    widths = [len(_header(*c)) for c in columns]
    lines = ["  ".join([style.paint("case".ljust(name_width), "bold")] +
                       [style.paint(_header(*c), "bold") for c in columns])]
    for name, row in cases.items():
        cells = []
        for column, width in zip(columns, widths):
            v = row.get(column)
            mark = style.mark(v.status, v.diverged) if v else NOT_RUN_MARK
            # Marks may carry color codes: pad by the visible width (one character).
            cells.append(" " * ((width - 1) // 2) + mark + " " * (width - 1 - (width - 1) // 2))
        lines.append("  ".join([_short(name).ljust(name_width)] + cells))
    lines.append("")
    lines.append(style.legend())
    return "\n".join(lines)


def _worst(v: Verdict) -> str:
    parts = [f"{label} {value:.3g}" for label, value in
             (("abs", v.max_abs_err), ("rel", v.max_rel_err), ("ULP", v.max_ulp_err))
             if value is not None]
    return "worst error: " + "  ".join(parts) if parts else ""


def render_failures(verdicts: list[Verdict], style: Style, lines_of: dict[str, int] | None = None,
                    verbose: bool = False) -> str:
    """Every fail and error (with -v also xpass, xfail and diverged rows), in detail."""
    shown = {"fail", "error"} | ({"xpass", "xfail"} if verbose else set())
    blocks = []
    for v in verdicts:
        if v.status not in shown and not (verbose and v.diverged):
            continue
        where = v.file + (f":{lines_of[v.case]}" if lines_of and v.case in lines_of else "")
        title = {"fail": "FAILED", "error": "ERROR", "xpass": "XPASS", "xfail": "XFAIL"}.get(
            v.status, v.status.upper())
        color = "red" if v.status in ("fail", "error") else "yellow"
        block = [f"{style.paint(title, color, 'bold')} {v.case} [{v.backend} {v.dtype}]  {where}"]
        block += ["    " + line for line in (v.message or "(no message)").splitlines()]
        for extra in (_worst(v), f"blame: {v.blame}" if v.blame else "",
                      "diverged: took another branch or loop count than the oracle"
                      if v.diverged else ""):
            if extra:
                block.append("    " + extra)
        blocks.append("\n".join(block))
    return "\n\n".join(blocks)


def render_summary_line(summary: Summary, seconds: float | None, style: Style,
                        problems: int = 0) -> str:
    text = summary.line(seconds)
    if problems:
        text = f"{problems} invalid case file problem{'s' if problems != 1 else ''}, " + text
    color = "green" if summary.ok and not problems else "red"
    return style.paint(text, color, "bold")
