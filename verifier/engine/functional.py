"""The engine's functions (`engine.exp`, `engine.sum`, ...), one per registry entry."""

from __future__ import annotations

import collections

from verifier.engine.function import apply_plan, plan_of
from verifier.engine.tensor import Tensor, _detached
from verifier.ops.registry import all_ops

# torch.return_types: the named tuples of ops with several outputs (max with dim, sort).
RETURN_TYPES: dict = {}


def make_function(op):
    """A torch-style function for `op`: tensors first, params positional or by keyword."""
    n = len(op.inputs)
    plan = plan_of(op)
    if op.extra.get("composite"):
        # Built from other entries (split: narrow of each piece), differentiable through them.
        def function(*args, **kwargs):
            from verifier import engine
            tensors, params = op.bind(args, dict(kwargs))
            return op.extra["composite"](engine, *tensors, **params)
    elif op.kind == "meta":
        # Facts about a tensor (numel): plain Python values, outside the graph.
        def function(*args, **kwargs):
            tensors, params = op.bind(args, dict(kwargs))
            return op.forward(*(t._array if isinstance(t, Tensor) else t for t in tensors), **params)
    elif op.variadic and op.extra.get("leading_param"):
        def function(*args, **kwargs):
            tensors, params = op.bind(args, dict(kwargs))
            return apply_plan(plan, tuple(_as_tensor(t) for t in tensors[0]), params)
    elif op.variadic:
        def function(tensors, *args, **kwargs):
            _, params = op.bind((None,) + args, dict(kwargs))
            return apply_plan(plan, tuple(_as_tensor(t) for t in tensors), params)
    elif not op.params:
        def function(*args, **kwargs):
            if kwargs or len(args) != n:
                args, _ = op.bind(args, dict(kwargs))
            return apply_plan(plan, args, {})
    else:
        def function(*args, **kwargs):
            tensors, params = op.bind(args, dict(kwargs))
            return apply_plan(plan, tensors, params)
    if op.extra.get("return_type"):
        function = _named_outputs(op, function)
    if any(p.name == "inplace" for p in op.params):
        function = _accepting_inplace(op, function)
    function.__name__ = op.name
    function.__qualname__ = op.name
    function.__doc__ = op.doc or f"torch.{op.name}, computed by the verifier engine."
    return function


def _accepting_inplace(op, compute):
    """torch.nn.functional's `inplace=True`: the result is written into the input, which is
    returned (apply_inplace: the node keeps a copy of the old value if its VJP reads it);
    the registry's forward itself always computes out of place."""
    def function(*args, **kwargs):
        tensors, params = op.bind(args, dict(kwargs))
        if not params.get("inplace"):
            return compute(*args, **kwargs)
        from verifier.engine.function import apply_inplace
        params["inplace"] = False
        return apply_inplace(op, tensors[0], tuple(tensors[1:]), params)
    return function


def _named_outputs(op, values_of):
    """torch's named tuple (values, indices, ...) for an op whose forward gives the values.

    The other fields are never differentiable (indices, signs): they come from
    `others(*arrays, **params)` as plain arrays. `others` returns None where torch
    returns the values alone (max without dim).
    """
    name, fields = op.extra["return_type"]
    others = op.extra["others"]
    kind = RETURN_TYPES.get(name)
    if kind is None:
        kind = RETURN_TYPES[name] = collections.namedtuple(name, fields)
        kind.__module__ = "torch.return_types"

    alias = op.extra.get("binary_alias")

    def function(*args, **kwargs):
        tensors, params = op.bind(args, dict(kwargs))
        if alias and isinstance(params.get("dim"), Tensor):
            # torch.max(input, other) is torch.maximum(input, other)
            if params.get("keepdim"):
                raise TypeError(f"{op.name}(input, other) takes no keepdim")
            return FUNCTIONS[alias](tensors[0], params["dim"])
        values = values_of(*tensors, **params)
        rest = others(*(t._array if isinstance(t, Tensor) else t for t in tensors), **params)
        if rest is None:
            return values
        return kind(*op.outputs(values, tuple(_detached(r) for r in rest)))
    return function


def _as_tensor(t):
    if isinstance(t, Tensor):
        return t
    raise TypeError(f"expected a sequence of Tensors, got an element of type {type(t).__name__}")


FUNCTIONS = {name: make_function(op) for name, op in all_ops().items()}
globals().update(FUNCTIONS)


def to_dtype(t, dtype):
    return FUNCTIONS["to_dtype"](t, dtype)
