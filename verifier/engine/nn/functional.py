"""`verifier.engine.nn.functional`: torch.nn.functional's functions, from the registry.

`import verifier.engine as torch; torch.nn.functional.conv2d(x, w)` calls the
same registered function as `verifier.engine.conv2d`.
"""

from verifier.engine.functional import FUNCTIONS

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
