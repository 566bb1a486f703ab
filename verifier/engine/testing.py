"""`torch.testing` for the engine: assert_close and make_tensor, with torch's semantics.

assert_close compares tensors, Python numbers, and sequences or mappings of them
(recursively), checks shape, device and dtype first, then closeness with the
tolerances of the dtype (torch's table below) unless both `rtol` and `atol` are
given, and words a failure as torch does ("Tensor-likes are not close!",
"Mismatched elements: ...").  Everything is computed on the numpy arrays: the
engine's `all`/`any` are not needed.
"""

from __future__ import annotations

import collections.abc
import math
from typing import Any

import numpy as np

from verifier.engine import dtypes
from verifier.engine.tensor import Tensor

# torch.testing's default (rtol, atol) per dtype; integers and bool compare exactly.
_TOLERANCES = {
    "float16": (1e-3, 1e-5), "bfloat16": (1.6e-2, 1e-5), "float32": (1.3e-6, 1e-5),
    "float64": (1e-7, 1e-7),
}


class _Mismatch(AssertionError):
    pass


def assert_close(actual: Any, expected: Any, *, allow_subclasses: bool = True,
                 rtol: float | None = None, atol: float | None = None, equal_nan: bool = False,
                 check_device: bool = True, check_dtype: bool = True, check_layout: bool = True,
                 check_stride: bool = False, msg=None) -> None:
    """Raise AssertionError unless `actual` and `expected` are close (see the module doc)."""
    if (rtol is None) != (atol is None):
        raise ValueError(f"Both 'rtol' and 'atol' must be either specified or omitted, but got "
                         f"no {'rtol' if rtol is None else 'atol'}.")
    try:
        _compare(actual, expected, rtol, atol, equal_nan, check_dtype, path="")
    except _Mismatch as failure:
        text = str(failure)
        if callable(msg):
            text = msg(text)
        elif msg is not None:
            text = msg
        raise AssertionError(text) from None


def _compare(actual, expected, rtol, atol, equal_nan, check_dtype, path) -> None:
    if isinstance(actual, Tensor) and isinstance(expected, Tensor) or \
            isinstance(actual, np.ndarray) and isinstance(expected, np.ndarray):
        _compare_arrays(np.asarray(_array(actual)), np.asarray(_array(expected)), rtol, atol,
                        equal_nan, check_dtype, path, scalar=False)
    elif _is_number(actual) and _is_number(expected):
        if check_dtype and type(actual) is not type(expected):
            raise _Mismatch(f"The (d)types do not match: {type(actual)} != {type(expected)}."
                            + _where(path))
        _compare_arrays(np.asarray(actual, dtype=np.float64), np.asarray(expected, dtype=np.float64),
                        rtol, atol, equal_nan, False, path, scalar=True,
                        exact=isinstance(actual, int) and isinstance(expected, int))
    elif _is_sequence(actual) and _is_sequence(expected):
        if len(actual) != len(expected):
            raise _Mismatch(f"The length of the sequences mismatch: {len(actual)} != "
                            f"{len(expected)}" + _where(path))
        for i, (a, e) in enumerate(zip(actual, expected)):
            _compare(a, e, rtol, atol, equal_nan, check_dtype, f"{path}[{i}]")
    elif isinstance(actual, collections.abc.Mapping) and isinstance(expected, collections.abc.Mapping):
        if set(actual) != set(expected):
            raise _Mismatch(f"The keys of the mappings do not match:\nMissing keys in the actual "
                            f"mapping: {sorted(set(expected) - set(actual), key=repr)}\nExtra keys "
                            f"in the actual mapping: {sorted(set(actual) - set(expected), key=repr)}"
                            + _where(path))
        for key in expected:
            _compare(actual[key], expected[key], rtol, atol, equal_nan, check_dtype,
                     f"{path}[{key!r}]")
    elif actual is None and expected is None:
        return
    else:
        raise TypeError(f"No comparison pair was able to handle inputs of type {type(actual)} "
                        f"and {type(expected)}.")


def _array(value) -> np.ndarray:
    return value._array if isinstance(value, Tensor) else value


def _is_number(value) -> bool:
    return isinstance(value, (bool, int, float)) or isinstance(value, np.number)


def _is_sequence(value) -> bool:
    return isinstance(value, collections.abc.Sequence) and not isinstance(value, str)


def _where(path: str) -> str:
    return f"\n\nThe failure occurred for item {path}" if path else ""


def _dtype_name(array: np.ndarray) -> str:
    return dtypes.from_numpy_dtype(array.dtype).name


def _tolerances(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    rtols, atols = zip(*(_TOLERANCES.get(x.dtype.name, (0.0, 0.0)) for x in (a, b)))
    return max(rtols), max(atols)


def _compare_arrays(a, e, rtol, atol, equal_nan, check_dtype, path, scalar, exact=False) -> None:
    if a.shape != e.shape:
        raise _Mismatch(f"The values for attribute 'shape' do not match: torch.Size({list(a.shape)})"
                        f" != torch.Size({list(e.shape)})." + _where(path))
    if check_dtype and a.dtype != e.dtype:
        raise _Mismatch(f"The values for attribute 'dtype' do not match: torch.{_dtype_name(a)} != "
                        f"torch.{_dtype_name(e)}." + _where(path))
    if rtol is None:
        rtol, atol = (0.0, 0.0) if exact else _tolerances(a, e)
    common = np.promote_types(a.dtype, e.dtype)
    if common.kind in "biu":
        a64, e64 = a.astype(np.float64), e.astype(np.float64)
    else:
        a64, e64 = a.astype(common), e.astype(common)
    with np.errstate(invalid="ignore", over="ignore"):
        close = np.isclose(a64, e64, rtol=rtol, atol=atol, equal_nan=equal_nan)
    if close.all():
        return
    raise _Mismatch(_describe(a64, e64, close, rtol, atol, scalar or a.size == 1, common) + _where(path))


def _describe(a, e, close, rtol, atol, scalar, common) -> str:
    """torch's wording: mismatched count, greatest absolute and relative differences."""
    equality = rtol == 0 and atol == 0
    kind = "equal" if equality else "close"
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        abs_diff = np.abs(a - e)
        rel_diff = abs_diff / np.abs(e)
    integer = common.kind in "biu"
    if scalar:
        lines = [f"Scalars are not {kind}!", "",
                 f"Expected {_number(e.reshape(-1)[0], integer)} but got "
                 f"{_number(a.reshape(-1)[0], integer)}.",
                 f"Absolute difference: {_number(abs_diff.reshape(-1)[0], integer)}"
                 + ("" if equality else f" (up to {atol} allowed)"),
                 f"Relative difference: {float(rel_diff.reshape(-1)[0])}"
                 + ("" if equality else f" (up to {rtol} allowed)")]
        return "\n".join(lines)
    flat_abs, flat_rel = abs_diff.reshape(-1), rel_diff.reshape(-1)
    i_abs, i_rel = int(np.argmax(flat_abs)), int(np.argmax(flat_rel))
    shape = a.shape
    mismatched = int((~close).sum())
    lines = [f"Tensor-likes are not {kind}!", "",
             f"Mismatched elements: {mismatched} / {a.size} ({_percent(mismatched, a.size)}%)",
             f"Greatest absolute difference: {_number(flat_abs[i_abs], integer)} at index "
             f"{_index_text(np.unravel_index(i_abs, shape))}"
             + ("" if equality else f" (up to {atol} allowed)"),
             f"Greatest relative difference: {float(flat_rel[i_rel])} at index "
             f"{_index_text(np.unravel_index(i_rel, shape))}"
             + ("" if equality else f" (up to {rtol} allowed)")]
    return "\n".join(lines)


def _index_text(index) -> str:
    return "(" + ", ".join(str(int(i)) for i in index) + ("," if len(index) == 1 else "") + ")"


def _number(value, integer: bool):
    return int(value) if integer and math.isfinite(value) else float(value)


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}"


def make_tensor(*shape, dtype, device, low=None, high=None, requires_grad: bool = False,
                noncontiguous: bool = False, exclude_zero: bool = False, memory_format=None):
    """A random tensor of `dtype` in [low, high) (torch's defaults: [-9, 9] and ints [-9, 10))."""
    from verifier.engine import creation, random_state

    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    numpy_dtype = dtypes.to_numpy(dtype)
    rng = random_state.default_generator().numpy
    if numpy_dtype == np.bool_:
        array = rng.integers(0, 2, size=shape).astype(np.bool_)
    elif numpy_dtype.kind in "iu":
        low = -9 if low is None else math.ceil(low)
        high = 10 if high is None else math.ceil(high)
        array = rng.integers(low, high, size=shape).astype(numpy_dtype)
    else:
        low = -9.0 if low is None else low
        high = 9.0 if high is None else high
        array = rng.uniform(low, high, size=shape).astype(numpy_dtype)
    if exclude_zero:
        tiny = 1 if numpy_dtype.kind in "iub" else np.finfo(numpy_dtype).tiny
        array[array == 0] = tiny
    creation._device_check(device)
    t = creation.tensor(array)
    if requires_grad:
        t.requires_grad_(True)
    return t


def assert_allclose(actual, expected, rtol=None, atol=None, equal_nan=True, msg=""):
    """The deprecated torch.testing.assert_allclose: assert_close without the dtype check."""
    if not isinstance(actual, Tensor):
        from verifier.engine.creation import tensor
        actual = tensor(actual)
    if not isinstance(expected, Tensor):
        from verifier.engine.creation import tensor
        expected = tensor(expected, dtype=actual.dtype)
    assert_close(actual, expected, rtol=rtol, atol=atol, equal_nan=equal_nan, check_dtype=False,
                 msg=msg or None)
