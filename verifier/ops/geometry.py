"""Vector geometry: cross, vector_norm, matrix_norm (Frobenius), cdist.

vector_norm and matrix_norm are torch.linalg's names for the registry's `norm`
(its forward, VJP and SymPy form, which give 0 as the gradient at the zero
vector). cdist is the p-norm of every pairwise difference, so it shares them too.
"""

from __future__ import annotations

import numpy as np

from verifier.ops.dims import _one
from verifier.ops.norms import _norm, _norm_sympy, _norm_vjp
from verifier.ops.registry import Domain, Op, Param, register


# --- cross ---------------------------------------------------------------------------
def _cross_dim(shape_a, shape_b, dim):
    if len(shape_a) != len(shape_b):
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    shape = np.broadcast_shapes(tuple(shape_a), tuple(shape_b))
    if dim is None:
        # torch.cross without dim: the first dim of size 3 (deprecated in torch, still so).
        sizes = [i for i, n in enumerate(shape) if n == 3]
        if not sizes:
            raise RuntimeError(f"no dimension of size 3 in input (shapes {list(shape_a)} and "
                               f"{list(shape_b)}); give dim=")
        return sizes[0], shape
    d = _one(dim, len(shape))
    if shape[d] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. Got "
                           f"{shape_a[d] if len(shape_a) > d else 1} and "
                           f"{shape_b[d] if len(shape_b) > d else 1}")
    return d, shape


def _cross_of(a, b, d):
    # (a x b)_i = a_{i+1} b_{i+2} - a_{i+2} b_{i+1}, along dim d (works on object arrays too)
    a, b = np.moveaxis(a, d, -1), np.moveaxis(b, d, -1)
    parts = [a[..., (i + 1) % 3] * b[..., (i + 2) % 3] - a[..., (i + 2) % 3] * b[..., (i + 1) % 3]
             for i in range(3)]
    return np.moveaxis(np.stack(parts, axis=-1), -1, d)


def _cross(a, b, dim=None):
    d, shape = _cross_dim(np.shape(a), np.shape(b), dim)
    return _cross_of(np.broadcast_to(a, shape), np.broadcast_to(b, shape), d)


def _cross_vjp(ns, g, out, a, b, dim=None):
    # <g, a x b> = <b x g, a> = <g x a, b>
    d, _ = _cross_dim(tuple(a.shape), tuple(b.shape), dim)
    return ns.cross(b, g, dim=d), ns.cross(g, a, dim=d)


register(Op(
    name="cross", inputs=("input", "other"), params=(Param("dim", None, "int"),), kind="linalg",
    forward=_cross, vjp=_cross_vjp,
    sympy=lambda a, b, dim=None: _cross(np.asarray(a, dtype=object), np.asarray(b, dtype=object), dim),
    torch=lambda torch, a, b, dim=None: torch.cross(
        a, b, dim=_cross_dim(a.shape, b.shape, dim)[0]),
    domain=(Domain(), Domain()),
    extra={"saves": "cross", "node_name": "LinalgCrossBackward0"},
    doc="cross(a, b, dim=None): the cross product along dim (without dim: the first of size 3)",
))


# --- vector_norm, matrix_norm --------------------------------------------------------
NORM_PARAMS = (Param("dim", None, "dim"), Param("keepdim", False, "bool"))

register(Op(
    name="vector_norm", inputs=("x",), params=(Param("ord", 2, "number"),) + NORM_PARAMS,
    kind="reduction",
    forward=lambda a, ord=2, dim=None, keepdim=False: _norm(a, ord, dim, keepdim),  # noqa: A002
    vjp=lambda ns, g, out, x, ord=2, dim=None, keepdim=False: _norm_vjp(  # noqa: A002
        ns, g, out, x, ord, dim, keepdim),
    sympy=lambda a, ord=2, dim=None, keepdim=False: _norm_sympy(a, ord, dim, keepdim),  # noqa: A002
    torch=lambda torch, x, ord=2, dim=None, keepdim=False: torch.linalg.vector_norm(  # noqa: A002
        x, ord=ord, dim=dim, keepdim=keepdim),
    uses_out=True, method=False,
    extra={"node_name": "LinalgVectorNormBackward0"},
    kinks="the gradient at the zero vector is 0 (torch); ord=inf shares ties evenly",
    doc="torch.linalg.vector_norm(x, ord=2, dim=None, keepdim=false)",
))


def _matrix_dims(a_ndim, dim):
    dims = tuple(dim)
    if len(dims) != 2:
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {list(dims)}")
    if a_ndim < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
    return [_one(d, a_ndim) for d in dims]


def _frobenius_only(ord):  # noqa: A002
    if ord != "fro":
        raise NotImplementedError(f"matrix_norm: only ord='fro' is supported by the verifier, "
                                  f"got {ord!r}")


def _matrix_norm(a, ord="fro", dim=(-2, -1), keepdim=False):  # noqa: A002
    _frobenius_only(ord)
    return _norm(a, 2, _matrix_dims(np.ndim(a), dim), keepdim)


register(Op(
    name="matrix_norm", inputs=("A",),
    params=(Param("ord", "fro", "any"), Param("dim", (-2, -1), "dim"), Param("keepdim", False, "bool")),
    kind="reduction",
    forward=_matrix_norm,
    # The Frobenius norm is the 2-norm of the matrix's elements.
    vjp=lambda ns, g, out, x, ord="fro", dim=(-2, -1), keepdim=False: _norm_vjp(  # noqa: A002
        ns, g, out, x, 2, _matrix_dims(x.ndim, dim), keepdim),
    sympy=lambda a, ord="fro", dim=(-2, -1), keepdim=False: _norm_sympy(  # noqa: A002
        a, 2, _matrix_dims(np.ndim(a), dim), keepdim),
    torch=lambda torch, x, ord="fro", dim=(-2, -1), keepdim=False: torch.linalg.matrix_norm(  # noqa: A002
        x, ord=ord, dim=tuple(dim), keepdim=keepdim),
    uses_out=True, method=False,
    extra={"node_name": "LinalgVectorNormBackward0"},
    kinks="the gradient at the zero matrix is 0 (torch)",
    doc="torch.linalg.matrix_norm(A, ord='fro', dim=(-2, -1), keepdim=false): Frobenius only",
))


# --- cdist ---------------------------------------------------------------------------
def _pairwise(a, b):
    """x1[.., i, :] - x2[.., j, :] for every pair (i, j): [.., P, R, M]."""
    return a[..., :, None, :] - b[..., None, :, :]


def _cdist_shapes(a, b):
    if np.ndim(a) < 2 or np.ndim(b) < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X1 got: {np.ndim(a)}D")
    if np.shape(a)[-1] != np.shape(b)[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: "
                           f"{np.shape(a)[-1]} X2: {np.shape(b)[-1]}")


def _cdist(a, b, p=2.0, compute_mode=None):
    _cdist_shapes(a, b)
    return _norm(_pairwise(a, b), p, -1, False)


def _cdist_vjp(ns, g, out, a, b, p=2.0, compute_mode=None):
    # dist_ij = |a_i - b_j|_p: the norm's gradient w.r.t. the difference, summed over the
    # partner (b's with a minus sign)
    diff = ns.unsqueeze(a, -2) - ns.unsqueeze(b, -3)
    (grad_diff,) = _norm_vjp(ns, g, out, diff, p, -1, False)
    return ns.sum(grad_diff, dim=-2), -ns.sum(grad_diff, dim=-3)


register(Op(
    name="cdist", inputs=("x1", "x2"),
    params=(Param("p", 2.0, "number"), Param("compute_mode", None, "any")), kind="linalg",
    forward=_cdist, vjp=_cdist_vjp, uses_out=True,
    sympy=lambda a, b, p=2.0, compute_mode=None: _norm_sympy(
        _pairwise(np.asarray(a, dtype=object), np.asarray(b, dtype=object)), p, -1, False),
    torch=lambda torch, a, b, p=2.0, compute_mode=None: torch.cdist(a, b, p=p),
    method=False, domain=(Domain(), Domain()),
    # torch.cdist has no double backward; its definition does (for the registry's tests).
    extra={"node_name": "CdistBackward0",
           "torch_twice_differentiable": lambda torch, a, b, p=2.0, compute_mode=None:
           torch.linalg.vector_norm(a.unsqueeze(-2) - b.unsqueeze(-3), ord=p, dim=-1)},
    kinks="the gradient at a zero distance is 0 (torch)",
    doc="cdist(x1, x2, p=2): the p-norm distance of every row of x1 to every row of x2",
))
