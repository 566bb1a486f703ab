"""More of torch.nn.functional from registry functions: conv_transpose1d, bilinear, lp_pool1d/2d,
rrelu, the dropout variants, upsample_* and the *_with_indices pooling names.

The dropout variants follow the registry's dropout: the input itself when p = 0 or
not training; random dropout is refused (it cannot be compared with anything).
rrelu in training mode draws its slopes from the engine's generator, as torch draws
from its own: the numbers differ from torch's, the distribution is the same.
"""

from __future__ import annotations

from verifier.engine.functional import FUNCTIONS as F
from verifier.engine.tensor import _detached


def _single(value) -> int:
    return int(value[0]) if isinstance(value, (tuple, list)) else int(value)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0,  # noqa: A002
                     groups: int = 1, dilation=1):
    """conv_transpose2d over a height of 1."""
    result = F["conv_transpose2d"](
        F["unsqueeze"](input, -2), F["unsqueeze"](weight, -2), bias, stride=(1, _single(stride)),
        padding=(0, _single(padding)), output_padding=(0, _single(output_padding)), groups=groups,
        dilation=(1, _single(dilation)))
    return F["squeeze"](result, -2)


def bilinear(input1, input2, weight, bias=None):
    """y_o = x1ᵀ W_o x2 + b_o over the last dims."""
    lead = "".join(chr(ord("a") + k) for k in range(input1.ndim - 1))
    result = F["einsum"](f"{lead}i,oij,{lead}j->{lead}o", input1, weight, input2)
    return result if bias is None else result + bias


def lp_pool1d(input, norm_type: float, kernel_size, stride=None, ceil_mode: bool = False):  # noqa: A002
    """(sum over each window of x^p)^(1/p), computed as torch does it (via avg_pool)."""
    k = _single(kernel_size)
    pooled = F["avg_pool1d"](F["pow"](input, norm_type), k, stride, 0, ceil_mode)
    return F["pow"](F["sign"](pooled) * F["relu"](F["abs"](pooled)) * k, 1.0 / norm_type)


def lp_pool2d(input, norm_type: float, kernel_size, stride=None, ceil_mode: bool = False):  # noqa: A002
    kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    pooled = F["avg_pool2d"](F["pow"](input, norm_type), (kh, kw), stride, 0, ceil_mode)
    return F["pow"](F["sign"](pooled) * F["relu"](F["abs"](pooled)) * (kh * kw), 1.0 / norm_type)


def rrelu(input, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,  # noqa: A002
          inplace: bool = False):
    """leaky_relu with slope (lower + upper)/2; in training, a random slope per element."""
    if training:
        from verifier.engine.random_state import default_generator
        slopes = default_generator().numpy.uniform(lower, upper, input.shape)
        result = F["where"](input >= 0, input, input * _detached(slopes.astype(input._array.dtype)))
    else:
        result = F["leaky_relu"](input, (lower + upper) / 2)
    return input.copy_(result) if inplace else result


def _dropout_like(name: str):
    def dropout(input, p: float = 0.5, training: bool = True, inplace: bool = False):  # noqa: A002
        if p < 0 or p > 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        return F["dropout"](input, p, training, inplace)
    dropout.__name__ = name
    return dropout


dropout1d = _dropout_like("dropout1d")
dropout2d = _dropout_like("dropout2d")
dropout3d = _dropout_like("dropout3d")
alpha_dropout = _dropout_like("alpha_dropout")
feature_alpha_dropout = _dropout_like("feature_alpha_dropout")


def upsample_nearest(input, size=None, scale_factor=None):  # noqa: A002
    from verifier.engine.nn.resample import interpolate
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):  # noqa: A002
    from verifier.engine.nn.resample import interpolate
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


def _with_indices(name: str):
    def pool(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,  # noqa: A002
             return_indices=True):
        from verifier.engine.nn import functional
        return getattr(functional, name)(input, kernel_size, stride, padding, dilation, ceil_mode,
                                         return_indices=True)
    pool.__name__ = f"{name}_with_indices"
    return pool


max_pool1d_with_indices = _with_indices("max_pool1d")
max_pool2d_with_indices = _with_indices("max_pool2d")


def pdist(input, p: float = 2):  # noqa: A002
    from verifier.engine.aliases import pdist as rows_pdist
    return rows_pdist(input, p)


FUNCTIONS = {name: value for name, value in globals().items()
             if callable(value) and not name.startswith("_")
             and getattr(value, "__module__", "") == __name__}
FUNCTIONS.update(dropout1d=dropout1d, dropout2d=dropout2d, dropout3d=dropout3d,
                 alpha_dropout=alpha_dropout, feature_alpha_dropout=feature_alpha_dropout,
                 max_pool1d_with_indices=max_pool1d_with_indices,
                 max_pool2d_with_indices=max_pool2d_with_indices)
