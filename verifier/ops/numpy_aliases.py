"""torch's numpy-style keyword names: `axis=` for `dim=`, `keepdims=` for `keepdim=`.

torch's argument parser for its C++ bindings accepts these aliases wherever a binding's
parameter is named `dim` or `keepdim` (`torch.sum(x, axis=1)`, `x.amax(axis=0,
keepdims=True)`); functions written in Python do not (`torch.nn.functional.softmax`,
`torch.norm`, `torch.split`, `F.glu`, `F.normalize`).  The tables below are exactly the
registry entries whose torch 2.13 function accepts the alias, and
tests/test_numpy_aliases.py checks them against torch itself, name by name, both ways.
The engine, the case language and the oracle all bind arguments through `Op.bind`, which
renames an alias to its parameter.
"""

from __future__ import annotations

AXIS = frozenset("""
all any count_nonzero sum mean prod amax amin std var logsumexp max min median
softmax log_softmax cumsum cumprod logcumsumexp cummax cummin sort topk
cat stack squeeze unsqueeze chunk narrow gather scatter scatter_add index_select
cross cosine_similarity vector_norm matrix_norm
""".split())

KEEPDIMS = frozenset("""
all any sum mean prod amax amin std var logsumexp max min median
vector_norm matrix_norm pairwise_distance
""".split())

# torch.nn.functional's own (Python) versions of these take `dim` only: F.softmax(x, axis=1)
# is a TypeError, torch.softmax(x, axis=1) is not.
NOT_IN_FUNCTIONAL = frozenset({"softmax", "log_softmax"})


def declare_aliases(ops: dict) -> None:
    """Record each entry's aliases in its `extra["aliases"]` (read by Op.bind)."""
    for name, op in ops.items():
        aliases = {}
        if name in AXIS:
            aliases["axis"] = "dim"
        if name in KEEPDIMS:
            aliases["keepdims"] = "keepdim"
        if aliases:
            # A fresh dict: several entries may share one `extra` mapping (gathering.INDEXED).
            object.__setattr__(op, "extra", {**op.extra, "aliases": aliases})
