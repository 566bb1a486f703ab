"""torch.nn.functional's losses, as composites of registry primitives.

Each body follows torch's own definition, reduction included: the kink
conventions are then the primitives' (l1's |d| has gradient 0 at d = 0, as
torch's sign).  cross_entropy is log_softmax then nll_loss (class indices) or
-(target * log_softmax).sum (probabilities), with torch's label smoothing and
ignore_index; class indices may come as integer tensors or as a float tensor
holding integers (the shape decides, as in torch).
"""

from __future__ import annotations

import math

import numpy as np

from verifier.ops.composite import compare, constant, register_composite
from verifier.ops.registry import Domain, Param

LEGACY = (Param("size_average", None, "any"), Param("reduce", None, "any"))
REDUCTION = Param("reduction", "mean", "str")
TWO = (Domain(), Domain())


def reduction_of(reduction, size_average=None, reduce=None):
    """torch's legacy size_average/reduce flags, mapped to a reduction string."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else bool(size_average)
    reduce = True if reduce is None else bool(reduce)
    return "mean" if size_average and reduce else "sum" if reduce else "none"


def reduce_loss(ns, loss, reduction):
    if reduction == "mean":
        return ns.mean(loss)
    if reduction == "sum":
        return ns.sum(loss)
    if reduction == "none":
        return loss
    raise ValueError(f"{reduction} is not a valid value for reduction")


def _weighted(ns, loss, weight, reduction, mean_by_weight, broadcast=False):
    if weight is None:
        return reduce_loss(ns, loss, reduction)
    if not broadcast and tuple(weight.shape) != tuple(loss.shape):
        raise ValueError("Weights and input must have the same size.")
    loss = loss * weight
    if reduction == "mean" and mean_by_weight:
        return ns.sum(loss) / ns.sum(weight)
    return reduce_loss(ns, loss, reduction)


POINTWISE = ("input", "target", "size_average", "reduce", "reduction")


# --- pointwise regression losses --------------------------------------------------------
def _mse(ns, x, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    d = x - target
    return _weighted(ns, d * d, weight, reduction_of(reduction, size_average, reduce), True)


def _l1(ns, x, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    return _weighted(ns, ns.abs(x - target), weight, reduction_of(reduction, size_average, reduce),
                     True)


def _two_sided(ns, d, bound, inner, outer):
    """inner(d) for -bound < d < bound, outer(|d|) outside: conditions on d itself (the
    SymPy form then holds plain relations, decided at the point)."""
    return ns.where(compare(ns, "<=", d, -bound), outer(-d),
                    ns.where(compare(ns, ">=", d, bound), outer(d), inner(d)))


def _smooth_l1(ns, x, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    d = x - target
    if beta == 0:
        loss = ns.abs(d)
    else:
        # d^2 / (2 beta) inside (-beta, beta), |d| - beta/2 outside (the pieces meet with slope 1)
        loss = _two_sided(ns, d, beta, lambda e: e * e / (2 * beta), lambda a: a - beta / 2)
    return reduce_loss(ns, loss, reduction_of(reduction, size_average, reduce))


def _huber(ns, x, target, weight=None, reduction="mean", delta=1.0):
    # d^2 / 2 inside (-delta, delta), delta (|d| - delta/2) outside
    loss = _two_sided(ns, x - target, delta, lambda e: e * e / 2, lambda a: (a - delta / 2) * delta)
    return _weighted(ns, loss, weight, reduction, False)


_WEIGHTED = dict(optional=("weight",), domain=(Domain(), Domain(), Domain(low=0.1, high=2.0)))
register_composite("mse_loss", ("input", "target", "weight"), _mse,
                   params=LEGACY + (REDUCTION,), positional=POINTWISE + ("weight",),
                   node_name="MseLossBackward0", **_WEIGHTED,
                   doc="torch.nn.functional.mse_loss(input, target, reduction='mean', "
                       "weight=None): (input - target)^2, reduced")
register_composite("l1_loss", ("input", "target", "weight"), _l1,
                   params=LEGACY + (REDUCTION,), positional=POINTWISE + ("weight",),
                   node_name="MeanBackward0", saves=(), **_WEIGHTED,
                   kinks="|input - target| has gradient 0 where input = target (torch)",
                   doc="torch.nn.functional.l1_loss(input, target, reduction='mean', weight=None)")
register_composite("smooth_l1_loss", ("input", "target"), _smooth_l1,
                   params=LEGACY + (REDUCTION, Param("beta", 1.0, "number")),
                   node_name="SmoothL1LossBackward0", domain=TWO, saves=(),
                   kinks="the two pieces meet at |d| = beta with the same slope",
                   doc="torch.nn.functional.smooth_l1_loss(input, target, reduction='mean', "
                       "beta=1.0)")
register_composite("huber_loss", ("input", "target", "weight"), _huber,
                   params=(REDUCTION, Param("delta", 1.0, "number")),
                   positional=("input", "target", "reduction", "delta", "weight"),
                   node_name="HuberLossBackward0", **_WEIGHTED,
                   kinks="the two pieces meet at |d| = delta with the same slope",
                   doc="torch.nn.functional.huber_loss(input, target, reduction='mean', "
                       "delta=1.0, weight=None)")


# --- classification -----------------------------------------------------------------------
def _class_dim(x):
    return 0 if len(x.shape) == 1 else 1


def _values(a):
    """The numbers of a target or mask, in any namespace (engine tensor, array, SymPy array)."""
    a = getattr(a, "_array", a)
    return np.asarray(a)


def _class_indices(target, x):
    values = _values(target)
    if values.dtype == object:
        values = np.array([int(v) for v in values.ravel()], dtype=np.int64).reshape(values.shape)
    return values.astype(np.int64)


def _picked(ns, logp, classes, ignore_index, weight):
    """-w[t] logp[..., t, ...] per element, 0 where t == ignore_index; and w[t] (0 ignored)."""
    n_classes = logp.shape[_class_dim(logp)]
    ignored = classes == int(ignore_index)
    safe = np.where(ignored, 0, classes)
    if ((safe < 0) | (safe >= n_classes)).any():
        raise IndexError(f"Target {int(safe[(safe < 0) | (safe >= n_classes)][0])} is out of "
                         f"bounds (there are {n_classes} classes)")
    d = _class_dim(logp)
    grids = np.indices(classes.shape, sparse=True)
    index = tuple(grids[:d]) + (safe,) + tuple(grids[d:])
    chosen = ns.index(logp, index)
    keep = constant(ns, ~ignored)
    if weight is None:
        w = constant(ns, (~ignored).astype(np.float64), like=logp)
    else:
        w = ns.where(keep, ns.index(weight, (safe,)), 0)
    return -(chosen * w), w


def _total_weight(classes, weight, ignore_index):
    """sum of w[t] over the targets not ignored: a constant (torch never differentiates
    the weight or the class indices)."""
    kept = classes[classes != int(ignore_index)]
    if weight is None:
        return int(kept.size)
    values = _values(weight)
    return sum(values[int(t)] for t in kept.ravel()) if values.dtype == object else \
        float(np.sum(values[kept]))


def _mean_over(ns, total, count):
    # torch: every target ignored gives nan, with a zero gradient
    if count == 0:
        return total * 0 + math.nan
    return total / count


def _nll_from_logp(ns, logp, classes, weight, ignore_index, reduction):
    loss, _ = _picked(ns, logp, classes, ignore_index, weight)
    if reduction == "mean":
        return _mean_over(ns, ns.sum(loss), _total_weight(classes, weight, ignore_index))
    return reduce_loss(ns, loss, reduction)


def _nll_loss(ns, x, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
              reduction="mean"):
    reduction = reduction_of(reduction, size_average, reduce)
    return _nll_from_logp(ns, x, _class_indices(target, x), weight, ignore_index, reduction)


def _cross_entropy(ns, x, target, weight=None, size_average=None, ignore_index=-100,
                   reduce=None, reduction="mean", label_smoothing=0.0):
    reduction = reduction_of(reduction, size_average, reduce)
    d = _class_dim(x)
    n_classes = x.shape[d]
    logp = ns.log_softmax(x, d)
    weight_shape = (n_classes,) + (1,) * (len(x.shape) - d - 1)
    if tuple(target.shape) == tuple(x.shape):
        # class probabilities
        if label_smoothing:
            target = target * (1 - label_smoothing) + label_smoothing / n_classes
        if weight is not None:
            logp = logp * ns.reshape(weight, weight_shape)
        per = -ns.sum(logp * target, dim=d)
        if reduction == "mean":
            return ns.sum(per) / (int(np.prod(x.shape)) // n_classes)
        return reduce_loss(ns, per, reduction)
    classes = _class_indices(target, x)
    nll = _nll_from_logp(ns, logp, classes, weight, ignore_index, reduction)
    if not label_smoothing:
        return nll
    # torch: (1 - eps) nll + eps / C * smooth, smooth = -sum_c w_c logp_c (0 where ignored)
    weighted = logp if weight is None else logp * ns.reshape(weight, weight_shape)
    ignored = classes == int(ignore_index)
    smooth = ns.where(constant(ns, ~ignored), -ns.sum(weighted, dim=d), 0)
    if reduction == "mean":
        smooth = _mean_over(ns, ns.sum(smooth), _total_weight(classes, weight, ignore_index))
    elif reduction == "sum":
        smooth = ns.sum(smooth)
    return nll * (1 - label_smoothing) + smooth * (label_smoothing / n_classes)


def _torch_with_class_indices(name):
    """F.<name>, with a float target of class indices (a case's inputs are floats) as int64."""
    def call(torch, x, target, weight=None, **params):
        if target.is_floating_point() and target.dim() != x.dim():
            target = target.long()
        return getattr(torch.nn.functional, name)(x, target, weight, **params)
    return call


CLASS_DOMAINS = (Domain(), Domain(low=0.0, high=1.0), Domain(low=0.1, high=2.0))
register_composite("nll_loss", ("input", "target", "weight"), _nll_loss,
                   params=(Param("size_average", None, "any"), Param("ignore_index", -100, "int"),
                           Param("reduce", None, "any"), REDUCTION),
                   optional=("weight",), nondiff=(1, 2), domain=CLASS_DOMAINS,
                   torch=_torch_with_class_indices("nll_loss"),
                   node_name="NllLossBackward0",
                   doc="torch.nn.functional.nll_loss(input, target, weight=None, "
                       "ignore_index=-100, reduction='mean'): -input[target], weighted, reduced")
register_composite("cross_entropy", ("input", "target", "weight"), _cross_entropy,
                   params=(Param("size_average", None, "any"), Param("ignore_index", -100, "int"),
                           Param("reduce", None, "any"), REDUCTION,
                           Param("label_smoothing", 0.0, "number")),
                   optional=("weight",), nondiff=(2,), domain=CLASS_DOMAINS, saves=(),
                   torch=_torch_with_class_indices("cross_entropy"), node_name="NllLossBackward0",
                   doc="torch.nn.functional.cross_entropy(input, target, weight=None, "
                       "ignore_index=-100, reduction='mean', label_smoothing=0.0): class indices "
                       "(target without the class dim) or class probabilities (target shaped "
                       "like input)")


def _clamped_log(ns, v):
    """log v clamped at -100 (torch's bce).  At v = 0 the value is the clamp itself, taken
    without log 0: the clamp's zero slope times log's infinite one would be 0 * inf = nan."""
    zero = v == 0
    return ns.where(zero, -100, ns.clamp(ns.log(ns.where(zero, 1, v)), min=-100))


def _binary_cross_entropy(ns, x, target, weight=None, size_average=None, reduce=None,
                          reduction="mean"):
    # -(t log x + (1 - t) log(1 - x)), each log clamped at -100 (torch)
    loss = -(target * _clamped_log(ns, x) + (1 - target) * _clamped_log(ns, 1 - x))
    return _weighted(ns, loss, weight, reduction_of(reduction, size_average, reduce), False, True)


register_composite("binary_cross_entropy", ("input", "target", "weight"), _binary_cross_entropy,
                   params=LEGACY + (REDUCTION,), optional=("weight",), nondiff=(2,),
                   domain=(Domain(low=0.05, high=0.95), Domain(low=0.0, high=1.0),
                           Domain(low=0.1, high=2.0)),
                   node_name="BinaryCrossEntropyBackward0",
                   kinks="logs are clamped at -100 (torch); the gradient there follows the clamp",
                   doc="torch.nn.functional.binary_cross_entropy(input, target, weight=None, "
                       "reduction='mean')")


def _bce_with_logits(ns, x, target, weight=None, pos_weight=None, size_average=None, reduce=None,
                     reduction="mean"):
    # torch: (1 - t) x - (1 + (p - 1) t) log sigmoid(x)
    log_sig = ns.logsigmoid(x)
    if pos_weight is None:
        loss = (1 - target) * x - log_sig
    else:
        loss = (1 - target) * x - ((pos_weight - 1) * target + 1) * log_sig
    return _weighted(ns, loss, weight, reduction_of(reduction, size_average, reduce), False, True)


register_composite("binary_cross_entropy_with_logits",
                   ("input", "target", "weight", "pos_weight"), _bce_with_logits,
                   params=LEGACY + (REDUCTION,), optional=("weight", "pos_weight"), nondiff=(2, 3),
                   positional=("input", "target", "weight", "size_average", "reduce", "reduction",
                               "pos_weight"),
                   domain=(Domain(), Domain(low=0.0, high=1.0), Domain(low=0.1, high=2.0),
                           Domain(low=0.1, high=2.0)),
                   node_name="BinaryCrossEntropyWithLogitsBackward0",
                   doc="torch.nn.functional.binary_cross_entropy_with_logits(input, target, "
                       "weight=None, reduction='mean', pos_weight=None)")


def _kl_div(ns, x, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    # pointwise: t (log t - x), with 0 log 0 = 0 (xlogy); log_target: e^t (t - x)
    if log_target:
        loss = ns.exp(target) * (target - x)
    else:
        loss = ns.xlogy(target, target) - target * x
    reduction = reduction_of(reduction, size_average, reduce)
    if reduction == "batchmean":
        total = ns.sum(loss)
        return total / x.shape[0] if len(x.shape) else total
    return reduce_loss(ns, loss, reduction)


register_composite("kl_div", ("input", "target"), _kl_div,
                   params=LEGACY + (REDUCTION, Param("log_target", False, "bool")),
                   domain=(Domain(), Domain(low=0.1, high=1.0)), saves=(),
                   kinks="0 log 0 = 0 where the target is 0 (xlogy)",
                   doc="torch.nn.functional.kl_div(input, target, reduction='mean', "
                       "log_target=False); reduction may be 'batchmean'")


def _cosine_similarity(ns, x1, x2, dim=1, eps=1e-8):
    # sum over dim of (x1 / max(|x1|, eps)) (x2 / max(|x2|, eps))
    n1 = ns.clamp(ns.norm(x1, 2, dim, True), min=eps)
    n2 = ns.clamp(ns.norm(x2, 2, dim, True), min=eps)
    return ns.sum((x1 / n1) * (x2 / n2), dim=dim)


register_composite("cosine_similarity", ("x1", "x2"), _cosine_similarity,
                   params=(Param("dim", 1, "int"), Param("eps", 1e-8, "number")), domain=TWO,
                   kinks="norms below eps are replaced by eps; torch does so under no_grad, so "
                         "its gradient there differs (not covered)",
                   doc="torch.nn.functional.cosine_similarity(x1, x2, dim=1, eps=1e-8)")


def _pairwise_distance(ns, x1, x2, p=2.0, eps=1e-6, keepdim=False):
    # ||x1 - x2 + eps||_p over the last dim (torch adds eps before the norm)
    return ns.norm(x1 - x2 + eps, p, -1, keepdim)


register_composite("pairwise_distance", ("x1", "x2"), _pairwise_distance,
                   params=(Param("p", 2.0, "number"), Param("eps", 1e-6, "number"),
                           Param("keepdim", False, "bool")), domain=TWO, saves=(),
                   saves_out=True,
                   doc="torch.nn.functional.pairwise_distance(x1, x2, p=2.0, eps=1e-6, "
                       "keepdim=False): ||x1 - x2 + eps||_p over the last dim")
