"""The engine's functions (`engine.exp`, `engine.sum`, ...), one per registry entry."""

from __future__ import annotations

from verifier.engine.function import apply_plan, plan_of
from verifier.engine.tensor import Tensor
from verifier.ops.registry import all_ops


def make_function(op):
    """A torch-style function for `op`: tensors first, params positional or by keyword."""
    n = len(op.inputs)
    plan = plan_of(op)
    if op.kind == "meta":
        # Facts about a tensor (numel): plain Python values, outside the graph.
        def function(*args, **kwargs):
            tensors, params = op.bind(args, dict(kwargs))
            return op.forward(*(t._array if isinstance(t, Tensor) else t for t in tensors), **params)
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
    function.__name__ = op.name
    function.__qualname__ = op.name
    function.__doc__ = op.doc or f"torch.{op.name}, computed by the verifier engine."
    return function


def _as_tensor(t):
    if isinstance(t, Tensor):
        return t
    raise TypeError(f"expected a sequence of Tensors, got an element of type {type(t).__name__}")


FUNCTIONS = {name: make_function(op) for name, op in all_ops().items()}
globals().update(FUNCTIONS)


def to_dtype(t, dtype):
    return FUNCTIONS["to_dtype"](t, dtype)
