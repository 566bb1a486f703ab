"""Functions with kinks: abs sign relu softplus clamp maximum minimum where.

At each kink the gradient follows torch's convention (listed in `kinks`), and
the SymPy side encodes the same convention (sympy_functions.py), so the exact
oracle's derivative agrees with torch at the kink, not only away from it.
"""

from __future__ import annotations

import numpy as np

from verifier.ops.promotion import binary, promote
from verifier.ops.registry import Domain, Op, Param, register
from verifier.ops.symbolic import LazyModule, elementwise, elementwise2, elementwise3, kink, sp

steps = LazyModule("verifier.ops.sympy_steps")

AWAY_FROM_ZERO = Domain(avoid=(0.0,), margin=0.05)

register(Op(
    name="abs", inputs=("input",), forward=np.abs,
    # d|x| = sign(x), 0 at 0
    vjp=lambda ns, g, out, x: (g * ns.sign(x),),
    sympy=elementwise(lambda x: kink.torch_abs(x)), domain=(AWAY_FROM_ZERO,),
    kinks="abs'(0) = 0 (torch)",
))

register(Op(
    name="sign", inputs=("input",), forward=np.sign,
    # Piecewise constant: zero gradient everywhere (torch gives 0 at 0 too).
    vjp=lambda ns, g, out, x: (g * 0,),
    # Step(SIGN): sign with derivative 0 (SymPy's own sign has none).
    sympy=elementwise(lambda x: steps.step(4, x)), domain=(AWAY_FROM_ZERO,),
    extra={"saves": ()},
    kinks="sign'(x) = 0 everywhere, including 0 (torch)",
))

register(Op(
    name="relu", inputs=("input",), forward=lambda x: np.maximum(x, 0),
    # relu(x) > 0 exactly where x > 0: torch saves the result, not the input.
    vjp=lambda ns, g, out, x: (ns.where(out > 0, g, 0),), uses_out=True, extra={"saves": ()},
    sympy=elementwise(lambda x: kink.relu(x)), domain=(AWAY_FROM_ZERO,),
    kinks="relu'(0) = 0 (torch)",
))


def _softplus(x, beta=1, threshold=20):
    # torch: log(1 + e^(beta x)) / beta, and x itself where beta x > threshold.
    z = x * beta
    smooth = np.log1p(np.exp(np.minimum(z, threshold))) / beta
    return np.where(z > threshold, x, smooth)


def _softplus_sympy(a, beta=1, threshold=20):
    def one(x):
        z = beta * x
        return sp.Piecewise((x, z > threshold), (sp.log(1 + sp.exp(z)) / beta, True))
    return elementwise(one)(a)


register(Op(
    name="softplus", inputs=("input",),
    params=(Param("beta", 1, "number"), Param("threshold", 20, "number")),
    forward=_softplus,
    # d softplus = sigmoid(beta x); 1 past the threshold, where torch's softplus is linear
    vjp=lambda ns, g, out, x, beta=1, threshold=20: (
        ns.where(x * beta > threshold, g, g * ns.sigmoid(x * beta)),),
    sympy=_softplus_sympy,
    torch=lambda torch, x, beta=1, threshold=20: torch.nn.functional.softplus(
        x, beta=beta, threshold=threshold),
    method=False,
    kinks="linear (x) where beta * x > threshold, as torch.nn.functional.softplus",
    doc="torch.nn.functional.softplus(x, beta=1, threshold=20)",
))


def _clamp(x, min=None, max=None):  # noqa: A002  torch's parameter names
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    out = x
    if min is not None:
        out = np.maximum(out, min)
    if max is not None:
        out = np.minimum(out, max)
    return out


def _clamp_vjp(ns, g, out, x, min=None, max=None):  # noqa: A002
    # The gradient passes where min <= x <= max, bounds included (torch).  With min >= max
    # clamp is the constant max, whose derivative is 0 everywhere; torch 2.13 still passes
    # the gradient at x == min == max, which is not a derivative.
    if min is not None and max is not None and min >= max:
        return (g * 0,)
    if min is not None:
        g = ns.where(x < min, 0, g)
    if max is not None:
        g = ns.where(x > max, 0, g)
    return (g,)


register(Op(
    name="clamp", inputs=("input",),
    params=(Param("min", None, "number"), Param("max", None, "number")),
    forward=_clamp, vjp=_clamp_vjp,
    sympy=lambda a, min=None, max=None: elementwise(lambda e: kink.clamp(e, min, max))(a),  # noqa: A002
    domain=(Domain(low=-2.0, high=2.0),),
    extra={"node_name": "ClampBackward1"},
    kinks="clamp passes the gradient where min <= x <= max, bounds included (torch); with "
          "min >= max it is constant, with gradient 0 (torch passes it at x == min == max)",
))


def _maximum_vjp(ns, g, out, a, b):
    # The larger argument gets g; at a tie each gets g/2 (torch).
    half = g * 0.5
    return (ns.where(a > b, g, ns.where(a == b, half, 0)),
            ns.where(b > a, g, ns.where(a == b, half, 0)))


def _minimum_vjp(ns, g, out, a, b):
    half = g * 0.5
    return (ns.where(a < b, g, ns.where(a == b, half, 0)),
            ns.where(b < a, g, ns.where(a == b, half, 0)))


for _name, _fn, _vjp, _sym in (("maximum", np.maximum, _maximum_vjp, lambda a, b: kink.maximum(a, b)),
                               ("minimum", np.minimum, _minimum_vjp, lambda a, b: kink.minimum(a, b))):
    register(Op(
        name=_name, inputs=("input", "other"), kind="binary",
        forward=binary(_fn), vjp=_vjp, sympy=elementwise2(_sym),
        domain=(Domain(), Domain()),
        kinks=f"{_name}: at a tie each argument gets half the gradient (torch)",
    ))


def _where(condition, a, b):
    condition = np.asarray(condition)
    if condition.dtype != np.bool_:
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor "
                           f"with dtype {condition.dtype}; compare first (x > 0)")
    return np.where(condition, *promote(a, b))


def _where_sympy_one(c, a, b):
    if isinstance(c, (bool, np.bool_)):
        c = sp.true if c else sp.false
    return sp.Piecewise((a, c), (b, True))


register(Op(
    name="where", inputs=("condition", "input", "other"), kind="binary",
    forward=_where,
    # The gradient goes to whichever branch was picked; the condition is not differentiable.
    vjp=lambda ns, g, out, c, a, b: (None, ns.where(c, g, 0), ns.where(c, 0, g)),
    sympy=elementwise3(_where_sympy_one),
    nondiff=(0,),
    # torch's Tensor.where(condition, other) puts self second: not the same signature.
    method=False,
    domain=(Domain(), Domain(), Domain()),
    extra={"saves": (0,)},
    kinks="the gradient of the branch not taken is 0",
))
