"""Telling a renamed case from a deleted one, in the baseline gate.

A baseline matches rows by case name, so a renamed case shows as rows that vanished
and rows that are new.  The baseline also stores, per case, a digest of what the case
computes (its program text, its inputs' names, shapes and exact values, the seed of
backward, the order); a vanished case whose digest equals a new case's is reported as
"renamed to NEW?" (and the new one as "renamed from OLD?").  The rows still count as
vanished: the gate cannot know that the rename was meant, only point at it.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import replace
from pathlib import Path

DIGESTS_KEY = "case_digests"  # the baseline's extra top-level key: {case name: digest}


def case_digest(case) -> str:
    """A short hash of what the case computes; its name, file, tags and claims left out."""
    parts = [case.source, str(case.order), str(case.backward_repeat)]
    for spec in [*case.inputs.values(), *([case.seed] if case.seed is not None else [])]:
        values = ",".join(str(v) for v in spec.exact.ravel())  # Fractions: exact, canonical
        parts.append(f"{spec.name}{list(spec.shape)}{spec.requires_grad}:{values}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def case_digests(cases) -> dict[str, str]:
    return {c.name: case_digest(c) for c in cases}


def read_case_digests(path: str | os.PathLike) -> dict[str, str]:
    """The digests a baseline stores; {} for a plain --json report (no rename hints then)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    digests = data.get(DIGESTS_KEY) if isinstance(data, dict) else None
    if not isinstance(digests, dict):
        return {}
    return {k: v for k, v in digests.items() if isinstance(k, str) and isinstance(v, str)}


def mark_renames(comparison, before: dict[str, str], after: dict[str, str]):
    """The comparison with "renamed?" added to the rows of cases that only changed name."""
    vanished = {c.case for c in comparison.regressions if c.why == "vanished"}
    vanished -= after.keys()  # a case still present lost only some rows: not a rename
    new = {c.case for c in comparison.regressions + comparison.improvements
           if c.why.startswith("new row")} - before.keys()
    by_digest: dict[str, list[str]] = {}
    for name in sorted(new):
        by_digest.setdefault(after.get(name, ""), []).append(name)
    renamed_to = {old: by_digest[before[old]] for old in vanished
                  if before.get(old) and before[old] in by_digest}
    renamed_from: dict[str, list[str]] = {}
    for old, news in renamed_to.items():
        for name in news:
            renamed_from.setdefault(name, []).append(old)

    def annotate(change):
        if change.why == "vanished" and change.case in renamed_to:
            return replace(change, why=f"vanished; renamed to {' or '.join(renamed_to[change.case])}?")
        if change.why.startswith("new row") and change.case in renamed_from:
            olds = " or ".join(sorted(renamed_from[change.case]))
            return replace(change, why=f"{change.why}; renamed from {olds}?")
        return change

    return replace(comparison, regressions=[annotate(c) for c in comparison.regressions],
                   improvements=[annotate(c) for c in comparison.improvements])
