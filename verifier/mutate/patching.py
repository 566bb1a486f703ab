"""The seam between mutants and an engine: swapping one rule, or one engine function.

A mutant never edits source text.  It is a pair of callables: `install()`
puts a replacement in place and returns `undo()`.  Two kinds of replacement:

* `replace_rule(op_name, forward=..., vjp=...)`: a registry entry's forward or
  VJP.  Our engine reads rules from three places, all updated together: the
  registry table (`OPS`, read by `RAW`, the namespace VJPs call), the engine's
  per-op `Plan` (read by every engine function, method and operator, which hold
  the Plan object itself), and RAW's per-name cache.
* `replace_attribute(module, name, value)`: an engine function (accumulation,
  the backward's defaults); every module that imported the name is patched.

Another engine's author supplies their own `RuleInstaller` (a function with
`replace_rule`'s signature returning an undo) and keeps the whole catalogue:
see docs/mutate.md.
"""

from __future__ import annotations

import dataclasses
import sys
from typing import Any, Callable

Undo = Callable[[], None]


def replace_rule(op_name: str, *, forward: Callable | None = None,
                 vjp: Callable | None = None) -> Undo:
    """Make the engine use `forward` and/or `vjp` for `op_name` until undo() is called."""
    from verifier.engine.function import plan_of
    from verifier.ops import registry
    from verifier.ops.raw import RAW

    ops = registry.all_ops()
    original = ops[op_name]
    plan = plan_of(original)
    saved = {slot: getattr(plan, slot) for slot in ("forward", "vjp", "vjp_parts", "ufunc")}
    changes: dict[str, Any] = {}
    if forward is not None:
        changes["forward"] = forward
        plan.forward = forward
        if plan.ufunc is not None:
            # The operators' direct path calls the ufunc: it must see the mutant too.
            plan.ufunc = forward
    if vjp is not None:
        changes["vjp"] = vjp
        plan.vjp = vjp
        plan.vjp_parts = getattr(vjp, "parts", None)
    ops[op_name] = dataclasses.replace(original, **changes)
    RAW.__dict__.pop(op_name, None)  # RAW caches each forward on first use

    def undo() -> None:
        ops[op_name] = original
        for slot, value in saved.items():
            setattr(plan, slot, value)
        RAW.__dict__.pop(op_name, None)
    return undo


def replace_attribute(module_name: str, name: str, value: Any) -> Undo:
    """Replace `module.name`, and the same object wherever another engine module
    imported it by name (`from ... import name`), until undo() is called."""
    module = sys.modules.get(module_name) or __import__(module_name, fromlist=["_"])
    original = getattr(module, name)
    patched = []
    for other in list(sys.modules.values()):
        if getattr(other, "__name__", "").startswith("verifier.engine") and \
                getattr(other, name, None) is original:
            setattr(other, name, value)
            patched.append(other)

    def undo() -> None:
        for other in patched:
            setattr(other, name, original)
    return undo
