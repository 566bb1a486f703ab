"""Imports every module of registry entries; each registers its ops on import."""

from verifier.ops import arithmetic  # noqa: F401
from verifier.ops import elementwise  # noqa: F401
from verifier.ops import reductions  # noqa: F401
from verifier.ops import shape  # noqa: F401
from verifier.ops import indexing  # noqa: F401
from verifier.ops import linalg  # noqa: F401
