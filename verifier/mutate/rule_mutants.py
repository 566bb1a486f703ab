"""Mutation operators over registry entries: each wraps an op's forward or VJP.

An operator is a function `op -> [Mutant]`; it decides from the entry itself
(inputs, params, kinks, the names its VJP calls, its SymPy form) whether it
applies, so every op registered later gets its mutants too.  A mutant that
the probes show to change nothing is kept with `equivalent` set, reported,
and left out of the score.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from verifier.mutate.inspect_rules import (
    called_names,
    compares_order,
    forward_unchanged,
    vjp_unchanged,
)
from verifier.mutate.model import Mutant
from verifier.mutate.textbook import Unsupported, textbook_forward


def _vjp_mutant(op, bug_class: str, suffix: str, description: str, vjp, probe: bool = True,
                **probe_options):
    return Mutant(
        id=f"{bug_class}:{op.name}{':' + suffix if suffix else ''}", bug_class=bug_class,
        target=op.name, description=description,
        vjp=vjp,
        equivalent=vjp_unchanged(op, vjp, **probe_options) if probe else "")


def _differentiable(op) -> list[int]:
    return [i for i in range(len(op.inputs)) if i not in op.nondiff]


def sign_flips(op):
    out = []
    for i in _differentiable(op):
        def vjp(ns, g, result, *inputs, _i=i, **params):
            grads = list(op.vjp(ns, g, result, *inputs, **params))
            if _i < len(grads) and grads[_i] is not None:
                grads[_i] = -grads[_i]
            return tuple(grads)
        out.append(_vjp_mutant(op, "sign_flip", op.inputs[i],
                               f"d{op.name}/d{op.inputs[i]} negated", vjp))
    return out


def dropped_factors(op):
    def vjp(ns, g, result, *inputs, **params):
        return tuple(None if x is None else x * 0.5
                     for x in op.vjp(ns, g, result, *inputs, **params))
    return [_vjp_mutant(op, "dropped_factor", "", f"every gradient of {op.name} halved", vjp)]


def dropped_upstream(op):
    def vjp(ns, g, result, *inputs, **params):
        return op.vjp(ns, g * 0 + 1, result, *inputs, **params)
    return [_vjp_mutant(op, "dropped_upstream", "",
                        f"{op.name}'s VJP ignores the incoming gradient", vjp)]


def swapped_operands(op):
    slots = _differentiable(op)
    if op.variadic or len(slots) < 2:
        return []
    first, second = slots[0], slots[1]

    def vjp(ns, g, result, *inputs, **params):
        inputs = list(inputs)
        inputs[first], inputs[second] = inputs[second], inputs[first]
        return op.vjp(ns, g, result, *inputs, **params)
    return [_vjp_mutant(op, "wrong_operand", "", f"{op.name}'s VJP reads "
                        f"{op.inputs[first]} and {op.inputs[second]} swapped", vjp)]


class _Namespace:
    """An array namespace (RAW or the engine) with some functions replaced."""

    def __init__(self, ns, overrides):
        self._ns, self._overrides = ns, overrides

    def __getattr__(self, name):
        override = self._overrides.get(name)
        return override if override is not None else getattr(self._ns, name)


def _with_namespace(op, overrides_of):
    def vjp(ns, g, result, *inputs, **params):
        return op.vjp(_Namespace(ns, overrides_of(ns)), g, result, *inputs, **params)
    return vjp


TRANSPOSES = ("transpose", "t", "permute")


def missing_transposes(op):
    if op.vjp is None or not set(TRANSPOSES) & called_names(op.vjp):
        return []
    identity = {name: (lambda x, *args, **kwargs: x) for name in TRANSPOSES}
    return [_vjp_mutant(op, "missing_transpose", "", f"{op.name}'s VJP skips its transpose",
                        _with_namespace(op, lambda ns: identity), probe=False)]


def flipped_keepdim(op):
    if op.vjp is None or "keepdim" not in op.param_names():
        return []

    def vjp(ns, g, result, *inputs, keepdim=False, **params):
        return op.vjp(ns, g, result, *inputs, keepdim=not keepdim, **params)
    return [_vjp_mutant(op, "keepdim", "", f"{op.name}'s VJP takes keepdim the wrong way round",
                        vjp, probe=False)]


DIM_PARAMS = ("dim", "dim0", "dim1", "start_dim", "end_dim")


def negative_dims(op):
    names = [p.name for p in op.params if p.name in DIM_PARAMS and p.kind in ("int", "dim")]
    if op.vjp is None or not names:
        return []

    def wrong(d, ndim):
        # -1 resolved as ndim - 2: counted against a rank one too small
        if isinstance(d, (list, tuple)):
            return type(d)(wrong(x, ndim) for x in d)
        return d + ndim - 1 if isinstance(d, int) and d < 0 and ndim > 1 else d

    def vjp(ns, g, result, *inputs, **params):
        ndim = len(inputs[0].shape) if inputs and hasattr(inputs[0], "shape") else 0
        params = {k: wrong(v, ndim) if k in names and v is not None else v
                  for k, v in params.items()}
        return op.vjp(ns, g, result, *inputs, **params)
    return [_vjp_mutant(op, "negative_dim", "", f"{op.name}'s VJP resolves a negative dim "
                        "against the wrong rank", vjp, negative_dims=True)]


class _NonStrict(np.ndarray):
    """An array whose ordering comparisons take the other side of the kink."""

    def __gt__(self, other):
        return np.greater_equal(np.asarray(self), _plain(other))

    def __lt__(self, other):
        return np.less_equal(np.asarray(self), _plain(other))

    def __ge__(self, other):
        return np.greater(np.asarray(self), _plain(other))

    def __le__(self, other):
        return np.less(np.asarray(self), _plain(other))


def _plain(x):
    return np.asarray(x) if isinstance(x, np.ndarray) else x


def kink_conventions(op):
    if op.vjp is None or not op.kinks:
        return []
    out = []
    if compares_order(op.vjp):
        def vjp(ns, g, result, *inputs, **params):
            flip = [x.view(_NonStrict) if type(x) is np.ndarray else x for x in inputs]
            if type(result) is np.ndarray:
                result = result.view(_NonStrict)
            grads = op.vjp(ns, g, result, *flip, **params)
            return tuple(_plain(x) for x in grads)
        mutant = _vjp_mutant(op, "kink", "nonstrict", f"{op.name}'s VJP takes the other "
                             "side at its kink (< as <=)", vjp, at_kinks=True)
        if op.extra.get("open_ties") and not mutant.equivalent:
            # torch leaves the order of ties open (topk): the other tied element is as right
            mutant = replace(mutant, equivalent="at a tie torch leaves the order open; the "
                                                "other side is an admissible convention")
        out.append(mutant)
    if "sign" in called_names(op.vjp):
        def sign_at_zero(ns):
            return {"sign": lambda x: ns.where(x == 0, 1, ns.sign(x))}
        out.append(_vjp_mutant(op, "kink", "sign0", f"{op.name}'s VJP takes sign(0) = 1",
                               _with_namespace(op, sign_at_zero), at_kinks=True))
    return out


def strong_float64_numbers(op):
    ufunc = op.extra.get("ufunc") or getattr(op.forward, "ufunc", None)
    if not op.extra.get("scalar_operands") or ufunc is None:
        return []

    def strong(a):
        # the bug: a Python number becomes a float64 0-d array, which numpy (unlike torch)
        # does not treat as a weak scalar, so float32 + 2.0 computes in float64
        return np.asarray(a, dtype=np.float64) if isinstance(a, (int, float)) and \
            not isinstance(a, bool) else a

    def forward(*args, **params):
        if any(v != p.default for p in op.params for k, v in params.items() if k == p.name):
            return op.forward(*args, **params)
        return ufunc(*[strong(a) for a in args])
    return [Mutant(id=f"float64:{op.name}", bug_class="float64", target=op.name,
                   description=f"{op.name} wraps a Python number as a float64 array",
                   forward=forward, rule="forward")]


def textbook_forwards(op):
    if op.sympy is None or op.kind not in ("elementwise", "reduction") or len(op.inputs) != 1 \
            or not op.in_language:
        return []
    forward = textbook_forward(op)
    try:
        equivalent = forward_unchanged(op, forward)
    except Unsupported:
        return []
    return [Mutant(id=f"unstable_forward:{op.name}", bug_class="unstable_forward",
                   target=op.name, description=f"{op.name} computed by its textbook formula",
                   forward=forward, equivalent=equivalent, rule="forward")]


RULE_OPERATORS = (sign_flips, dropped_factors, dropped_upstream, swapped_operands,
                  missing_transposes, flipped_keepdim, negative_dims, kink_conventions,
                  strong_float64_numbers, textbook_forwards)


def rule_mutants(ops) -> list[Mutant]:
    """Every operator applied to every op with a VJP (forward mutants need none)."""
    out = []
    for op in ops:
        if op.kind == "meta":
            continue
        for operator in RULE_OPERATORS:
            if op.vjp is None and operator not in (strong_float64_numbers, textbook_forwards):
                continue
            out.extend(operator(op))
    return out
