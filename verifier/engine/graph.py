"""Graph nodes: `Node` (one recorded operation) and `AccumulateGrad` (a leaf's sink).

A node keeps what its VJP needs: the inputs it declared as saved (with the
version each had when saved, to catch later in-place changes), its params and
the shapes and dtypes of its inputs, so that broadcasting can be undone after
the VJP in one place.
"""

from __future__ import annotations

import numpy as np


def node_name(op) -> str:
    custom = op.extra.get("node_name")
    if custom:
        return custom
    camel = "".join(part[:1].upper() + part[1:] for part in op.name.split("_"))
    return f"{camel}Backward0"


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
    """One recorded operation: `grad_fn` of the tensors it produced."""

    __slots__ = ("op", "params", "inputs", "saved", "versions", "edges", "shapes",
                 "dtypes", "freed", "retained", "__weakref__")

    def __init__(self, op, params, inputs, edges) -> None:
        self.op = op
        self.params = params
        # The input tensors (or Python scalars), kept for the VJP.
        self.inputs = inputs
        self.edges = edges
        self.shapes = [a._array.shape if hasattr(a, "_array") else None for a in inputs]
        self.dtypes = [a._array.dtype if hasattr(a, "_array") else None for a in inputs]
        # (counter, version) per saved tensor input, to detect in-place changes.
        self.versions = tuple(
            (i, a._version, a._version[0])
            for i, a in enumerate(inputs)
            if hasattr(a, "_version") and _is_saved(op, i, inputs)
        )
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
                tensor = self.inputs[index]
                kind = "torch.DoubleTensor" if tensor._array.dtype == np.float64 else "torch.FloatTensor"
                shape = list(tensor._array.shape)
                producer = f"output 0 of {self.name()}"
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified by an "
                    f"inplace operation: [{kind} {shape}], which is input {index} of {producer}, "
                    f"is at version {counter[0]}; expected version {version} instead. Hint: the "
                    "operation that produced it saved it for backward; do the in-place operation "
                    "on a copy (x = x.clone()) or make it out-of-place (x = x + y instead of x += y).")

    def free(self) -> None:
        """Drop saved tensors (after a backward without retain_graph)."""
        if self.versions:
            self.freed = True
            self.inputs = tuple(None if _is_saved(self.op, i, self.inputs) else a
                                for i, a in enumerate(self.inputs))


def _is_saved(op, index, inputs) -> bool:
    """Whether the VJP reads input `index` (declared by the op's `saves`).

    saves: None (every input), a tuple of indices, or "cross": an input is read
    only for the gradient of another input, so it is saved only when some
    other input requires grad (mul: d(a*b)/da = b).
    """
    saves = op.extra.get("saves")
    if saves is None:
        return True
    if saves == "cross":
        return any(getattr(a, "requires_grad", False) for j, a in enumerate(inputs) if j != index)
    return index in saves
