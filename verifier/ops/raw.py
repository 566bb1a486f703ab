"""`RAW`: the registry's numpy forwards as a namespace over plain arrays.

VJP rules call `ns.cos(x)`; during a plain (first-order) backward `ns` is this
namespace, so a rule costs one numpy call and no graph bookkeeping.

Results here are gradients, which the engine never writes into unless it
alone holds them; so RAW may return read-only broadcast views, and it uses
that in `matmul`: a reduction's gradient is a broadcast (stride-0) array, and
a product with repeated rows or columns is computed once and broadcast.
"""

from __future__ import annotations

import numpy as np

from verifier.ops.registry import get

_ndarray = np.ndarray


class RawNamespace:
    """Attribute access `RAW.name` gives the op's forward with torch's signature."""

    def __getattr__(self, name: str):
        try:
            op = get(name)
        except KeyError:
            raise AttributeError(f"no registered operation named {name!r}") from None
        forward = op.forward
        inputs = len(op.inputs)
        if name in _SPECIALIZED:
            call = _SPECIALIZED[name](forward)
        elif not op.params:
            call = forward
        elif op.variadic:
            def call(*args, **kwargs):
                tensors, params = op.bind(args, dict(kwargs))
                return forward(*tensors[0], **params)  # the list of tensors, unpacked
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


def _broadcast_aware_matmul(forward):
    """matmul that multiplies a broadcast operand's one distinct row (column) only.

    If every row of A is the same row r (stride 0 along rows), A @ B = 1 (r B): one
    vector-matrix product instead of a matrix product.  If every column of B is the
    same column c (stride 0 along columns), A @ B = (A c) 1^T.  sum(A @ B) sends a
    gradient G = ones (both strides 0), so its backward G B^T and A^T G become two
    matrix-vector products.
    """
    def matmul(a, b):
        if type(a) is _ndarray and type(b) is _ndarray and a.ndim == 2 and b.ndim == 2:
            rows, cols = a.shape[0], b.shape[1]
            if a.strides[0] == 0 and rows > 1:
                return np.broadcast_to(forward(a[:1], b), (rows, cols))
            if b.strides[1] == 0 and cols > 1:
                return np.broadcast_to(forward(a, b[:, :1]), (rows, cols))
        return forward(a, b)
    return matmul


# Backward-only versions of some forwards (their results may be read-only views).
_SPECIALIZED = {"matmul": _broadcast_aware_matmul}

RAW = RawNamespace()
