"""torch's own warnings during a row (std with no degree of freedom, kl_div's 'mean', an
out tensor resized under vmap) are facts about that row: kept in its notes, not printed on
the user's terminal."""

from __future__ import annotations

import contextlib
import warnings


@contextlib.contextmanager
def warnings_as_notes(run, who: str = "torch"):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield
        finally:
            for text in dict.fromkeys(str(w.message).splitlines()[0] for w in caught
                                      if not issubclass(w.category, RuntimeWarning)):
                run.notes.append(f"{who} warned: {text}")
