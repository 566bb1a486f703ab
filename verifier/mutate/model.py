"""What a mutant is, and the documented catalogue of bug classes it belongs to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from verifier.mutate.patching import Undo


@dataclass(frozen=True)
class BugClass:
    name: str
    what: str  # the planted bug, in words
    killer: str  # the class of case that kills such a mutant


BUG_CLASSES: dict[str, BugClass] = {b.name: b for b in (
    BugClass("sign_flip", "a VJP returns one input's gradient negated",
             "any case differentiating through the op with respect to that input"),
    BugClass("dropped_factor", "a VJP loses a constant factor (every gradient halved)",
             "any case differentiating through the op (a nonzero gradient)"),
    BugClass("dropped_upstream", "a VJP ignores the incoming gradient (the chain rule's g "
             "taken as ones)", "the op inside a larger expression, so that its upstream gradient "
             "is not all ones: sum(w * f(x)), or a seed"),
    BugClass("wrong_operand", "a VJP of a two-input op reads its operands swapped",
             "two operands with different values (and shapes, for matmul)"),
    BugClass("missing_transpose", "a VJP leaves out a transpose/permute",
             "a non-symmetric operand (a rectangular or non-symmetric square matrix)"),
    BugClass("wrong_axis", "broadcasting undone on the wrong axis",
             "an operand broadcast over a square matrix: x (3x3) + b (3), with distinct rows"),
    BugClass("keepdim", "a reduction's VJP takes keepdim the wrong way round",
             "a reduction over the last dim of a square input with keepdim false, and a "
             "non-uniform upstream gradient (a seed or weights)"),
    BugClass("negative_dim", "a VJP resolves a negative dim against the wrong rank "
             "(-1 taken as ndim - 2)", "a negative dim on an input of two or more dims"),
    BugClass("kink", "the convention at a kink changed (strict comparisons made non-strict, "
             "sign(0) = 1)", "an input exactly at the kink: 0 for relu/abs, a tie for "
             "maximum/amax, a clamp bound, softplus's threshold"),
    BugClass("accumulation", "gradients overwritten instead of added (leaf .grad, the "
             "leaf's fast path, shared buffers)", "backward repeated with retain_graph, or an "
             "input reaching the output along two paths"),
    BugClass("float64", "a float32 run computing in float64 (a Python number wrapped as a "
             "strong float64 0-d array)", "a float32 case mixing a tensor and a Python number "
             "(x * 2), whose result dtype is checked"),
    BugClass("unstable_forward", "the op's textbook formula evaluated naively (log(1 + x) for "
             "log1p, logsumexp without the max shift)", "arguments where the formula loses "
             "accuracy or overflows: tiny (1e-10) or huge (800)"),
    BugClass("retain_graph", "backward() keeps the graph by default (retain_graph None taken "
             "as True)", "a second backward without retain_graph, expecting backward_twice"),
)}


@dataclass(frozen=True)
class Mutant:
    """One planted bug: `install()` puts it in the engine and returns `undo()`.

    A rule mutant carries the replacement `forward` or `vjp` of the registry op
    `target`; `install(installer)` hands them to an installer, by default our
    engine's (patching.replace_rule): another engine passes its own.  A core
    mutant (`rule == 'core'`, target "engine.accumulate") carries `patch`, which
    installs itself.  `id` is unique and stable across processes.
    """
    id: str
    bug_class: str
    target: str
    description: str
    # 'vjp' or 'forward' of the target op, or 'core' (the engine): a case reaches a rule
    # mutant only if it runs that rule.
    rule: str = "vjp"
    forward: Callable | None = None
    vjp: Callable | None = None
    patch: Callable[[], Undo] | None = None
    # Why the catalogue left it out of the score (an equivalent mutant), else ''.
    equivalent: str = ""

    def install(self, installer: Callable[..., Undo] | None = None) -> Undo:
        if self.patch is not None:
            return self.patch()
        if installer is None:
            from verifier.mutate.patching import replace_rule as installer
        return installer(self.target, forward=self.forward, vjp=self.vjp)

    @property
    def killer(self) -> str:
        return BUG_CLASSES[self.bug_class].killer
