"""`torch-func` and `torch-vmap`: torch.func's transforms over a case's function.

torch-func: the gradients by `torch.func.vjp` (the pullback applied to the
seed); the order-2 product from `torch.func.hessian(<seed, f>)` (jacfwd of
jacrev) contracted with v = hvp_direction (H v = the backends' hvp, H being
symmetric), or past HESSIAN_ELEMENTS input elements, where the full Hessian
is too large, by forward-over-reverse `jvp(grad(<seed, f>))` along v.
hessian vmaps internally, so the program's path is fixed first (see
CaseFunction.fix_path).

torch-vmap: the same transforms under `vmap` over a batch of three points,
(x, x reversed elementwise, x): entry 0 is reported; entry 2 must equal it,
or the batching mixed the entries up (said in the notes and as an error).
Branches and loop counts are decided once, at x, and every entry follows
that path (vmap cannot branch per entry); entries 0 and 2, at x, are thus the
program along its own path.  A case that vmap still cannot batch (a tensor's
value read as a Python number, an in-place write of a batched value into an
unbatched tensor) is skipped with torch's reason.
"""

from __future__ import annotations

import numpy as np

from verifier.backends.base import Run, hvp_direction
from verifier.backends.case_function import SCALAR_ONLY, CaseFunction, NotApplicable
from verifier.backends.numeric import to_float64

# Phrases of torch's errors for what vmap cannot batch (not a wrong derivative).
HESSIAN_ELEMENTS = 1024  # the full Hessian has this many squared entries
_VMAP_LIMITS = ("data-dependent control flow", "calling .item()", "batching rule",
                "batched tensor", "batchedtensor", "inplace arithmetic(self, *extra_args) is not "
                "possible")


def _seed_for(fn: CaseFunction, value):
    seed = fn.seed()
    if seed is None:
        if value.numel() != 1:
            raise RuntimeError(f"{SCALAR_ONLY}; this output has shape {list(value.shape)} and "
                               "the case gives no seed")
        import torch
        seed = torch.ones_like(value)
    return seed


def _directions(fn: CaseFunction, primals) -> tuple:
    return tuple(fn.tensor(hvp_direction(tuple(x.shape))) for x in primals)


def func_transforms(fn: CaseFunction, run: Run) -> None:
    from torch.func import grad, hessian, jvp, vjp

    primals = fn.primals()
    if not fn.names:
        fn.record(run, fn())
        return
    value, pullback = vjp(fn, *primals)
    fn.record(run, value)
    grads = pullback(_seed_for(fn, value))
    run.grads = {n: to_float64(g) for n, g in zip(fn.names, grads)}
    if fn.case.order >= 2:
        argnums = tuple(range(len(primals)))
        directions = _directions(fn, primals)
        if sum(x.numel() for x in primals) <= HESSIAN_ELEMENTS:
            fn.fix_path()
            run.hvp = _hessian_times(fn, hessian(fn.objective, argnums=argnums)(*primals),
                                     primals, directions)
            run.notes.append("torch-func: hvp = torch.func.hessian(<seed, f>) · v")
        else:
            _, hvps = jvp(grad(fn.objective, argnums=argnums), tuple(primals), directions)
            run.hvp = {n: to_float64(h) for n, h in zip(fn.names, hvps)}
            run.notes.append("torch-func: hvp = torch.func.jvp(grad(<seed, f>)) along v "
                             f"(more than {HESSIAN_ELEMENTS} input elements for a full Hessian)")


def _hessian_times(fn: CaseFunction, blocks, primals, directions) -> dict[str, np.ndarray]:
    """hvp_i = sum_j H_ij v_j, H_ij of shape x_i.shape + x_j.shape."""
    out = {}
    for i, (name, x) in enumerate(zip(fn.names, primals)):
        total = np.zeros(x.numel())
        for j, (y, v) in enumerate(zip(primals, directions)):
            block = to_float64(blocks[i][j]).reshape(x.numel(), y.numel())
            total = total + block @ to_float64(v).reshape(-1)
        out[name] = total.reshape(tuple(x.shape))
    return out


def vmapped_transforms(fn: CaseFunction, run: Run) -> None:
    import torch
    from torch.func import grad, jvp, vjp, vmap

    primals = fn.primals()
    if not fn.names:
        raise NotApplicable("no input requires grad: there is nothing to batch gradients over")
    value = fn(*primals)
    fn.record(run, value)  # the unbatched path, for the judge
    fn.fix_path()  # vmap cannot branch per entry: every entry follows x's path
    seed = _seed_for(fn, value)
    batch = [torch.stack([x, x.reshape(-1).flip(0).reshape(x.shape), x]) for x in primals]

    def value_and_gradients(*xs):
        out, pullback = vjp(fn, *xs)
        return out, pullback(seed)

    def hessian_vector(*xs):
        gradient = grad(fn.objective, argnums=tuple(range(len(xs))))
        return jvp(gradient, xs, _directions(fn, primals))[1]

    try:
        values, grads = vmap(value_and_gradients)(*batch)
        hvps = vmap(hessian_vector)(*batch) if fn.case.order >= 2 else None
    except Exception as exc:
        text = str(exc)
        if any(p in text.lower() for p in _VMAP_LIMITS):
            first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
            raise NotApplicable(f"vmap cannot batch this case: {first}") from None
        raise
    run.value = _entry(run, "value", values)
    run.grads = {n: _entry(run, f"grad.{n}", g) for n, g in zip(fn.names, grads)}
    if hvps is not None:
        run.hvp = {n: _entry(run, f"hvp.{n}", h) for n, h in zip(fn.names, hvps)}


def _entry(run: Run, what: str, batched) -> np.ndarray:
    """Entry 0 of a batch computed at (x, other, x); entries 0 and 2 must agree bit for bit."""
    array = to_float64(batched)
    first, third = array[0], array[2]
    same = (first == third) | (np.isnan(first) & np.isnan(third))
    if not np.all(same):
        raise RuntimeError(f"vmap gave different {what} for two copies of the same input in one "
                           f"batch (entry 0: {first.tolist()}, entry 2: {third.tolist()}): the "
                           "batching mixed up its entries")
    return first
