"""torch.nn.functional beyond the registry, built from registry functions (differentiable
through them): batch_norm, instance_norm, embedding, one_hot, softmin, the
shrink/threshold activations and prelu.  (Resampling and adaptive pooling:
verifier.engine.nn.resample.)

Not in the case language: the oracle never sees these names, only what they are made of.
"""

from __future__ import annotations

import numpy as np

from verifier.engine.functional import FUNCTIONS as F
from verifier.engine.grad_mode import no_grad
from verifier.engine.tensor import Tensor, _detached


def _const(array, like: Tensor) -> Tensor:
    return _detached(np.asarray(array, dtype=like._array.dtype))


# --- normalization with batch statistics ------------------------------------------------------
def _channel_shape(x: Tensor) -> tuple:
    return (1, x.shape[1]) + (1,) * (x.ndim - 2)


def _affine(y, weight, bias, x):
    if weight is not None:
        y = y * F["reshape"](weight, _channel_shape(x))
    if bias is not None:
        y = y + F["reshape"](bias, _channel_shape(x))
    return y


def batch_norm(input, running_mean, running_var, weight=None, bias=None,  # noqa: A002
               training: bool = False, momentum: float = 0.1, eps: float = 1e-05):
    """(x - mean)/sqrt(var + eps)·weight + bias per channel (dim 1).

    training: the batch's statistics (biased variance), and the running ones updated
    in place with `momentum` (the unbiased variance, as torch); else the running ones.
    """
    dims = (0,) + tuple(range(2, input.ndim))
    if training or running_mean is None or running_var is None:
        count = input.numel() // input.shape[1]
        if training and count <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input "
                             f"size {list(input.shape)}")
        mean = F["mean"](input, dim=dims, keepdim=True)
        var = F["var"](input, dim=dims, keepdim=True, correction=0)
        if training and running_mean is not None and running_var is not None:
            with no_grad():
                flat_mean = mean.detach().reshape(-1)
                unbiased = var.detach().reshape(-1) * (count / max(count - 1, 1))
                running_mean.mul_(1 - momentum).add_(flat_mean * momentum)
                running_var.mul_(1 - momentum).add_(unbiased * momentum)
    else:
        mean = F["reshape"](running_mean, _channel_shape(input))
        var = F["reshape"](running_var, _channel_shape(input))
    y = (input - mean) / F["sqrt"](var + eps)
    return _affine(y, weight, bias, input)


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,  # noqa: A002
                  use_input_stats: bool = True, momentum: float = 0.1, eps: float = 1e-05):
    """Normalize each (sample, channel) over its spatial dims."""
    if not use_input_stats:
        return batch_norm(input, running_mean, running_var, weight, bias, False, momentum, eps)
    dims = tuple(range(2, input.ndim))
    mean = F["mean"](input, dim=dims, keepdim=True)
    var = F["var"](input, dim=dims, keepdim=True, correction=0)
    if running_mean is not None and running_var is not None:
        count = int(np.prod(input.shape[2:]))
        with no_grad():
            running_mean.mul_(1 - momentum).add_(mean.detach().mean(0).reshape(-1) * momentum)
            running_var.mul_(1 - momentum).add_(
                var.detach().mean(0).reshape(-1) * (count / max(count - 1, 1)) * momentum)
    return _affine((input - mean) / F["sqrt"](var + eps), weight, bias, input)


# --- lookups ------------------------------------------------------------------------------------
def one_hot(tensor, num_classes: int = -1):
    """int64 one-hot rows; num_classes=-1 means max(tensor) + 1."""
    labels = tensor._array
    if labels.dtype.kind not in "iu":
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if num_classes == -1:
        num_classes = int(labels.max()) + 1 if labels.size else 0
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise RuntimeError("Class values must be smaller than num_classes.")
    return _detached((labels[..., None] == np.arange(num_classes)).astype(np.int64))


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type: float = 2.0,  # noqa: A002
              scale_grad_by_freq: bool = False, sparse: bool = False):
    """Rows of weight picked by the integer input; the padding_idx row gets no gradient."""
    if max_norm is not None:
        raise NotImplementedError("embedding(max_norm=...) renormalizes the weight in place; the "
                                  "verifier engine does not support it")
    indices = input._array if isinstance(input, Tensor) else np.asarray(input)
    rows = F["index_select"](weight, 0, _detached(indices.reshape(-1).astype(np.int64)))
    result = F["reshape"](rows, tuple(indices.shape) + (weight.shape[1],))
    if padding_idx is not None:
        padding = padding_idx % weight.shape[0]
        mask = _detached(np.broadcast_to((indices == padding)[..., None], result.shape))
        result = F["where"](mask, result.detach(), result)
    return result


# --- activations made of others --------------------------------------------------------------------
def softmin(input, dim=None, _stacklevel: int = 3, dtype=None):  # noqa: A002
    x = input if dtype is None else input.to(dtype)
    return F["softmax"](-x, dim)


def tanhshrink(input):  # noqa: A002
    return input - F["tanh"](input)


def hardshrink(input, lambd: float = 0.5):  # noqa: A002
    return F["where"](F["abs"](input) > lambd, input, _const(0.0, input))


def softshrink(input, lambd: float = 0.5):  # noqa: A002
    zero = _const(0.0, input)
    return F["where"](input > lambd, input - lambd, F["where"](input < -lambd, input + lambd, zero))


def threshold(input, threshold: float, value: float, inplace: bool = False):  # noqa: A002
    result = F["where"](input > threshold, input, _const(value, input))
    return input.copy_(result) if inplace else result


def prelu(input, weight):  # noqa: A002
    """max(0, x) + weight·min(0, x), weight per channel (dim 1) or one for all."""
    if weight.numel() > 1 and input.ndim >= 2:
        weight = F["reshape"](weight, _channel_shape(input))
    return F["where"](input >= 0, input, weight * input)


FUNCTIONS = {name: value for name, value in globals().items()
             if callable(value) and not name.startswith("_")
             and getattr(value, "__module__", "") == __name__}
