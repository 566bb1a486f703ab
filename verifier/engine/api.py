"""torch's API beyond the registry, gathered for `verifier.engine`'s namespace.

`NAMESPACE` is what `import verifier.engine as torch` adds to the registry's
functions: creation and random functions, closeness tests, dtype and device
facts, composites (mm, unbind, ...), index/boolean functions, grad modes and
vmap.  Importing this module also attaches the matching Tensor methods and
gives `engine.autograd` its gradcheck, gradgradcheck and functional.
"""

from __future__ import annotations

from verifier.engine import (
    autograd,
    autograd_functional,
    closeness,
    composites,
    dtype_info,
    factories,
    grad_mode,
    gradcheck,
    random_state,
    selection_api,
    tensor_api,
)
from verifier.engine.vmap import vmap

tensor_api.attach()

autograd.gradcheck = gradcheck.gradcheck
autograd.gradgradcheck = gradcheck.gradgradcheck
autograd.GradcheckError = gradcheck.GradcheckError
autograd.functional = autograd_functional

NAMESPACE: dict = {}
for _part in (factories, random_state, closeness, dtype_info, composites, selection_api):
    NAMESPACE.update(_part.FUNCTIONS)
NAMESPACE.update(
    vmap=vmap,
    inference_mode=grad_mode.inference_mode,
    is_inference_mode_enabled=grad_mode.is_inference_mode_enabled,
)
