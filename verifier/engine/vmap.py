"""torch.vmap / torch.func.vmap for the engine: map a function over a batch dimension.

There are no batched kernels here: the function runs once per batch element on
the slices (`x.select(dim, b)`, an indexing op, so gradients flow), and the
results are stacked along `out_dims`.  For the pure functions vmap accepts this
is the same value torch's vectorized version computes.
"""

from __future__ import annotations

from verifier.engine.tensor import Tensor


def _per_argument(in_dims, args) -> tuple:
    if isinstance(in_dims, (int, type(None))):
        return tuple(in_dims if isinstance(a, Tensor) else None for a in args)
    in_dims = tuple(in_dims)
    if len(in_dims) != len(args):
        raise ValueError(f"vmap(f, in_dims={in_dims}): in_dims is a tuple of {len(in_dims)} "
                         f"entries but f was called with {len(args)} positional arguments; "
                         "give one entry (an int or None) per argument")
    return in_dims


def _select(arg: Tensor, dim: int, b: int):
    index = [slice(None)] * arg.ndim
    index[dim] = b
    return arg[tuple(index)]


def _batch_size(args, dims) -> int:
    sizes = {a.shape[d] for a, d in zip(args, dims) if d is not None and isinstance(a, Tensor)}
    if not sizes:
        raise ValueError("vmap: at least one argument must be a Tensor mapped over a dimension "
                         "(in_dims not None)")
    if len(sizes) > 1:
        raise ValueError(f"vmap: Expected all tensors to have the same size in the mapped "
                         f"dimension, got sizes {sorted(sizes)} for the mapped dimension")
    return sizes.pop()


def vmap(func, in_dims=0, out_dims=0, randomness: str = "error", *, chunk_size=None):
    """func mapped over dimension in_dims of its arguments; results stacked on out_dims."""
    def mapped(*args, **kwargs):
        from verifier.engine.functional import FUNCTIONS
        dims = _per_argument(in_dims, args)
        size = _batch_size(args, dims)
        results = [func(*(_select(a, d, b) if d is not None else a for a, d in zip(args, dims)),
                        **kwargs) for b in range(size)]
        if isinstance(results[0], tuple):
            outs = out_dims if isinstance(out_dims, tuple) else (out_dims,) * len(results[0])
            return tuple(FUNCTIONS["stack"]([r[k] for r in results], dim=outs[k])
                         for k in range(len(results[0])))
        return FUNCTIONS["stack"](list(results), dim=out_dims)
    return mapped
