"""`verifier.engine.nn`: the functional part of torch.nn (`torch.nn.functional`)."""

from verifier.engine.nn import functional  # noqa: F401
