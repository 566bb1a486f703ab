"""Mutants of the engine core: the few functions every op's gradient passes through.

These are not per-op rules, so they are written out here, one replacement
function each, installed by name (patching.replace_attribute) — never as text.
"""

from __future__ import annotations

import numpy as np

from verifier.mutate.model import Mutant
from verifier.mutate.patching import replace_attribute

ACCUMULATION = "verifier.engine.accumulation"


def _overwriting_accumulate():
    from verifier.engine.accumulation import to_tensor
    from verifier.engine.tensor import _detached

    def overwrite(t, g, create_graph):
        # the bug: .grad = g instead of .grad += g
        if create_graph:
            t._grad = to_tensor(g, True)
        else:
            t._grad = _detached(np.array(getattr(g, "_array", g), copy=True))
    return replace_attribute(ACCUMULATION, "accumulate", overwrite)


def _leaf_fast_path_overwrites():
    from verifier.engine.tensor import _detached

    def to_leaf(variable, g):
        # the bug: the fast path steals g without checking that .grad is still empty
        variable._grad = _detached(g)
    return replace_attribute(ACCUMULATION, "to_leaf", to_leaf)


def _shared_buffer_written():
    # the bug: the pass adds in place into a gradient someone else still holds
    return replace_attribute(ACCUMULATION, "owned", lambda array, references: True)


def _broadcast_undone_on_wrong_axis():
    from verifier.engine.accumulation import fit

    def wrong_fit(g, shape, dtype, ns):
        extra = len(tuple(g.shape)) - len(shape)
        if extra > 0:
            # the bug: the broadcast (leading) dims are summed from the end instead
            g = ns.sum(g, dim=tuple(range(len(shape), len(shape) + extra)), keepdim=False)
        return fit(g, shape, dtype, ns)
    return replace_attribute(ACCUMULATION, "fit", wrong_fit)


def _retain_graph_by_default():
    from verifier.engine import autograd

    original = autograd.backward

    def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False,
                 inputs=None, grad_variables=None):
        # the bug: a missing retain_graph keeps the graph (torch frees it)
        return original(tensors, grad_tensors, True if retain_graph is None else retain_graph,
                        create_graph, inputs, grad_variables)
    return replace_attribute("verifier.engine.autograd", "backward", backward)


CORE = (
    ("accumulation", "engine.accumulate", "accumulate overwrites .grad instead of adding",
     _overwriting_accumulate),
    ("accumulation", "engine.to_leaf", "the leaf's fast path overwrites an existing .grad",
     _leaf_fast_path_overwrites),
    ("accumulation", "engine.owned", "gradients are added in place into buffers that "
     "another tensor holds", _shared_buffer_written),
    ("wrong_axis", "engine.fit", "broadcasting undone on the trailing dims instead of the "
     "leading ones", _broadcast_undone_on_wrong_axis),
    ("retain_graph", "engine.backward", "backward() keeps the graph when retain_graph is "
     "not given", _retain_graph_by_default),
)


def core_mutants() -> list[Mutant]:
    return [Mutant(id=f"{bug_class}:{target}", bug_class=bug_class, target=target,
                   description=description, patch=patch, rule="core")
            for bug_class, target, description, patch in CORE]
