"""all, any and count_nonzero in the graph oracle: decided at the point, never differentiated.

Each element's `!= 0` is a comparison like `x > 0` (exact for rationals, a certified ball
decision otherwise, NaN is nonzero); the registry's numpy forward then combines those
truths, and the result enters the tape as a constant: no node, so no adjoint flows
through it, as torch gives an integer or bool result no grad_fn.
"""

from __future__ import annotations

import numpy as np
from flint import fmpq

from verifier.oracle.graph.numbers import object_array
from verifier.oracle.graph.tape import T


def truth_reduction(op, x: T, params: dict, decisions) -> T:
    """op(x) for a registry entry of kind 'logical', from x's exact values at the point."""
    values = x.value
    truths = np.array([v if isinstance(v, (bool, np.bool_)) else decisions.compare("!=", v, fmpq(0))
                       for v in values.ravel().tolist()], dtype=bool).reshape(values.shape)
    out = np.asarray(op.forward(truths, **params))
    if out.dtype == np.bool_:
        return T(object_array([bool(v) for v in out.ravel().tolist()], out.shape))
    return T(object_array([fmpq(int(v)) for v in out.ravel().tolist()], out.shape))
