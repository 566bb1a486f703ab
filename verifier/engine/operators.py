"""`a + b`, `a * b`, `a / b`, ...: the direct path of the binary operators.

The general path (`function.apply_plan`) goes through the registry's forward,
torch's promotion rules and a generic recorder.  For the common case it has
nothing to decide: both operands are float tensors of one dtype, or a float
tensor and a Python number (weak, as in torch: it never changes the dtype).
Then the op's ufunc (registry `extra["ufunc"]`) is called directly and the
node is recorded without loops.  Everything else takes the general path.
"""

from __future__ import annotations

import numpy as np

from verifier.engine import quiet
from verifier.engine.dual import OPEN as DUAL_OPEN
from verifier.engine.function import apply_plan, plan_of
from verifier.engine.grad_mode import GRAD_ENABLED
from verifier.engine.graph import SAVES_NOTHING, AccumulateGrad, Node
from verifier.engine.tensor import Tensor, _detached
from verifier.ops.promotion import floating

_ndarray = np.ndarray
_NO_PARAMS: dict = {}


def binary_operator(op, reflected: bool):
    """The Tensor method for `op` as an operator (`__mul__`, or `__rmul__` if reflected)."""
    plan = plan_of(op)
    enter, leave = quiet.enter, quiet.leave

    def operator(self, other):
        # Read at each call, not bound once: `verifier mutate` swaps a plan's rules.
        ufunc = plan.ufunc
        a = self._array
        if type(other) is Tensor:
            b = other._array
            fast = b.dtype is a.dtype and floating(a.dtype)
        else:
            b = other
            # not bfloat16: ml_dtypes takes a Python number beside it as strong (bfloat16 +
            # 1e-5 is float32 in numpy); the general path restores torch's dtype
            fast = (type(other) is float or type(other) is int) and floating(a.dtype) \
                and a.dtype.name != "bfloat16"
        if fast and ufunc is not None and not DUAL_OPEN[0]:  # forward mode: the general path
            token = enter()
            try:
                out = ufunc(b, a) if reflected else ufunc(a, b)
            except ValueError:
                out = None  # shapes that do not broadcast: the general path words the error
            finally:
                leave(token)
            if out is not None:
                if type(out) is not _ndarray:  # 0-d operands give a numpy scalar
                    out = np.asarray(out)
                result = _detached(out)
                if GRAD_ENABLED[0] and (self.requires_grad or (b is not other and
                                                               other.requires_grad)):
                    if reflected:
                        _record(plan, other, self, b, a, result)
                    else:
                        _record(plan, self, other, a, b, result)
                return result
        return apply_plan(plan, (other, self) if reflected else (self, other), _NO_PARAMS)
    return operator


def _record(plan, x, y, ax, ay, result) -> None:
    """function.record for two operands in the op's order (x, y), without loops."""
    inputs = (x, y)
    rule = plan.saves
    versions = []
    ex = ey = None
    if isinstance(x, Tensor):  # a Parameter (subclass) too
        ex = x.grad_fn
        if ex is None and x.requires_grad:
            ex = x._accumulator or _sink(x)
        if rule is None or (rule is not SAVES_NOTHING and rule(0, inputs)):
            versions.append((0, x._version, x._version[0]))
    if isinstance(y, Tensor):
        ey = y.grad_fn
        if ey is None and y.requires_grad:
            ey = y._accumulator or _sink(y)
        if rule is None or (rule is not SAVES_NOTHING and rule(1, inputs)):
            versions.append((1, y._version, y._version[0]))
    saves_out = plan.saves_out
    saved_out = (result._array, result._version, 0) \
        if saves_out is True or (saves_out and saves_out(inputs)) else None
    result.grad_fn = Node(plan, _NO_PARAMS, inputs, (ax, ay), (ex, ey), versions, saved_out)
    result.requires_grad = True


def _sink(t: Tensor) -> AccumulateGrad:
    sink = t._accumulator = AccumulateGrad(t)
    return sink
