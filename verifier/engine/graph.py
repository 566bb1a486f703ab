"""Graph nodes: `Node` (one recorded operation) and `AccumulateGrad` (a leaf's sink).

A node keeps what its VJP needs: its inputs (tensors or Python scalars), the
version each saved input had when recorded (to catch later in-place changes),
its params, and the shapes and dtypes of its inputs, so that broadcasting is
undone after the VJP in one place.
"""

from __future__ import annotations

import numpy as np

_NAMES: dict = {}
_SAVES: dict = {}


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

    __slots__ = ("variable", "__weakref__")
    next_functions = ()

    def __init__(self, variable) -> None:
        self.variable = variable

    def name(self) -> str:
        return "torch::autograd::AccumulateGrad"

    def __repr__(self) -> str:
        return f"<AccumulateGrad object at {hex(id(self))}>"


class Node:
    """One recorded operation: `grad_fn` of the tensor it produced."""

    __slots__ = ("op", "params", "inputs", "arrays", "versions", "edges", "freed", "retained",
                 "__weakref__")

    def __init__(self, op, params, inputs, arrays, edges, versions) -> None:
        self.op = op
        self.params = params
        # The inputs (tensors or Python scalars) and their arrays as they were when
        # recorded: the VJP reads the arrays, and their shapes and dtypes undo
        # broadcasting and casts (a later t_() cannot change them).
        self.inputs = inputs
        self.arrays = arrays
        self.edges = edges
        # (index, counter, version) per saved tensor input, to detect in-place changes.
        self.versions = versions
        self.freed = False
        self.retained = None

    # --- torch's introspection API -------------------------------------
    def name(self) -> str:
        return node_name(self.op)

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
                raise RuntimeError(_modified_message(self, self.inputs[index], counter[0], version))

    def free(self) -> None:
        """Drop saved tensors (after a backward without retain_graph)."""
        if self.versions:
            self.freed = True
            inputs = list(self.inputs)
            arrays = list(self.arrays)
            for index, _, _ in self.versions:
                inputs[index] = None
                arrays[index] = None
            self.inputs = tuple(inputs)
            self.arrays = arrays


def _modified_message(node: Node, tensor, found: int, expected: int) -> str:
    kind = "torch.DoubleTensor" if tensor._array.dtype == np.float64 else "torch.FloatTensor"
    which = f", which is output 0 of {tensor.grad_fn.name()}" if tensor.grad_fn is not None else ""
    return (
        "one of the variables needed for gradient computation has been modified by an inplace "
        f"operation: [{kind} {list(tensor._array.shape)}]{which}, is at version {found}; "
        f"expected version {expected} instead. {node.name()} saved it for backward; do the "
        "in-place operation on a copy (x = x.clone()) or make it out-of-place "
        "(x = x + y instead of x += y).")


def saved_indices(op, inputs) -> tuple:
    """The tensor inputs the VJP reads (declared by the op's `saves`).

    saves: None (every input), a tuple of indices, or "cross": an input is read
    only for the gradient of another input, so it is saved only when some
    other input requires grad (mul: d(a*b)/da = b).
    """
    saves = _SAVES.get(op.name, _SAVES)
    if saves is _SAVES:
        saves = _SAVES[op.name] = op.extra.get("saves")
    if saves == ():
        return ()
    if saves is None:
        return tuple(i for i, a in enumerate(inputs) if hasattr(a, "_version"))
    if saves == "cross":
        flags = [getattr(a, "requires_grad", False) for a in inputs]
        return tuple(i for i, a in enumerate(inputs) if hasattr(a, "_version")
                     and any(f for j, f in enumerate(flags) if j != i))
    return tuple(i for i in saves if i < len(inputs) and hasattr(inputs[i], "_version"))


def _is_saved(op, index, inputs) -> bool:
    return index in saved_indices(op, inputs)
