"""torch functions whose results are indices or booleans: argmax, argmin, argsort, nonzero,
argwhere, logical_and/or/xor/not, triu_indices, tril_indices, unique, searchsorted,
bucketize, bincount.

None is differentiable (torch's results of these never require grad), so they
work on the numpy arrays; integer results are int64, as torch's.
"""

from __future__ import annotations

import numpy as np

from verifier.engine.tensor import Tensor, _detached


def _array(value) -> np.ndarray:
    return value._array if isinstance(value, Tensor) else np.asarray(value)


def _index_tensor(values) -> Tensor:
    return _detached(np.asarray(values, dtype=np.int64))


def _arg(reduce, input, dim, keepdim):  # noqa: A002
    a = _array(input)
    if dim is None:
        flat = int(reduce(a.reshape(-1)))
        return _index_tensor(np.full((1,) * a.ndim, flat) if keepdim else flat)
    return _index_tensor(reduce(a, axis=dim, keepdims=keepdim))


def argmax(input, dim=None, keepdim: bool = False):  # noqa: A002
    """The index of the largest element (the first one; NaN counts as largest)."""
    return _arg(np.argmax, input, dim, keepdim)


def argmin(input, dim=None, keepdim: bool = False):  # noqa: A002
    return _arg(np.argmin, input, dim, keepdim)


def argsort(input, dim: int = -1, descending: bool = False, stable: bool = False):  # noqa: A002
    """Indices that sort input along dim; ties keep their order (a stable sort)."""
    a = _array(input)
    if descending:  # negated keys: ascending and stable, so ties keep their order
        a = ~a if a.dtype == np.bool_ else -a
    order = np.argsort(a, axis=dim, kind="stable")
    return _index_tensor(order)


def nonzero(input, *, out=None, as_tuple: bool = False):  # noqa: A002
    """The indices of the nonzero elements: an (n, ndim) tensor, or one 1-D tensor per dim."""
    a = _array(input)
    if as_tuple:
        if a.ndim == 0:
            return (_index_tensor(np.nonzero(a.reshape(1))[0]),)
        return tuple(_index_tensor(i) for i in np.nonzero(a))
    return _index_tensor(np.argwhere(a))


def argwhere(input):  # noqa: A002
    return _index_tensor(np.argwhere(_array(input)))


def _bool(values) -> Tensor:
    return _detached(np.asarray(values, dtype=np.bool_))


def logical_and(input, other, *, out=None):  # noqa: A002
    return _bool(np.logical_and(_array(input), _array(other)))


def logical_or(input, other, *, out=None):  # noqa: A002
    return _bool(np.logical_or(_array(input), _array(other)))


def logical_xor(input, other, *, out=None):  # noqa: A002
    return _bool(np.logical_xor(_array(input), _array(other)))


def logical_not(input, *, out=None):  # noqa: A002
    return _bool(np.logical_not(_array(input)))


def triu_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None, layout=None):
    return _index_tensor(np.stack(np.triu_indices(row, offset, col)))


def tril_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None, layout=None):
    return _index_tensor(np.stack(np.tril_indices(row, offset, col)))


def unique(input, sorted: bool = True, return_inverse: bool = False,  # noqa: A002
           return_counts: bool = False, dim=None):
    """The distinct values (sorted), with the inverse indices and counts when asked."""
    a = _array(input)
    values, inverse, counts = np.unique(a, return_inverse=True, return_counts=True, axis=dim)
    result = [_detached(values)]
    if return_inverse:
        result.append(_index_tensor(inverse.reshape(a.shape) if dim is None else inverse))
    if return_counts:
        result.append(_index_tensor(counts))
    return result[0] if len(result) == 1 else tuple(result)


def searchsorted(sorted_sequence, input, *, out_int32: bool = False, right: bool = False,  # noqa: A002
                 side=None, out=None, sorter=None):
    """Insertion points of input into the last dim of sorted_sequence."""
    seq, values = _array(sorted_sequence), _array(input)
    side = side or ("right" if right else "left")
    if seq.ndim == 1:
        result = np.searchsorted(seq, values, side=side)
    else:
        result = np.stack([np.searchsorted(s, v, side=side)
                           for s, v in zip(seq.reshape(-1, seq.shape[-1]),
                                           values.reshape(-1, values.shape[-1]))])
        result = result.reshape(values.shape)
    return _detached(result.astype(np.int32 if out_int32 else np.int64))


def bucketize(input, boundaries, *, out_int32: bool = False, right: bool = False, out=None):  # noqa: A002
    result = np.searchsorted(_array(boundaries), _array(input), side="right" if right else "left")
    return _detached(np.asarray(result, dtype=np.int32 if out_int32 else np.int64))


def bincount(input, weights=None, minlength: int = 0):  # noqa: A002
    w = None if weights is None else _array(weights)
    counts = np.bincount(_array(input), weights=w, minlength=minlength)
    return _detached(counts if w is not None else counts.astype(np.int64))


def _integral(name: str, *values) -> list:
    arrays = [_array(v) for v in values]
    for a in arrays:
        if a.dtype.kind not in "biu":
            raise RuntimeError(f"\"{name}_cpu\" not implemented for '{a.dtype}': {name} needs "
                               "integer or bool tensors")
    return arrays


def bitwise_and(input, other):  # noqa: A002
    return _detached(np.asarray(np.bitwise_and(*_integral("bitwise_and", input, other))))


def bitwise_or(input, other):  # noqa: A002
    return _detached(np.asarray(np.bitwise_or(*_integral("bitwise_or", input, other))))


def bitwise_xor(input, other):  # noqa: A002
    return _detached(np.asarray(np.bitwise_xor(*_integral("bitwise_xor", input, other))))


def bitwise_not(input):  # noqa: A002
    return _detached(np.asarray(np.invert(*_integral("bitwise_not", input))))


def bitwise_left_shift(input, other):  # noqa: A002
    return _detached(np.asarray(np.left_shift(*_integral("bitwise_left_shift", input, other))))


def bitwise_right_shift(input, other):  # noqa: A002
    return _detached(np.asarray(np.right_shift(*_integral("bitwise_right_shift", input, other))))


def gcd(input, other):  # noqa: A002
    return _detached(np.asarray(np.gcd(*_integral("gcd", input, other))))


def lcm(input, other):  # noqa: A002
    return _detached(np.asarray(np.lcm(*_integral("lcm", input, other))))


def isin(elements, test_elements, *, assume_unique: bool = False, invert: bool = False):
    return _bool(np.isin(_array(elements), _array(test_elements), invert=invert))


def heaviside(input, values):  # noqa: A002
    """0 below 0, values at 0, 1 above (not differentiable, as in torch)."""
    return _detached(np.asarray(np.heaviside(_array(input), _array(values))))


def signbit(input):  # noqa: A002
    return _bool(np.signbit(_array(input)))


FUNCTIONS = {f.__name__: f for f in (
    argmax, argmin, argsort, nonzero, argwhere, logical_and, logical_or, logical_xor, logical_not,
    triu_indices, tril_indices, unique, searchsorted, bucketize, bincount, bitwise_and,
    bitwise_or, bitwise_xor, bitwise_not, bitwise_left_shift, bitwise_right_shift, gcd, lcm, isin,
    heaviside, signbit)}
