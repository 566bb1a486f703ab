"""`dtype:` on an input: an int64, int32 or bool tensor (indices, masks, counts).

Such an input is the same tensor in every run, whatever the run's dtype: its values are
integers (true/false or 0/1 for bool), never rounded, and it is never differentiated
(torch lets only floating point tensors require grad).  It is written with `value` or
`fill`; `random` draws floats, so it is refused here.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from verifier.cases import fields as f
from verifier.cases.model import INTEGER_DTYPES
from verifier.cases.problems import Problems
from verifier.cases.yaml_lines import LineMap


def integer_dtype(spec: LineMap, field: str, problems: Problems) -> str | None:
    """The input's `dtype:` if it names an integer or bool dtype, else a problem and None."""
    dtype = spec["dtype"]
    if isinstance(dtype, str) and dtype in INTEGER_DTYPES:
        return dtype
    hint = ""
    if isinstance(dtype, str) and dtype in f.DTYPES:
        hint = (f"; a float input takes each run's dtype (dtypes: [{dtype}] on the case "
                "chooses the runs)")
    problems.add(spec.value_line("dtype"), f"{field}.dtype",
                 f"expected {', '.join(INTEGER_DTYPES)}, found {f.describe(dtype)}{hint}")
    return None


def integer_values(exact: np.ndarray, dtype: str, kind: str, spec: LineMap, field: str,
                   problems: Problems) -> bool:
    """Whether the values fit the dtype (integers in its range; 0 or 1 for bool)."""
    if kind == "random":
        problems.add(spec.key_line("random"), f"{field}.random",
                     f"an input of dtype {dtype} takes value or fill (random draws floats)")
        return False
    info = np.iinfo(INTEGER_DTYPES[dtype]) if dtype != "bool" else None
    low, high = (0, 1) if info is None else (info.min, info.max)
    values = exact.ravel()[:1] if kind == "fill" else exact.ravel()  # a fill repeats one value
    for index, v in zip(np.ndindex(exact.shape), values.tolist()):
        if not isinstance(v, Fraction) or v.denominator != 1 or not low <= v <= high:
            where = f"{field}.{kind}" + ("".join(f"[{i}]" for i in index) if kind == "value" else "")
            what = "true, false, 0 or 1" if info is None else f"an integer in [{low}, {high}]"
            problems.add(spec.value_line(kind), where,
                         f"an input of dtype {dtype} holds {what}; found {_show(v)}")
            return False
    return True


def _show(v) -> str:
    if isinstance(v, Fraction):
        return str(v.numerator) if v.denominator == 1 else f"{float(v):g}"
    return str(v)
