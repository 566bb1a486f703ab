"""torch.autograd's anomaly mode: a backward that produces NaN names the node that did.

With anomaly detection on, each node's VJP results are checked; the first NaN
raises "Function 'ExpBackward0' returned nan values in its 0th output.", as
torch does.  (torch also prints the forward's traceback; the engine does not
keep tracebacks.)
"""

from __future__ import annotations

import numpy as np

# [enabled, check_nan], read by the backward pass once per node.
ANOMALY = [False, True]


def is_anomaly_enabled() -> bool:
    return ANOMALY[0]


def is_anomaly_check_nan_enabled() -> bool:
    return ANOMALY[1]


def check(node, grads) -> None:
    if not ANOMALY[1]:
        return
    for i, g in enumerate(grads):
        if g is None:
            continue
        array = g._array if hasattr(g, "_array") else np.asarray(g)
        if array.dtype.kind == "f" and np.isnan(array).any():
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th output.")


class detect_anomaly:  # noqa: N801  torch's name
    """Context manager (and decorator) turning anomaly detection on."""

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = check_nan

    def __enter__(self):
        self._previous = list(ANOMALY)
        ANOMALY[0], ANOMALY[1] = True, self.check_nan

    def __exit__(self, *exc):
        ANOMALY[0], ANOMALY[1] = self._previous
        return False

    def __call__(self, fn):
        def wrapper(*args, **kwargs):
            with detect_anomaly(self.check_nan):
                return fn(*args, **kwargs)
        return wrapper


class set_detect_anomaly:  # noqa: N801  torch's name
    """Sets the mode at once; restores the previous one on leaving a `with`."""

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self._previous = list(ANOMALY)
        ANOMALY[0], ANOMALY[1] = bool(mode), check_nan

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        ANOMALY[0], ANOMALY[1] = self._previous
        return False
