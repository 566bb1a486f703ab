"""Linear algebra: matmul (dot outer trace det inverse follow)."""

from __future__ import annotations

import numpy as np

from verifier.ops.registry import Domain, Op, register


def _matmul(a, b):
    if np.ndim(a) == 0 or np.ndim(b) == 0:
        raise RuntimeError("both arguments to matmul need to be at least 1D, but they are "
                           f"{np.ndim(a)}D and {np.ndim(b)}D")
    try:
        return np.matmul(a, b)
    except ValueError:
        sa, sb = np.shape(a), np.shape(b)
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied "
                           f"({'x'.join(map(str, sa))} and {'x'.join(map(str, sb))}); the last "
                           "dimension of the first must equal the first (or second-to-last) of "
                           "the second") from None


def _matmul_vjp(ns, g, out, a, b):
    # C = A B: dA = G B^T, dB = A^T G; vectors are promoted to matrices and back.
    a2 = ns.unsqueeze(a, 0) if a.ndim == 1 else a
    b2 = ns.unsqueeze(b, -1) if b.ndim == 1 else b
    g2 = g
    if a.ndim == 1:
        g2 = ns.unsqueeze(g2, -2)
    if b.ndim == 1:
        g2 = ns.unsqueeze(g2, -1)
    grad_a = ns.matmul(g2, ns.transpose(b2, -1, -2))
    grad_b = ns.matmul(ns.transpose(a2, -1, -2), g2)
    if a.ndim == 1:
        grad_a = ns.squeeze(grad_a, -2)
    if b.ndim == 1:
        grad_b = ns.squeeze(grad_b, -1)
    return grad_a, grad_b


register(Op(
    name="matmul", inputs=("input", "other"), kind="linalg",
    forward=_matmul,
    vjp=_matmul_vjp,
    sympy=lambda a, b: np.asarray(np.matmul(a, b), dtype=object) if np.ndim(a) + np.ndim(b) > 2
    else np.asarray(np.dot(a, b), dtype=object),
    extra={"saves": "cross"},
    domain=(Domain(), Domain()),
))
