"""torch functions outside the registry, built from registry functions (so differentiable,
to any order, through the registry's VJPs): mm, bmm, mv, addmm, baddbmm, addmv,
addcmul, addcdiv, matrix_power, kron, tensordot, inner, diff, diag_embed, masked_select,
clamp/clip with tensor bounds, clamp_min/max, std_mean/var_mean.  (Reshaping and
stacking: verifier.engine.layout; division with rounding: verifier.engine.division.)

These are conveniences of torch's API, not new mathematics: the case language
keeps to the registry, and the oracle never sees these names.
"""

from __future__ import annotations

import numpy as np

from verifier.engine.functional import FUNCTIONS as F
from verifier.engine.tensor import Tensor, _detached


def _check_dims(name: str, tensor: Tensor, ndim: int, role: str) -> None:
    if tensor.ndim != ndim:
        raise RuntimeError(f"{name}: {role} must be a {ndim}D tensor, got a {tensor.ndim}D tensor "
                           f"of shape {list(tensor.shape)}")


def mm(input, mat2):  # noqa: A002  torch's argument names
    _check_dims("mm", input, 2, "self")
    _check_dims("mm", mat2, 2, "mat2")
    return F["matmul"](input, mat2)


def bmm(input, mat2):  # noqa: A002
    _check_dims("bmm", input, 3, "batch1")
    _check_dims("bmm", mat2, 3, "batch2")
    return F["matmul"](input, mat2)


def mv(input, vec):  # noqa: A002
    _check_dims("mv", input, 2, "self")
    _check_dims("mv", vec, 1, "vec")
    return F["matmul"](input, vec)


def _scaled_sum(input, product, beta, alpha):  # noqa: A002
    """beta·input + alpha·product; with beta = 0 input is ignored (its NaNs too), as in torch."""
    scaled = product if alpha == 1 else product * alpha
    if beta == 0:
        return scaled
    return (input if beta == 1 else input * beta) + scaled


def addmm(input, mat1, mat2, *, beta=1, alpha=1, out=None):  # noqa: A002
    return _scaled_sum(input, mm(mat1, mat2), beta, alpha)


def addmv(input, mat, vec, *, beta=1, alpha=1, out=None):  # noqa: A002
    return _scaled_sum(input, mv(mat, vec), beta, alpha)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):  # noqa: A002
    return _scaled_sum(input, bmm(batch1, batch2), beta, alpha)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):  # noqa: A002
    return _scaled_sum(input, F["sum"](bmm(batch1, batch2), dim=0), beta, alpha)


def addcmul(input, tensor1, tensor2, *, value=1, out=None):  # noqa: A002
    return input + value * tensor1 * tensor2


def addcdiv(input, tensor1, tensor2, *, value=1, out=None):  # noqa: A002
    return input + value * tensor1 / tensor2


def matrix_power(input, n: int):  # noqa: A002
    """A^n by repeated squaring; A^0 is the identity, A^-n is (A^-1)^n."""
    if n < 0:
        return matrix_power(F["inverse"](input), -n)
    size = input.shape[-1]
    result = None
    base = input
    while n:
        if n & 1:
            result = base if result is None else F["matmul"](result, base)
        n >>= 1
        if n:
            base = F["matmul"](base, base)
    if result is None:
        eye = np.broadcast_to(np.eye(size, dtype=input._array.dtype), input.shape).copy()
        return _detached(eye)
    return result


def kron(input, other):  # noqa: A002
    """Kronecker product: block (i, j) is input[i, j]·other (any equal number of dims)."""
    nd = max(input.ndim, other.ndim)
    a = F["reshape"](input, (1,) * (nd - input.ndim) + tuple(input.shape))
    b = F["reshape"](other, (1,) * (nd - other.ndim) + tuple(other.shape))
    # a[..., i, 1, j, 1] * b[..., 1, k, 1, l] -> interleaved (i, k, j, l), then merged.
    a_shape, b_shape = [], []
    for n_a, n_b in zip(a.shape, b.shape):
        a_shape += [n_a, 1]
        b_shape += [1, n_b]
    product = F["reshape"](a, tuple(a_shape)) * F["reshape"](b, tuple(b_shape))
    return F["reshape"](product, tuple(n_a * n_b for n_a, n_b in zip(a.shape, b.shape)))


def tensordot(a, b, dims=2, out=None):
    """Contract dims of a with dims of b: an int (the last/first n) or two lists."""
    if isinstance(dims, int):
        dims_a = list(range(a.ndim - dims, a.ndim))
        dims_b = list(range(dims))
    else:
        dims_a, dims_b = ([d] if isinstance(d, int) else list(d) for d in dims)
    dims_a = [d % a.ndim for d in dims_a]
    dims_b = [d % b.ndim for d in dims_b]
    free_a = [d for d in range(a.ndim) if d not in dims_a]
    free_b = [d for d in range(b.ndim) if d not in dims_b]
    size = int(np.prod([a.shape[d] for d in dims_a], dtype=np.int64))
    left = F["reshape"](F["permute"](a, tuple(free_a + dims_a)), (-1, size))
    right = F["reshape"](F["permute"](b, tuple(dims_b + free_b)), (size, -1))
    shape = tuple(a.shape[d] for d in free_a) + tuple(b.shape[d] for d in free_b)
    return F["reshape"](F["matmul"](left, right), shape)


def diff(input, n: int = 1, dim: int = -1, prepend=None, append=None):  # noqa: A002
    """n-th forward difference along dim, after joining prepend and append."""
    pieces = [t for t in (prepend, input, append) if t is not None]
    x = F["cat"](pieces, dim=dim) if len(pieces) > 1 else input
    for _ in range(n):
        length = x.shape[dim]
        x = F["narrow"](x, dim, 1, length - 1) - F["narrow"](x, dim, 0, length - 1)
    return x


def diag_embed(input, offset: int = 0, dim1: int = -2, dim2: int = -1):  # noqa: A002
    """Matrices whose `offset` diagonal (over dims dim1, dim2) holds the last dim of input."""
    n = input.shape[-1]
    m = n + abs(offset)
    basis = np.zeros((n, m, m), dtype=input._array.dtype)
    rows = np.arange(n) + max(-offset, 0)
    basis[np.arange(n), rows, rows + offset] = 1
    batch = "".join(chr(ord("c") + k) for k in range(input.ndim - 1))  # einsum has no '...'
    result = F["einsum"](f"{batch}i,iab->{batch}ab", input, _detached(basis))
    out_ndim = result.ndim
    d1, d2 = dim1 % out_ndim, dim2 % out_ndim
    if (d1, d2) == (out_ndim - 2, out_ndim - 1):
        return result
    others = [d for d in range(out_ndim) if d not in (d1, d2)]
    order = [0] * out_ndim
    for position, source in zip(others, range(out_ndim - 2)):
        order[position] = source
    order[d1], order[d2] = out_ndim - 2, out_ndim - 1
    return F["permute"](result, tuple(order))


def masked_select(input, mask):  # noqa: A002
    """The elements of input where mask is True (both broadcast), as a 1-D tensor."""
    mask_array = mask._array if isinstance(mask, Tensor) else np.asarray(mask)
    if mask_array.dtype != np.bool_:
        raise RuntimeError(f"masked_select: expected a mask of dtype bool, got {mask_array.dtype}")
    shape = np.broadcast_shapes(input.shape, mask_array.shape)
    expanded = input if tuple(input.shape) == shape else F["expand"](input, shape)
    return F["index"](expanded, index=np.broadcast_to(mask_array, shape))


def clamp(input, min=None, max=None, *, out=None):  # noqa: A002
    """torch.clamp; tensor bounds (the registry's take numbers) select with `where`, so the
    gradient goes to input where min <= input <= max, to min below it, to max above it."""
    if not isinstance(min, Tensor) and not isinstance(max, Tensor):
        return F["clamp"](input, min, max)
    result = input
    if min is not None:
        result = F["where"](result < min, _bound(min, input), result)
    if max is not None:
        result = F["where"](result > max, _bound(max, input), result)
    return result


def _bound(value, like: Tensor):
    return value if isinstance(value, Tensor) else _detached(np.asarray(value, like._array.dtype))


def clip(input, min=None, max=None, *, out=None):  # noqa: A002
    return clamp(input, min, max)


def clamp_min(input, min):  # noqa: A002
    return clamp(input, min, None)


def clamp_max(input, max):  # noqa: A002
    return clamp(input, None, max)


def norm(input, p="fro", dim=None, keepdim: bool = False, out=None, dtype=None):  # noqa: A002
    """torch.norm: p='fro' (the default) is the 2-norm over dim (all elements when None);
    numbers go to the registry's norm; 'nuc' needs singular values (torch.linalg)."""
    x = input if dtype is None else input.to(dtype)
    if p == "fro":
        if not x.is_floating_point():
            kind = {"bool": "Bool", "int64": "Long", "int32": "Int"}.get(x.dtype.name, x.dtype.name)
            raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor "
                               f"as input. Got {kind}")
        return F["vector_norm"](x, 2, dim, keepdim=keepdim)
    if isinstance(p, str):
        raise NotImplementedError(f"norm(p={p!r}) is not supported by the verifier engine; use "
                                  "p='fro' or a number")
    return F["norm"](x, p, dim, keepdim=keepdim)


def inner(input, other):  # noqa: A002
    """Sum over the last dims of input and other (a scalar times a tensor when one is 0-d)."""
    if input.ndim == 0 or other.ndim == 0:
        return input * other
    return tensordot(input, other, dims=([-1], [-1]))


def std_mean(input, dim=None, *, correction=1, keepdim=False):  # noqa: A002
    return F["std"](input, dim, correction=correction, keepdim=keepdim), \
        F["mean"](input, dim, keepdim=keepdim)


def var_mean(input, dim=None, *, correction=1, keepdim=False):  # noqa: A002
    return F["var"](input, dim, correction=correction, keepdim=keepdim), \
        F["mean"](input, dim, keepdim=keepdim)


def is_floating_point(input) -> bool:  # noqa: A002
    return input.is_floating_point()


def is_complex(input) -> bool:  # noqa: A002
    return False


def negative(input):  # noqa: A002
    return F["neg"](input)


def positive(input):  # noqa: A002
    return input


def sgn(input):  # noqa: A002
    return F["sign"](input)


def where(condition, input=None, other=None):  # noqa: A002
    """where(c, x, y) selects; where(c) alone is nonzero(c, as_tuple=True), as torch's."""
    if input is None and other is None:
        from verifier.engine.selection_api import nonzero
        return nonzero(condition, as_tuple=True)
    return F["where"](condition, input, other)


FUNCTIONS = {name: value for name, value in globals().items()
             if callable(value) and not name.startswith("_") and getattr(value, "__module__", "")
             == __name__}
