"""torch.linalg.matrix_exp and torch.linalg.pinv.

matrix_exp's VJP is the Frechet derivative's adjoint, L(A^T, G): the top-right block of
exp([[A^T, G], [0, A^T]]) (Mathias's block formula, torch's too), built from matrix_exp,
cat and narrow, so it is differentiable again.  pinv's VJP is the derivative of the
pseudo-inverse at constant rank (Golub & Pereyra), written with matmul and transpose.
Their SymPy forms are the point-evaluated functions of sympy_linalg.py.
"""

from __future__ import annotations

import numpy as np

from verifier.ops.linalg import _square_matrices, _transpose_last
from verifier.ops.linalg_solve import _batched
from verifier.ops.registry import Domain, Op, Param, register
from verifier.ops.symbolic import LazyModule

forms = LazyModule("verifier.ops.sympy_linalg")


# --- matrix_exp ----------------------------------------------------------------------
TAYLOR_DEGREE = 18  # with |A / 2^s|_1 <= 1/2 the remainder is below 2^-19 / 19! ~ 1e-23


def _matrix_exp(a):
    _square_matrices("matrix_exp", a)
    if np.shape(a)[-1] == 0:
        return np.array(a)
    return _expm(np.asarray(a, dtype=np.float64)).astype(np.result_type(a), copy=False)


def _expm(x):
    """Scaling and squaring: exp(A) = exp(A / 2^s)^(2^s), the inner one by Taylor (Horner),
    s per matrix so that |A / 2^s|_1 <= 1/2; numpy only (no SciPy import at load time)."""
    n = x.shape[-1]
    norms = np.max(np.sum(np.abs(x), axis=-2), axis=-1)  # the 1-norm of each matrix
    with np.errstate(divide="ignore"):
        s = np.maximum(0, np.ceil(np.log2(np.where(norms > 0, norms, 1) / 0.5))).astype(int)
    y = x / np.ldexp(1.0, s)[..., None, None]
    eye = np.broadcast_to(np.eye(n), x.shape)
    result = eye.copy()
    for k in range(TAYLOR_DEGREE, 0, -1):
        result = eye + np.matmul(y, result) / k
    for step in range(int(np.max(s, initial=0))):
        squared = np.matmul(result, result)
        result = np.where((step < s)[..., None, None], squared, result)
    return result


def _matrix_exp_vjp(ns, g, out, a):
    # <G, L(A, E)> = <L(A^T, G), E>, and L(A^T, G) is the top-right block of
    # exp([[A^T, G], [0, A^T]]).
    n = a.shape[-1]
    at = _transpose_last(ns, a)
    top = ns.cat([at, g], dim=-1)
    bottom = ns.cat([at * 0, at], dim=-1)
    block = ns.matrix_exp(ns.cat([top, bottom], dim=-2))
    return (ns.narrow(ns.narrow(block, -2, 0, n), -1, n, n),)


register(Op(
    name="matrix_exp", inputs=("input",), kind="linalg",
    forward=_matrix_exp, vjp=_matrix_exp_vjp,
    sympy=lambda a: _batched(forms.matrix_exp_form, a, core_dims=(2,)),
    domain=(Domain(low=-1.0, high=1.0),),
    extra={"node_name": "LinalgMatrixExpBackward0", "saves": (0,)},
    kinks="analytic everywhere; exp of the zero matrix is I, exactly",
    doc="torch.linalg.matrix_exp(A): the matrix exponential; its gradient is the adjoint "
        "Frechet derivative",
))


# --- pinv ------------------------------------------------------------------------------
def _kept(values, atol, rtol, dtype, m, n):
    """torch's cutoff: values > max(atol, rtol * largest) are kept (per matrix)."""
    if rtol is None:
        rtol = 0.0 if atol is not None and atol > 0 else float(np.finfo(dtype).eps) * max(m, n)
    atol = 0.0 if atol is None else atol
    top = np.max(np.abs(values), axis=-1, keepdims=True) if values.shape[-1] else \
        np.zeros(values.shape[:-1] + (1,))
    return np.abs(values) > np.maximum(atol, rtol * top)


def _pinv(a, atol=None, rtol=None, hermitian=False):
    shape = np.shape(a)
    if len(shape) < 2:
        raise RuntimeError("linalg.pinv: The input tensor A must have at least 2 dimensions.")
    m, n = shape[-2:]
    dtype = np.result_type(a)
    x = np.asarray(a, dtype=np.float64)
    if hermitian:
        _square_matrices("pinv", a)
        w, v = np.linalg.eigh(x)  # reads the lower triangle, as torch
        inverse = np.where(_kept(w, atol, rtol, dtype, m, n), 1 / np.where(w == 0, 1, w), 0)
        out = np.matmul(v * inverse[..., None, :], np.swapaxes(v, -1, -2))
    else:
        if 0 in (m, n):
            return np.zeros(shape[:-2] + (n, m), dtype=dtype)
        u, s, vt = np.linalg.svd(x, full_matrices=False)
        inverse = np.where(_kept(s, atol, rtol, dtype, m, n), 1 / np.where(s == 0, 1, s), 0)
        out = np.matmul(np.swapaxes(vt, -1, -2) * inverse[..., None, :], np.swapaxes(u, -1, -2))
    return out.astype(dtype, copy=False)


def _pinv_vjp(ns, g, out, a, atol=None, rtol=None, hermitian=False):
    # dP = -P dA P + P P^T dA^T (I - A P) + (I - P A) dA^T P^T P at constant rank, so
    # dA = -P^T G P^T + (I - A P) G^T P P^T + P^T P G^T (I - P A).
    p, pt, gt = out, _transpose_last(ns, out), _transpose_last(ns, g)
    first = -ns.matmul(ns.matmul(pt, g), pt)
    x = ns.matmul(ns.matmul(gt, p), pt)
    second = x - ns.matmul(a, ns.matmul(p, x))
    y = ns.matmul(ns.matmul(pt, p), gt)
    third = y - ns.matmul(ns.matmul(y, p), a)
    return (first + second + third,)


def _pinv_sympy(a, atol=None, rtol=None, hermitian=False):
    return _batched(lambda m: forms.pinv_form(m, atol, rtol), a, core_dims=(2,))


register(Op(
    name="pinv", inputs=("input",), kind="linalg", method=False,
    params=(Param("atol", None, "number"), Param("rtol", None, "number"),
            Param("hermitian", False, "bool")),
    forward=_pinv, vjp=_pinv_vjp, uses_out=True, sympy=_pinv_sympy,
    torch=lambda torch, a, atol=None, rtol=None, hermitian=False: torch.linalg.pinv(
        a, atol=atol, rtol=rtol, hermitian=hermitian),
    domain=(Domain(well_conditioned=True),),
    extra={"node_name": "LinalgPinvBackward0"},
    kinks="singular values at or below max(atol, rtol * largest) count as zero (torch's "
          "cutoff; the oracle decides it with float64's default rtol); the gradient is the "
          "derivative at the rank the point has (Golub & Pereyra), also at a rank-deficient A; "
          "hermitian=true assumes a symmetric A",
    doc="torch.linalg.pinv(A, atol=None, rtol=None, hermitian=false): the pseudo-inverse; at "
        "full rank (A^T A)^-1 A^T (tall) or A^T (A A^T)^-1 (wide)",
))
