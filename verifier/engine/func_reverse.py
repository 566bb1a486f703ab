"""torch.func's reverse-mode transforms for the engine: grad, grad_and_value, vjp, jacrev, hessian.

They are functions of functions, as torch's: `grad(f)(x)` is df/dx.  Each call
differentiates with the engine's autograd on fresh inputs; when an input
already carries a graph (a transform inside another one, `grad(grad(f))` or
`jacrev(grad(f))`), the fresh input stays connected to it and the gradient is
built with create_graph, so the outer transform can differentiate it again.
"""

from __future__ import annotations

import numpy as np

from verifier.engine import autograd
from verifier.engine.grad_mode import enable_grad
from verifier.engine.tensor import Tensor, _detached


def _argnums(argnums) -> tuple[int, ...]:
    return (argnums,) if isinstance(argnums, int) else tuple(argnums)


def _fresh(args, chosen):
    """The args with each chosen one replaced by a tensor that requires grad; nested? too."""
    args = list(args)
    nested = False
    for i in chosen:
        x = args[i]
        if not isinstance(x, Tensor):
            raise TypeError(f"argument {i} to differentiate must be a Tensor, got "
                            f"{type(x).__name__}")
        if x.requires_grad:
            nested = True
            args[i] = x.view_as(x)  # connected to the outer graph
        else:
            args[i] = x.detach().requires_grad_(True)
    return args, nested


def _gradients(output, wrt, create_graph):
    grads = autograd.grad(output, wrt, create_graph=create_graph, allow_unused=True)
    return tuple(_detached(np.zeros_like(x._array)) if g is None else g for g, x in zip(grads, wrt))


def grad_and_value(func, argnums=0, has_aux: bool = False):
    """A function returning (gradient, value) of func, which must return a scalar tensor."""
    chosen = _argnums(argnums)

    def wrapper(*args, **kwargs):
        with enable_grad():
            fresh, nested = _fresh(args, chosen)
            result = func(*fresh, **kwargs)
            aux = None
            if has_aux:
                result, aux = result
            if not isinstance(result, Tensor) or result._array.size != 1:
                raise RuntimeError("grad_and_value(f)(*args): Expected f(*args) to return a "
                                   "scalar Tensor, got "
                                   f"{type(result).__name__} of shape "
                                   f"{list(getattr(result, 'shape', []))}")
            grads = _gradients(result, [fresh[i] for i in chosen], nested)
        if not nested:
            grads = tuple(g.detach() for g in grads)
            result = result.detach()
        g = grads[0] if isinstance(argnums, int) else grads
        value = (result, aux) if has_aux else result
        return g, value
    return wrapper


def grad(func, argnums=0, has_aux: bool = False):
    """A function returning the gradient of func (a scalar) with respect to args[argnums]."""
    both = grad_and_value(func, argnums, has_aux)

    def wrapper(*args, **kwargs):
        g, value = both(*args, **kwargs)
        return (g, value[1]) if has_aux else g
    return wrapper


def vjp(func, *primals, has_aux: bool = False):
    """(func(*primals), vjp_fn): vjp_fn(cotangents) gives one gradient per primal."""
    with enable_grad():
        fresh, nested = _fresh(primals, range(len(primals)))
        result = func(*fresh)
    aux = None
    if has_aux:
        result, aux = result
    outputs = result if isinstance(result, tuple) else (result,)

    def vjp_fn(*cotangents):
        if len(cotangents) == 1 and isinstance(cotangents[0], tuple) and isinstance(result, tuple):
            cotangents = cotangents[0]
        live = [(o, c) for o, c in zip(outputs, cotangents) if o.requires_grad]
        with enable_grad():
            grads = autograd.grad([o for o, _ in live], fresh, grad_outputs=[c for _, c in live],
                                  retain_graph=True, create_graph=nested, allow_unused=True) \
                if live else (None,) * len(fresh)
        return tuple(_detached(np.zeros_like(x._array)) if g is None else
                     (g if nested else g.detach()) for g, x in zip(grads, fresh))

    shown = result if nested else (tuple(o.detach() for o in outputs)
                                   if isinstance(result, tuple) else result.detach())
    return (shown, vjp_fn, aux) if has_aux else (shown, vjp_fn)


def jacrev(func, argnums=0, *, has_aux: bool = False, chunk_size=None):
    """The Jacobian by reverse mode: shape output.shape + input.shape per argnum."""
    from verifier.engine.autograd_functional import jacobian
    chosen = _argnums(argnums)

    def wrapper(*args):
        def of_chosen(*xs):
            full = list(args)
            for i, x in zip(chosen, xs):
                full[i] = x
            return func(*full)
        nested = any(isinstance(args[i], Tensor) and args[i].requires_grad for i in chosen)
        result = jacobian(of_chosen, tuple(args[i] for i in chosen), create_graph=nested)
        if isinstance(result, tuple) and result and isinstance(result[0], tuple):
            result = tuple(r if not isinstance(argnums, int) else r[0] for r in result)
        elif isinstance(argnums, int):
            result = result[0]
        return result
    if has_aux:
        raise NotImplementedError("jacrev(has_aux=True) is not supported by the verifier engine")
    return wrapper


def hessian(func, argnums=0):
    """The Hessian: jacfwd(jacrev(func)) in torch; here reverse over reverse (same values)."""
    return jacrev(jacrev(func, argnums), argnums)
