"""Forward mode on a torch-like module: `torch-fwd` (torch) and `engine-fwd` (the engine).

First order: one forward pass per input element, the element's basis vector
as tangent (`autograd.forward_ad`), the gradient element read off as
<seed, tangent of the output>; no backward pass anywhere.  Second order
(`order: 2`): forward-over-reverse: every input made dual with its tangent
v = hvp_direction, the gradient taken with create_graph=True, and
hvp = the tangent of that gradient (H v; the Hessian is symmetric).
"""

from __future__ import annotations

import numpy as np

from verifier.backends.base import Run, hvp_direction
from verifier.backends.case_function import CaseFunction, NotApplicable, zeros_for
from verifier.backends.numeric import to_float64

MAX_ELEMENTS = 256  # one forward pass per input element; beyond this the path is skipped


def forward_mode(fn: CaseFunction, run: Run, max_elements: int = MAX_ELEMENTS) -> None:
    """Fill `run` with the value, the gradients by JVPs and (order 2) the hvp."""
    module = fn.module
    fwd = module.autograd.forward_ad
    count = sum(np.size(fn.arrays[n]) for n in fn.names)
    if count > max_elements:
        raise NotApplicable(f"forward mode takes one pass per input element; this case has "
                            f"{count} input elements that require grad, more than the cap of "
                            f"{max_elements}")
    seed = fn.seed()
    primals = fn.primals()
    fn.record(run, fn(*primals))
    run.grads = zeros_for(fn.names, fn.arrays)
    for position, name in enumerate(fn.names):
        flat = run.grads[name].reshape(-1)
        for k in range(flat.size):
            basis = np.zeros(flat.size)
            basis[k] = 1
            with fwd.dual_level():
                args = list(primals)
                args[position] = fwd.make_dual(primals[position],
                                               fn.tensor(basis.reshape(fn.arrays[name].shape)))
                out = fn(*args)
                tangent = fwd.unpack_dual(out).tangent
                if tangent is not None:  # None: the output does not depend on this input
                    flat[k] = float(to_float64(fn.contract(tangent, seed)))
    if fn.case.order >= 2:
        run.hvp = forward_over_reverse(fn, seed)


def forward_over_reverse(fn: CaseFunction, seed) -> dict[str, np.ndarray]:
    """hvp_i = d/dx_i <grad, v>: the tangent (along v) of the gradient with create_graph=True."""
    module = fn.module
    fwd = module.autograd.forward_ad
    leaves = fn.primals(requires_grad=True)
    hvp = zeros_for(fn.names, fn.arrays)
    with fwd.dual_level():
        duals = [fwd.make_dual(x, fn.tensor(hvp_direction(tuple(x.shape)))) for x in leaves]
        objective = fn.contract(fn(*duals), seed)
        if not objective.requires_grad:
            return hvp  # the output does not depend on the inputs
        grads = module.autograd.grad(objective, leaves, create_graph=True, allow_unused=True)
        for name, g in zip(fn.names, grads):
            if g is None:
                continue
            tangent = fwd.unpack_dual(g).tangent
            if tangent is not None:  # None: the gradient does not depend on the inputs
                hvp[name] = to_float64(tangent)
    return hvp
