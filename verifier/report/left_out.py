"""The one line that says which rows a run left out, and why (see runner.left_out_rows)."""

from __future__ import annotations


def render_left_out(left_out: dict[tuple[str, str], str]) -> str:
    """`left out, as they cannot run here: torch-cuda (CUDA is not available ...); fd at
    float32 (...); ...`, or '' when nothing was.  A dtype of '' means every dtype."""
    if not left_out:
        return ""
    parts = [f"{backend}{f' at {dtype}' if dtype else ''} ({why})"
             for (backend, dtype), why in left_out.items()]
    return ("left out, as they cannot run here: " + "; ".join(parts)
            + "; name a backend with --backend to report its rows as skipped")
