"""Which registry entries torch 2.13 refuses for integer or bool tensors, and with what error.

numpy computes `mean`, `softmax`, `gelu`... of an int64 array without complaint; torch
raises (`mean(): could not infer output dtype`, `"softmax_lastdim_kernel_impl" not
implemented for 'Long'`).  The engine raises the same error type with torch's wording, so
that a case holding an int64 or bool input fails on the engine exactly where it fails on
torch.  tests/test_integer_semantics.py checks this table against torch, op by op.
"""

from __future__ import annotations

_TORCH_NAMES = {"int64": "Long", "int32": "Int", "bool": "Bool", "int16": "Short",
                "int8": "Char", "uint8": "Byte"}

# Refused for every integer dtype and bool: the op computes in floating point only.
# name -> (exception type, message with {dtype} for torch's dtype name)
FLOAT_ONLY = {
    "mean": (RuntimeError, "mean(): could not infer output dtype. Input dtype must be either "
                           "a floating point or complex dtype. Got: {dtype}"),
    "std": (RuntimeError, "std and var only support floating point and complex dtypes"),
    "var": (RuntimeError, "std and var only support floating point and complex dtypes"),
    "norm": (RuntimeError, "linalg.vector_norm: Expected a floating point or complex tensor as "
                           "input. Got {dtype}"),
    "normalize": (RuntimeError, "linalg.vector_norm: Expected a floating point or complex tensor "
                                "as input. Got {dtype}"),
    **{name: (NotImplementedError, f'"{kernel}" not implemented for \'{{dtype}}\'')
       for name, kernel in (
           ("softmax", "softmax_lastdim_kernel_impl"),
           ("log_softmax", "log_softmax_lastdim_kernel_impl"),
           ("logcumsumexp", "logcumsumexp_out_cpu"), ("gelu", "GeluKernelImpl"),
           ("silu", "silu_cpu"), ("mish", "mish_cpu"), ("elu", "elu_cpu"), ("celu", "elu_cpu"),
           ("selu", "elu_cpu"), ("leaky_relu", "leaky_relu_cpu"),
           ("hardsigmoid", "hardsigmoid_cpu"), ("hardswish", "hardswish_cpu"),
           ("logsigmoid", "log_sigmoid_cpu"), ("softplus", "softplus_cpu"),
           ("frac", "frac_cpu"), ("hypot", "hypot_cpu"), ("lerp", "lerp_kernel_scalar"))},
}

# Refused for bool only (integers are fine: abs, floor, relu of an int64 tensor are int64).
NOT_BOOL = {
    "neg": (RuntimeError, "Negation, the `-` operator, on a bool tensor is not supported. If you "
                          "are trying to invert a mask, use the `~` or `logical_not()` operator "
                          "instead."),
    "relu": (RuntimeError, "Boolean inputs not supported for relu"),
    "relu6": (RuntimeError, "Bool inputs not supported for hardtanh"),
    "hardtanh": (RuntimeError, "Bool inputs not supported for hardtanh"),
    **{name: (NotImplementedError, f'"{kernel}" not implemented for \'Bool\'')
       for name, kernel in (("abs", "abs_cpu"), ("softsign", "abs_cpu"), ("ceil", "ceil_vml_cpu"),
                            ("floor", "floor_vml_cpu"), ("round", "round_vml_cpu"),
                            ("trunc", "trunc_vml_cpu"), ("median", "median_cpu"),
                            ("trace", "trace"))},
}


def refused_kinds(name: str) -> str | None:
    """numpy dtype kinds that `name` refuses as its first tensor input ('biu', 'b'), or None."""
    if name in FLOAT_ONLY:
        return "biu"
    if name in NOT_BOOL:
        return "b"
    return None


def refusal(name: str, dtype) -> Exception:
    """torch's error for `name` applied to a tensor of numpy dtype `dtype`."""
    kind, message = FLOAT_ONLY.get(name) or NOT_BOOL[name]
    return kind(message.format(dtype=_TORCH_NAMES.get(dtype.name, dtype.name)))
