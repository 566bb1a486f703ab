"""`torch.linalg` for the engine: the registry's linear algebra under torch.linalg's names.

`import verifier.engine as torch; torch.linalg.solve(A, B)` works; each name is the
engine function of one registry entry (linalg.inv is the entry `inverse`).
"""

from __future__ import annotations

from verifier.engine.functional import FUNCTIONS

solve = FUNCTIONS["solve"]
cholesky = FUNCTIONS["cholesky"]
slogdet = FUNCTIONS["slogdet"]
det = FUNCTIONS["det"]
inv = FUNCTIONS["inverse"]
vector_norm = FUNCTIONS["vector_norm"]
matrix_norm = FUNCTIONS["matrix_norm"]
matmul = FUNCTIONS["matmul"]
eigh = FUNCTIONS["eigh"]
eigvalsh = FUNCTIONS["eigvalsh"]
svd = FUNCTIONS["svd"]
svdvals = FUNCTIONS["svdvals"]
qr = FUNCTIONS["qr"]
pinv = FUNCTIONS["pinv"]
matrix_exp = FUNCTIONS["matrix_exp"]


def cross(input, other, **kwargs):  # noqa: A002  torch's argument name
    """torch.linalg.cross: as torch.cross, but dim (or `axis`, as torch) defaults to -1."""
    if "dim" not in kwargs and "axis" not in kwargs:
        kwargs["dim"] = -1
    return FUNCTIONS["cross"](input, other, **kwargs)
