"""Example builders for the statistics, selection, reordering, gathering and linalg entries.

Same contract as op_examples.py: a builder draws through `d` and returns
(shapes, params); a "shape" that is an int64 array is that input's value (an index).
"""

from __future__ import annotations

import numpy as np

from tests.op_examples import reduction, shape, some_dims


def _dim(d, n):
    return d.int(-n, n - 1) if n else d.choice((0, -1))


def var(d):
    s = shape(d, min_dims=1, low=2, high=3)
    dim = some_dims(d, len(s))
    params = {} if dim is None else {"dim": dim}
    params.update(d.choice(({}, {"correction": 0}, {"unbiased": False}, {"correction": 2})))
    if d.choice((True, False)):
        params["keepdim"] = True
    if params.get("correction") == 2 and int(np.prod([s[i] for i in _axes(dim, len(s))])) <= 2:
        params["correction"] = 1
    return [s], params


def _axes(dim, n):
    if dim is None:
        return range(n)
    return [dim % n] if isinstance(dim, int) else [i % n for i in dim]


def scan(d):
    s = shape(d)
    return [s], {"dim": _dim(d, len(s))}


def one_dim_reduction(d):
    s = shape(d)
    if d.choice((True, False)):
        return [s], {}
    params = {"dim": _dim(d, len(s))}
    if d.choice((True, False)):
        params["keepdim"] = True
    return [s], params


def sort(d):
    s = shape(d, min_dims=1)
    return [s], {"dim": _dim(d, len(s)), "descending": d.choice((True, False))}


def topk(d):
    s = shape(d, min_dims=1)
    dim = _dim(d, len(s))
    return [s], {"k": d.int(1, s[dim]), "dim": dim, "largest": d.choice((True, False))}


def flip(d):
    s = shape(d, min_dims=1)
    dims = sorted({d.int(0, len(s) - 1) for _ in range(d.int(1, len(s)))})
    return [s], {"dims": dims}


def roll(d):
    s = shape(d, min_dims=1)
    if d.choice((True, False)):
        return [s], {"shifts": d.int(-3, 3)}
    dim = d.int(0, len(s) - 1)
    return [s], {"shifts": [d.int(-3, 3)], "dims": [dim]}


def triangle(d):
    return [shape(d, min_dims=2, max_dims=3)], {"diagonal": d.int(-1, 1)}


def diagonal(d):
    s = shape(d, min_dims=2, max_dims=3)
    dim1 = d.int(0, len(s) - 1)
    dim2 = d.choice([i for i in range(len(s)) if i != dim1])
    return [s], {"offset": d.int(-1, 1), "dim1": dim1, "dim2": dim2}


def diag(d):
    return [shape(d, min_dims=1, max_dims=2)], {"diagonal": d.int(-1, 1)}


def repeat(d):
    s = shape(d)
    return [s], {"sizes": [d.int(1, 2) for _ in range(len(s) + d.int(0, 1))]}


def tile(d):
    s = shape(d)
    return [s], {"dims": [d.int(1, 2) for _ in range(d.int(1, len(s) + 1))]}


def narrow(d):
    s = shape(d, min_dims=1)
    dim = d.int(0, len(s) - 1)
    start = d.int(0, s[dim] - 1)
    return [s], {"dim": dim, "start": start, "length": d.int(0, s[dim] - start)}


def _index(d, s, dim, unique: bool):
    """An int64 index for gather/scatter along dim: sizes <= s, values < s[dim]."""
    size = [d.int(1, n) for n in s]
    rng = np.random.default_rng(d.int(0, 2 ** 16))
    if not unique:
        return rng.integers(0, s[dim], size=size).astype(np.int64)
    # Distinct targets along dim (a scatter with repeats is unspecified in torch).
    size[dim] = min(size[dim], s[dim])
    moved = np.moveaxis(np.empty(size, dtype=np.int64), dim, -1)
    for position in np.ndindex(moved.shape[:-1]):
        moved[position] = rng.permutation(s[dim])[:moved.shape[-1]]
    return np.moveaxis(moved, -1, dim).copy()


def gather(d):
    s = shape(d, min_dims=1)
    dim = d.int(0, len(s) - 1)
    return [s, _index(d, s, dim, unique=False)], {"dim": dim}


def scatter(d, unique=True):
    s = shape(d, min_dims=1)
    dim = d.int(0, len(s) - 1)
    index = _index(d, s, dim, unique)
    # src as large as index: torch 2.13's scatter backward rejects a larger src.
    return [s, index, index.shape], {"dim": dim}


def index_select(d):
    s = shape(d, min_dims=1)
    dim = d.int(0, len(s) - 1)
    rng = np.random.default_rng(d.int(0, 2 ** 16))
    return [s, rng.integers(0, s[dim], size=d.int(1, 4)).astype(np.int64)], {"dim": dim}


def masked_fill(d):
    s = shape(d)
    from tests.op_examples import broadcast_partner
    return [s, broadcast_partner(d, s)], {"value": d.choice((0.0, -1.5, 2.0))}


def solve(d):
    n = d.int(1, 3)
    batch = (2,) * d.int(0, 1)
    left = d.choice((True, False))
    k = d.int(1, 2)
    b = d.choice(((n,), batch + (n,), batch + (n, k))) if left else batch + (k, n)
    return [batch + (n, n), b], ({} if left else {"left": False})


def square(d):
    n = d.int(1, 3)
    return [(2,) * d.int(0, 1) + (n, n)], {}


def cholesky(d):
    shapes, _ = square(d)
    return shapes, d.choice(({}, {"upper": True}))


def rectangular_shape(d):
    batch = (2,) * d.int(0, 1)
    return batch + (d.int(1, 4), d.int(1, 4))


def qr(d):
    s = rectangular_shape(d)
    modes = ("reduced", "complete") if s[-2] <= s[-1] else ("reduced",)
    mode = d.choice(modes)
    return [s], ({} if mode == "reduced" else {"mode": mode})


def pinv(d):
    s = rectangular_shape(d)
    if d.choice((True, False)):
        return [s], {}
    # tolerances below every singular value of the well-conditioned examples: full rank
    params = d.choice(({"atol": 1e-3}, {"rtol": 1e-3}, {"atol": 1e-3, "rtol": 1e-4}, {}))
    if s[-1] == s[-2] and d.choice((True, False)):
        # hermitian=True: torch reads the lower triangle, so the input is symmetric (given)
        x = np.random.default_rng(d.int(0, 2**16)).uniform(-1, 1, s)
        x = (x + np.swapaxes(x, -1, -2)) / (2 * s[-1]) + 2 * np.eye(s[-1])
        return [x], {**params, "hermitian": True}
    return [s], params


def cross(d):
    s = shape(d, min_dims=0, max_dims=2)
    at = d.int(0, len(s))
    full = s[:at] + (3,) + s[at:]
    # torch.cross broadcasts sizes, not ranks: the other input has 1s in some dims.
    other = tuple(n if i == at or d.choice((True, False)) else 1 for i, n in enumerate(full))
    dim = at if d.choice((True, False)) else None
    if dim is None and 3 in full[:at]:
        dim = at
    return ([full, other] if d.choice((True, False)) else [other, full]), \
        ({} if dim is None else {"dim": at - len(full)})


def vector_norm(d):
    shapes, params = reduction(d)
    ordinal = d.choice((2, 1, 3, float("inf")))
    if ordinal != 2:
        params["ord"] = ordinal
    return shapes, params


def matrix_norm(d):
    s = shape(d, min_dims=2, max_dims=3)
    params = d.choice(({}, {"dim": [0, -1]} if len(s) == 3 else {}, {"keepdim": True}))
    return [s], params


def cdist(d):
    m = d.int(1, 3)
    batch = (2,) * d.int(0, 1)
    return [batch + (d.int(1, 3), m), batch + (d.int(1, 3), m)], d.choice(({}, {"p": 1.0}, {"p": 3.0}))


EINSUM = ("ij,jk->ik", "bij,bjk->bik", "i,i->", "ij->j", "ij->ji", "i,j->ij", "ijk,ik->ij",
          "ij,jk", "ij,kj->ik", "ij->", "ijk->kj", "ij,jk,kl->il")


def einsum(d):
    equation = d.choice(EINSUM)
    sizes = {c: d.int(1, 3) for c in "bijkl"}
    left = equation.split("->")[0].split(",")
    return [tuple(sizes[c] for c in sub) for sub in left], {"equation": equation}


def split(d):
    s = shape(d, min_dims=1)
    dim = d.int(-len(s), len(s) - 1)
    size = s[dim]
    if d.choice((True, False)):
        first = d.int(0, size)
        return [s], {"split_size_or_sections": [first, size - first], "dim": dim}
    return [s], {"split_size_or_sections": d.int(1, 3), "dim": dim}


def chunk(d):
    s = shape(d, min_dims=1)
    return [s], {"chunks": d.int(1, 3), "dim": d.int(-len(s), len(s) - 1)}


def symmetric(d):
    # n <= 2: the SymPy forms have closed forms there (larger: tests/test_spectral.py)
    shapes, _ = square(d)
    n = shapes[0][-1]
    shapes = [shapes[0][:-2] + (min(n, 2),) * 2]
    return shapes, d.choice(({}, {"UPLO": "U"}, {"UPLO": "L"}))


def rectangular(d, full=False):
    """Matrices whose Gram matrix is at most 2x2; a full U or Vh with one completion column."""
    batch = (2,) * d.int(0, 1)
    k = d.int(1, 2)
    m, n = d.choice(((k, k), (k + 1, k), (k, k + 1)))
    if not full:
        return [batch + (m, n)], {}
    return [batch + (m, n)], {"full_matrices": d.choice((True, False))}


def svd(d):
    shapes, _ = rectangular(d)
    m, n = shapes[0][-2:]
    return shapes, ({"full_matrices": d.choice((True, False))} if m == n else
                    {"full_matrices": False})


BUILDERS = {
    "split": split, "chunk": chunk,
    "einsum": einsum,
    "cross": cross, "vector_norm": vector_norm, "matrix_norm": matrix_norm, "cdist": cdist,
    "solve": solve, "cholesky": cholesky, "slogdet": square,
    "qr": qr, "qr_q": qr, "qr_r": qr, "pinv": pinv, "matrix_exp": square,
    "var": var, "std": var, "cumsum": scan, "cumprod": scan, "logcumsumexp": scan,
    "max": one_dim_reduction, "min": one_dim_reduction, "median": one_dim_reduction,
    "cummax": scan, "cummin": scan, "sort": sort, "topk": topk,
    "flip": flip, "roll": roll, "tril": triangle, "triu": triangle, "diagonal": diagonal,
    "diag": diag, "repeat": repeat, "tile": tile, "narrow": narrow,
    "gather": gather, "scatter": scatter, "scatter_add": lambda d: scatter(d, unique=False),
    "index_select": index_select, "masked_fill": masked_fill,
    "eigvalsh": symmetric, "eigh": symmetric, "eigh_vectors": symmetric,
    "svdvals": rectangular, "svd": svd,
    "svd_u": lambda d: rectangular(d, full=True), "svd_vh": lambda d: rectangular(d, full=True),
}

__all__ = ["BUILDERS", "reduction"]
