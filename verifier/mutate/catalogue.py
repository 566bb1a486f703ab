"""The catalogue: every mutant of the registry's rules and of the engine core."""

from __future__ import annotations

import functools
import warnings

from verifier.mutate.core_mutants import core_mutants
from verifier.mutate.model import Mutant
from verifier.mutate.rule_mutants import rule_mutants


def generate(ops) -> list[Mutant]:
    """The mutants of registry entries `ops` (any registry-described rules), in a stable order."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # probes evaluate rules at poles and overflow
        return rule_mutants(ops)


@functools.lru_cache(maxsize=1)
def catalogue() -> tuple[Mutant, ...]:
    """Our engine's catalogue: the registry's ops, then the engine core."""
    from verifier.ops.registry import all_ops
    return tuple(generate(all_ops().values()) + core_mutants())


def by_id() -> dict[str, Mutant]:
    return {m.id: m for m in catalogue()}


def sample(mutants, size: int) -> list[Mutant]:
    """A fixed subset of `size` scored mutants, spread round-robin over the bug classes
    (within a class, evenly over its ids): the same mutants on every machine."""
    classes: dict[str, list[Mutant]] = {}
    for m in sorted((m for m in mutants if not m.equivalent), key=lambda m: m.id):
        classes.setdefault(m.bug_class, []).append(m)
    picked: list[Mutant] = []
    rank = 0
    while len(picked) < size and any(rank < len(ms) for ms in classes.values()):
        for name in sorted(classes):
            ms = classes[name]
            if rank < len(ms) and len(picked) < size:
                # Spread over the class: 0, n/2, n/4, 3n/4, ... by a fixed stride order.
                picked.append(ms[(rank * 7919) % len(ms)] if len(ms) > 1 else ms[0])
        rank += 1
    return list(dict.fromkeys(picked))
