"""Describing where a backend's path left the oracle's (branch taken, loop counts)."""

from __future__ import annotations


def describe_divergence(got: tuple, exact: tuple) -> str:
    """'line 3: while ran 9 times, exactly 10' for the first decision that differs."""
    for mine, theirs in zip(got, exact):
        if mine != theirs:
            return _decision(mine, theirs)
    if len(got) != len(exact):
        return (f"the backend made {len(got)} branch/loop decisions, the exact computation "
                f"{len(exact)}")
    return "the paths are the same"


def _decision(mine, theirs) -> str:
    kind, line, taken = mine
    if (kind, line) != tuple(theirs[:2]):
        return (f"line {line}: the backend reached a {kind}, the exact computation a "
                f"{theirs[0]} at line {theirs[1]}")
    if kind == "if":
        return (f"line {line}: if took the {_branch(taken)} branch, exactly the "
                f"{_branch(theirs[2])} branch")
    return f"line {line}: {kind} ran {taken} time{'s' * (taken != 1)}, exactly {theirs[2]}"


def _branch(taken: bool) -> str:
    return "true" if taken else "false"
