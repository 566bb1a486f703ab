"""torch.nn.functional's activations.

Smooth ones that torch defines as a composition (gelu, silu, mish, softsign, glu)
are composites (composite.py).  Piecewise ones get their own VJP, because
torch's convention at the joins is part of their meaning: relu6 and hardtanh
pass no gradient *at* their bounds (clamp passes it), hardsigmoid neither,
hardswish takes the outer pieces at -3 and 3, elu/celu/selu the exponential
piece at 0, leaky_relu the negative slope at 0.
"""

from __future__ import annotations

import math

import numpy as np

from verifier.ops.composite import composite, exact_params, number
from verifier.ops.registry import Domain, Op, Param, register
from verifier.ops.symbolic import elementwise, sp

INPLACE = Param("inplace", False, "bool")
ANYWHERE = Domain()


def _functional(name):
    return lambda torch, x, **params: getattr(torch.nn.functional, name)(x, **params)


def _no_inplace(name, inplace):
    if inplace:
        raise NotImplementedError(f"{name}(inplace=True) is not supported by the verifier engine; "
                                  "call it with inplace=False and use the result")


def _register(name, forward, vjp, sympy, params=(), domain=ANYWHERE, kinks="", node_name=None,
              uses_out=False, doc="", inplace=True):
    params = tuple(params) + ((INPLACE,) if inplace else ())
    extra = {"node_name": node_name} if node_name else {}
    register(Op(
        name=name, inputs=("input",), params=params, forward=forward, vjp=vjp,
        sympy=lambda *arrays, **p: sympy(*arrays, **exact_params(p)),
        torch=_functional(name), method=False, domain=(domain,), kinks=kinks,
        uses_out=uses_out, extra=extra, doc=doc or f"torch.nn.functional.{name}",
    ))


def _composite(name, body, params=(), node_name=None, kinks="", doc="", domain=ANYWHERE,
               kind="elementwise"):
    forward, vjp, sympy = composite(body)
    register(Op(
        name=name, inputs=("input",), params=tuple(params), forward=forward, vjp=vjp,
        sympy=sympy, torch=_functional(name), method=False, domain=(domain,), kind=kind,
        kinks=kinks, extra={"node_name": node_name} if node_name else {},
        doc=doc or f"torch.nn.functional.{name}",
    ))


# --- smooth composites --------------------------------------------------------------
def _gelu(ns, x, approximate="none"):
    if approximate == "tanh":
        # x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
        k = number(ns, math.sqrt(2 / math.pi), lambda: sp.sqrt(2 / sp.pi))
        c = number(ns, 0.044715)
        return x * (1 + ns.tanh((x + x * x * x * c) * k)) / 2
    if approximate != "none":
        raise RuntimeError(f"approximate argument must be either none or tanh, got {approximate!r}")
    # x Phi(x) = x/2 (1 + erf(x / sqrt 2))
    return x * (1 + ns.erf(x * number(ns, math.sqrt(0.5), lambda: 1 / sp.sqrt(2)))) / 2


_composite("gelu", _gelu, params=(Param("approximate", "none", "str"),),
           node_name="GeluBackward0",
           doc='torch.nn.functional.gelu(x, approximate="none"): x Phi(x); "tanh" for the '
               "tanh approximation")


def _silu(ns, x, inplace=False):
    _no_inplace("silu", inplace)
    return x * ns.sigmoid(x)


_composite("silu", _silu, params=(INPLACE,), node_name="SiluBackward0",
           doc="torch.nn.functional.silu: x sigmoid(x)")


def _mish(ns, x, inplace=False):
    _no_inplace("mish", inplace)
    # x tanh(log(1 + e^x)); torch's mish has no linear threshold in its softplus
    return x * ns.tanh(ns.softplus(x, 1, math.inf))


_composite("mish", _mish, params=(INPLACE,), node_name="MishBackward0",
           doc="torch.nn.functional.mish: x tanh(softplus(x))")


def _softsign(ns, x):
    # torch's own definition: x / (|x| + 1), so abs'(0) = 0 applies
    return x / (ns.abs(x) + 1)


_composite("softsign", _softsign, node_name="DivBackward0",
           kinks="x / (|x| + 1) with abs'(0) = 0, as torch composes it")


def _glu(ns, x, dim=-1):
    # a * sigmoid(b), with a and b the two halves of x along dim
    n = x.shape[dim]
    if n % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {dim % len(x.shape)} "
                           f"is size {n}")
    d = dim % len(x.shape)
    lead = (slice(None),) * d
    a = ns.index(x, lead + (slice(0, n // 2),))
    b = ns.index(x, lead + (slice(n // 2, n),))
    return a * ns.sigmoid(b)


_composite("glu", _glu, params=(Param("dim", -1, "int"),), node_name="GluBackward0",
           kind="nn", doc="torch.nn.functional.glu(x, dim=-1): a * sigmoid(b) of the halves")


# --- logsigmoid ---------------------------------------------------------------------
def _logsigmoid(x):
    # log sigmoid(x) = min(x, 0) - log(1 + e^-|x|): no overflow
    return np.minimum(x, 0) - np.log1p(np.exp(-np.abs(x)))


_register("logsigmoid", _logsigmoid,
          # d log sigmoid(x) = 1 - sigmoid(x) = sigmoid(-x)
          lambda ns, g, out, x: (g * ns.sigmoid(-x),),
          elementwise(lambda e: -sp.log(1 + sp.exp(-e))), inplace=False,
          node_name="LogSigmoidBackward0", doc="torch.nn.functional.logsigmoid: log(sigmoid(x))")


# --- piecewise linear ---------------------------------------------------------------
def _hardtanh(x, min_val=-1.0, max_val=1.0, inplace=False):
    _no_inplace("hardtanh", inplace)
    return np.minimum(np.maximum(x, min_val), max_val).astype(np.result_type(x), copy=False)


def _hardtanh_vjp(ns, g, out, x, min_val=-1.0, max_val=1.0, inplace=False):
    # the gradient passes strictly inside (min_val, max_val): 0 at the bounds (torch)
    return (ns.where(x <= min_val, 0, ns.where(x >= max_val, 0, g)),)


def _hardtanh_sympy(a, min_val=-1, max_val=1, inplace=False):
    def one(x):
        return sp.Piecewise((min_val, x <= min_val), (max_val, x >= max_val), (x, True))
    return elementwise(one)(a)


_register("hardtanh", _hardtanh, _hardtanh_vjp, _hardtanh_sympy,
          params=(Param("min_val", -1.0, "number"), Param("max_val", 1.0, "number")),
          domain=Domain(low=-2, high=2, avoid=(-1.0, 1.0)),
          kinks="no gradient at min_val and max_val themselves (torch; clamp passes it there)")

_register("relu6",
          lambda x, inplace=False: _hardtanh(x, 0.0, 6.0, inplace),
          lambda ns, g, out, x, inplace=False: _hardtanh_vjp(ns, g, out, x, 0.0, 6.0),
          lambda a, inplace=False: _hardtanh_sympy(a, 0, 6),
          domain=Domain(low=-2, high=8, avoid=(0.0, 6.0)), node_name="HardtanhBackward0",
          kinks="hardtanh(x, 0, 6): no gradient at 0 and at 6 (torch)")


def _leaky_relu(x, negative_slope=0.01, inplace=False):
    _no_inplace("leaky_relu", inplace)
    return np.where(x > 0, x, x * negative_slope)


_register("leaky_relu", _leaky_relu,
          # slope 1 for x > 0, negative_slope for x <= 0 (torch: the negative slope at 0)
          lambda ns, g, out, x, negative_slope=0.01, inplace=False: (
              ns.where(x > 0, g, g * negative_slope),),
          lambda a, negative_slope=0.01, inplace=False: elementwise(
              lambda x: sp.Piecewise((x, x > 0), (x * negative_slope, True)))(a),
          params=(Param("negative_slope", 0.01, "number"),),
          domain=Domain(avoid=(0.0,)), kinks="the negative slope at 0 (torch)")


def _hardswish(x, inplace=False):
    _no_inplace("hardswish", inplace)
    return x * np.minimum(np.maximum(x + 3, 0), 6) / 6


def _hardswish_vjp(ns, g, out, x, inplace=False):
    # 0 up to -3 (included), x/3 + 1/2 on (-3, 3), 1 from 3 on (torch 2.13)
    return (ns.where(x <= -3, 0, ns.where(x < 3, g * (x / 3 + 0.5), g)),)


_register("hardswish", _hardswish, _hardswish_vjp,
          lambda a, inplace=False: elementwise(lambda x: sp.Piecewise(
              (0, x <= -3), (x * (x + 3) / 6, x < 3), (x, True)))(a),
          domain=Domain(low=-5, high=5, avoid=(-3.0, 3.0)),
          kinks="at -3 the gradient is 0 and at 3 it is 1: the outer pieces' (torch)")


def _hardsigmoid(x, inplace=False):
    _no_inplace("hardsigmoid", inplace)
    return np.minimum(np.maximum(x + 3, 0), 6) / 6


_register("hardsigmoid", _hardsigmoid,
          # 1/6 strictly inside (-3, 3), 0 at and beyond the bounds (torch)
          lambda ns, g, out, x, inplace=False: (
              ns.where(x <= -3, 0, ns.where(x >= 3, 0, g / 6)),),
          lambda a, inplace=False: elementwise(lambda x: sp.Piecewise(
              (0, x <= -3), (1, x >= 3), (x / 6 + sp.Rational(1, 2), True)))(a),
          domain=Domain(low=-5, high=5, avoid=(-3.0, 3.0)),
          kinks="no gradient at -3 and at 3 (torch)")


# --- exponential linear units -------------------------------------------------------
# torch's elu family: scale * x for x > 0, scale * alpha * (e^(x * input_scale) - 1) otherwise;
# the gradient at 0 is the exponential piece's: scale * alpha * input_scale.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def _elu_forward(x, alpha, scale, input_scale):
    return np.where(x > 0, x * scale, np.expm1(x * input_scale) * (alpha * scale))


def _elu_vjp(ns, g, x, alpha, scale, input_scale):
    # At 0 the slope is the exponential piece's, alpha * scale * input_scale (torch), taken as
    # a constant there: torch's second derivative at 0 is 0 (the slope has a kink at 0).
    k = alpha * scale * input_scale
    return (ns.where(x > 0, g * scale, g * ns.where(x == 0, k, ns.exp(x * input_scale) * k)),)


def _elu_sympy(a, alpha, scale, input_scale):
    # At 0: the linear piece with the exponential piece's slope (torch's first and second
    # derivatives there, alpha * scale * input_scale and 0).
    return elementwise(lambda x: sp.Piecewise(
        (scale * x, x > 0), (scale * alpha * (sp.exp(x * input_scale) - 1), x < 0),
        (scale * alpha * input_scale * x, True)))(a)


def _elu_family(name, constants, params, doc, node_name="EluBackward0"):
    def forward(x, inplace=False, **p):
        _no_inplace(name, inplace)
        return _elu_forward(x, *constants(False, **p))

    def vjp(ns, g, out, x, inplace=False, **p):
        return _elu_vjp(ns, g, x, *constants(False, **p))

    def sympy(a, inplace=False, **p):
        return _elu_sympy(a, *constants(True, **p))

    _register(name, forward, vjp, sympy, params=params, domain=Domain(avoid=(0.0,)),
              node_name=node_name,
              kinks="at 0 the gradient is the exponential piece's (alpha * scale * input_scale) "
                    "and the second derivative 0 (torch)",
              doc=doc)


def _exact(value, symbolic):
    # torch's constants are these doubles: the SymPy form takes their exact binary values
    return sp.Rational(value) if symbolic else value


_elu_family("elu", lambda s, alpha=1.0: (alpha, 1, 1), (Param("alpha", 1.0, "number"),),
            "torch.nn.functional.elu(x, alpha=1): x for x > 0, alpha (e^x - 1) otherwise")
_elu_family("celu", lambda s, alpha=1.0: (alpha, 1, 1 / alpha), (Param("alpha", 1.0, "number"),),
            "torch.nn.functional.celu(x, alpha=1): x for x > 0, alpha (e^(x/alpha) - 1) otherwise",
            node_name="CeluBackward0")
_elu_family("selu", lambda s: (_exact(SELU_ALPHA, s), _exact(SELU_SCALE, s), 1), (),
            "torch.nn.functional.selu: scale * elu(x, alpha) with torch's two constants")
