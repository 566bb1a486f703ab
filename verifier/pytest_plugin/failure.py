"""The text of a failed row in pytest: the case, its claims, the exact value, each backend's
number where the row is worst, and the errors (absolute, relative, ULP)."""

from __future__ import annotations

import math

SHOWN_ELEMENTS = 6  # elements of a quantity printed in full; the worst one is always shown


def describe_failure(case, verdict, case_verdicts) -> str:
    lines = [f"case {case.name} ({case.file}:{case.line}) on {verdict.backend} at {verdict.dtype}: "
             f"{verdict.status}"]
    if verdict.message:
        lines.append(f"  {verdict.message}")
    if verdict.diverged:
        lines.append("  the backend took another branch or loop count than the oracle")
    if verdict.blame:
        lines.append(f"  blamed on: {verdict.blame}")
    lines += ["", "source:"] + [f"  {line}" for line in (case.source or "").splitlines()]
    claims = _claims(case)
    if claims:
        lines += ["claims:"] + [f"  {c}" for c in claims]
    lines.append("errors: " + _errors(verdict))
    for quantity, detail in verdict.details.items():
        if isinstance(detail, dict):
            lines += [""] + _quantity(quantity, detail, verdict, case_verdicts)
    lines += ["", "every row of this case:"] + _rows(case_verdicts)
    return "\n".join(lines)


def _claims(case) -> list[str]:
    expect = case.expect
    out = []
    if expect.value is not None:
        out.append(f"value = {expect.value.text or _literal(expect.value)}")
    for name, claim in expect.grad.items():
        out.append(f"grad {name} = {claim.text or _literal(claim)}")
    if expect.error:
        out.append(f"error: {expect.error}")
    return out


def _literal(claim) -> str:
    values = claim.literal
    return "(none)" if values is None else ", ".join(str(v) for v in values.ravel()[:SHOWN_ELEMENTS])


def _number(x) -> str:
    if x is None:
        return "-"
    x = float(x)
    return f"{x:.17g}" if math.isfinite(x) else str(x)


def _short(x) -> str:
    return "-" if x is None else f"{float(x):.3g}"


def _errors(v) -> str:
    return f"abs {_short(v.max_abs_err)}, rel {_short(v.max_rel_err)}, ULP {_short(v.max_ulp_err)}"


def _worst_flat(detail: dict) -> int | None:
    index, shape = detail.get("worst_index"), detail.get("shape")
    if index is None or shape is None or len(index) != len(shape):
        return None
    flat = 0
    for i, n in zip(index, shape):
        flat = flat * n + i
    return flat


def _quantity(name: str, detail: dict, verdict, case_verdicts) -> list[str]:
    if name.startswith("claim."):
        how = f" ({detail['how']})" if detail.get("how") else ""
        text = f"{name}: {detail.get('status', '?')}{how}, abs err {_short(detail.get('max_abs_err'))}"
        message = detail.get("message")
        return [text + (f": {message}" if message else "")]
    lines = [f"{name}: abs {_short(detail.get('max_abs_err'))}, rel {_short(detail.get('max_rel_err'))}, "
             f"ULP {_short(detail.get('max_ulp_err'))} (tolerance rtol {_short(detail.get('rtol'))}, "
             f"atol {_short(detail.get('atol'))})"]
    exact, got = detail.get("exact") or [], detail.get("got") or []
    if len(got) <= SHOWN_ELEMENTS:
        lines.append(f"  exact:  {', '.join(map(_number, exact))}")
        lines.append(f"  {verdict.backend}: {', '.join(map(_number, got))}")
    flat = _worst_flat(detail)
    if flat is None or flat >= len(exact):
        return lines
    index = tuple(detail["worst_index"])
    lines.append(f"  worst element {list(index)}: exact {_number(exact[flat])}")
    # Each backend's number at that element, side by side (from the other rows' details).
    for other in case_verdicts:
        other_detail = other.details.get(name) if isinstance(other.details, dict) else None
        if not isinstance(other_detail, dict):
            continue
        values = other_detail.get("got") or []
        if flat < len(values) and other_detail.get("shape") == detail.get("shape"):
            marker = "  <-" if other is verdict else ""
            lines.append(f"    {other.backend + ' ' + other.dtype:<20} {_number(values[flat])}{marker}")
    return lines


def _rows(case_verdicts) -> list[str]:
    lines = []
    for v in case_verdicts:
        lines.append(f"  {v.backend:<11} {v.dtype:<8} {v.status:<6} {_errors(v)}"
                     + (f"  {v.message}" if v.message and v.status != "pass" else ""))
    return lines
