"""`verifier.engine.nn.functional`: torch.nn.functional's functions, from the registry.

`import verifier.engine as torch; torch.nn.functional.conv2d(x, w)` calls the
same registered function as `verifier.engine.conv2d`.
"""

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
