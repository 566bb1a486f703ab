"""The end-of-run report: a table of marks, the failures in detail, the summary line."""

from __future__ import annotations

from verifier.float_formats import FORMATS, RUN_DTYPES
from verifier.report.escape import printable
from verifier.report.style import NOT_RUN_MARK, Style
from verifier.runner.summary import Summary
from verifier.verdict import Verdict

_DTYPE_ORDER = {"exact": 0, **{name: i + 1 for i, name in enumerate(RUN_DTYPES)}}
_SHORT_DTYPE = {f.name: f.short for f in FORMATS.values()}
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


def _short(name: str) -> str:
    name = printable(name, one_line=True)
    return name if len(name) <= _MAX_NAME else name[:_MAX_NAME - 1] + "…"


def _skipped_everywhere(verdicts: list[Verdict], columns) -> dict[tuple[str, str], str]:
    """Columns where every row was skipped for one reason (torch-cuda without CUDA): column -> reason."""
    reasons: dict[tuple[str, str], set[str]] = {}
    for v in verdicts:
        reasons.setdefault((v.backend, v.dtype), set()).add(v.message if v.status == "skip" else "\0")
    return {c: next(iter(r)) for c, r in reasons.items() if len(r) == 1 and "\0" not in r}


def render_table(verdicts: list[Verdict], style: Style) -> str:
    """One row per case, one column per backend x dtype (grouped under the backend), a legend.

    A column skipped on every row for one reason is folded into a note under the table.
    """
    if not verdicts:
        return ""
    all_columns = columns_of(verdicts)
    folded = _skipped_everywhere(verdicts, all_columns)
    columns = [c for c in all_columns if c not in folded] or all_columns
    cases: dict[str, dict[tuple[str, str], Verdict]] = {}
    for v in verdicts:
        cases.setdefault(v.case, {})[(v.backend, v.dtype)] = v
    name_width = max(len("case"), *(len(_short(c)) for c in cases))

    groups: list[tuple[str, list[str]]] = []  # backend -> its dtype labels
    for backend, dtype in columns:
        if not groups or groups[-1][0] != backend:
            groups.append((backend, []))
        groups[-1][1].append(_SHORT_DTYPE.get(dtype, dtype))
    # Each group is as wide as its name or its dtype labels, whichever is wider.
    group_widths = [max(len(b), len(" ".join(labels))) for b, labels in groups]
    top = ["case".ljust(name_width)] + [b.ljust(w) for (b, _), w in zip(groups, group_widths)]
    sub = [" " * name_width] + [" ".join(labels).ljust(w)
                                for (_, labels), w in zip(groups, group_widths)]
    lines = [style.paint("  ".join(top).rstrip(), "bold"), style.paint("  ".join(sub).rstrip(), "dim")]
    label_widths = [len(_SHORT_DTYPE.get(d, d)) for _, d in columns]
    for name, row in cases.items():
        cells, i = [], 0
        for (_, labels), width in zip(groups, group_widths):
            marks = []
            for _ in labels:
                v = row.get(columns[i])
                mark = style.mark(v.status, v.diverged) if v else NOT_RUN_MARK
                # Marks may carry color codes: pad by the visible width (one character).
                marks.append(mark + " " * (label_widths[i] - 1))
                i += 1
            visible = sum(label_widths[i - len(labels):i]) + len(labels) - 1
            cells.append(" ".join(marks) + " " * (width - visible))
        lines.append("  ".join([_short(name).ljust(name_width)] + cells).rstrip())
    lines.append("")
    lines.append(style.legend())
    for (backend, dtype), reason in folded.items():
        if (backend, dtype) not in columns:
            lines.append(f"{backend} {dtype}: skipped on every case ({reason})")
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
        where = printable(v.file, one_line=True) + (f":{lines_of[v.case]}" if lines_of and v.case in lines_of
                                                    else "")
        title = {"fail": "FAILED", "error": "ERROR", "xpass": "XPASS", "xfail": "XFAIL"}.get(
            v.status, v.status.upper())
        color = "red" if v.status in ("fail", "error") else "yellow"
        block = [f"{style.paint(title, color, 'bold')} {_short(v.case)} [{printable(v.backend, True)} "
                 f"{printable(v.dtype, True)}]  {where}"]
        block += ["    " + line for line in printable(v.message or "(no message)").splitlines()]
        for extra in (_worst(v), f"blame: {v.blame}" if v.blame else "",
                      "diverged: took another branch or loop count than the oracle"
                      if v.diverged else ""):
            if extra:
                block.append("    " + printable(extra))
        blocks.append("\n".join(block))
    return "\n\n".join(blocks)


def render_summary_line(summary: Summary, seconds: float | None, style: Style,
                        problems: int = 0) -> str:
    text = summary.line(seconds)
    if problems:
        text = f"{problems} invalid case file problem{'s' if problems != 1 else ''}, " + text
    color = "green" if summary.ok and not problems else "red"
    return style.paint(text, color, "bold")
