"""The one registry of operations.

Every function of the case language is declared here once, as an `Op`: its
signature, the numpy forward, the vector-Jacobian product, the torch callable,
the SymPy implementation, the domain used for random tests and its kinks.
The engine, the torch and sympy backends, the parser's whitelist, the docs list
and the parametrized tests all read this table.

A VJP is written once against an array namespace `ns` (`ns.cos(x) * g`):
for a plain backward `ns` is `RAW` (the registry's numpy forwards applied to
raw arrays), under `create_graph=True` it is the engine itself, so the same
rule yields differentiable gradients.  Broadcasting is undone by the engine
after every VJP, never inside a rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

REQUIRED = object()


@dataclass(frozen=True)
class Param:
    """A non-tensor argument: positional after the tensors, or by keyword.

    kind: 'dim' (int, list of ints or None), 'int', 'bool', 'number',
    'shape' (list of ints), 'dtype', 'any'.
    """

    name: str
    default: Any = REQUIRED
    kind: str = "any"


@dataclass(frozen=True)
class Domain:
    """Where random test inputs are drawn for one tensor argument.

    `avoid` lists points (kinks, poles) that test inputs keep `margin` away from.
    `positive_definite` asks for a well-conditioned square matrix (det, inverse).
    """

    low: float = -2.0
    high: float = 2.0
    avoid: tuple[float, ...] = ()
    margin: float = 0.05
    well_conditioned: bool = False
    # A symmetric positive definite matrix (cholesky), well-conditioned too.
    symmetric: bool = False


@dataclass(frozen=True)
class Op:
    name: str
    # Tensor arguments, in torch's order ('input',), ('input', 'other'), ...
    inputs: tuple[str, ...]
    # numpy forward: forward(*arrays, **params) -> ndarray, torch semantics.
    forward: Callable[..., Any]
    # vjp(ns, g, out, *inputs, **params) -> tuple with one gradient (or None)
    # per tensor input; gradients may have the broadcast shape.
    vjp: Callable[..., tuple] | None
    # sympy(*object_arrays, **params) -> object ndarray of SymPy expressions.
    sympy: Callable[..., Any] | None
    params: tuple[Param, ...] = ()
    # torch(torch_module, *tensors, **params); None means getattr(torch, name).
    torch: Callable[..., Any] | None = None
    # 'elementwise', 'binary', 'reduction', 'shape', 'linalg', 'index', 'nn' (layers, losses),
    # 'meta' (plain Python values: numel), 'logical' (bool/int results, no VJP: all, any)
    kind: str = "elementwise"
    # torch has it as a Tensor method too (x.exp()).
    method: bool = True
    # The first input is a list of tensors (cat, stack).
    variadic: bool = False
    # Indices of tensor inputs that are never differentiated (where's condition).
    nondiff: tuple[int, ...] = ()
    # The VJP reads `out`: the engine saves the output array (no recomputation) and
    # under create_graph passes it as a tensor whose grad_fn is the op's own node.
    uses_out: bool = False
    domain: tuple[Domain, ...] = (Domain(),)
    # The convention at kinks, as documented for users ("relu'(0) = 0").
    kinks: str = ""
    # Exposed to case files (False for engine-internal helpers such as expand).
    in_language: bool = True
    doc: str = ""
    # Engine details, all optional:
    #   saves: which tensor inputs the VJP reads, so the engine keeps them and
    #     checks their versions: None (all, the default), () (none), a tuple of
    #     indices, "cross" (each only for another input's gradient, as mul), or a
    #     callable (index, inputs) -> bool (torch's finer rules: div).
    #   saves_out: whether the output is saved (default: uses_out): a bool, or a
    #     callable (inputs) -> bool (pow saves it only for a tensor exponent).
    #   view: the result shares the input's storage (and version counter).
    #   node_name: torch's grad_fn name when it is not `<Name>Backward0`.
    #   ufunc: the numpy ufunc a binary operator is, for the engine's direct path.
    #   returns_input: callable(*arrays, **params) -> bool, True where torch
    #     returns the input tensor itself (flatten with nothing to merge).
    #   varargs: the param that a method also accepts as varargs (x.reshape(2, 3)).
    #   scalar_operands: torch also takes Python numbers for the tensor inputs
    #     (x + 2); elsewhere the backends pass a number as a 0-d tensor.
    #   optional: tensor inputs that may be left out (None): linear's bias.
    #   positional: torch's positional order where tensors and options
    #     interleave (layer_norm(input, normalized_shape, weight, bias, eps),
    #     gather(input, dim, index)): the names of inputs and params, in order;
    #     positional arguments are bound by these names, and the torch call
    #     passes everything by name.
    #   integer_inputs: indices of tensor inputs that hold integers (gather's
    #     index): a backend makes a number or a list there an int64 tensor.
    #   return_type: (name, fields) where torch returns a named tuple (max with
    #     dim: values, indices); the op's forward computes the first field, the
    #     only differentiable one, and `others(*arrays, **params)` the rest.
    #   open_ties: torch leaves the order of tied elements unspecified (topk): either
    #     tied element's gradient is admissible (oracle/ties.py, verifier mutate).
    #   fields: the field names of the named tuple a composite returns (qr: Q, R), for
    #     the case language's `qr(A).R` (ops with return_type take its names).
    #   leading_param: a variadic op whose torch signature puts this param first
    #     (einsum(equation, *operands)).
    #   value_field: which field of return_type the forward computes (default 0;
    #     slogdet: 1, logabsdet; its sign comes from `others`).
    #   torch_twice_differentiable: torch(torch, *tensors, **params) with a double
    #     backward, for an op whose torch function has none (cdist): its definition.
    #   composite: callable(module, *tensors, **params) building the result from other
    #     entries (split: narrow of each piece); the op then needs no VJP of its own.
    #   binary_alias: the op that a tensor in place of `dim` means (max(input,
    #     other) is maximum(input, other)).
    #   namespace: "linalg" where torch's function of this name is torch.linalg.<name> and
    #     the top-level torch.<name> is another function (svd: torch.svd returns V, not Vh);
    #     callers look the function up with `module_function`.
    #   aliases: {alias: param} keyword names torch also accepts (axis= for dim=,
    #     keepdims= for keepdim=), declared from the table in ops/numpy_aliases.py.
    #   selects: callable(*arrays, **params) -> the selected indices (or None), taken
    #     when the op runs, as torch saves them; the VJP then gets `selected=` and
    #     the engine saves neither input nor output for it (the inputs that
    #     `saves` names, if given, are still saved).
    extra: dict = field(default_factory=dict)

    def outputs(self, values, rest: tuple) -> tuple:
        """torch's named-tuple fields, in order: the forward's values placed among the rest."""
        at = self.extra.get("value_field", 0)
        return (*rest[:at], values, *rest[at:])

    def param_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.params)

    def bind(self, args: tuple, kwargs: dict) -> tuple[tuple, dict]:
        """Split a call's arguments into (tensors, params) by this op's signature.

        Raises TypeError with torch-like wording for a wrong call.
        """
        leading = self.extra.get("leading_param")
        if leading is not None and self.variadic and not (args and isinstance(args[0], list)):
            # einsum(equation, a, b) or einsum(equation, [a, b]): the param comes first.
            if args:
                if leading in kwargs:
                    raise TypeError(f"{self.name}() got multiple values for argument '{leading}'")
                kwargs[leading] = args[0]
            rest = tuple(args[1:])
            args = (list(rest[0]) if len(rest) == 1 and isinstance(rest[0], (list, tuple))
                    else list(rest),)
        n = len(self.inputs)
        order = self.extra.get("positional")
        if order is not None and args:
            args, kwargs = (), _by_name(self.name, order, args, kwargs)
        optional = self.extra.get("optional", ())
        if len(args) < n:
            missing = [name for name in self.inputs[len(args):]
                       if name not in kwargs and name not in optional]
            if missing:
                raise TypeError(f"{self.name}() missing required argument(s): {', '.join(missing)}")
        tensors = list(args[:n])
        for name in self.inputs[len(tensors):]:
            tensors.append(kwargs.pop(name, None) if name in optional else kwargs.pop(name))
        extra = args[n:]
        if len(extra) > len(self.params):
            raise TypeError(f"{self.name}() takes at most {n + len(self.params)} positional arguments "
                            f"but {len(args)} were given")
        params = {}
        for p, value in zip(self.params, extra):
            params[p.name] = value
        if kwargs:
            aliases = self.extra.get("aliases")
            if aliases:
                kwargs = _unalias(self.name, aliases, kwargs, params)
        for key, value in kwargs.items():
            if key not in self.param_names():
                raise TypeError(f"{self.name}() got an unexpected keyword argument '{key}'")
            if key in params:
                raise TypeError(f"{self.name}() got multiple values for argument '{key}'")
            params[key] = value
        for p in self.params:
            if p.name not in params:
                if p.default is REQUIRED:
                    raise TypeError(f"{self.name}() missing required argument: '{p.name}'")
                params[p.name] = p.default
        return tuple(tensors), params


def _unalias(name: str, aliases: dict, kwargs: dict, positional: dict) -> dict:
    """torch's numpy-style keyword names (axis= for dim=, keepdims= for keepdim=) renamed."""
    renamed = {}
    for key, value in kwargs.items():
        target = aliases.get(key, key)
        if target in renamed or target in positional or (target != key and target in kwargs):
            raise TypeError(f"{name}() got multiple values for argument '{target}'")
        renamed[target] = value
    return renamed


def _by_name(name: str, order: tuple, args: tuple, kwargs: dict) -> dict:
    """Positional arguments named by torch's own order (tensors and options interleaved)."""
    if len(args) > len(order):
        raise TypeError(f"{name}() takes at most {len(order)} positional arguments but "
                        f"{len(args)} were given")
    named = dict(kwargs)
    for key, value in zip(order, args):
        if key in named:
            raise TypeError(f"{name}() got multiple values for argument '{key}'")
        named[key] = value
    return named


def torch_style(op: "Op", tensors: tuple, params: dict) -> tuple[tuple, dict]:
    """(args, kwargs) that call the torch-style function of `op` with bound tensors and params.

    Tensors go positionally, except where torch's order puts params between them
    (`extra["positional"]`: gather(input, dim, index), layer_norm): then everything goes by name.
    """
    if op.extra.get("positional") is None:
        return tuple(tensors), dict(params)
    return (), {**dict(zip(op.inputs, tensors)), **params}


def module_function(module, op: "Op"):
    """The function of `op` in torch or the engine: torch.linalg.svd for the entry svd."""
    if op.extra.get("namespace") == "linalg":
        return getattr(module.linalg, op.name)
    return getattr(module, op.name)


def vjp_by_input(*rules):
    """A VJP given as one rule per tensor input, as HIPS autograd's `defvjp`.

    Each rule is `rule(ns, g, out, *inputs, **params)` giving that input's
    gradient (None for an input that is never differentiated).  The combined
    function is an ordinary VJP; the engine reads `.parts` and runs only the
    rules whose input needs a gradient (x * 2 never computes g * x).
    """
    def vjp(ns, g, out, *inputs, **params):
        return tuple(None if rule is None else rule(ns, g, out, *inputs, **params)
                     for rule in rules)
    vjp.parts = rules
    return vjp


OPS: dict[str, Op] = {}


def register(op: Op) -> Op:
    if op.name in OPS:
        raise ValueError(f"operation {op.name!r} registered twice")
    OPS[op.name] = op
    return op


def get(name: str) -> Op:
    _load_all()
    return OPS[name]


def all_ops() -> dict[str, Op]:
    _load_all()
    return OPS


def language_functions() -> dict[str, Op]:
    """The functions a case file may call (the parser's whitelist)."""
    return {name: op for name, op in all_ops().items() if op.in_language}


_loaded = False


def _load_all() -> None:
    # The entry modules register themselves on import; importing them here
    # (not at module top) keeps registry.py free of import cycles.
    global _loaded
    if _loaded:
        return
    _loaded = True
    from verifier.ops import catalog  # noqa: F401
    from verifier.ops.numpy_aliases import declare_aliases
    declare_aliases(OPS)
