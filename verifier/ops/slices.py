"""Helpers for ops that select or move elements along one dim (sort, gather, cumsum).

`plain` reads the numbers of a VJP's input, which is a raw array in a plain
backward and an engine Tensor under create_graph: a selection (which index is
the max) is decided on the numbers and is a constant of the graph.
"""

from __future__ import annotations

import numpy as np


def plain(x) -> np.ndarray:
    """The numbers of a raw array or an engine Tensor (never part of a graph)."""
    return x if isinstance(x, np.ndarray) else np.asarray(x.detach().numpy())


def full_index(index: np.ndarray, dim: int) -> tuple:
    """The numpy advanced index that picks, along `dim`, the positions `index` names.

    For dim = 1: (i, index[i, j, k], k) over every (i, j, k) of index's shape, so that
    a[full_index(idx, 1)] is take_along_axis(a, idx, 1) and np.add.at scatters back.
    """
    grids = list(np.indices(index.shape, sparse=True))
    grids[dim] = index
    return tuple(grids)


def map_slices(a, dim: int, fn) -> np.ndarray:
    """Apply fn(list of the elements of one slice along dim) -> list to every slice.

    The result has the lists' length along dim (an object array: the SymPy forms).
    """
    a = np.asarray(a, dtype=object)
    if a.ndim == 0:
        a = a.reshape(1)
        return np.asarray(map_slices(a, 0, fn), dtype=object).reshape(())
    moved = np.moveaxis(a, dim, -1)
    rows = moved.reshape(-1, moved.shape[-1])
    results = [list(fn(list(row))) for row in rows]
    width = len(results[0]) if results else 0
    out = np.empty((len(results), width), dtype=object)
    for i, r in enumerate(results):
        out[i, :] = r
    return np.moveaxis(out.reshape(moved.shape[:-1] + (width,)), -1, dim)


def stable_argsort(a: np.ndarray, axis: int, descending: bool) -> np.ndarray:
    """torch's order for sort: stable, ties in index order, descending too."""
    if descending:
        # Reversing, sorting stably and reversing back would put ties last; instead
        # sort the negation (exact for floats and ints).
        return np.argsort(-a if a.dtype.kind != "b" else ~a, axis=axis, kind="stable")
    return np.argsort(a, axis=axis, kind="stable")
