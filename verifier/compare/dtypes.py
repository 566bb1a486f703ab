"""The dtype a numeric row's results must have: float32 runs stay float32.

Every input of a run at dtype D is a D tensor, every number of the case
language is a Python number (weak in torch's promotion: it never widens a
tensor) or a 0-d tensor of D, so torch's promotion gives D for the value and
for every gradient and Hessian-vector product.  A float32 run that produced
a float64 result computed somewhere in float64 (a number wrapped as a strong
float64 tensor, a buffer allocated in float64): its numbers can look right
while it is twice as slow and not what torch computes, so the row fails.

A value that is not floating point (a count, a comparison) is not promoted
by anything and is left alone.
"""

from __future__ import annotations

FLOAT_DTYPES = ("float16", "bfloat16", "float32", "float64")


def expected_dtype(run_dtype: str, quantity: str, produced: str) -> str | None:
    """The dtype torch's promotion gives `quantity` in a run at `run_dtype` (None: no rule)."""
    if run_dtype not in FLOAT_DTYPES:
        return None  # the oracle's 'exact'
    if quantity == "value" and produced not in FLOAT_DTYPES:
        return None
    return run_dtype


def dtype_problems(run_dtype: str, result_dtypes: dict[str, str]) -> list[str]:
    """One message per quantity whose dtype is not the one torch's promotion gives."""
    problems = []
    for quantity, produced in result_dtypes.items():
        expected = expected_dtype(run_dtype, quantity, produced)
        if expected is None or produced == expected:
            continue
        problems.append(
            f"{quantity} has dtype {produced}, expected {expected}: torch's promotion keeps a "
            f"{run_dtype} run in {run_dtype} (Python numbers are weak scalars), so the backend "
            f"computed in {produced} somewhere; look for a number wrapped as a {produced} "
            f"tensor or a buffer allocated as {produced}")
    return problems
