"""torch.autograd.Function for the engine: user-defined forward and backward.

`apply` runs `forward(ctx, *args)` under no_grad (or `forward(*args)` then
`setup_context(ctx, inputs, output)`, torch's newer style), then gives each
differentiable output a node whose VJP calls `backward(ctx, *grad_outputs)`.
An output's node passes zeros for the other outputs' gradients; backward is
linear in them, so the sum over outputs is the full vector-Jacobian product.
Saved tensors keep their graph, so a backward written with engine operations
is differentiable again under create_graph (double backward), as in torch.
"""

from __future__ import annotations

import functools

import numpy as np

from verifier.engine import dual
from verifier.engine.grad_mode import GRAD_ENABLED, no_grad
from verifier.engine.graph import AccumulateGrad, Node
from verifier.engine.tensor import Tensor, _detached
from verifier.ops.promotion import floating


class FunctionCtx:
    """The `ctx` of forward and backward: saved tensors, flags, and free attributes."""

    def __init__(self, needs_input_grad) -> None:
        self.needs_input_grad = needs_input_grad
        self._saved = ()
        self._non_differentiable: set = set()
        self.materialize_grads = True

    def save_for_backward(self, *tensors) -> None:
        self._saved = tuple((t, t._version[0] if isinstance(t, Tensor) else None) for t in tensors)

    @property
    def saved_tensors(self) -> tuple:
        for i, (t, version) in enumerate(self._saved):
            if isinstance(t, Tensor) and t._version[0] != version:
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified by an "
                    f"inplace operation: saved tensor {i} is at version {t._version[0]}; expected "
                    f"version {version} instead. Do the in-place change on a copy (x.clone()).")
        return tuple(t for t, _ in self._saved)

    def mark_non_differentiable(self, *tensors) -> None:
        self._non_differentiable.update(id(t) for t in tensors)

    def mark_dirty(self, *tensors) -> None:
        """Inputs changed in place by forward: their outputs get this function's node."""

    def set_materialize_grads(self, value: bool) -> None:
        self.materialize_grads = bool(value)


class _Op:
    """What graph.node_name and the introspection API read of an op: its names."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.extra = {"node_name": f"{name}Backward"}


class _CustomPlan:
    """A Plan (engine.function) whose VJP is the user's backward."""

    __slots__ = ("op", "vjp", "vjp_parts", "saves", "saves_out", "view")

    def __init__(self, name, vjp) -> None:
        self.op = _Op(name)
        self.vjp = vjp
        self.vjp_parts = None
        self.saves = None
        self.saves_out = False
        self.view = False


def _backward_of(cls, ctx, n_outputs: int, index: int, outputs_meta):
    """The VJP of output `index`: backward(ctx, ...) with zeros for the other outputs."""
    def vjp(ns, g, out, *inputs, **params):
        raw = not isinstance(g, Tensor)
        grads = []
        for k, (shape, dtype) in enumerate(outputs_meta):
            if k == index:
                grads.append(_detached(np.asarray(g)) if raw else g)
            elif ctx.materialize_grads:
                grads.append(_detached(np.zeros(shape, dtype=dtype)))
            else:
                grads.append(None)
        results = cls.backward(ctx, *grads)
        if not isinstance(results, tuple):
            results = (results,)
        if len(results) < len(inputs):
            raise RuntimeError(f"function {cls.__name__}Backward returned an incorrect number of "
                               f"gradients (expected {len(inputs)}, got {len(results)})")
        results = results[:len(inputs)]
        fitted = []
        for i, (r, x) in enumerate(zip(results, inputs)):
            if r is None or not isinstance(x, (Tensor, np.ndarray)):
                fitted.append(None)
                continue
            if not isinstance(r, Tensor):
                raise TypeError(f"{cls.__name__}.backward returned a {type(r).__name__} for "
                                f"input {i}; expected a Tensor or None")
            shape = x.shape if isinstance(x, np.ndarray) else tuple(x.shape)
            if tuple(r.shape) != tuple(shape) and np.broadcast_shapes(tuple(r.shape), shape) != \
                    tuple(r.shape):
                raise RuntimeError(f"Function {cls.__name__}Backward returned an invalid gradient "
                                   f"at index {i} - got {list(r.shape)} but expected shape "
                                   f"compatible with {list(shape)}")
            fitted.append(r._array if raw else r)
        return tuple(fitted)
    return vjp


def _edge(t):
    if not isinstance(t, Tensor) or not t.requires_grad:
        return None
    if t.grad_fn is not None:
        return t.grad_fn
    if t._accumulator is None:
        t._accumulator = AccumulateGrad(t)
    return t._accumulator


class Function:
    """Subclass with static forward(ctx, ...) and backward(ctx, *grads); call `.apply(...)`."""

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom "
                                  "autograd.Function.")

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError("setup_context is not implemented.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your "
                                  "custom autograd.Function to use it with backward mode AD.")

    vjp = backward

    @classmethod
    def apply(cls, *args, **kwargs):
        needs = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        ctx = FunctionCtx(needs)
        separate_setup = cls.setup_context is not Function.setup_context
        with no_grad():
            if separate_setup:
                result = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, result)
            else:
                result = cls.forward(ctx, *args, **kwargs)
        recording = GRAD_ENABLED[0] and any(needs)
        if recording and dual.OPEN[0]:
            raise NotImplementedError(f"{cls.__name__}: forward-mode AD through a custom "
                                      "autograd.Function is not supported by the verifier engine")
        single = not isinstance(result, tuple)
        outputs = [result] if single else list(result)
        inputs_by_id = {id(a) for a in args if isinstance(a, Tensor)}
        outputs = [_detached(o._array) if isinstance(o, Tensor) and id(o) in inputs_by_id else o
                   for o in outputs]
        if recording:
            meta = [(tuple(o.shape), o._array.dtype) if isinstance(o, Tensor) else ((), np.float64)
                    for o in outputs]
            edges = tuple(_edge(a) for a in args)
            arrays = tuple(a._array if isinstance(a, Tensor) else None for a in args)
            for k, o in enumerate(outputs):
                if not isinstance(o, Tensor) or not floating(o._array.dtype) or \
                        id(o) in ctx._non_differentiable:
                    continue
                plan = _CustomPlan(cls.__name__, _backward_of(cls, ctx, len(outputs), k, meta))
                o.grad_fn = Node(plan, {}, tuple(args), arrays, edges, [], None)
                o.requires_grad = True
        return outputs[0] if single else tuple(outputs)


def once_differentiable(backward):
    """A backward that is not itself differentiable: it runs under no_grad."""
    @functools.wraps(backward)
    def wrapper(ctx, *grads):
        with no_grad():
            return backward(ctx, *grads)
    return wrapper
