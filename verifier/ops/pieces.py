"""split and chunk: a tuple of slices along one dim, built from `narrow`.

They are composites: the engine returns `narrow` of each piece, so every piece
is differentiable through narrow's own VJP and needs no rule here; the numpy
forward and the SymPy form return the same tuple of slices (case files write
`chunk(x, 2, dim=1)[0]`).
"""

from __future__ import annotations

import numpy as np

from verifier.ops.dims import _one
from verifier.ops.registry import Op, Param, register


def _split_pieces(size: int, split_size_or_sections) -> list[tuple[int, int]]:
    """(start, length) of each piece of a dim of `size`, as torch.split."""
    if isinstance(split_size_or_sections, (list, tuple)):
        sections = [int(n) for n in split_size_or_sections]
        if sum(sections) != size or any(n < 0 for n in sections):
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {size} "
                               f"(input tensor's size at dimension), but got split_sizes={sections}")
    else:
        step = int(split_size_or_sections)
        if step <= 0:
            raise RuntimeError(f"split expects split_size be non-negative, but got split_size={step}")
        sections = [min(step, size - start) for start in range(0, size, step)] or [0]
    starts = np.cumsum([0] + sections[:-1])
    return [(int(s), n) for s, n in zip(starts, sections)]


def _chunk_pieces(size: int, chunks) -> list[tuple[int, int]]:
    """torch.chunk: pieces of ceil(size / chunks), the last one smaller (maybe fewer pieces)."""
    chunks = int(chunks)
    if chunks <= 0:
        raise RuntimeError("chunk expects `chunks` to be greater than 0, got: " + str(chunks))
    step = -(-size // chunks) if size else 1
    return _split_pieces(size, step)


def _slices(shape, dim, pieces):
    d = _one(dim, len(shape))
    return d, [(slice(None),) * d + (slice(start, start + length),) for start, length in pieces]


def _pieces_of(a_shape, name, sections, dim):
    d = _one(dim, len(a_shape))
    pieces = (_split_pieces if name == "split" else _chunk_pieces)(a_shape[d], sections)
    return d, pieces


def _forward(name, a, sections, dim=0):
    d, pieces = _pieces_of(np.shape(a), name, sections, dim)
    return tuple(np.array(a[(slice(None),) * d + (slice(start, start + length),)])
                 for start, length in pieces)


def _composite(name):
    def build(module, x, dim=0, **sections):
        (sections,) = sections.values()  # split_size_or_sections, or chunks
        d, pieces = _pieces_of(tuple(x.shape), name, sections, dim)
        return tuple(module.narrow(x, d, start, length) for start, length in pieces)
    return build


register(Op(
    name="split", inputs=("tensor",), params=(Param("split_size_or_sections", kind="any"),
                                              Param("dim", 0, "int")), kind="shape",
    forward=lambda a, split_size_or_sections, dim=0: _forward("split", a, split_size_or_sections, dim),
    vjp=None,
    sympy=lambda a, split_size_or_sections, dim=0: _forward(
        "split", np.asarray(a, dtype=object), split_size_or_sections, dim),
    extra={"composite": _composite("split"), "node_name": "SplitBackward0"},
    doc="split(x, size_or_sizes, dim=0): pieces of that size (or those sizes) along dim; "
        "write [i] for piece i",
))

register(Op(
    name="chunk", inputs=("input",), params=(Param("chunks", kind="int"), Param("dim", 0, "int")),
    kind="shape",
    forward=lambda a, chunks, dim=0: _forward("chunk", a, chunks, dim),
    vjp=None,
    sympy=lambda a, chunks, dim=0: _forward("chunk", np.asarray(a, dtype=object), chunks, dim),
    extra={"composite": _composite("chunk"), "node_name": "SplitBackward0"},
    doc="chunk(x, chunks, dim=0): that many pieces (the last may be smaller) along dim; "
        "write [i] for piece i",
))
