"""`Verdict`: the judgement of one case × backend × dtype, what every report prints."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

STATUSES = ("pass", "fail", "error", "skip", "xfail", "xpass")


@dataclass
class Verdict:
    case: str
    file: str
    backend: str
    dtype: str  # 'float64', 'float32', or 'exact' for the oracle
    status: str  # one of STATUSES
    max_abs_err: float | None = None
    max_rel_err: float | None = None
    max_ulp_err: float | None = None
    message: str = ""
    # Which backend the evidence blames when backends disagree ('' when none).
    blame: str = ""
    # The backend took another branch or loop count than the oracle.
    diverged: bool = False
    # Per-quantity numbers ('value', 'grad.x', 'hvp.x', 'claim.grad.x'), for
    # `verifier show` and pytest failure reports: {name: {...}}.
    details: dict = field(default_factory=dict)
    seconds: float = 0.0
    # Elements where the exact derivative (or value) does not exist at the point,
    # e.g. ["grad.x[0]", "grad.x[1]"]; CI counts them with `undefined_elements`.
    undefined: list = field(default_factory=list)
    undefined_elements: int = 0

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "Verdict":
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**known)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.case, self.backend, self.dtype)
