"""numpy's floating-point warnings silenced inside engine operations, as torch is silent.

torch computes log(0) = -inf, 1/0 = inf, 0/0 = nan and exp(1000) = inf without
a word; numpy warns.  `np.errstate` around every operation costs about 1 µs,
a third of the engine's whole per-op budget, so `enter()`/`leave(token)` set
numpy's error-state context variable directly (about 0.1 µs), with a state
built once per caller state: divide, invalid and overflow ignored, the rest
(underflow, callbacks) as the caller set it.  The caller's state is restored
on leaving: the engine never changes numpy's global state.  Where numpy's
private names are missing (another numpy release) it falls back to np.errstate.
"""

from __future__ import annotations

import numpy as np

try:
    from numpy._core._ufunc_config import _extobj_contextvar, _make_extobj
except ImportError:  # pragma: no cover - numpy releases without the context variable
    _extobj_contextvar = None

if _extobj_contextvar is not None:
    _get = _extobj_contextvar.get
    _set = _extobj_contextvar.set
    leave = _extobj_contextvar.reset
    # caller's error state -> the same state with divide/invalid/over ignored
    _QUIET: dict = {}

    def quiet_state(current):
        """The caller's state `current` with divide/invalid/over ignored (built once)."""
        if len(_QUIET) > 32:  # each np.errstate block makes a new state object
            _QUIET.clear()
        quiet = _QUIET[current] = _make_extobj(divide="ignore", invalid="ignore", over="ignore")
        return quiet

    def enter():
        """Silence divide/invalid/overflow warnings; returns the token for `leave`."""
        current = _get()
        return _set(_QUIET.get(current) or quiet_state(current))

    # For the hot path (engine.operators), which inlines `enter`:
    get_state, set_state, QUIET = _get, _set, _QUIET
else:  # pragma: no cover
    def enter():
        state = np.errstate(divide="ignore", invalid="ignore", over="ignore")
        state.__enter__()
        return state

    def leave(state) -> None:
        state.__exit__(None, None, None)
