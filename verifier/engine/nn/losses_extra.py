"""torch.nn.functional's losses beyond the registry, written as torch computes them, from
registry functions (differentiable): margin_ranking_loss, soft_margin_loss,
hinge_embedding_loss, poisson_nll_loss, gaussian_nll_loss, triplet_margin_loss,
cosine_embedding_loss, multilabel_soft_margin_loss.

Where torch clamps with clamp_min, so do these (clamp passes the gradient at its bound).
"""

from __future__ import annotations

import math

import numpy as np

from verifier.engine.functional import FUNCTIONS as F
from verifier.engine.tensor import Tensor, _detached


def _reduction(size_average, reduce, reduction: str) -> str:
    """torch's legacy size_average/reduce flags, when given, decide over `reduction`."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if not reduce:
        return "none"
    return "mean" if size_average else "sum"


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "none":
        return loss
    if reduction == "mean":
        return F["mean"](loss)
    if reduction == "sum":
        return F["sum"](loss)
    raise ValueError(f"{reduction} is not a valid value for reduction")


def _zeros(like: Tensor) -> Tensor:
    return _detached(np.zeros((), dtype=like._array.dtype))


def margin_ranking_loss(input1, input2, target, margin: float = 0, size_average=None, reduce=None,
                        reduction: str = "mean"):
    loss = F["clamp"](-target * (input1 - input2) + margin, 0, None)
    return _reduce(loss, _reduction(size_average, reduce, reduction))


def soft_margin_loss(input, target, size_average=None, reduce=None,  # noqa: A002
                     reduction: str = "mean"):
    """log(1 + exp(-target·input)), computed as torch does (log1p of exp)."""
    loss = F["log1p"](F["exp"](-input * target))
    return _reduce(loss, _reduction(size_average, reduce, reduction))


def hinge_embedding_loss(input, target, margin: float = 1.0, size_average=None,  # noqa: A002
                         reduce=None, reduction: str = "mean"):
    """input where target is 1, max(0, margin - input) where target is -1."""
    zero = _zeros(input)
    margin_part = F["where"](target != 1, F["clamp"](margin - input, 0, None), zero)
    self_part = F["where"](target != -1, input, zero)
    return _reduce(margin_part + self_part, _reduction(size_average, reduce, reduction))


def poisson_nll_loss(input, target, log_input: bool = True, full: bool = False,  # noqa: A002
                     size_average=None, eps: float = 1e-08, reduce=None, reduction: str = "mean"):
    if log_input:
        loss = F["exp"](input) - target * input
    else:
        loss = input - target * F["log"](input + eps)
    if full:
        t = target.detach() if isinstance(target, Tensor) else target
        stirling = t * F["log"](t) - t + F["log"](t * (2 * math.pi)) * 0.5
        loss = loss + F["where"](t > 1, stirling, _zeros(input))
    return _reduce(loss, _reduction(size_average, reduce, reduction))


def gaussian_nll_loss(input, target, var, full: bool = False, eps: float = 1e-06,  # noqa: A002
                      reduction: str = "mean"):
    """(log(max(var, eps)) + (input - target)²/max(var, eps))/2; the clamp keeps var's gradient
    (torch clamps a copy in place under no_grad, so the gradient passes unchanged)."""
    if isinstance(var, (int, float)):
        var = _detached(np.full(input.shape, var, dtype=input._array.dtype))
    if var.ndim == input.ndim - 1 and tuple(var.shape) == tuple(input.shape[:-1]):
        var = F["unsqueeze"](var, -1)
    if np.any(var._array < 0):
        raise ValueError("var has negative entry/entries")
    clamped = np.maximum(var._array, eps)
    var = var + _detached(clamped - var._array)
    loss = (F["log"](var) + (input - target) ** 2 / var) * 0.5
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


def triplet_margin_loss(anchor, positive, negative, margin: float = 1.0, p: float = 2,
                        eps: float = 1e-06, swap: bool = False, size_average=None, reduce=None,
                        reduction: str = "mean"):
    d_pos = F["pairwise_distance"](anchor, positive, p, eps)
    d_neg = F["pairwise_distance"](anchor, negative, p, eps)
    if swap:
        d_neg = F["minimum"](d_neg, F["pairwise_distance"](positive, negative, p, eps))
    loss = F["clamp"](margin + d_pos - d_neg, 0, None)
    return _reduce(loss, _reduction(size_average, reduce, reduction))


def cosine_embedding_loss(input1, input2, target, margin: float = 0, size_average=None,
                          reduce=None, reduction: str = "mean"):
    """1 - cos where target is 1, max(0, cos - margin) where target is -1 (torch's 1e-12 guard)."""
    tiny = 1e-12
    dims = input1.ndim - 1
    product = F["sum"](input1 * input2, dims)
    norms = F["sqrt"]((F["sum"](input1 * input1, dims) + tiny) * (F["sum"](input2 * input2, dims)
                                                                  + tiny))
    cos = product / norms
    zero = _zeros(cos)
    loss = F["where"](target == 1, 1 - cos, zero) + \
        F["where"](target == -1, F["clamp"](cos - margin, 0, None), zero)
    return _reduce(loss, _reduction(size_average, reduce, reduction))


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None,  # noqa: A002
                                reduce=None, reduction: str = "mean"):
    loss = -(target * F["logsigmoid"](input) + (1 - target) * F["logsigmoid"](-input))
    if weight is not None:
        loss = loss * weight
    loss = F["sum"](loss, input.ndim - 1) / input.shape[-1]
    return _reduce(loss, _reduction(size_average, reduce, reduction))


FUNCTIONS = {f.__name__: f for f in (
    margin_ranking_loss, soft_margin_loss, hinge_embedding_loss, poisson_nll_loss,
    gaussian_nll_loss, triplet_margin_loss, cosine_embedding_loss, multilabel_soft_margin_loss)}
