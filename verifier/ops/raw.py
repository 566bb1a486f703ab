"""`RAW`: the registry's numpy forwards as a namespace over plain arrays.

VJP rules call `ns.cos(x)`; during a plain (first-order) backward `ns` is this
namespace, so a rule costs one numpy call and no graph bookkeeping.
"""

from __future__ import annotations

from verifier.ops.registry import get


class RawNamespace:
    """Attribute access `RAW.name` gives the op's forward with torch's signature."""

    def __getattr__(self, name: str):
        try:
            op = get(name)
        except KeyError:
            raise AttributeError(f"no registered operation named {name!r}") from None
        forward = op.forward
        inputs = len(op.inputs)
        if not op.params:
            call = forward
        else:
            def call(*args, **kwargs):
                if len(args) == inputs and not kwargs:
                    return forward(*args, **_defaults(op))
                tensors, params = op.bind(args, dict(kwargs))
                return forward(*tensors, **params)
        setattr(self, name, call)  # cache: later lookups skip __getattr__
        return call


def _defaults(op):
    return {p.name: p.default for p in op.params}


RAW = RawNamespace()
