"""Example builders for all, any and count_nonzero (same contract as op_examples.py).

Random floats are never exactly zero, so these builders give the input's values
themselves: zeros, NaNs and nonzeros mixed, as a float, int64 or bool array.
"""

from __future__ import annotations

import numpy as np

from tests.op_examples import shape, some_dims

ELEMENTS = (0.0, 0.0, 1.5, -0.25, np.nan)


def _mixed(d, s):
    values = np.array([d.choice(ELEMENTS) for _ in range(int(np.prod(s, dtype=np.int64)))],
                      dtype=np.float64).reshape(s)
    kind = d.choice(("float", "float", "int64", "bool"))
    if kind == "int64":
        return np.asarray(np.nan_to_num(values * 4)).astype(np.int64)
    if kind == "bool":
        return np.asarray(np.nan_to_num(values) != 0)
    return values


def truth(d):
    s = shape(d)
    dim = d.choice((None, some_dims(d, len(s)), []))
    params = {} if dim is None else {"dim": dim}
    if d.choice((True, False)):
        params["keepdim"] = True
    return [_mixed(d, s)], params


def count(d):
    s = shape(d)
    dim = some_dims(d, len(s))
    return [_mixed(d, s)], ({} if dim is None else {"dim": dim})


BUILDERS = {"all": truth, "any": truth, "count_nonzero": count}
