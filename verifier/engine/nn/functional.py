"""`verifier.engine.nn.functional`: torch.nn.functional's functions, from the registry.

`import verifier.engine as torch; torch.nn.functional.conv2d(x, w)` calls the
same registered function as `verifier.engine.conv2d`.
"""

import functools

from verifier.engine.functional import FUNCTIONS
from verifier.ops.numpy_aliases import NOT_IN_FUNCTIONAL

# The registered functions that torch.nn.functional has under the same name.
NAMES = (
    # activations
    "relu", "softplus", "sigmoid", "tanh", "gelu", "silu", "mish", "elu", "celu", "selu",
    "leaky_relu", "relu6", "hardtanh", "hardswish", "hardsigmoid", "softsign", "logsigmoid",
    "glu", "softmax", "log_softmax",
    # layers
    "linear", "conv1d", "conv2d", "conv_transpose2d", "max_pool1d", "max_pool2d", "avg_pool1d",
    "avg_pool2d", "pad", "layer_norm", "group_norm", "normalize", "dropout",
    "scaled_dot_product_attention",
    # losses and distances
    "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "cross_entropy", "nll_loss",
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div", "cosine_similarity",
    "pairwise_distance",
)

globals().update({name: FUNCTIONS[name] for name in NAMES})

def _dim_only(function):
    """torch.nn.functional's Python-level version of a function: no numpy-style `axis=`."""
    def strict(*args, **kwargs):
        for alias in ("axis", "keepdims"):
            if alias in kwargs:
                raise TypeError(f"{function.__name__}() got an unexpected keyword argument "
                                f"'{alias}'")
        return function(*args, **kwargs)
    strict.__name__ = strict.__qualname__ = function.__name__
    strict.__doc__ = function.__doc__
    strict.__wrapped__ = function
    return strict


globals().update({name: _dim_only(FUNCTIONS[name]) for name in NOT_IN_FUNCTIONAL})

# Functions built from the registry's (interpolate, batch_norm, one_hot, ...).
from verifier.engine.nn.functional_extra import FUNCTIONS as _EXTRA  # noqa: E402
from verifier.engine.nn.functional_more import FUNCTIONS as _MORE  # noqa: E402
from verifier.engine.nn.losses_extra import FUNCTIONS as _LOSSES  # noqa: E402
from verifier.engine.nn.patches import FUNCTIONS as _PATCHES  # noqa: E402
from verifier.engine.nn.resample import FUNCTIONS as _RESAMPLE  # noqa: E402

globals().update(_EXTRA)
globals().update(_RESAMPLE)
globals().update(_PATCHES)
globals().update(_LOSSES)
globals().update(_MORE)

# max pooling with torch's return_indices, and its inverse max_unpool.
from verifier.engine.nn import pool_indices as _pool_indices  # noqa: E402

max_pool1d = _pool_indices.with_indices(FUNCTIONS["max_pool1d"], 1, "max_pool1d")
max_pool2d = _pool_indices.with_indices(FUNCTIONS["max_pool2d"], 2, "max_pool2d")
max_unpool1d = _pool_indices.max_unpool1d
max_unpool2d = _pool_indices.max_unpool2d


@functools.wraps(FUNCTIONS["relu"])
def relu(input, inplace: bool = False):  # noqa: A002  torch's argument name
    """torch.nn.functional.relu: torch.relu plus `inplace` (the registry entry has none)."""
    return input.relu_() if inplace else FUNCTIONS["relu"](input)


def _in_place_twin(function):
    def twin(input, *args, **kwargs):  # noqa: A002
        return function(input, *args, inplace=True, **kwargs)
    twin.__name__ = function.__name__ + "_"
    return twin


# torch.nn.functional's in-place twins (F.relu_(x), ...).
for _name in ("relu", "elu", "celu", "selu", "leaky_relu", "hardtanh", "threshold"):
    globals()[_name + "_"] = _in_place_twin(globals()[_name])
