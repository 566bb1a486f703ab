"""torch.special for the engine: its names for registry functions, and ndtr/entr built from them."""

from __future__ import annotations

import math

import numpy as np

from verifier.engine.functional import FUNCTIONS as F
from verifier.engine.tensor import _detached

# torch.special's name -> the registry entry computing it
_ALIASES = {
    "expit": "sigmoid", "erf": "erf", "erfc": "erfc", "erfinv": "erfinv", "gammaln": "lgamma",
    "digamma": "digamma", "psi": "digamma", "polygamma": "polygamma", "xlogy": "xlogy",
    "xlog1py": "xlog1py", "logit": "logit", "sinc": "sinc", "logsumexp": "logsumexp",
    "softmax": "softmax", "log_softmax": "log_softmax", "exp2": "exp2", "expm1": "expm1",
    "log1p": "log1p", "round": "round",
}
globals().update({name: F[entry] for name, entry in _ALIASES.items() if entry in F})


def ndtr(input):  # noqa: A002  torch's argument name
    """The standard normal CDF: erfc(-x/√2)/2."""
    return F["erfc"](input * (-1 / math.sqrt(2))) * 0.5


def entr(input):  # noqa: A002
    """-x·ln x for x > 0, 0 at 0, -inf below 0."""
    minus_inf = _detached(np.asarray(-np.inf, dtype=input._array.dtype))
    return F["where"](input < 0, minus_inf, 0.0 - F["xlogy"](input, input))  # +0 at 0
