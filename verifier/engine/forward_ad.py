"""torch.autograd.forward_ad for the engine: dual_level, make_dual, unpack_dual.

    with forward_ad.dual_level():
        x = forward_ad.make_dual(primal, tangent)
        y = f(x)
        value, jvp = forward_ad.unpack_dual(y)

Every registered operation propagates tangents, each by the JVP derived from
its VJP (`verifier.engine.dual`).  Reverse mode keeps working on dual tensors,
so forward-over-reverse (a Hessian-vector product: the tangent of a gradient
computed with create_graph=True) works as in torch.
"""

from __future__ import annotations

from collections import namedtuple
from contextlib import contextmanager

import numpy as np

from verifier.engine import dual

UnpackedDualTensor = namedtuple("UnpackedDualTensor", ["primal", "tangent"])


def enter_dual_level() -> int:
    return dual.enter_level()


def exit_dual_level(*, level: int | None = None) -> None:
    dual.exit_level()


@contextmanager
def dual_level():
    """Open a forward-mode level; every tangent made inside is forgotten on leaving it."""
    level = enter_dual_level()
    try:
        yield level
    finally:
        exit_dual_level(level=level)


def make_dual(tensor, tangent, *, level: int | None = None):
    """A view of `tensor` that carries `tangent` (same shape, floating dtype)."""
    from verifier.engine.functional import FUNCTIONS
    from verifier.engine.tensor import Tensor

    if not dual.OPEN[0]:
        raise RuntimeError("To create a dual Tensor, you need to be inside a dual level: enter "
                           "one with `with forward_ad.dual_level():`")
    if not isinstance(tensor, Tensor) or not isinstance(tangent, Tensor):
        raise TypeError("make_dual expects two Tensors: the primal and its tangent")
    if tensor._array.dtype.kind != "f":
        raise ValueError(f"Expected primal to be floating point or complex, but got: "
                         f"{tensor.dtype}")
    if tangent._array.shape != tensor._array.shape:
        raise RuntimeError(f"Trying to set a forward gradient that has a different size than "
                           f"that of the original Tensor, this is not supported. Tensor is of "
                           f"size {list(tensor._array.shape)} while the given forward gradient "
                           f"is of size {list(tangent._array.shape)}.")
    # A view, so that reverse mode through the dual reaches `tensor` (forward-over-reverse).
    result = FUNCTIONS["view"](tensor, tuple(tensor._array.shape))
    if result is tensor:
        result = FUNCTIONS["clone"](tensor)
    dual.set_tangent(result, np.array(tangent._array, dtype=tensor._array.dtype, copy=True))
    return result


def unpack_dual(tensor, *, level: int | None = None) -> UnpackedDualTensor:
    """(primal, tangent): the primal as a tensor without tangent, the tangent or None."""
    from verifier.engine.functional import FUNCTIONS
    from verifier.engine.tensor import Tensor, _detached

    if not isinstance(tensor, Tensor):
        return UnpackedDualTensor(tensor, None)
    tangent = dual.tangent_of(tensor)
    if tangent is None:
        return UnpackedDualTensor(tensor, None)
    # A view without the tangent: reverse mode through the primal still works.
    primal = FUNCTIONS["view"](tensor, tuple(tensor._array.shape))
    if primal is tensor:
        primal = FUNCTIONS["clone"](tensor)
    dual.set_tangent(primal, None)
    return UnpackedDualTensor(primal, None if tangent is None else _detached(tangent))
