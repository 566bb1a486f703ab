"""Issue 11, part A: the functions it adds to the language (the registry test checks them)."""

ELEMENTWISE = set("""
atan2 hypot xlogy xlog1py logaddexp lerp asinh acosh atanh log2 log10 exp2 erfc erfinv lgamma
digamma rsqrt sign floor ceil round trunc frac logit sinc
""".split())

NN_FUNCTIONAL = set("""
gelu silu mish elu celu selu leaky_relu relu6 hardtanh hardswish hardsigmoid softsign logsigmoid glu
linear conv1d conv2d conv_transpose2d max_pool1d max_pool2d avg_pool1d avg_pool2d pad layer_norm
group_norm normalize dropout scaled_dot_product_attention
mse_loss l1_loss smooth_l1_loss huber_loss cross_entropy nll_loss binary_cross_entropy
binary_cross_entropy_with_logits kl_div cosine_similarity pairwise_distance
""".split())

ISSUE_11A = ELEMENTWISE | NN_FUNCTIONAL

# torch's grad_fn name depends on the call (round with decimals: RoundBackward1; lerp with
# a tensor weight: LerpBackward1; composites end in the node of their last primitive).
NAME_VARIES = {"round", "lerp", "softsign", "linear", "dropout", "scaled_dot_product_attention",
               "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "cross_entropy", "kl_div",
               "cosine_similarity", "pairwise_distance", "binary_cross_entropy",
               "binary_cross_entropy_with_logits", "pad", "avg_pool1d", "max_pool1d", "nll_loss",
               "conv1d", "conv2d", "conv_transpose2d"}
# torch has no second derivative for these (derivative for aten::hardsigmoid_backward is not
# implemented); the engine's is 0, piecewise linear.
NO_TORCH_SECOND_ORDER = {"hardsigmoid"}
