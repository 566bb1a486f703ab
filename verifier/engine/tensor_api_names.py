"""Which Tensor methods `verifier.engine.tensor_api` attaches, by name (all are torch's)."""

# Functions outside the registry that torch also has as Tensor methods (x.mm(y), ...).
FUNCTION_METHODS = (
    "norm", "clamp", "clip", "clamp_min", "clamp_max", "mm", "bmm", "mv", "inner", "addmm", "addmv",
    "baddbmm", "addcmul", "addcdiv", "matrix_power", "kron", "diff", "diag_embed",
    "masked_select", "unbind", "movedim", "moveaxis", "swapaxes", "swapdims",
    "unflatten", "broadcast_to", "remainder", "fmod", "floor_divide", "true_divide", "copysign",
    "float_power", "logaddexp2", "rad2deg", "deg2rad", "ldexp", "negative", "positive", "sgn",
    "rot90", "fliplr", "flipud", "ravel", "select", "narrow_copy", "tensor_split", "hsplit",
    "vsplit", "dsplit", "unfold", "repeat_interleave", "take", "take_along_dim", "diagflat",
    "index_add", "index_copy", "index_fill", "nansum", "nanmean", "quantile", "nanquantile",
    "kthvalue", "msort", "aminmax", "logdet", "dist", "vdot", "argmax", "argmin", "argsort",
    "nonzero", "argwhere", "logical_and", "logical_or", "logical_xor", "logical_not", "unique",
    "bincount", "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not", "bitwise_left_shift",
    "bitwise_right_shift", "gcd", "lcm", "heaviside", "signbit", "scatter", "scatter_reduce",
    "index_put", "select_scatter", "slice_scatter", "diagonal_scatter", "masked_scatter",
    "div", "divide", "fmax", "fmin", "addr", "histc", "conj", "resolve_conj",
    "resolve_neg", "absolute", "arccos", "arccosh", "arcsin", "arcsinh", "arctan", "arctan2",
    "arctanh", "multiply", "subtract", "fix", "eq", "ne", "lt", "le", "gt", "ge", "not_equal",
    "less", "less_equal", "greater", "greater_equal",
)
# Their in-place twins: x.name_(...) is x.copy_(name(x, ...)).
FUNCTION_INPLACE = ("addcmul", "addcdiv", "remainder", "fmod", "floor_divide", "true_divide",
                    "index_add", "index_copy", "index_fill", "copysign", "rad2deg", "deg2rad",
                    "ldexp", "scatter_reduce", "index_put", "masked_scatter")
# More in-place twins torch has, of registry ops or functions above (x.cumsum_(0), ...).
MORE_INPLACE = (
    "absolute", "acosh", "asinh", "atanh", "arccos", "arccosh", "arcsin", "arcsinh", "arctan",
    "arctan2", "arctanh", "addmm", "addmv", "addr", "baddbmm", "cumsum", "cumprod", "divide",
    "erfc", "fix", "log10", "multiply", "negative", "sgn", "sinc", "subtract", "gcd", "lcm",
    "heaviside", "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not", "bitwise_left_shift",
    "bitwise_right_shift", "logical_and", "logical_or", "logical_xor", "logical_not",
    "float_power", "polygamma", "swapaxes", "swapdims", "eq", "ne", "lt", "le", "gt", "ge",
    "greater", "greater_equal", "less", "less_equal", "not_equal")
# The registry's ops whose in-place twin torch has (x.exp_(), ...).
REGISTRY_INPLACE = (
    "exp", "log", "sin", "cos", "tanh", "sigmoid", "relu", "abs", "neg", "sqrt", "floor", "ceil",
    "round", "trunc", "frac", "sign", "reciprocal", "rsqrt", "square", "log1p", "expm1", "erf",
    "tan", "asin", "acos", "atan", "sinh", "cosh", "log2", "exp2", "lerp", "tril", "triu",
    "scatter", "scatter_add", "xlogy", "hypot", "atan2", "logit", "erfinv", "digamma", "lgamma",
    "transpose")
