"""Object arrays that repeat a few exact numbers, with their factorization remembered.

A gradient of `fill: 1` over a million elements is one Rational repeated; the
oracle builds such arrays as `table[inverse]` and remembers (table, inverse),
so rounding, exactness checks and claim comparisons look at each distinct
number once instead of once per element.  The arrays are made read-only so
the remembered factorization cannot go stale.
"""

from __future__ import annotations

import weakref

import numpy as np

_factors: dict[int, tuple] = {}  # id(array) -> (weakref, table, inverse)


def factored_array(table: list, inverse: np.ndarray) -> np.ndarray:
    """table[inverse] as a read-only object array, its factorization remembered."""
    values = np.empty(len(table), dtype=object)
    values[:] = table
    inverse = np.asarray(inverse)
    array = values[inverse.reshape(-1)].reshape(inverse.shape)
    array.flags.writeable = False
    key = id(array)
    _factors[key] = (weakref.ref(array, lambda _, key=key: _factors.pop(key, None)),
                     list(table), inverse)
    return array


def uniform_array(value, shape: tuple) -> np.ndarray:
    return factored_array([value], np.zeros(shape, dtype=np.intp))


def distinct(array: np.ndarray) -> tuple[list, np.ndarray]:
    """(distinct objects, index of each element into them), remembered or computed."""
    entry = _factors.get(id(array))
    if entry is not None and entry[0]() is array:
        return entry[1], entry[2]
    index: dict = {}
    table: list = []
    inverse = np.empty(array.shape, dtype=np.intp)
    for i, v in enumerate(array.flat):
        j = index.get(id(v))
        if j is None:
            j = index[id(v)] = len(table)
            table.append(v)
        inverse.flat[i] = j
    return table, inverse
