"""The Namespace shared by the engine and torch backends, and the error table.

Both backends run the one interpreter over the same IR; they differ only in
the module the namespace calls: `verifier.engine` or `torch`.  Everything a
case can do maps onto that module's own API (operators, in-place operators,
indexing), so torch's autograd errors arise where torch raises them.
"""

from __future__ import annotations

import math
import operator

import numpy as np

from verifier.backends.base import CaseError, LimitExceeded
from verifier.lang.interpreter import MASK_INDEX_MESSAGE, Namespace
from verifier.ops import registry

_BINARY = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
           "**": operator.pow, "@": operator.matmul}
# `target op= value` is the in-place op on a tensor (add_, ...) and rebinding on a number.
_INPLACE = {"+": operator.iadd, "-": operator.isub, "*": operator.imul, "/": operator.itruediv}


class TensorNamespace(Namespace):
    """The interpreter's view of a torch-like module (`torch` or `verifier.engine`)."""

    def __init__(self, module, uses_registry_torch: bool, dtype: str = "float64",
                 device: str = "cpu") -> None:
        self.module = module
        # torch gets `op.torch(torch, ...)` where the registry gives one; the
        # engine's functions are generated from the registry already.
        self.uses_registry_torch = uses_registry_torch
        self.dtype = getattr(module, dtype)
        self.device = device

    def number(self, value, is_int: bool):
        # A Python scalar, so that `2 * x` keeps x's dtype (float32 stays float32).
        return int(value) if is_int else float(value)

    def constant(self, name: str):
        return {"pi": math.pi, "e": math.e, "inf": math.inf, "nan": math.nan}[name]

    def call(self, func: str, args: list, kwargs: dict):
        op = registry.get(func)
        tensors, params = op.bind(tuple(args), dict(kwargs))
        if not op.extra.get("scalar_operands") and op.kind != "meta":
            # torch.sin(0.5) is a TypeError: a number where a function takes a tensor
            # means a 0-d tensor of the run's dtype (not torch's default float32).
            integers = op.extra.get("integer_inputs", ())
            tensors = tuple(self._as_index(t) if i in integers else self._as_tensor(t)
                            for i, t in enumerate(tensors))
        if self.uses_registry_torch and op.torch is not None:
            return op.torch(self.module, *tensors, **params)
        args, kwargs = registry.torch_style(op, tensors, params)
        return registry.module_function(self.module, op)(*args, **kwargs)

    def _as_index(self, value):
        # An index written as a number or a (nested) list of integers: an int64 tensor.
        if isinstance(value, (int, list)):
            return self.module.tensor(value, dtype=self.module.int64, device=self.device)
        return value

    def _as_tensor(self, value):
        if isinstance(value, (bool, int, float)):
            return self.module.tensor(value, dtype=self.dtype, device=self.device)
        if isinstance(value, list) and _numbers_only(value):
            # A list literal of numbers, as torch.tensor reads it: integers make an int64
            # tensor (cross_entropy's class indices), any float the run's dtype.
            integer = _integers_only(value)
            return self.module.tensor(value, dtype=self.module.int64 if integer else self.dtype,
                                      device=self.device)
        if isinstance(value, list):  # cat/stack's list of tensors
            return [self._as_tensor(v) for v in value]
        return value

    def binop(self, op: str, a, b):
        return _BINARY[op](a, b)

    def inplace(self, op: str, target, value):
        return _INPLACE[op](target, value)

    def truth(self, value) -> bool:
        return bool(value)

    def subscript(self, value, index: tuple):
        return value[index if len(index) != 1 else index[0]]

    def transpose_all(self, value):
        if value.dim() <= 2:
            return value.T
        return value.permute(*reversed(range(value.dim())))

    def integer(self, value) -> int:
        return int(value)

    def index_tensor(self, value):
        if not isinstance(value, self.module.Tensor) or value.ndim == 0:
            return None
        if value.dtype == self.module.bool:
            raise CaseError("other", MASK_INDEX_MESSAGE)
        return None if value.dtype.is_floating_point else value.tolist()

    def numel(self, value) -> int | None:
        return value.numel() if hasattr(value, "numel") and not isinstance(value, (int, float)) \
            else None


# --- classifying failures ---------------------------------------------------
# One table for every autograd backend: the first kind whose phrase occurs in
# the exception's text (case-insensitive).  The phrases are torch's and the
# engine's own wording (the engine copies torch's messages).
ERROR_TABLE: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("nonscalar_output", ("grad can be implicitly created only for scalar outputs",)),
    ("backward_twice", ("backward through the graph a second time",)),
    ("inplace_saved", ("modified by an inplace operation",)),
    ("inplace_leaf", ("leaf variable that requires grad",)),
    ("shape", (
        "must match the size of tensor",  # torch broadcasting
        "do not broadcast",  # the engine's broadcasting message
        "cannot be multiplied",  # torch matmul / mm
        "size mismatch",
        "mismatch in its core dimension",  # numpy matmul inside the engine
        "inconsistent tensor size",  # torch.dot
        "is invalid for input of size",  # torch reshape
        "cannot reshape array",  # numpy reshape
        "doesn't match the broadcast shape",  # in-place op that would broadcast the target
        "sizes of tensors must match",  # torch.cat
        "stack expects each tensor to be equal size",
        "input array dimensions except for the concatenation axis must match",
        "all input arrays must have the same shape",
        "must be batches of square matrices",
        "must be a square matrix",
        "last 2 dimensions of the array must be square",
        "mismatch in shape",  # a seed of the wrong shape
        "shape mismatch",
        "operands could not be broadcast",
    )),
)


def classify(exc: BaseException) -> tuple[str, str]:
    """(error kind, message) of an exception raised while running a case."""
    message = str(exc) or type(exc).__name__
    if isinstance(exc, LimitExceeded):
        return "limit", message
    if isinstance(exc, CaseError):
        return exc.kind, message
    text = message.lower()
    for kind, phrases in ERROR_TABLE:
        if any(p in text for p in phrases):
            return kind, message
    return "other", f"{type(exc).__name__}: {message}"


def to_float64(value) -> np.ndarray:
    """A float64 numpy copy of a tensor (any device) or a Python number."""
    if hasattr(value, "detach"):
        value = value.detach().cpu()
        if hasattr(value, "double") and value.is_floating_point():
            value = value.double()
        return np.array(value.numpy(), dtype=np.float64, copy=True)
    return np.array(value, dtype=np.float64)


def dtype_name(value) -> str:
    """torch's name of a tensor's dtype without the module ('float32'); a Python
    number is named by the Python type torch would wrap it as ('int', 'float')."""
    dtype = getattr(value, "dtype", None)
    if dtype is None:
        return type(value).__name__
    return str(dtype).rsplit(".", 1)[-1]


def scalar_variables(env: dict, tensor_type) -> dict[str, object]:
    """The program's scalar variables after the run (a loop counter k), as Python numbers."""
    out: dict[str, object] = {}
    for name, value in env.items():
        if isinstance(value, (bool, int, float)):
            out[name] = value
        elif isinstance(value, tensor_type) and value.numel() == 1 and value.dim() == 0:
            out[name] = value.detach().cpu().item()
    return out


def _numbers_only(value) -> bool:
    if isinstance(value, list):
        return bool(value) and all(_numbers_only(v) for v in value)
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _integers_only(value) -> bool:
    if isinstance(value, list):
        return all(_integers_only(v) for v in value)
    return isinstance(value, int)
