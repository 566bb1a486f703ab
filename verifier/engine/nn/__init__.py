"""`verifier.engine.nn`: torch.nn without modules: `functional`, `Parameter` and `init`."""

from verifier.engine.nn import functional, init  # noqa: F401
from verifier.engine.nn.parameter import Parameter  # noqa: F401
