"""Spectral decompositions: eigvalsh eigh svdvals svd (torch.linalg).

Each differentiable output is its own entry, so that every VJP is one rule:
`eigvalsh` (the eigenvalues) and the internal `eigh_vectors`; `svdvals` and the
internal `svd_u`, `svd_vh`.  `eigh` and `svd` are composites returning torch's
named tuples of those entries.  A VJP is linear in the output cotangents, so
torch's joint rule (FunctionsManual's linalg_eig_backward / svd_backward) splits
into one term per output, and each term reads the other outputs through the
registered ops: under create_graph the rule is differentiable again.

Conventions, as torch's:
- eigh reads the lower triangle (UPLO='L'), yet its gradient is that of a
  symmetric matrix (symmetric, like cholesky's);
- eigenvectors (singular vectors) are defined up to sign; the values follow
  LAPACK's choice.  Gradients of sign-invariant functions do not depend on it;
- at repeated eigenvalues (singular values) the eigenvector (singular vector)
  gradients divide by zero: torch returns inf/nan there, and so does the engine;
  eigenvalue gradients stay finite.
"""

from __future__ import annotations

import collections

import numpy as np

from verifier.ops.linalg import _square_matrices, _transpose_last
from verifier.ops.registry import Domain, Op, Param, register


def _sympy_form(name):
    """The SymPy form, imported on first call (loading the registry must not import SymPy)."""
    def form(*args, **kwargs):
        from verifier.ops import sympy_spectral
        return getattr(sympy_spectral, name)(*args, **kwargs)
    form.__name__ = name
    return form


eigvalsh_sympy, eigh_vectors_sympy = _sympy_form("eigvalsh_sympy"), _sympy_form("eigh_vectors_sympy")
svdvals_sympy, svd_u_sympy, svd_vh_sympy = (_sympy_form("svdvals_sympy"), _sympy_form("svd_u_sympy"),
                                            _sympy_form("svd_vh_sympy"))
# As torch: the node saves its outputs (and LAPACK's other factors), never the input A; it keeps
# a copy of A's values (snapshot), so an in-place change of A after the call changes nothing.
SAVES_OUTPUTS = {"saves": (), "saves_out": True, "snapshot": True}
SYMMETRIC = Domain(symmetric=True)
UPLO = Param("UPLO", "L", "str")
FULL = Param("full_matrices", True, "bool")
DRIVER = Param("driver", None, "str")


def _return_type(name, fields):
    kind = collections.namedtuple(name, fields)
    kind.__module__ = "torch.return_types"
    return kind


EIGH_RESULT = _return_type("linalg_eigh", ("eigenvalues", "eigenvectors"))
SVD_RESULT = _return_type("linalg_svd", ("U", "S", "Vh"))
OLD_SVD_RESULT = _return_type("svd", ("U", "S", "V"))


# --- eigh ------------------------------------------------------------------------------
def _uplo(name, uplo):
    if uplo not in ("L", "U"):
        raise RuntimeError(f"linalg.{name}: Expected UPLO argument to be 'L' or 'U', but got {uplo}")
    return uplo


def _eigvalsh(a, UPLO="L"):  # noqa: N803  torch's argument name
    _square_matrices("eigvalsh", a)
    return np.linalg.eigvalsh(a, UPLO=_uplo("eigvalsh", UPLO))


def _eigh_vectors(a, UPLO="L"):  # noqa: N803
    _square_matrices("eigh", a)
    return np.linalg.eigh(a, UPLO=_uplo("eigh", UPLO))[1]


def _eigvalsh_vjp(ns, g, out, a, UPLO="L"):  # noqa: N803
    # dλ_k = v_kᵀ dA v_k, so Ā = V diag(ḡ) Vᵀ (symmetric)
    v = ns.eigh_vectors(a, UPLO=UPLO)
    return (ns.matmul(v * ns.unsqueeze(g, -2), _transpose_last(ns, v)),)


def _eigh_vectors_vjp(ns, g, out, a, UPLO="L"):  # noqa: N803
    # dV = V (F ∘ (Vᵀ dA V)), F_ij = 1/(λ_j - λ_i) off the diagonal: the adjoint of a
    # symmetric dA is Ā = V (skew(Vᵀ Ḡ) / E) Vᵀ, skew(X) = (X - Xᵀ)/2, E_ij = λ_j - λ_i
    # (the diagonal of E set to 1, where skew is 0); E_ij = 0 at repeated eigenvalues.
    lam = ns.eigvalsh(a, UPLO=UPLO)
    n = a.shape[-1]
    vt = _transpose_last(ns, out)
    m = ns.matmul(vt, g)
    skew = (m - _transpose_last(ns, m)) * 0.5
    gaps = ns.unsqueeze(lam, -2) - ns.unsqueeze(lam, -1) + np.eye(n)
    return (ns.matmul(ns.matmul(out, skew / gaps), vt),)


# --- svd -------------------------------------------------------------------------------
def _matrices(name, a):
    if np.ndim(a) < 2:
        raise RuntimeError(f"linalg.{name}: The input tensor A must have at least 2 dimensions.")


def _check_driver(name, driver):
    if driver is not None:
        raise RuntimeError(f"torch.linalg.{name}: keyword argument `driver=` is only supported on "
                           "CUDA inputs with cuSOLVER backend.")


def _svdvals(a, driver=None):
    _matrices("svdvals", a)
    _check_driver("svdvals", driver)
    return np.linalg.svd(a, compute_uv=False)


def _svd_u(a, full_matrices=True):
    _matrices("svd", a)
    return np.linalg.svd(a, full_matrices=bool(full_matrices))[0]


def _svd_vh(a, full_matrices=True):
    _matrices("svd", a)
    return np.linalg.svd(a, full_matrices=bool(full_matrices))[2]


def _svdvals_vjp(ns, g, out, a, driver=None):
    # dσ_k = u_kᵀ dA v_k, so Ā = U diag(ḡ) Vᵀ (reduced factors)
    u = ns.svd_u(a, full_matrices=False)
    vh = ns.svd_vh(a, full_matrices=False)
    return (ns.matmul(u * ns.unsqueeze(g, -2), vh),)


def _svd_parts(ns, a):
    """Reduced U, S, Vh as registered ops, and E_ij = S_j² - S_i² (1 on the diagonal)."""
    u = ns.svd_u(a, full_matrices=False)
    s = ns.svdvals(a)
    vh = ns.svd_vh(a, full_matrices=False)
    s2 = s * s
    k = min(a.shape[-2], a.shape[-1])
    gaps = ns.unsqueeze(s2, -2) - ns.unsqueeze(s2, -1) + np.eye(k)
    return u, s, vh, gaps, k


def _svd_u_vjp(ns, g, out, a, full_matrices=True):
    # torch's svd_backward, its gU terms: with J = UᵀḠ_U - (UᵀḠ_U)ᵀ,
    # Ā = [U (J S / E) + (I - U Uᵀ) Ḡ_U S⁻¹] Vᵀ, the second term for tall A only
    # (the completion columns of a full U get no gradient, as torch drops them).
    u, s, vh, gaps, k = _svd_parts(ns, a)
    gu = ns.narrow(g, -1, 0, k) if g.shape[-1] != k else g
    m = ns.matmul(_transpose_last(ns, u), gu)
    inner = (m - _transpose_last(ns, m)) * ns.unsqueeze(s, -2) / gaps
    left = ns.matmul(u, inner)
    if a.shape[-2] > k:
        scaled = gu / ns.unsqueeze(s, -2)
        left = left + scaled - ns.matmul(u, ns.matmul(_transpose_last(ns, u), scaled))
    return (ns.matmul(left, vh),)


def _svd_vh_vjp(ns, g, out, a, full_matrices=True):
    # torch's svd_backward, its gVh terms: with K = VᵀḠ_V - (VᵀḠ_V)ᵀ (Ḡ_V = Ḡ_Vhᵀ),
    # Ā = U [(S K / E) Vᵀ + S⁻¹ Ḡ_Vh (I - V Vᵀ)], the second term for wide A only.
    u, s, vh, gaps, k = _svd_parts(ns, a)
    gvh = ns.narrow(g, -2, 0, k) if g.shape[-2] != k else g
    m = ns.matmul(vh, _transpose_last(ns, gvh))
    inner = ns.unsqueeze(s, -1) * (m - _transpose_last(ns, m)) / gaps
    right = ns.matmul(inner, vh)
    if a.shape[-1] > k:
        scaled = gvh / ns.unsqueeze(s, -1)
        right = right + scaled - ns.matmul(ns.matmul(scaled, _transpose_last(ns, vh)), vh)
    return (ns.matmul(u, right),)


# --- registration ----------------------------------------------------------------------
REPEATED = ("eigenvalue gradients are finite at repeated eigenvalues (the oracle splits the seed "
            "evenly over a cluster, which is torch's value when the seeds there are equal); "
            "eigenvector gradients there divide by zero: inf/nan, as torch")

register(Op(
    name="eigvalsh", inputs=("A",), params=(UPLO,), kind="linalg", method=False,
    forward=_eigvalsh, vjp=_eigvalsh_vjp, sympy=eigvalsh_sympy,
    torch=lambda torch, a, UPLO="L": torch.linalg.eigvalsh(a, UPLO=UPLO),  # noqa: N803
    domain=(SYMMETRIC,),
    extra={"node_name": "LinalgEighBackward0", **SAVES_OUTPUTS},
    kinks=REPEATED,
    doc="torch.linalg.eigvalsh(A, UPLO='L'): the eigenvalues of a symmetric matrix, ascending",
))

register(Op(
    name="eigh_vectors", inputs=("A",), params=(UPLO,), kind="linalg", method=False,
    in_language=False,
    forward=_eigh_vectors, vjp=_eigh_vectors_vjp, sympy=eigh_vectors_sympy, uses_out=True,
    torch=lambda torch, a, UPLO="L": torch.linalg.eigh(a, UPLO=UPLO)[1],  # noqa: N803
    domain=(SYMMETRIC,),
    extra={"node_name": "LinalgEighBackward0", **SAVES_OUTPUTS},
    kinks=REPEATED,
    doc="the eigenvectors of torch.linalg.eigh (an internal entry: write eigh(A)[1])",
))


def _eigh_composite(module, a, UPLO="L"):  # noqa: N803
    return EIGH_RESULT(module.eigvalsh(a, UPLO=UPLO), module.eigh_vectors(a, UPLO=UPLO))


register(Op(
    name="eigh", inputs=("A",), params=(UPLO,), kind="linalg", method=False,
    forward=lambda a, UPLO="L": (_eigvalsh(a, UPLO), _eigh_vectors(a, UPLO)),  # noqa: N803
    vjp=None,
    sympy=lambda a, UPLO="L": (eigvalsh_sympy(a, UPLO), eigh_vectors_sympy(a, UPLO)),  # noqa: N803
    torch=lambda torch, a, UPLO="L": torch.linalg.eigh(a, UPLO=UPLO),  # noqa: N803
    domain=(SYMMETRIC,),
    extra={"composite": _eigh_composite, "node_name": "LinalgEighBackward0",
           "fields": ("eigenvalues", "eigenvectors")},
    kinks=REPEATED,
    doc="torch.linalg.eigh(A, UPLO='L') = (eigenvalues, eigenvectors); write eigh(A)[0] or "
        "[1]; eigenvectors are defined up to sign (LAPACK's choice): use sign-invariant "
        "functions of them",
))

SINGULAR = ("singular vector gradients divide by S_j² - S_i² and, for non-square A, by S: "
            "inf/nan at repeated or zero singular values, as torch; singular value gradients "
            "stay finite")

register(Op(
    name="svdvals", inputs=("A",), params=(DRIVER,), kind="linalg", method=False,
    forward=_svdvals, vjp=_svdvals_vjp, sympy=lambda a, driver=None: svdvals_sympy(a),
    torch=lambda torch, a, driver=None: torch.linalg.svdvals(a, driver=driver),
    extra={"node_name": "LinalgSvdBackward0", **SAVES_OUTPUTS},
    kinks=SINGULAR,
    doc="torch.linalg.svdvals(A, driver=None): the singular values, descending (driver: "
        "CUDA only, as torch)",
))

register(Op(
    name="svd_u", inputs=("A",), params=(FULL,), kind="linalg", method=False, in_language=False,
    forward=_svd_u, vjp=_svd_u_vjp, sympy=svd_u_sympy, uses_out=True,
    torch=lambda torch, a, full_matrices=True: torch.linalg.svd(a, full_matrices=full_matrices)[0],
    extra={"node_name": "LinalgSvdBackward0", **SAVES_OUTPUTS},
    kinks=SINGULAR,
    doc="U of torch.linalg.svd (an internal entry: write svd(A)[0])",
))

register(Op(
    name="svd_vh", inputs=("A",), params=(FULL,), kind="linalg", method=False, in_language=False,
    forward=_svd_vh, vjp=_svd_vh_vjp, sympy=svd_vh_sympy, uses_out=True,
    torch=lambda torch, a, full_matrices=True: torch.linalg.svd(a, full_matrices=full_matrices)[2],
    extra={"node_name": "LinalgSvdBackward0", **SAVES_OUTPUTS},
    kinks=SINGULAR,
    doc="Vh of torch.linalg.svd (an internal entry: write svd(A)[2])",
))


def _svd_composite(module, a, full_matrices=True, driver=None):
    _check_driver("svd", driver)
    return SVD_RESULT(module.svd_u(a, full_matrices=full_matrices), module.svdvals(a),
                      module.svd_vh(a, full_matrices=full_matrices))


register(Op(
    name="svd", inputs=("A",), params=(FULL, DRIVER), kind="linalg", method=False,
    forward=lambda a, full_matrices=True, driver=None: (
        _svd_u(a, full_matrices), _svdvals(a, driver), _svd_vh(a, full_matrices)),
    vjp=None,
    sympy=lambda a, full_matrices=True, driver=None: (
        svd_u_sympy(a, full_matrices), svdvals_sympy(a), svd_vh_sympy(a, full_matrices)),
    torch=lambda torch, a, full_matrices=True, driver=None: torch.linalg.svd(
        a, full_matrices=full_matrices, driver=driver),
    extra={"composite": _svd_composite, "node_name": "LinalgSvdBackward0", "value_field": 1,
           "fields": ("U", "S", "Vh"),
           "namespace": "linalg"},
    kinks=SINGULAR,
    doc="torch.linalg.svd(A, full_matrices=true, driver=None) = (U, S, Vh); write svd(A)[1] for S; "
        "singular vectors are defined up to a sign shared by u_k and v_k (LAPACK's choice); "
        "the completion columns of a full U or Vh get no gradient, as torch",
))


def old_svd(input, some=True, compute_uv=True, *, out=None):  # noqa: A002  torch's names
    """torch.svd(input, some=True, compute_uv=True) = (U, S, V): the deprecated API, V not Vh.

    With compute_uv=False, U and V are zero matrices of (m, m) and (n, n), as torch's.
    """
    from verifier import engine
    if out is not None:
        raise TypeError("svd(): out= is not supported by the verifier engine")
    if not compute_uv:
        m, n = input.shape[-2], input.shape[-1]
        batch = tuple(input.shape[:-2])
        return OLD_SVD_RESULT(engine.zeros(batch + (m, m), dtype=input.dtype),
                              engine.svdvals(input), engine.zeros(batch + (n, n), dtype=input.dtype))
    full = not some
    return OLD_SVD_RESULT(engine.svd_u(input, full_matrices=full), engine.svdvals(input),
                          engine.svd_vh(input, full_matrices=full).mT)
