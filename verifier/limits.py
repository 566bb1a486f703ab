"""Every resource limit of the verifier, in one place, and the arithmetic that checks them.

Case files, baselines and command lines are untrusted (docs/security.md): each limit
below bounds what one of them can make the verifier allocate or spend, and each is
checked *before* the allocation it guards.  The numbers are the defaults documented
in docs/security.md (a test keeps the two in step).

This module sits at the bottom of the import graph: constants and pure functions of
shapes, no numpy arrays, no imports from the rest of the package.
"""

from __future__ import annotations

import math

# --- tensors -------------------------------------------------------------------------
MAX_TENSOR_ELEMENTS = 10_000_000  # any one tensor: an input, a literal, an intermediate result
MAX_DIMS = 8  # dimensions of an input, a literal or a shape

# --- what loading may materialize (inputs, seeds, literal claims) ----------------------
MAX_CASE_ELEMENTS = 10_000_000  # all tensors one case's data makes, together
MAX_LOAD_ELEMENTS = 20_000_000  # all tensors one load (check, list, run) makes, together
MAX_LOAD_PROBE_SECONDS = 20.0  # shape probes of one load, together (then probes are skipped)
MAX_PROBLEMS_PER_FILE = 100  # problems listed per file; the rest are counted in one line

# --- numbers -------------------------------------------------------------------------
MAX_NUMBER_CHARS = 400  # characters of one number in case data (YAML or quoted text)
MAX_DECIMAL_EXPONENT = 1_000  # |k| in 1e<k>, in case data and in expressions
MAX_LITERAL_CHARS = 100  # characters of one number literal inside an expression
MAX_EXPONENT = 10_000  # |n| in a literal power a ** n
MAX_POWER_DIGITS = 1_000  # decimal digits of a constant sub-expression (9 ** 10000 is refused)
MAX_OPTION_CHARS = 40  # characters of a string option argument: mode="reflect"
FLOAT64_MAX = 1.7976931348623157e308  # inputs must be finite float64 values: what backends receive

# --- files and the command line -------------------------------------------------------
MAX_FILE_BYTES = 1_000_000  # one case file
MAX_YAML_DEPTH = 64  # nesting of mappings and lists in a case file
MAX_BASELINE_BYTES = 64_000_000  # a --baseline file
MAX_SELECTION_DEPTH = 50  # parentheses and `not`s nested in -k
MAX_SELECTION_CHARS = 10_000  # characters of -k
MAX_TIMEOUT_SECONDS = 7 * 24 * 3600.0  # --timeout; 0 means no limit


def elements(shape) -> int:
    """The element count of `shape`."""
    return math.prod(int(s) for s in shape)


def footprint(shape) -> int:
    """The element count with zero-sized dims counted as one: the size of what the shape
    describes, never fooled by a zero (shape [0, 10**12, 10**12] is not small: numpy
    refuses to even create it, and its neighbours' arithmetic overflows)."""
    return math.prod(max(int(s), 1) for s in shape)


def shape_problem(shape, limit: int = MAX_TENSOR_ELEMENTS) -> str | None:
    """Why a tensor of this shape may not be made, or None."""
    if len(shape) > MAX_DIMS:
        return f"{len(shape)} dimensions, beyond the limit of {MAX_DIMS}"
    n = footprint(shape)
    if n > limit:
        counted = " (zero sizes counted as one)" if 0 in tuple(shape) else ""
        return f"shape {list(shape)} has {n} elements{counted}, beyond the limit of {limit}"
    return None


def _broadcast(shapes) -> tuple[int, ...] | None:
    """The broadcast shape of `shapes` (torch's rules), or None where they don't broadcast."""
    ndim = max((len(s) for s in shapes), default=0)
    out = []
    for axis in range(-ndim, 0):
        sizes = {s[axis] for s in shapes if len(s) >= -axis} - {1}
        if len(sizes) > 1:
            return None
        out.append(sizes.pop() if sizes else 1)
    return tuple(out)


def result_shape_bound(func: str, shapes: list, params: dict | None = None) -> tuple[int, ...] | None:
    """An upper bound of the shape a call of `func` makes, from its arguments' shapes alone.

    `shapes` holds one shape per tensor argument (a list of shapes for cat/stack's list);
    None where nothing can be said (the call will fail on its own, or makes no more than
    its largest argument). Only the calls that can make more elements than they were
    given need an answer: broadcasting, outer and matrix products, expand, cat and stack.
    """
    params = params or {}
    flat = [s for item in shapes for s in (item if isinstance(item, list) else [item])]
    if func == "outer" and len(flat) == 2:
        return (elements(flat[0]), elements(flat[1]))
    if func == "matmul" and len(flat) == 2:
        a, b = flat
        if not a or not b:
            return None
        rows = a[-2:-1] if len(a) >= 2 else ()
        cols = b[-1:] if len(b) >= 2 else ()
        batch = _broadcast([a[:-2], b[:-2]])
        return None if batch is None else batch + tuple(rows) + tuple(cols)
    if func == "expand":
        size = params.get("size")
        if isinstance(size, (list, tuple)) and all(isinstance(s, int) for s in size):
            return tuple(abs(s) for s in size)
        return None
    if func in ("cat", "stack") and shapes and isinstance(shapes[0], list):
        total = sum(elements(s) for s in shapes[0])
        return (total,)
    if len(flat) >= 2:
        return _broadcast(flat)
    return None


def call_problem(func: str, shapes: list, params: dict | None = None,
                 limit: int = MAX_TENSOR_ELEMENTS) -> str | None:
    """Why calling `func` on arguments of these shapes would make too large a tensor, or None."""
    bound = result_shape_bound(func, shapes, params)
    if bound is None:
        return None
    n = footprint(bound)
    if n > limit:
        return (f"{func}() would make a tensor of shape {list(bound)} ({n} elements), beyond the "
                f"limit of {limit}; nothing was computed")
    return None
