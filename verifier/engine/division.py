"""Division with rounding (remainder, fmod, floor_divide), true_divide, and the small
elementwise functions torch has beyond the registry: copysign, ldexp, float_power,
logaddexp2, rad2deg, deg2rad.

Values come exactly from numpy; where an input requires grad, the gradient is that of
the composite input - q·other with the quotient q held constant (q is piecewise
constant, so its derivative is 0 almost everywhere, as torch's).
"""

from __future__ import annotations

import numpy as np

from verifier.engine.functional import FUNCTIONS as F
from verifier.engine.tensor import Tensor, _detached


def _exact(values: np.ndarray, composite):
    """The value `values` exactly, with the gradient of `composite`: v + (c - detach(c))."""
    return _detached(values) + (composite - composite.detach())


def _arrays(a, b):
    return (a._array if isinstance(a, Tensor) else np.asarray(a),
            b._array if isinstance(b, Tensor) else np.asarray(b))


def _integral(*arrays) -> bool:
    return all(x.dtype.kind in "iub" for x in arrays)


def _with_dtype(a, b, values):
    from verifier.engine.dtype_info import result_type
    return _detached(np.asarray(values).astype(result_type(a, b).numpy))


def remainder(input, other):  # noqa: A002
    """input - floor(input/other)·other: the sign of the divisor (Python's %)."""
    return _remainder_by(input, other, np.mod, "floor")


def fmod(input, other):  # noqa: A002
    """input - trunc(input/other)·other: the sign of the dividend (C's fmod)."""
    return _remainder_by(input, other, np.fmod, "trunc")


def _remainder_by(input, other, numpy_remainder, rounding: str):  # noqa: A002
    """The remainder numpy computes, differentiable as input - rounding(input/other)·other
    (the rounded quotient is a constant)."""
    a, b = _arrays(input, other)
    if _integral(a, b) or not any(isinstance(t, Tensor) and t.requires_grad for t in (input, other)):
        return _with_dtype(input, other, numpy_remainder(a, b))
    quotient = F[rounding](input / other).detach()
    return _exact(numpy_remainder(a, b).astype(_float_dtype(input, other)),
                  input - quotient * other)


def floor_divide(input, other):  # noqa: A002
    """floor(input / other).  torch defines no derivative for it: a backward that reaches it
    raises, as torch's does ("derivative for aten::floor_divide is not implemented")."""
    a, b = _arrays(input, other)
    values = _with_dtype(input, other, np.floor_divide(a, b))
    if _integral(a, b) or not any(isinstance(t, Tensor) and t.requires_grad for t in (input, other)):
        return values
    return _NoDerivative.apply(values, *(t for t in (input, other) if isinstance(t, Tensor)))


class _NoDerivative:
    """An autograd.Function (built lazily: custom_function imports the engine's graph)."""

    @staticmethod
    def apply(values, *inputs):
        from verifier.engine.custom_function import Function

        class FloorDivide(Function):
            @staticmethod
            def forward(ctx, result, *tensors):
                return result.clone()

            @staticmethod
            def backward(ctx, grad):
                raise RuntimeError("derivative for aten::floor_divide is not implemented")

        return FloorDivide.apply(values, *inputs)


def _float_dtype(a, b):
    from verifier.engine.dtype_info import result_type
    return result_type(a, b).numpy


def true_divide(input, other):  # noqa: A002
    return F["div"](input, other)


def copysign(input, other):  # noqa: A002
    """|input| with the sign of other (its sign bit: -0.0 counts as negative)."""
    sign = np.where(np.signbit(np.asarray(other._array if isinstance(other, Tensor) else other)),
                    -1.0, 1.0)
    return F["abs"](input) * _detached(sign.astype(_float_dtype(input, other)))


def ldexp(input, other):  # noqa: A002
    """input · 2**other."""
    exponent = other._array if isinstance(other, Tensor) else np.asarray(other)
    return input * _detached(np.ldexp(1.0, exponent.astype(np.int64)).astype(
        _float_dtype(input, other)))


def float_power(input, exponent):  # noqa: A002
    """pow computed in float64, as torch's float_power."""
    base = input.double() if isinstance(input, Tensor) else input
    power = exponent.double() if isinstance(exponent, Tensor) else exponent
    return F["pow"](base, power)


def logaddexp2(input, other):  # noqa: A002
    """log2(2**input + 2**other) = logaddexp(input·ln2, other·ln2) / ln2."""
    ln2 = float(np.log(2.0))
    return F["logaddexp"](input * ln2, other * ln2) * (1 / ln2)


def rad2deg(input):  # noqa: A002
    return input * (180.0 / np.pi)


def deg2rad(input):  # noqa: A002
    return input * (np.pi / 180.0)


FUNCTIONS = {f.__name__: f for f in (remainder, fmod, floor_divide, true_divide, copysign, ldexp,
                                       float_power, logaddexp2, rad2deg, deg2rad)}
