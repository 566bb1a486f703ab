"""torch's dim arguments for numpy: None, an int or a list, negative from the end."""

from __future__ import annotations


def axes(dim, ndim: int):
    """torch `dim` -> numpy `axis` (a tuple, or None for every dim)."""
    if dim is None:
        return None
    if ndim == 0:
        # A 0-d tensor accepts dim 0 or -1 (torch), and reducing it reduces "everything".
        for d in dim if isinstance(dim, (list, tuple)) else (dim,):
            _one(d, 0)
        return None
    if isinstance(dim, (list, tuple)):
        if len(dim) == 0:
            return None  # torch: dim=[] reduces every dim
        return tuple(_one(d, ndim) for d in dim)
    return (_one(dim, ndim),)


def _one(d: int, ndim: int) -> int:
    d = int(d)
    lim = max(ndim, 1)
    if not -lim <= d < lim:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-lim}, {lim - 1}], "
                         f"but got {d})")
    return d % lim


def keep_shape(shape, dim) -> tuple:
    """The shape of a reduction's result with keepdim=True."""
    ax = axes(dim, len(shape))
    if ax is None:
        return (1,) * len(shape)
    return tuple(1 if i in ax else n for i, n in enumerate(shape))
