"""exp(A) and its derivatives of any order, in certified (flint) arithmetic.

The k-th derivative of the matrix exponential along directions E_1..E_k is read off
one exponential of a block matrix (Mathias; Higham & Relton): with A on the k+1
diagonal blocks and E_1, ..., E_k on the superdiagonal,

    M = [[A, E_1,  0 ],
         [0,  A,  E_2],
         [0,  0,   A ]],     exp(M)[0, k] = sum over orderings of exp's k-th Taylor term,

the top-right block is the part of the k-th derivative that applies the directions
in this order; the sum over the k! orderings of the directions is the (symmetric)
k-th derivative D^k exp(A)[E_1, ..., E_k] (for k = 1: the Frechet
derivative L(A, E), the top-right block of exp([[A, E], [0, A]])).

Entries are flint `fmpq` (exact) or `arb` (balls).  A nilpotent rational A (the zero
matrix, a strictly triangular one) has an exact exponential: its Taylor series ends.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
from flint import arb, arb_mat, fmpq, fmpq_mat


def _is_rational(values) -> bool:
    return all(type(v) is fmpq for v in values)


def _nilpotent(a: np.ndarray) -> bool:
    n = a.shape[0]
    m = fmpq_mat(n, n, a.ravel().tolist())
    power = m
    for _ in range(n - 1):
        power = power * m
    return all(v == 0 for v in power.entries())


def _block(a: np.ndarray, directions: list) -> np.ndarray:
    n, k = a.shape[0], len(directions)
    size = (k + 1) * n
    m = np.empty((size, size), dtype=object)
    m.fill(fmpq(0))
    for b in range(k + 1):
        m[b * n:(b + 1) * n, b * n:(b + 1) * n] = a
        if b < k:
            m[b * n:(b + 1) * n, (b + 1) * n:(b + 2) * n] = directions[b]
    return m


def _exp_top_right(m: np.ndarray, n: int, exact: bool) -> np.ndarray:
    size = m.shape[0]
    flat = m.ravel().tolist()
    if exact:
        # a nilpotent M: exp(M) = sum_{j < size} M^j / j!, exactly
        mat = fmpq_mat(size, size, flat)
        total = fmpq_mat(size, size, [fmpq(int(i == j)) for i in range(size) for j in range(size)])
        power = total
        for j in range(1, size):
            power = power * mat
            total = total + power * fmpq(1, math.factorial(j))
        result = total
    else:
        result = arb_mat(size, size, [arb(v) if type(v) is fmpq else v for v in flat]).exp()
    out = np.empty((n, n), dtype=object)
    for i in range(n):
        for j in range(n):
            out[i, j] = result[i, size - n + j]
    return out


def exp_derivative(a: np.ndarray, directions: list) -> np.ndarray:
    """D^k exp(A)[E_1, ..., E_k] for square object arrays of fmpq/arb (k = 0: exp(A))."""
    a = np.asarray(a, dtype=object)
    n = a.shape[0]
    if n == 0:
        return np.empty((0, 0), dtype=object)
    exact = _is_rational(a.ravel()) and all(_is_rational(np.asarray(e).ravel()) for e in directions) \
        and _nilpotent(a)
    total = None
    for order in itertools.permutations(range(len(directions))):
        part = _exp_top_right(_block(a, [directions[i] for i in order]), n, exact)
        total = part if total is None else total + part
    return total


def unit(n: int, k: int, l: int) -> np.ndarray:
    """E_kl: the n x n matrix with a single 1 at (k, l)."""
    e = np.empty((n, n), dtype=object)
    e.fill(fmpq(0))
    e[k, l] = fmpq(1)
    return e
