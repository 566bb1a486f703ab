"""eigh, eigvalsh, svdvals and svd in the graph oracle, built on the two spectral rules.

eigvalsh and eigh's eigenvectors are per-matrix rules (spectral.py).  The
singular value decomposition is the eigen-decomposition of the Gram matrix:
for A (m x n) with m >= n, AᵀA = V diag(σ²) Vᵀ, so σ = sqrt of its eigenvalues
(descending) and U = A V / σ; for m < n the same with AAᵀ and the roles of U and
V exchanged.  Derivatives then follow from the graph's own rules for matmul,
sqrt and division: a zero singular value gets an undefined gradient
(sqrt'(0) = inf against a zero of the Gram's derivative), as it has none.  The
signs of the vectors are LAPACK's at the point (numpy's float64 svd), so the
pairs (u_k, v_k) match torch's.  The completion columns of a full U (or Vh) are
constants: torch passes them no gradient; they are defined (up to LAPACK's sign)
only when one column completes the basis, else undefined.
"""

from __future__ import annotations

import numpy as np

from verifier.contract import CaseError
from verifier.oracle.graph.numbers import NAN, to_float
from verifier.oracle.graph.spectral import EigenvectorRule, EigvalshRule
from verifier.oracle.graph.spectrum import Spectrum
from verifier.oracle.graph.tape import T


def _floats(values: np.ndarray) -> np.ndarray:
    flat = [to_float(v) for v in np.asarray(values, dtype=object).ravel()]
    return np.array(flat, dtype=np.float64).reshape(np.shape(values))


def _square(x: T, name: str) -> None:
    if len(x.shape) < 2 or x.shape[-1] != x.shape[-2]:
        raise CaseError("shape", f"linalg.{name}: A must be batches of square matrices, but they are "
                         f"{' by '.join(map(str, x.shape[-2:])) or 'not matrices'} matrices")


def record_eigvalsh(ns, x: T, uplo: str = "L", references=None) -> T:
    _square(x, "eigvalsh")
    rule = EigvalshRule(x.value, uplo, references)
    _note_clusters(ns, rule)
    return ns.tape.record(rule.value(), [x], rule)


def record_eigenvectors(ns, x: T, uplo: str = "L", references=None) -> T:
    _square(x, "eigh")
    rule = EigenvectorRule(x.value, uplo, references)
    _note_clusters(ns, rule)
    _note(ns, "eigenvector signs: LAPACK's at this point (numpy's float64 eigh/svd); "
              "eigenvectors are defined up to sign")
    return ns.tape.record(rule.value(), [x], rule)


def record_both(ns, x: T, uplo: str = "L", references=None) -> tuple[T, T]:
    """(eigenvalues, eigenvectors) from one decomposition of each matrix."""
    _square(x, "eigh")
    values = EigvalshRule(x.value, uplo, references)
    vectors = EigenvectorRule(x.value, uplo, batched=values.b)
    _note_clusters(ns, values)
    _note(ns, "eigenvector signs: LAPACK's at this point (numpy's float64 eigh/svd); "
              "eigenvectors are defined up to sign")
    return (ns.tape.record(values.value(), [x], values),
            ns.tape.record(vectors.value(), [x], vectors))


def _note(ns, text: str) -> None:
    if text not in ns.notes:
        ns.notes.append(text)


def _note_clusters(ns, rule) -> None:
    """Say where the point selects a branch: a repeated eigenvalue and its convention."""
    for s in rule.b.spectra:
        for mu, k in zip(s.distinct, s.multiplicity):
            if k > 1:
                _note(ns, f"a repeated eigenvalue {to_float(mu):.6g} (multiplicity {k}): its "
                          "gradient splits the seed evenly over the cluster (that of the "
                          "cluster's mean); its eigenvectors are undefined")


def _eigh(ns, tensors, params):
    (x,) = tensors
    uplo = params.get("UPLO", "L")
    return record_both(ns, x, uplo)


def _t(ns, x: T) -> T:
    return ns.call("transpose", [x, -2, -1], {})


def _flip(ns, x: T) -> T:
    return ns.call("flip", [x], {"dims": [-1]})


def _decompose(ns, a: T, full_matrices: bool):
    """(U, S, Vh) of a batch of matrices, reduced, or full with constant completions."""
    if len(a.shape) < 2:
        raise CaseError("shape", "linalg.svd: The input tensor A must have at least 2 dimensions.")
    m, n = a.shape[-2], a.shape[-1]
    tall = m >= n
    mats = _floats(a.value).reshape((-1, m, n))
    refs = [np.linalg.svd(f, full_matrices=True) for f in mats]
    # the Gram's eigenvectors in ascending order of σ², signed as LAPACK's V (tall) or U (wide)
    if tall:
        references = [vh.T[:, ::-1] for _, _, vh in refs]
        gram = ns.call("matmul", [_t(ns, a), a], {})
    else:
        references = [u[:, ::-1] for u, _, _ in refs]
        gram = ns.call("matmul", [a, _t(ns, a)], {})
    lam, vectors = record_both(ns, gram, "L", references)
    vectors = _flip(ns, vectors)
    s = ns.call("sqrt", [_flip(ns, lam)], {})
    other = ns.call("div", [ns.call("matmul", [a if tall else _t(ns, a), vectors], {}),
                            ns.call("unsqueeze", [s, -2], {})], {})
    u, v = (other, vectors) if tall else (vectors, other)
    if full_matrices and m != n:
        _note(ns, "svd: the completion columns of a full U (Vh) are constants, as torch ignores "
                  "their gradient (finite differences see the columns move)")
        extra = _completion(a, tall, refs)
        if tall:
            u = ns.call("cat", [[u, extra]], {"dim": -1})
        else:
            v = ns.call("cat", [[v, extra]], {"dim": -1})
    return u, s, _t(ns, v)


def _completion(a: T, tall: bool, refs) -> T:
    """The columns that complete U (tall) or V (wide) to a basis: the eigenvectors of
    AAᵀ (AᵀA) for the eigenvalue 0, as constants; signed as LAPACK's full factors."""
    m, n = a.shape[-2], a.shape[-1]
    extra = abs(m - n)
    mats = a.value.reshape((-1, m, n))
    columns = []
    for mat, (u, _, vh) in zip(mats, refs):
        big = mat if tall else mat.T
        gram = np.matmul(big, big.T)
        reference = (u if tall else vh.T)[:, ::-1]
        spectrum = Spectrum(gram, reference)
        block = spectrum.vectors[:, :extra].copy()
        if spectrum.multiplicity[0] != extra or to_float(spectrum.distinct[0]) != 0:
            block.fill(NAN)  # more than one completion column: any rotation of them will do
        columns.append(block[:, ::-1])
    size = m if tall else n
    stacked = np.stack(columns).reshape(a.shape[:-2] + (size, extra))
    return T(stacked)


def _svd(ns, tensors, params):
    (a,) = tensors
    return _decompose(ns, a, bool(params.get("full_matrices", True)))


def _svdvals(ns, tensors, params):
    (a,) = tensors
    return _decompose(ns, a, False)[1]


SPECTRAL = {"eigh": _eigh, "svd": _svd, "svdvals": _svdvals}
PRIMITIVES = {
    "eigvalsh": lambda ns, tensors, params: record_eigvalsh(ns, tensors[0], params.get("UPLO", "L")),
    "eigh_vectors": lambda ns, tensors, params: record_eigenvectors(ns, tensors[0],
                                                                    params.get("UPLO", "L")),
}
