"""Graph nodes: `Node` (one recorded operation) and `AccumulateGrad` (a leaf's sink).

A node keeps what its VJP needs, as torch's SavedVariable does: the inputs
the rule reads (with the version each had when recorded, to catch later
in-place changes), the output array when the rule reads the result (exp,
tanh, softmax, ... with its own version counter, never the output Tensor
itself: no reference cycle), its params, and the arrays of its inputs, whose
shapes and dtypes let the engine undo broadcasting after the VJP.
"""

from __future__ import annotations

import re

import numpy as np

_NAMES: dict = {}


def node_name(op) -> str:
    """torch's node names: `mul` -> `MulBackward0`, `log_softmax` -> `LogSoftmaxBackward0`."""
    name = _NAMES.get(op.name)
    if name is None:
        name = op.extra.get("node_name")
        if not name:
            camel = "".join(part[:1].upper() + part[1:] for part in op.name.split("_"))
            name = f"{camel}Backward0"
        _NAMES[op.name] = name
    return name


class AccumulateGrad:
    """The sink of a leaf that requires grad: backward adds into `variable.grad`."""

    # `grad`: the gradient pending during a backward pass (None otherwise).
    # `hooks`: the leaf's register_hook functions ({id: fn}), or None.
    __slots__ = ("variable", "grad", "hooks", "__weakref__")
    next_functions = ()

    def __init__(self, variable) -> None:
        self.variable = variable
        self.grad = None
        self.hooks = None

    def name(self) -> str:
        return "torch::autograd::AccumulateGrad"

    def __repr__(self) -> str:
        return f"<AccumulateGrad object at {hex(id(self))}>"


class Node:
    """One recorded operation: `grad_fn` of the tensor it produced."""

    __slots__ = ("plan", "params", "inputs", "arrays", "edges", "versions", "out", "checks",
                 "freed", "retained", "grad", "hooks", "__weakref__")

    def __init__(self, plan, params, inputs, arrays, edges, versions, out) -> None:
        # The op's engine plan (function.Plan): the op, its VJP, what it saves.
        self.plan = plan
        self.params = params
        # The inputs (tensors or Python scalars) and their arrays as they were when
        # recorded: the VJP reads the arrays, and their shapes and dtypes undo
        # broadcasting and casts (a later t_() cannot change them).
        self.inputs = inputs
        self.arrays = arrays
        self.edges = edges
        # (index, counter, version) per saved tensor input, to detect in-place changes.
        self.versions = versions
        # (array, counter, version) of the saved output, or None when the VJP does not read it.
        self.out = out
        # Whether backward must check something before running the VJP.
        self.checks = bool(versions) or out is not None
        self.freed = False
        self.retained = None
        # The gradient pending during a backward pass (None otherwise).
        self.grad = None
        # register_hook functions of the tensor this node produced ({id: fn}), or None.
        self.hooks = None

    # --- torch's introspection API -------------------------------------
    @property
    def op(self):
        return self.plan.op

    def name(self) -> str:
        return node_name(self.plan.op)

    @property
    def next_functions(self):
        return tuple((edge, 0) for edge in self.edges)

    def __repr__(self) -> str:
        return f"<{self.name()} object at {hex(id(self))}>"

    # --- used by the backward pass ----------------------------------------
    def check_saved(self) -> None:
        if self.freed:
            raise RuntimeError(
                "Trying to backward through the graph a second time (or directly access saved "
                "tensors after they have already been freed). Saved intermediate values of the "
                "graph are freed when you call .backward() or autograd.grad(). Specify "
                "retain_graph=True if you need to backward through the graph a second time or "
                "if you need to access saved tensors after calling backward.")
        for index, counter, version in self.versions:
            if counter[0] != version:
                tensor = self.inputs[index]
                which = f", which is output 0 of {_forward_name(tensor.grad_fn)}" \
                    if tensor.grad_fn is not None else ""
                raise RuntimeError(_modified_message(self, tensor._array, which, counter[0],
                                                     version))
        if self.out is not None:
            array, counter, version = self.out
            if counter[0] != version:
                raise RuntimeError(_modified_message(
                    self, array, f", which is output 0 of {_forward_name(self)}", counter[0],
                    version))

    def free(self) -> None:
        """Drop saved tensors (after a backward without retain_graph)."""
        if self.checks:
            self.freed = True
            inputs = list(self.inputs)
            arrays = list(self.arrays)
            for index, _, _ in self.versions:
                inputs[index] = None
                arrays[index] = None
            self.inputs = tuple(inputs)
            self.arrays = arrays
            self.out = None


def _forward_name(node) -> str:
    """torch 2.13 names the producing op in this message: `Exp` for ExpBackward0."""
    return re.sub(r"Backwards?\d*$", "", node.name())


def _modified_message(node: Node, array, which: str, found: int, expected: int) -> str:
    kind = "torch.DoubleTensor" if array.dtype == np.float64 else "torch.FloatTensor"
    return (
        "one of the variables needed for gradient computation has been modified by an inplace "
        f"operation: [{kind} {list(array.shape)}]{which}, is at version {found}; "
        f"expected version {expected} instead. {node.name()} saved it for backward; do the "
        "in-place operation on a copy (x = x.clone()) or make it out-of-place "
        "(x = x + y instead of x += y).")


# --- which inputs a VJP reads ------------------------------------------------
SAVES_NOTHING = ()


def saving_rule(op):
    """The op's `extra["saves"]` as a callable (index, inputs) -> bool, or () / None.

    saves: None (every tensor input, the default), a tuple of indices, "cross"
    (an input is read only for the gradient of another input: saved when some
    other input requires grad; mul: d(ab)/da = b), or a callable
    `(index, inputs) -> bool` for torch's finer rules (div).
    """
    saves = op.extra.get("saves")
    if saves == ():
        return SAVES_NOTHING
    if saves is None or callable(saves):
        return saves
    if saves == "cross":
        return _other_requires_grad
    indices = tuple(saves)
    return lambda index, inputs: index in indices


def _other_requires_grad(index, inputs) -> bool:
    if len(inputs) == 2:  # the common case, without a loop
        return getattr(inputs[1 - index], "requires_grad", False)
    for j, a in enumerate(inputs):
        if j != index and getattr(a, "requires_grad", False):
            return True
    return False


def saved_indices(rule, inputs) -> tuple:
    """The indices of the tensor inputs that `rule` (from `saving_rule`) saves."""
    if rule is SAVES_NOTHING:
        return ()
    if rule is None:
        return tuple(i for i, a in enumerate(inputs) if hasattr(a, "_version"))
    return tuple(i for i, a in enumerate(inputs) if hasattr(a, "_version") and rule(i, inputs))
