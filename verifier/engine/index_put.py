"""x[index] = value while recording a graph (torch's index_put_ with CopySlices).

Built from registry operations, then written into x with copy_:
    x_new = x · keep + index_scatter(value, x.shape, index)
where keep is 0 at the assigned positions and 1 elsewhere (a constant).  So
the gradient reaching x_new flows to x's previous value except at the assigned
positions, and to value from exactly those positions.  A list index that names
one position twice is refused: torch keeps one of the values there (which one is
unspecified), while a sum of both would be wrong.
"""

from __future__ import annotations

import numpy as np

from verifier.engine.functional import FUNCTIONS as F
from verifier.engine.tensor import Tensor, _detached


def index_put_value(target: Tensor, index, value, accumulate: bool = False) -> Tensor:
    """target with value written (or, with accumulate, added) at target[index], out of place."""
    array = target._array
    counts = np.zeros(array.shape, dtype=np.int64)
    np.add.at(counts, index, 1)
    if not accumulate and counts.max(initial=0) > 1:
        raise RuntimeError("index assignment x[i] = v with an index that names a position more "
                           "than once, while recording a graph: torch keeps one of the values "
                           "(unspecified which); use distinct indices")
    if not isinstance(value, Tensor):
        value = _detached(np.asarray(value, dtype=array.dtype))
    elif value._array.dtype != array.dtype:
        value = value.to(target.dtype)
    selected_shape = array[index].shape
    if tuple(value.shape) != selected_shape:
        try:
            value = F["expand"](value, selected_shape)
        except RuntimeError:
            raise RuntimeError(f"shape mismatch: value tensor of shape {list(value.shape)} cannot "
                               f"be broadcast to indexing result of shape "
                               f"{list(selected_shape)}") from None
    placed = F["index_scatter"](value, shape=tuple(array.shape), index=index)
    if accumulate:
        return target + placed
    keep = _detached((counts == 0).astype(array.dtype))
    return target * keep + placed


def index_put_recorded(target: Tensor, index, value) -> None:
    """x[index] = value while recording: the new value written into x (copy_)."""
    target.copy_(index_put_value(target, index, value))
