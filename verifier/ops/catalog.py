"""Imports every module of registry entries; each registers its ops on import."""

from verifier.ops import (
    activations,  # noqa: F401
    arithmetic,  # noqa: F401
    binary_special,  # noqa: F401
    convolution,  # noqa: F401
    copies,  # noqa: F401
    einsum,  # noqa: F401
    elementwise,  # noqa: F401
    elementwise_special,  # noqa: F401
    gathering,  # noqa: F401
    geometry,  # noqa: F401
    indexing,  # noqa: F401
    linalg,  # noqa: F401
    linalg_solve,  # noqa: F401
    logical,  # noqa: F401
    losses,  # noqa: F401
    matrix_functions,  # noqa: F401
    nn_layers,  # noqa: F401
    norms,  # noqa: F401
    pieces,  # noqa: F401
    piecewise,  # noqa: F401
    pooling,  # noqa: F401
    qr,  # noqa: F401
    reductions,  # noqa: F401
    reordering,  # noqa: F401
    selection,  # noqa: F401
    shape,  # noqa: F401
    spectral,  # noqa: F401
    statistics,  # noqa: F401
    steps,  # noqa: F401
)
