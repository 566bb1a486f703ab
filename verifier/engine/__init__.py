"""`verifier.engine`: an autograd engine over numpy with torch's API.

Reverse mode (`backward`, `autograd.grad`), and forward mode
(`autograd.forward_ad`, `verifier.engine.func.jvp`/`jacfwd`) whose JVPs are
derived from the same VJP rules (`verifier.engine.dual`).

`import verifier.engine as torch` works for the subset of torch that the
verifier's cases, the seed notebook and other projects' operator tests use:
the registry's functions, plus torch's API beyond them (`verifier.engine.api`).
"""

from verifier.engine import autograd, cuda  # noqa: F401, I001  (methods must import last: it attaches operators)
from verifier.engine.creation import DoubleTensor, FloatTensor, from_numpy, is_tensor, tensor  # noqa: F401
from verifier.engine.dtypes import (  # noqa: F401
    bfloat16, bool_ as bool, double, float, float16, float32, float64, get_default_dtype, half, int32,
    int64, long, set_default_dtype,
)
from verifier.engine.functional import FUNCTIONS
from verifier.engine.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled  # noqa: F401
from verifier.engine.tensor import Size, Tensor  # noqa: F401
from verifier.engine import methods as _methods  # noqa: F401  attaches operators and methods
from verifier.engine import linalg  # noqa: F401, E402  torch.linalg
from verifier.engine import nn  # noqa: F401, E402  torch.nn.functional

globals().update(FUNCTIONS)
del FUNCTIONS
# torch.svd is the deprecated API (some=True, returns V), not torch.linalg.svd; so is Tensor.svd.
from verifier.ops.spectral import old_svd as svd  # noqa: E402

Tensor.svd = svd
# torch's API beyond the registry: creation, random numbers, closeness, dtype facts,
# composites (mm, unbind, ...), and the testing/autograd utilities.
from verifier.engine import api as _api  # noqa: E402

globals().update(_api.NAMESPACE)
from verifier.engine import func, testing  # noqa: F401, E402

__version__ = "2.13.0"  # the torch release whose semantics the engine follows
