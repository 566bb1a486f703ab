"""torch.linalg.qr(A, mode='reduced' | 'complete' | 'r') = (Q, R), both differentiable.

`qr` is a composite: the engine returns torch's named tuple (Q, R) built from two
internal entries, `qr_q` and `qr_r`, each with its own VJP (the QR backward is linear
in (gQ, gR), so the two VJPs add up to torch's).  Derivation, for A = Q R (m >= n):
C = Q^T dA R^-1 = Q^T dQ + dR R^-1 (skew plus upper triangular), and the adjoint is

    gA = (gQ + Q copyltu(M)) R^-T,   M = gR R^T - Q^T gQ,   copyltu(M) = triu(M) + triu(M, 1)^T.

A wide A = Q [X | Y] (m < n) is the square case for X = Q R1 with gQ + Y gR2^T, and
gY = Q gR2.  The signs are LAPACK's (geqrf, as torch): the SymPy form is Gram-Schmidt
with the sign of each R[k, k] that the point selects (sympy_linalg.QrSign).
"""

from __future__ import annotations

import collections

import numpy as np

from verifier.ops.linalg import _transpose_last
from verifier.ops.linalg_solve import _batched
from verifier.ops.registry import Domain, Op, Param, register
from verifier.ops.symbolic import LazyModule, sp

forms = LazyModule("verifier.ops.sympy_linalg")

MODES = ("reduced", "complete", "r")
QR_RESULT = collections.namedtuple("linalg_qr", ("Q", "R"))
QR_RESULT.__module__ = "torch.return_types"


def _check(a, mode):
    if mode not in MODES:
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of "
                           "'reduced' (default), 'r', or 'complete'")
    if np.ndim(a) < 2:
        raise RuntimeError("linalg.qr: The input tensor A must have at least 2 dimensions.")


def _qr(a, mode="reduced"):
    _check(a, mode)
    if mode == "r":
        return np.empty((0,), dtype=np.result_type(a)), np.linalg.qr(a, mode="r")
    q, r = np.linalg.qr(a, mode=mode)
    return q, r


def _differentiable(a_shape, mode):
    m, n = a_shape[-2:]
    if mode == "r":
        raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed when "
                           "mode='r'. Please use linalg.qr(A, mode='reduced') if you are going to "
                           "differentiate through linalg.qr.")
    if mode == "complete" and m > n:
        raise RuntimeError("The QR decomposition is not differentiable when mode='complete' and "
                           "nrows > ncols.")


def _square_backward(ns, gq, gr, q, r):
    """gA of A = Q R with R square (m >= n); gq or gr may be None (zero)."""
    m_terms = []
    if gr is not None:
        m_terms.append(ns.matmul(gr, _transpose_last(ns, r)))
    if gq is not None:
        m_terms.append(-ns.matmul(_transpose_last(ns, q), gq))
    m = m_terms[0] if len(m_terms) == 1 else m_terms[0] + m_terms[1]
    n = ns.triu(m) + _transpose_last(ns, ns.triu(m, 1))  # copyltu(M)
    b = ns.matmul(q, n)
    if gq is not None:
        b = b + gq
    # B R^-T: the X with X R^T = B
    return ns.solve(_transpose_last(ns, r), b, left=False)


def qr_backward(ns, gq, gr, q, r, a, mode):
    _differentiable(tuple(a.shape), mode)
    m, n = tuple(a.shape)[-2:]
    if m >= n:
        return _square_backward(ns, gq, gr, q, r)
    r1 = ns.narrow(r, -1, 0, m)
    y = ns.narrow(a, -1, m, n - m)
    if gr is None:
        return ns.cat([_square_backward(ns, gq, None, q, r1), y * 0], dim=-1)
    gr1, gr2 = ns.narrow(gr, -1, 0, m), ns.narrow(gr, -1, m, n - m)
    shifted = ns.matmul(y, _transpose_last(ns, gr2))
    gq_x = shifted if gq is None else gq + shifted
    return ns.cat([_square_backward(ns, gq_x, gr1, q, r1), ns.matmul(q, gr2)], dim=-1)


# --- SymPy form: Gram-Schmidt with LAPACK's signs ----------------------------------------
def _qr_form(a: np.ndarray, mode: str):
    m, n = a.shape
    p = min(m, n)
    entries = list(a.ravel())
    size = (sp.Integer(m), sp.Integer(n))
    ws, q = [], np.empty((m, m if mode == "complete" else p), dtype=object)
    r = np.empty((m if mode == "complete" else p, n), dtype=object)
    r.fill(sp.Integer(0))
    for k in range(p):
        # w_k = a_k - sum_j (a_k . w_j) / (w_j . w_j) w_j: rational in A; one root per column
        w = a[:, k].copy()
        for wj, wj_wj in ws:
            w = w - (np.dot(a[:, k], wj) / wj_wj) * wj
        ww = np.dot(w, w)
        ws.append((w, ww))
        sign = forms.QrSign(sp.Integer(k), *size, *entries)
        norm = sp.sqrt(ww)
        q[:, k] = w * (sign / norm)
        r[k, k] = sign * norm
    for k in range(p):
        for c in range(k + 1, n):
            r[k, c] = np.dot(q[:, k], a[:, c])
    for j in range(p, q.shape[1]):  # the complete Q of a tall A: not differentiable
        for i in range(m):
            q[i, j] = forms.QrComplement(sp.Integer(i), sp.Integer(j), *size, *entries)
    return q, r


def _qr_sympy_part(which):
    def form(a, mode="reduced"):
        _check(a, mode)
        if which == 0 and mode == "r":
            return np.empty((0,), dtype=object)
        return _batched(lambda m: _qr_form(m, mode)[which], a, core_dims=(2,))
    return form


def _qr_sympy(a, mode="reduced"):
    return _qr_sympy_part(0)(a, mode), _qr_sympy_part(1)(a, mode)


def _qr_composite(module, a, mode="reduced"):
    return QR_RESULT(module.qr_q(a, mode=mode), module.qr_r(a, mode=mode))


MODE = (Param("mode", "reduced", "str"),)
TORCH_QR = "torch.linalg.qr(A, mode='reduced')"
COMMON = {"kind": "linalg", "params": MODE, "domain": (Domain(well_conditioned=True),),
          "torch": lambda torch, a, mode="reduced": torch.linalg.qr(a, mode=mode)}

register(Op(
    name="qr", inputs=("A",), forward=_qr, vjp=None, sympy=_qr_sympy,
    extra={"composite": _qr_composite, "node_name": "LinalgQrBackward0", "fields": ("Q", "R")},
    kinks="LAPACK's signs (R's diagonal as geqrf leaves it, as torch), which the point "
          "selects; the gradient needs a full-rank A, and none exists for mode='r' or for "
          "mode='complete' with more rows than columns (as torch)",
    doc="torch.linalg.qr(A, mode='reduced') = (Q, R) with A = Q R; write .Q or [0], .R or [1]; "
        "mode='complete' (square Q) or 'r' (R alone, Q empty)",
    **COMMON,
))

register(Op(
    name="qr_q", inputs=("A",), method=False, in_language=False, uses_out=True,
    forward=lambda a, mode="reduced": _qr(a, mode)[0],
    vjp=lambda ns, g, out, a, mode="reduced": (
        qr_backward(ns, g, None, out, ns.qr_r(a, mode=mode), a, mode),),
    sympy=_qr_sympy_part(0),
    extra={"node_name": "LinalgQrBackward0", "saves": (0,)},
    doc=f"Q of {TORCH_QR} (engine-internal: qr's first field)",
    **{**COMMON, "torch": lambda torch, a, mode="reduced": torch.linalg.qr(a, mode=mode).Q},
))

register(Op(
    name="qr_r", inputs=("A",), method=False, in_language=False, uses_out=True,
    forward=lambda a, mode="reduced": _qr(a, mode)[1],
    vjp=lambda ns, g, out, a, mode="reduced": (
        qr_backward(ns, None, g, ns.qr_q(a, mode=mode), out, a, mode),),
    sympy=_qr_sympy_part(1),
    extra={"node_name": "LinalgQrBackward0", "saves": (0,)},
    doc=f"R of {TORCH_QR} (engine-internal: qr's second field)",
    **{**COMMON, "torch": lambda torch, a, mode="reduced": torch.linalg.qr(a, mode=mode).R},
))
