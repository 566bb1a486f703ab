"""torch's API beyond the registry, gathered for `verifier.engine`'s namespace.

`NAMESPACE` is what `import verifier.engine as torch` adds to the registry's
functions: creation and random functions, closeness tests, dtype and device
facts, composites (mm, unbind, ...), index/boolean functions, grad modes and
vmap.  Importing this module also attaches the matching Tensor methods and
gives `engine.autograd` its gradcheck, gradgradcheck and functional.
"""

from __future__ import annotations

import functools
import sys

from verifier.engine import (
    aliases,
    anomaly,
    autograd,
    autograd_functional,
    closeness,
    composites,
    custom_function,
    division,
    dtype_info,
    einsum_api,
    factories,
    grad_mode,
    gradcheck,
    layout,
    random_state,
    rearrange,
    runtime,
    scatter_api,
    selection_api,
    special,
    statistics_api,
    tensor_api,
)
from verifier.engine.functional import FUNCTIONS
from verifier.engine.nn import functional as nn_functional
from verifier.engine.tensor import Tensor
from verifier.engine.vmap import vmap
from verifier.ops.registry import all_ops

autograd.gradcheck = gradcheck.gradcheck
autograd.gradgradcheck = gradcheck.gradgradcheck
autograd.GradcheckError = gradcheck.GradcheckError
autograd.functional = autograd_functional
autograd.detect_anomaly = anomaly.detect_anomaly
autograd.set_detect_anomaly = anomaly.set_detect_anomaly
autograd.is_anomaly_enabled = anomaly.is_anomaly_enabled
autograd.Function = custom_function.Function
autograd.function = custom_function
# `from verifier.engine.autograd.functional import jacobian` as from torch's submodules
# (autograd is a module here, not a package: these names are registered directly).
sys.modules.setdefault("verifier.engine.autograd.functional", autograd_functional)
sys.modules.setdefault("verifier.engine.autograd.function", custom_function)
sys.modules.setdefault("verifier.engine.autograd.gradcheck", gradcheck)
sys.modules.setdefault("verifier.engine.autograd.forward_ad", autograd.forward_ad)

NAMESPACE: dict = {}
for _part in (factories, random_state, closeness, dtype_info, composites, layout, division,
              rearrange, statistics_api, selection_api, runtime, einsum_api, scatter_api,
              aliases):
    NAMESPACE.update(_part.FUNCTIONS)
tensor_api.attach({**NAMESPACE, **rearrange.METHODS_ONLY})
Tensor.hardshrink = nn_functional.hardshrink
Tensor.prelu = nn_functional.prelu


def _accepting_dtype(function):
    """torch's `dtype=` on reductions and softmax: the input is cast first, then reduced."""
    @functools.wraps(function)
    def wrapper(input, *args, dtype=None, **kwargs):  # noqa: A002  torch's argument name
        if dtype is not None:
            input = input.to(dtype)
        return function(input, *args, **kwargs)
    return wrapper


for _name in ("sum", "mean", "prod", "softmax", "log_softmax"):
    _registered = getattr(Tensor, _name)
    if "dtype" not in {p.name for p in all_ops()[_name].params}:
        NAMESPACE[_name] = _accepting_dtype(FUNCTIONS[_name])
        setattr(Tensor, _name, _accepting_dtype(_registered))
        if hasattr(nn_functional, _name):  # F.softmax keeps refusing axis= (numpy_aliases)
            setattr(nn_functional, _name, _accepting_dtype(getattr(nn_functional, _name)))
NAMESPACE.update(
    hardshrink=nn_functional.hardshrink,
    is_anomaly_enabled=anomaly.is_anomaly_enabled,
    is_anomaly_check_nan_enabled=anomaly.is_anomaly_check_nan_enabled,
    special=special,
    vmap=vmap,
    inference_mode=grad_mode.inference_mode,
    is_inference_mode_enabled=grad_mode.is_inference_mode_enabled,
)
