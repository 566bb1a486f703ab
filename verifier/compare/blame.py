"""Which backend is wrong, when backends disagree.

A failing row is compared with the rows of the *other* backends on the same
quantity:
  - some of them agree with the oracle: the failing backend is to blame,
    and the message names those that agree ("torch float64, fd float64 agree
    with exact") and, where several differentiation paths are involved, which
    paths agree ("by path, grad.X: torch.func.vjp agrees with exact, reverse
    mode (.backward()) and forward-mode JVPs (forward_ad) do not");
  - every numeric row fails that quantity and they all agree with each other:
    the numeric backends, computed independently, outvote the oracle; blame
    "sympy" (the oracle, or a registry convention such as a kink's derivative).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from verifier.backends.base import Run
from verifier.compare.paths import by_path
from verifier.compare.tolerance import EPS
from verifier.verdict import Verdict

# Two backends "agree" when their results differ by at most this many float32
# epsilons (normwise): the looser dtype decides, inputs rounded differently.
AGREEMENT_RTOL = 64 * EPS["float32"]


@dataclass
class Judged:
    """A numeric row: its verdict, its run and the per-quantity checks."""
    verdict: Verdict
    run: Run
    checks: dict = field(default_factory=dict)  # quantity name -> QuantityCheck

    @property
    def label(self) -> str:
        return f"{self.verdict.backend} {self.verdict.dtype}"

    def got(self, quantity: str):
        if quantity == "value":
            return self.run.value
        kind, _, name = quantity.partition(".")
        return (self.run.grads if kind == "grad" else self.run.hvp).get(name)


def assign_blame(rows: list[Judged]) -> bool:
    """Set `blame` on failing rows; True when the oracle is the suspect."""
    oracle_suspect = False
    for row in rows:
        if row.verdict.status != "fail" or row.verdict.diverged or not row.checks:
            continue
        failing = [q for q, c in row.checks.items() if not c.ok]
        if not failing:
            continue
        quantity = failing[0]
        others = [o for o in rows if o.verdict.backend != row.verdict.backend and quantity in o.checks]
        # fd's elements at kinks are not compared: that is no evidence of agreement.
        agree_exact = [o.label for o in others if o.checks[quantity].ok
                       and not o.checks[quantity].details.get("not_compared")]
        paths = by_path([(o.verdict.backend, o.checks[quantity].ok) for o in [row] + others
                         if not o.checks[quantity].details.get("not_compared")], quantity)
        if paths:
            row.verdict.message += f"; {paths}"
        if agree_exact:
            row.verdict.blame = row.verdict.backend
            row.verdict.message += f"; {', '.join(agree_exact)} agree with exact"
            continue
        failing_others = [o for o in others if not o.checks[quantity].ok]
        if failing_others and all(_agree(row.got(quantity), o.got(quantity))
                                  for o in failing_others):
            row.verdict.blame = "sympy"
            names = ", ".join([row.label] + [o.label for o in failing_others])
            row.verdict.message += (f"; every numeric backend ({names}) agrees with the others "
                                    "but not with the oracle: the oracle or a registry convention "
                                    "(a kink's derivative) is suspect")
            oracle_suspect = True
        else:
            row.verdict.blame = row.verdict.backend
    return oracle_suspect


def _agree(a, b) -> bool:
    if a is None or b is None:
        return False
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        return False
    finite = np.isfinite(a) & np.isfinite(b)
    if not np.array_equal(finite, np.isfinite(a) | np.isfinite(b)):
        return False
    scale = float(np.max(np.abs(a[finite]), initial=0.0))
    return bool(np.all(np.abs(a[finite] - b[finite]) <= AGREEMENT_RTOL * max(scale, 1.0)))
