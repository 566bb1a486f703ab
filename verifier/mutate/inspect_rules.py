"""What a rule's code does, read from its compiled code and by calling it on probes.

Which mutation operators apply to an op is decided from the registry entry
itself, so that a new op gets its mutants without anyone listing them: the
names its VJP calls (`ns.transpose`, `ns.sign`), whether it compares arrays
(a kink convention), its params (`keepdim`, `dim`) and its domain, where
probe inputs are drawn to spot mutants that change nothing (equivalent ones).
"""

from __future__ import annotations

import dis
import types

import numpy as np

from verifier.ops.registry import REQUIRED

ORDERING = ("<", ">", "<=", ">=")


def _code_objects(fn, depth: int = 3, seen=None):
    """The code of fn, of functions nested in it, and of module functions it calls."""
    seen = set() if seen is None else seen
    code = getattr(fn, "__code__", None)
    if code is None or code in seen or depth < 0:
        return
    seen.add(code)
    stack = [code]
    while stack:
        c = stack.pop()
        yield c
        stack.extend(k for k in c.co_consts if isinstance(k, types.CodeType))
        for name in c.co_names:
            other = getattr(fn, "__globals__", {}).get(name)
            if isinstance(other, types.FunctionType):
                yield from _code_objects(other, depth - 1, seen)
    for part in getattr(fn, "parts", ()) or ():
        yield from _code_objects(part, depth, seen)


def called_names(fn) -> set[str]:
    """Every global and attribute name the rule's code reads (ns.transpose -> 'transpose')."""
    return {name for code in _code_objects(fn) for name in code.co_names}


def compares_order(fn) -> bool:
    """Whether the rule compares with < > <= >= (where a kink convention lives)."""
    return any(ins.opname == "COMPARE_OP" and ins.argrepr in ORDERING
               for code in _code_objects(fn) for ins in dis.get_instructions(code))


# --- probes --------------------------------------------------------------------------
SHAPES = ((3, 3), (3,), (2, 3), (2, 3, 3))


# Negative values for the dim params, valid together (flatten's start before its end).
NEGATIVE_DIMS = {"dim": -1, "dim0": -1, "dim1": -2, "start_dim": -2, "end_dim": -1}


def probe_calls(op, seed: int = 0, at_kinks: bool = False, negative_dims: bool = False):
    """(arrays, params, out, g) on which op.forward succeeds: inputs from the op's domain
    at a few shapes, params at their defaults (a required dim: the last one).

    at_kinks: inputs on a grid of -1, 0, 1 and the op's numeric params (relu's 0, ties
    of maximum, softplus's threshold), where a kink convention shows.
    negative_dims: every dim param negative (NEGATIVE_DIMS), where their resolution shows.
    """
    params = {}
    for p in op.params:
        if negative_dims and p.name in NEGATIVE_DIMS and p.kind in ("dim", "int"):
            params[p.name] = NEGATIVE_DIMS[p.name]
        elif p.default is not REQUIRED:
            params[p.name] = p.default
        elif p.kind in ("dim", "int"):
            params[p.name] = -1
        else:
            return []  # a shape or an index: nothing generic to probe with
    grid = np.array([-1.0, 0.0, 1.0] + [float(v) for v in params.values()
                                         if isinstance(v, (int, float)) and not isinstance(v, bool)])
    rng = np.random.default_rng(seed)
    calls = []
    for shape in SHAPES:
        arrays = []
        count = 2 if op.variadic else len(op.inputs)
        for i in range(count):
            d = op.domain[min(i, len(op.domain) - 1)]
            if at_kinks:
                a = rng.choice(grid, size=shape)
            else:
                a = rng.uniform(d.low, d.high, shape)
                for point in d.avoid:
                    a = np.where(np.abs(a - point) < d.margin, point + d.margin + 0.1, a)
            if d.well_conditioned and a.ndim == 2 and a.shape[0] == a.shape[1]:
                a = a + 3 * np.eye(a.shape[0])
            arrays.append(a)
        if op.nondiff:
            arrays = [a > 0 if i in op.nondiff else a for i, a in enumerate(arrays)]
        try:
            with np.errstate(all="ignore"):
                out = np.asarray(op.forward(*arrays, **params))
        except Exception:  # noqa: BLE001  this shape does not suit the op
            continue
        calls.append((arrays, params, out, rng.uniform(0.5, 1.5, out.shape)))
    return calls


def same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return a.shape == b.shape and bool(np.array_equal(a, b, equal_nan=True))


def vjp_unchanged(op, mutated_vjp, at_kinks: bool = False, negative_dims: bool = False) -> str:
    """Why the mutated VJP is equivalent to the op's on every probe ('' if it differs or
    cannot be probed, and so counts)."""
    from verifier.ops.raw import RAW
    calls = probe_calls(op, at_kinks=at_kinks, negative_dims=negative_dims)
    if not calls:
        return ""
    for arrays, params, out, g in calls:
        try:
            with np.errstate(all="ignore"):
                want = op.vjp(RAW, g, out, *arrays, **params)
            got = mutated_vjp(RAW, g, out, *arrays, **params)
        except Exception:  # noqa: BLE001  a mutant that raises is not equivalent
            return ""
        if not all(same(w, h) for w, h in zip(want, got)):
            return ""
    return "the mutated VJP gives the same gradients on every probe input"


STRESS = (1e-10, -1e-10, 1e-5, 0.5, -0.5, 30.0, -30.0, 100.0, -100.0, 800.0, -800.0)


def forward_unchanged(op, mutated_forward) -> str:
    """Why the mutated forward is equivalent to the op's ('' where it differs): within
    rounding (relative 1e-9 in float64, where a judge's tolerance lets any order of
    operations pass) on the probes and on extreme arguments, with inf and nan alike.

    The mutant's own failure to evaluate (textbook.Unsupported) propagates.
    """
    calls = probe_calls(op)
    if not calls:
        return "no probe input suits the op"
    for arrays, params, _, _ in calls[:2]:  # the arguments matter here, not the shapes
        # Each extreme argument filling the input, plus a ramp around it (distinct values).
        stresses = [[v + 0 * a + (k * np.arange(a.size).reshape(a.shape) if k else 0)
                     if a.dtype.kind == "f" else a for a in arrays]
                    for v in STRESS for k in (0, 1)]
        for values in [arrays] + stresses:
            try:
                with np.errstate(all="ignore"):
                    want = np.asarray(op.forward(*values, **params), dtype=np.float64)
            except Exception:  # noqa: BLE001  the op rejects these arguments
                continue
            with np.errstate(all="ignore"):
                got = np.asarray(mutated_forward(*values, **params), dtype=np.float64)
                if not _close(want, got):
                    return ""
    return "the textbook formula agrees with the forward to rounding, even at extreme arguments"


def _close(want, got) -> bool:
    if want.shape != got.shape:
        return False
    finite = np.isfinite(want)
    if not np.array_equal(finite, np.isfinite(got)) or \
            not np.array_equal(want[~finite], got[~finite], equal_nan=True):
        return False
    scale = np.maximum(np.abs(want[finite]), np.finfo(np.float64).tiny)
    return bool(np.all(np.abs(want[finite] - got[finite]) <= 1e-9 * scale))
