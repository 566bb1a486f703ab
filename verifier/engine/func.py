"""torch.func's forward-mode transforms for the engine: `jvp` and `jacfwd`.

Both run the engine's forward mode (`verifier.engine.forward_ad`): dual
tensors through the function, the tangent read off the result.  `jacfwd`
has no vmap to batch over: it runs one JVP per input element (a basis
tangent), the same numbers torch's vmapped version computes.
"""

from __future__ import annotations

import numpy as np

from verifier.engine import forward_ad


def jvp(func, primals, tangents, *, strict: bool = False, has_aux: bool = False):
    """(func(*primals), J·tangents), as torch.func.jvp; with has_aux, (output, jvp, aux)."""
    from verifier.engine.tensor import Tensor

    primals, tangents = tuple(primals), tuple(tangents)
    if len(primals) != len(tangents):
        raise RuntimeError(f"jvp(f, primals, tangents): Expected primals and tangents to have "
                           f"the same python structure; got {len(primals)} primals and "
                           f"{len(tangents)} tangents")
    for p, t in zip(primals, tangents):
        if not isinstance(p, Tensor) or not isinstance(t, Tensor):
            raise ValueError("jvp(f, primals, tangents): expected primals and tangents to be "
                             "tuples of Tensors")
    with forward_ad.dual_level():
        duals = [forward_ad.make_dual(p.detach(), t) for p, t in zip(primals, tangents)]
        result = func(*duals)
        aux = None
        if has_aux:
            result, aux = result
        outputs = result if isinstance(result, tuple) else (result,)
        unpacked = []
        for out in outputs:
            primal, tangent = forward_ad.unpack_dual(out)
            if tangent is None:  # the output does not depend on the primals
                tangent = _zeros_like(out)
            unpacked.append((primal.detach(), tangent))
    values = tuple(p for p, _ in unpacked)
    jvps = tuple(t for _, t in unpacked)
    if not isinstance(result, tuple):
        values, jvps = values[0], jvps[0]
    return (values, jvps, aux) if has_aux else (values, jvps)


def jacfwd(func, argnums: int | tuple = 0, has_aux: bool = False, *, randomness: str = "error",
           chunk_size: int | None = None):
    """The Jacobian of `func` by forward mode: shape output.shape + input.shape per argnum."""
    def jacobian(*args):
        from verifier.engine.tensor import _detached

        chosen = (argnums,) if isinstance(argnums, int) else tuple(argnums)
        per_arg = []
        value = None
        for index in chosen:
            x = args[index]
            columns = []
            for flat in range(x.numel()):
                basis = np.zeros(x._array.size, dtype=x._array.dtype)
                basis[flat] = 1
                tangents = [_zeros_like(a) for a in args]
                tangents[index] = _detached(basis.reshape(x._array.shape))
                value, column = jvp(func, args, tangents)
                columns.append(column._array)
            out_shape = value._array.shape
            stacked = np.stack(columns, axis=-1) if columns else \
                np.zeros(out_shape + (0,), dtype=x._array.dtype)
            per_arg.append(_detached(stacked.reshape(out_shape + x._array.shape)))
        return per_arg[0] if isinstance(argnums, int) else tuple(per_arg)
    if has_aux:
        raise NotImplementedError("jacfwd(has_aux=True) is not supported by the verifier engine")
    return jacobian


def _zeros_like(t):
    from verifier.engine.tensor import _detached
    return _detached(np.zeros_like(t._array))


# The reverse-mode transforms and vmap live in their own files; torch.func has them all.
from verifier.engine.func_reverse import grad, grad_and_value, hessian, jacrev, vjp  # noqa: E402, F401
from verifier.engine.vmap import vmap  # noqa: E402, F401
