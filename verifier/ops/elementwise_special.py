"""More smooth elementwise functions of one tensor: inverse hyperbolics, logs and
exponentials in other bases, erfc erfinv lgamma digamma polygamma rsqrt logit sinc.

As in elementwise.py, each VJP is g times the derivative, written with
registered ops so that it is differentiable again (digamma's derivative is
polygamma(1, x), whose derivative is polygamma(2, x), ...).
"""

from __future__ import annotations

import math

import numpy as np

from verifier.ops.elementwise import POSITIVE, special, unary
from verifier.ops.registry import Domain, Op, Param, register
from verifier.ops.symbolic import elementwise, kink, sp

LN2 = math.log(2.0)
LN10 = math.log(10.0)
SQRT_PI_OVER_2 = math.sqrt(math.pi) / 2
TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)

# d asinh = 1/sqrt(x^2 + 1), d acosh = 1/sqrt(x^2 - 1), d atanh = 1/(1 - x^2)
unary("asinh", np.arcsinh, lambda ns, g, out, x: (g * ns.rsqrt(x * x + 1),), "asinh")
unary("acosh", np.arccosh, lambda ns, g, out, x: (g * ns.rsqrt(x * x - 1),), "acosh",
      domain=Domain(low=1.2, high=3.0), kinks="infinite slope at 1; nan below 1")
unary("atanh", np.arctanh, lambda ns, g, out, x: (g / (1 - x * x),), "atanh",
      domain=Domain(low=-0.9, high=0.9), kinks="poles at +-1")
# d log_b x = 1 / (x ln b)
unary("log2", np.log2, lambda ns, g, out, x: (g / (x * LN2),), lambda a: sp.log(a) / sp.log(2),
      domain=POSITIVE, kinks="log2(0) = -inf; nan below 0")
unary("log10", np.log10, lambda ns, g, out, x: (g / (x * LN10),),
      lambda a: sp.log(a) / sp.log(10), domain=POSITIVE, kinks="log10(0) = -inf; nan below 0")
# d 2^x = 2^x ln 2
unary("exp2", np.exp2, lambda ns, g, out, x: (g * out * LN2,), lambda a: sp.Integer(2) ** a,
      uses_out=True)
# d erfc = -2/sqrt(pi) e^(-x^2)
unary("erfc", lambda x: special.erfc(x),
      lambda ns, g, out, x: (-g * TWO_OVER_SQRT_PI * ns.exp(-(x * x)),), "erfc")
# y = erfinv(x): dy/dx = sqrt(pi)/2 e^(y^2); torch saves x and recomputes y
unary("erfinv", lambda x: special.erfinv(x),
      lambda ns, g, out, x: (g * SQRT_PI_OVER_2 * ns.exp(ns.square(ns.erfinv(x))),), "erfinv",
      domain=Domain(low=-0.9, high=0.9), kinks="+-inf at +-1; nan outside [-1, 1]")
# d log|Gamma(x)| = digamma(x)
unary("lgamma", lambda x: special.gammaln(x), lambda ns, g, out, x: (g * ns.digamma(x),),
      "loggamma", domain=POSITIVE,
      kinks="the SymPy form is log Gamma, real for x > 0: the oracle covers x > 0")
# d digamma = polygamma(1, x)
unary("digamma", lambda x: special.psi(x), lambda ns, g, out, x: (g * ns.polygamma(x, 1),),
      "digamma", domain=POSITIVE, kinks="poles at 0, -1, -2, ...")
# d x^(-1/2) = -x^(-3/2) / 2 = -out^3 / 2
unary("rsqrt", lambda x: 1 / np.sqrt(x), lambda ns, g, out, x: (-g * out * out * out / 2,),
      lambda a: 1 / kink.TorchSqrt(a), uses_out=True, domain=POSITIVE,
      kinks="rsqrt(0) = +inf; nan below 0")


def _polygamma(x, n):
    n = int(n)
    if n < 0:
        raise RuntimeError(f"polygamma(n, x) does not support negative n, got n = {n}")
    return special.psi(x) if n == 0 else special.polygamma(n, x)


register(Op(
    name="polygamma", inputs=("input",), params=(Param("n", kind="int"),),
    forward=_polygamma,
    # d psi^(n) = psi^(n+1)
    vjp=lambda ns, g, out, x, n: (g * ns.polygamma(x, int(n) + 1),),
    sympy=lambda a, n: elementwise(lambda e: sp.polygamma(int(n), e))(a),
    torch=lambda torch, x, n: torch.polygamma(int(n), x),
    domain=(POSITIVE,), in_language=False,
    kinks="poles at 0, -1, -2, ...",
    doc="polygamma(x, n): the n-th derivative of digamma (torch.polygamma(n, x)); used by "
        "digamma's derivatives",
))


def _logit(x, eps=None):
    if eps is not None:
        x = np.clip(x, eps, 1 - eps)
    return np.log(x / (1 - x))


def _logit_vjp(ns, g, out, x, eps=None):
    # d logit = 1 / (x (1 - x)); with eps, 0 outside [eps, 1 - eps], bounds included (torch)
    grad = g / (x * (1 - x))
    if eps is None:
        return (grad,)
    return (ns.where(x < eps, 0, ns.where(x > 1 - eps, 0, grad)),)


def _logit_sympy(a, eps=None):
    def one(x):
        c = x if eps is None else kink.clamp(x, eps, 1 - eps)
        return sp.log(c / (1 - c))
    return elementwise(one)(a)


register(Op(
    name="logit", inputs=("input",), params=(Param("eps", None, "number"),),
    forward=_logit, vjp=_logit_vjp, sympy=_logit_sympy,
    domain=(Domain(low=0.1, high=0.9),),
    kinks="with eps, x is clamped to [eps, 1 - eps] and the gradient is 0 outside, bounds "
          "included in the gradient (torch); without eps, nan outside [0, 1]",
))


def _sinc_vjp(ns, g, out, x):
    # d sin(pi x)/(pi x) = (pi x cos(pi x) - sin(pi x)) / (pi x^2), which is 0 at x = 0.
    # 1 stands in for x at 0, so no 0/0 appears in this rule or in its own derivative; at 0
    # the slope is its Taylor term -(pi^2 / 3) x, so that differentiating this rule again
    # gives sinc''(0) = -pi^2 / 3 (a constant 0 there would give 0).
    zero = x == 0
    safe = ns.where(zero, 1, x)
    px = safe * math.pi
    slope = (px * ns.cos(px) - ns.sin(px)) / (px * safe)
    return (g * ns.where(zero, x * (-math.pi ** 2 / 3), slope),)


def _sinc_sympy(a):
    return elementwise(kink.sinc)(a)


register(Op(
    name="sinc", inputs=("input",), forward=np.sinc, vjp=_sinc_vjp, sympy=_sinc_sympy,
    domain=(Domain(avoid=(0.0,), margin=0.1),),
    kinks="none: sinc is analytic at 0, sinc(0) = 1, sinc'(0) = 0, sinc''(0) = -pi^2/3 "
          "(torch 2.13's double backward gives nan there)",
))
