"""Composite operations: one body over registry primitives gives forward, VJP and SymPy form.

A body `body(ns, *inputs, **params)` calls only `ns.<registered op>` and the
arithmetic operators, so the same text runs on three namespaces:

* `RAW` (numpy arrays): the forward;
* `SYMBOLIC` (object arrays of SymPy expressions): the SymPy form, built from
  each primitive's own SymPy form, kink conventions included;
* the engine: the VJP, by differentiating the graph the body records
  (verifier/engine/subgraph.py), at first and at any higher order.

Exact only where the composite *is* that composition in torch too (layer_norm
is mean, var, rsqrt; cross_entropy is log_softmax then nll): the kink
conventions of the primitives then are torch's.  Numbers in a body go through
`number(ns, ...)` so the SymPy form stays exact (`x / 2`, not `x * 0.5`).
"""

from __future__ import annotations

import numpy as np

from verifier.ops.registry import get
from verifier.ops.symbolic import exact, sp


class SymbolicNamespace:
    """`SYMBOLIC.name(...)`: the op's SymPy form, with torch's signature, on object arrays."""

    def __getattr__(self, name: str):
        try:
            op = get(name)
        except KeyError:
            raise AttributeError(f"no registered operation named {name!r}") from None

        def call(*args, **kwargs):
            tensors, params = op.bind(args, dict(kwargs))
            if op.variadic:
                tensors = tuple(_object(t) for t in tensors[0]) + tuple(tensors[1:])
            else:
                tensors = tuple(_object(t) for t in tensors)
            return np.asarray(op.sympy(*tensors, **exact_params(params)), dtype=object)
        setattr(self, name, call)
        return call


SYMBOLIC = SymbolicNamespace()


def _object(value):
    if isinstance(value, np.ndarray):
        return value if value.dtype == object else _exact_array(value)
    if isinstance(value, (bool, int, float)):
        return np.asarray(exact_number(value), dtype=object)
    return np.asarray(value, dtype=object)


def _exact_array(a: np.ndarray) -> np.ndarray:
    out = np.empty(a.shape, dtype=object)
    out.ravel()[:] = [v if a.dtype == bool else exact_number(v) for v in a.ravel().tolist()]
    return out


def exact_number(value):
    """A Python number as an exact SymPy number; a float by its shortest decimal (1e-5)."""
    return exact(value, decimal=True)


def exact_params(params: dict) -> dict:
    return {k: exact_number(v) if isinstance(v, float) else v for k, v in params.items()}


def number(ns, value, exact=None):
    """A constant of a body: exact in the SymPy form (exact() if given), a float elsewhere."""
    if ns is SYMBOLIC:
        return exact() if exact is not None else exact_number(value)
    return value


def _absent(value):
    """None for a left-out optional input that a namespace wrapped as a 0-d object array."""
    if isinstance(value, np.ndarray) and value.dtype == object and value.ndim == 0 \
            and value.item() is None:
        return None
    return value


def is_symbolic(ns) -> bool:
    return ns is SYMBOLIC


def composite(body, differentiable=None):
    """(forward, vjp, sympy) of an op whose meaning is `body`.

    differentiable: indices of the tensor inputs that get gradients (default: all).
    """
    from verifier.ops.raw import RAW

    def forward(*arrays, **params):
        return body(RAW, *map(_absent, arrays), **params)

    # positional-only: torch's normalize has a parameter named `out`
    def vjp(ns, g, _out, /, *inputs, **params):
        from verifier.engine.subgraph import differentiate
        wanted = [differentiable is None or i in differentiable for i in range(len(inputs))]
        return differentiate(body, ns, g, inputs, params, wanted)

    def sympy(*arrays, **params):
        return np.asarray(body(SYMBOLIC, *map(_absent, arrays), **exact_params(params)),
                          dtype=object)

    return forward, vjp, sympy


_RELATIONS = {"<": "StrictLessThan", "<=": "LessThan", ">": "StrictGreaterThan",
              ">=": "GreaterThan"}


def compare(ns, op: str, a, b):
    """a < b (<=, >, >=) in any namespace: SymPy relations in the SymPy form, which
    `where` turns into a Piecewise decided at the point."""
    if ns is SYMBOLIC:
        relation = getattr(sp, _RELATIONS[op])
        make = np.frompyfunc(lambda u, v: relation(u, v), 2, 1)
        return np.asarray(make(_object(a), _object(b)), dtype=object)
    if op == "<":
        return a < b
    if op == "<=":
        return a <= b
    if op == ">":
        return a > b
    return a >= b


def constant(ns, array: np.ndarray, like=None):
    """A constant array in a body: an exact object array in the SymPy form, an engine
    tensor on the engine (so ops can save it); cast to the dtype of `like` when given."""
    if ns is SYMBOLIC:
        return _exact_array(array)
    if like is not None and array.dtype != bool:
        from verifier.ops.promotion import numpy_dtype
        array = array.astype(numpy_dtype(like))
    from verifier.ops.raw import RAW
    if ns is RAW:
        return array
    return ns.tensor(array)


def register_composite(name, inputs, body, params=(), *, optional=(), positional=None,
                       nondiff=(), node_name=None, domain=None, doc="", kinks="", kind="nn",
                       method=False, torch=None, saves=None, saves_out=False):
    """Register a composite op of torch.nn.functional (torch callable: F.<name>).

    saves: the inputs torch saves (their in-place change makes backward raise, as in
    torch); the node keeps copies of every input, so the others cannot go stale.
    """
    from verifier.ops.registry import Domain, Op, register

    differentiable = tuple(i for i in range(len(inputs)) if i not in nondiff)
    forward, vjp, sympy = composite(body, differentiable)
    extra = {"snapshot": True, "saves_out": saves_out}
    if saves is not None:
        extra["saves"] = tuple(saves)
    if node_name:
        extra["node_name"] = node_name
    if optional:
        extra["optional"] = tuple(optional)
    if positional:
        extra["positional"] = tuple(positional)
    return register(Op(
        name=name, inputs=tuple(inputs), params=tuple(params), forward=forward, vjp=vjp,
        sympy=sympy, kind=kind, method=method, nondiff=tuple(nondiff),
        torch=torch or _functional(name, inputs if positional else None),
        domain=domain or tuple(Domain() for _ in inputs), kinks=kinks, extra=extra,
        doc=doc or f"torch.nn.functional.{name}",
    ))


def _functional(name, by_name):
    """torch.nn.functional.<name>; tensors by keyword where torch interleaves them with options."""
    if by_name:
        def call(torch, *tensors, **params):
            return getattr(torch.nn.functional, name)(**dict(zip(by_name, tensors)), **params)
        return call
    return lambda torch, *tensors, **params: getattr(torch.nn.functional, name)(*tensors, **params)
