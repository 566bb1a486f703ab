"""`GraphNamespace`: the interpreter's namespace whose tensors are recorded on a tape.

Each call of a registered function becomes one node: elementwise ops with
partials derived by SymPy from the op's SymPy form (elementwise.py), linear
ops as sparse maps read off the op's SymPy form (linear.py), matmul and
linear algebra from their definitions (products.py), and the reductions
that are compositions (softmax, logsumexp, norm, prod, amax) as those
compositions (composites.py).  Conditions are decided at the point, per
element; literals are rounded to the dtype being judged, like the inputs.
"""

from __future__ import annotations

import math

import numpy as np
import sympy as sp
from flint import arb, fmpq

from verifier.contract import CaseError
from verifier.lang.interpreter import MASK_INDEX_MESSAGE, Namespace, RegistryOperators
from verifier.ops import registry
from verifier.ops.composite import exact_number
from verifier.oracle.graph import composites
from verifier.oracle.graph.compile import Unsupported
from verifier.oracle.graph.elementwise import ElementwiseRule, derived
from verifier.oracle.graph.integer_typing import IntegerTyping, mark_literal
from verifier.oracle.graph.linear import LinearRule, NotLinear, linear_map
from verifier.oracle.graph.logical import truth_reduction
from verifier.oracle.graph.matrix_functions import MatrixExpRule, PinvRule
from verifier.oracle.graph.numbers import exact, is_exact, is_nan, object_array
from verifier.oracle.graph.products import MatmulRule, OuterRule, PerMatrixRule
from verifier.oracle.graph.qr import qr_nodes
from verifier.oracle.graph.spectral_ops import PRIMITIVES as SPECTRAL_PRIMITIVES
from verifier.oracle.graph.spectral_ops import SPECTRAL
from verifier.oracle.graph.tape import T, Tape

# Ops of other kinds that act element by element on broadcast arguments (the mask of
# masked_fill is a boolean argument, as where's condition).
ELEMENTWISE_INDEXING = ("masked_fill",)

INTEGER_PARAMS = ("dim", "int", "shape")


def torch_size(shape) -> str:
    return f"torch.Size([{', '.join(map(str, shape))}])"


def round_to(value, dtype: str):
    """A literal as the backend of `dtype` sees it (exactly as written for 'exact')."""
    if dtype == "exact":
        return exact(value)
    try:
        f = float(value)
    except OverflowError:
        return arb("inf") if value > 0 else arb("-inf")
    if dtype == "float32":
        with np.errstate(over="ignore"):
            f = float(np.float32(f))
    if not np.isfinite(f):
        return arb("inf") if f > 0 else arb("-inf")
    return exact(f)


class GraphNamespace(RegistryOperators, Namespace):
    def __init__(self, tape: Tape, dtype: str, decisions, literal_rounding: float | None = None
                 ) -> None:
        self.tape = tape
        self.dtype = dtype
        self.decisions = decisions
        self.notes = decisions.notes
        # error bounds: a non-integer literal is a ball of radius u|c| (integers stay exact)
        self.literal_rounding = literal_rounding
        # which constants are integer or bool tensors, as torch types them (integer_typing.py)
        self.integers = IntegerTyping(bounds=literal_rounding is not None)

    # --- literals ------------------------------------------------------------------
    def number(self, value, is_int: bool):
        v = round_to(value, self.dtype)
        if self.literal_rounding is not None and is_exact(v) and v.q != 1:
            from verifier.oracle.graph.rounding import as_ball
            v = as_ball(v, self.literal_rounding)
        return mark_literal(self.integers, T(np.array(v, dtype=object)), is_int)

    def constant(self, name: str):
        values = {"pi": arb.pi, "e": lambda: arb(1).exp(),  # inf, nan: the IEEE constants
                  "inf": lambda: arb("inf"), "nan": lambda: arb("nan")}
        return T(np.array(values[name](), dtype=object))

    # --- calls -------------------------------------------------------------------------
    def call(self, func: str, args: list, kwargs: dict):
        try:
            op = registry.get(func)
        except KeyError:
            raise CaseError("other", f"unknown function {func}(); the registry has no "
                                     "operation of that name") from None
        try:
            tensors, params = op.bind(tuple(args), dict(kwargs))
        except (TypeError, KeyError) as exc:
            raise CaseError("other", str(exc).strip("'\"")) from None
        if op.kind == "meta":
            return op.forward(*[self.tensor(t).value for t in tensors], **params)
        alias = op.extra.get("binary_alias")
        if alias and _is_tensor_argument(params.get("dim")):
            # max(input, other) is maximum(input, other), as torch
            return self.call(alias, [tensors[0], params["dim"]], {})
        if op.variadic:
            tensors = tuple(self.tensor(t) for t in tensors[0]) + tuple(tensors[1:])
        else:
            tensors = tuple(self.tensor(t) for t in tensors)
        params = {name: self._param(op, name, v) for name, v in params.items()}
        # torch's dtype of a result computed from integer and bool constants alone
        return self.integers.settle(op, tensors, params, self._apply(op, tensors, params))

    def _apply(self, op, tensors, params):
        if op.kind == "logical":  # all, any, count_nonzero: decided at the point, constant
            return truth_reduction(op, tensors[0], params, self.decisions)
        composite = composites.COMPOSITES.get(op.name) or SPECTRAL.get(op.name)
        if composite is not None:
            return composite(self, tensors, params)
        return self.primitive(op, tensors, params)

    def primitive(self, op, tensors, params):
        try:
            if op.name in ("matmul", "dot"):
                return self._matmul(op, tensors)
            if op.name == "outer":
                return self._outer(tensors)
            if op.name in ("det", "inverse"):
                return self._per_matrix(op, tensors[0])
            if op.name == "qr":
                return qr_nodes(self, tensors[0], params.get("mode", "reduced"))
            if op.name in SPECTRAL_PRIMITIVES:
                return SPECTRAL_PRIMITIVES[op.name](self, tensors, params)
            if op.name in ("matrix_exp", "pinv"):
                return self._matrix_function(op, tensors[0], params)
            if (op.kind in ("elementwise", "binary") or op.name in ELEMENTWISE_INDEXING) \
                    and not op.variadic:
                return self._elementwise(op, tensors, params)
            return self._linear(op, tensors, params)
        except (ValueError, RuntimeError, IndexError) as exc:
            kind = "shape" if any(w in str(exc) for w in ("shape", "broadcast", "dimension",
                                                         "aligned", "mismatch")) else "other"
            raise CaseError(kind, f"{op.name}(): {exc}") from None

    def _elementwise(self, op, tensors, params):
        shapes = [t.shape for t in tensors]
        try:
            shape = np.broadcast_shapes(*shapes)
        except ValueError:
            raise CaseError("shape", f"{op.name}(): the shapes "
                                     f"{' and '.join(torch_size(s) for s in shapes)} do not "
                                     "broadcast; make the sizes equal or 1 in each dim") from None
        slots, variables = [], []
        for i, t in enumerate(tensors):
            boolean = _is_boolean(t.value)
            if t.node is None and t.size == 1 and not boolean and is_exact(t.value.flat[0]):
                v = t.value.flat[0]
                slots.append(("c", sp.Rational(int(v.p), int(v.q))))
                continue
            slots.append(("x", i not in op.nondiff and not boolean and t.node is not None, boolean))
            variables.append(t)
        d = derived(op, params, tuple(slots))
        rule = ElementwiseRule(d, [t.value for t in variables], shape, self.decisions)
        return self.tape.record(rule.value(), variables, rule)

    def _linear(self, op, tensors, params):
        try:
            lmap = linear_map(op, params, [t.shape for t in tensors], op.variadic)
        except NotLinear as exc:
            raise Unsupported(f"{op.name}() is neither elementwise nor linear ({exc})") from None
        rule = LinearRule(lmap)
        return self.tape.record(rule.value([t.value for t in tensors]), list(tensors), rule)

    def _matmul(self, op, tensors):
        a, b = tensors
        if a.value.ndim == 0 or b.value.ndim == 0:
            raise CaseError("shape", f"both arguments to {op.name} need to be at least 1D, but "
                                     f"they are {a.value.ndim}D and {b.value.ndim}D")
        if op.name == "dot" and (a.value.ndim != 1 or b.value.ndim != 1 or a.shape != b.shape):
            raise CaseError("shape", f"dot: 1D tensors of one size expected, got "
                                     f"{list(a.shape)} and {list(b.shape)}")
        rule = MatmulRule(a.value, b.value)
        try:
            value = rule.value(a.value, b.value)
        except ValueError:
            raise CaseError("shape", f"mat1 and mat2 shapes cannot be multiplied "
                                     f"({'x'.join(map(str, a.shape))} and "
                                     f"{'x'.join(map(str, b.shape))})") from None
        return self.tape.record(value, [a, b], rule)

    def _outer(self, tensors):
        a, b = tensors
        if a.value.ndim != 1 or b.value.ndim != 1:
            raise CaseError("shape", f"outer: 1D tensors expected, got {a.value.ndim}D and "
                                     f"{b.value.ndim}D")
        rule = OuterRule(a.value, b.value)
        return self.tape.record(rule.value(a.value, b.value), [a, b], rule)

    def _per_matrix(self, op, x):
        shape = x.shape
        if len(shape) < 2 or shape[-1] != shape[-2]:
            raise CaseError("shape", f"linalg.{op.name}: A must be batches of square matrices, "
                                     f"got shape {list(shape)}")
        if self.tape.tangents and x.node is not None:
            raise Unsupported(f"second order through {op.name}()")
        rule = PerMatrixRule(op.name, x.value)
        return self.tape.record(rule.value(), [x], rule)

    def _matrix_function(self, op, x, params):
        # the registry's forward raises torch's error for a wrong shape
        op.forward(np.zeros(x.shape), **{k: v for k, v in params.items() if k == "hermitian"})
        if op.name == "matrix_exp":
            rule = MatrixExpRule(x.value)
        else:
            rule = PinvRule(x.value, params)
            self.notes.extend(n for n in rule.notes if n not in self.notes)
        return self.tape.record(rule.value(), [x], rule)

    # --- conversions ----------------------------------------------------------------------
    def tensor_of(self, number) -> T:
        """A SymPy rational as a constant tensor."""
        return T(np.array(fmpq(int(number.p), int(number.q)), dtype=object))

    def tensor(self, value) -> T:
        if isinstance(value, T):
            return value
        if isinstance(value, (bool, np.bool_)):
            return T(np.array(bool(value), dtype=object))
        if isinstance(value, (int, np.integer)):
            return T(np.array(fmpq(int(value)), dtype=object))
        if isinstance(value, list):
            items = [self.tensor(v) for v in value]
            if any(t.node is not None for t in items):
                return self.call("stack", [items], {})
            return T(np.array([t.value for t in items], dtype=object)) if items else \
                T(np.empty((0,), dtype=object))
        if isinstance(value, np.ndarray):
            return T(value if value.dtype == object else value.astype(object))
        if value is None or isinstance(value, float):
            # An optional input left out (bias=None), a default number in a tensor's place:
            # the registry's nn composites, which the symbolic paths take instead.
            raise Unsupported(f"{type(value).__name__} where the graph expects a tensor")
        raise CaseError("other", f"cannot use {type(value).__name__} as a tensor")

    def _param(self, op, name: str, value):
        kind = next((p.kind for p in op.params if p.name == name), "any")
        if kind in INTEGER_PARAMS:
            return _plain_ints(value, self)
        if kind == "bool":
            if value is None:
                return None  # left out (var's unbiased: None is not False)
            return bool(self.truth(value)) if isinstance(value, T) else bool(value)
        if kind == "number":
            if value is None:
                return None
            if isinstance(value, float) and math.isfinite(value):
                # a registry default (elu's alpha=1.0, layer_norm's eps=1e-5): its decimal
                # text, as the symbolic path takes it (composite.exact_params)
                return exact_number(value)
            t = self.tensor(value)
            if t.node is not None or t.size != 1:
                raise Unsupported(f"{op.name}(): a computed tensor as the parameter {name}")
            v = t.value.reshape(()).item()
            if self.literal_rounding is not None and isinstance(v, arb) and v.is_finite():
                man, e = v.mid().man_exp()  # error bounds: a parameter at its midpoint
                v = fmpq(int(man)) * fmpq(2) ** int(e) if e >= 0 else fmpq(int(man), 2 ** -int(e))
            if isinstance(v, arb) and v.is_exact() and not v.is_finite() and not is_nan(v):
                return sp.oo if v > 0 else -sp.oo  # masked_fill(x, m, -inf): an IEEE value
            if not is_exact(v):
                raise Unsupported(f"{op.name}(): an irrational parameter {name}")
            return sp.Rational(int(v.p), int(v.q))
        return value

    def inplace(self, op: str, target, value):
        result = self.binop(op, target, value)
        if result.shape != self.tensor(target).shape:
            raise CaseError("shape", f"output with shape {list(self.tensor(target).shape)} "
                                     f"doesn't match the broadcast shape {list(result.shape)} "
                                     f"(in-place '{op}='); write 'y = y {op} ...' to get a new tensor")
        return result

    def transpose_all(self, value):
        t = self.tensor(value)
        return self.call("permute", [t], {"dims": list(range(t.value.ndim))[::-1]}) \
            if t.value.ndim > 1 else t

    def integer(self, value) -> int:
        if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
            return int(value)
        t = self.tensor(value)
        if t.size == 1:
            v = t.value.reshape(()).item()
            if is_exact(v) and v.q == 1:
                return int(v.p)
        raise CaseError("other", f"expected an integer (a loop bound or an index), got "
                                 f"{_show(t)}")

    def numel(self, value) -> int | None:
        return value.size if isinstance(value, T) else None

    def index_tensor(self, value):
        if not isinstance(value, T) or value.value.ndim == 0 or value.node is not None:
            return None  # a differentiated tensor is a float one: integer() refuses it
        if _is_boolean(value.value):
            raise CaseError("other", MASK_INDEX_MESSAGE)
        items = value.value.ravel().tolist()
        if not all(is_exact(v) and v.q == 1 for v in items):
            return None
        return np.array([int(v.p) for v in items], dtype=np.int64).reshape(value.shape).tolist()

    # --- conditions ------------------------------------------------------------------------
    def compare(self, op: str, a, b):
        a, b = self.tensor(a), self.tensor(b)
        shape = np.broadcast_shapes(a.shape, b.shape)
        x = np.broadcast_to(a.value, shape).ravel()
        y = np.broadcast_to(b.value, shape).ravel()
        out = object_array([self.decisions.compare(op, u, v) for u, v in zip(x, y)], shape)
        return T(out)

    def truth(self, value) -> bool:
        if isinstance(value, (bool, np.bool_)):
            return bool(value)
        t = self.tensor(value)
        if t.size != 1:
            raise CaseError("other", f"Boolean value of Tensor with more than one value is "
                                     f"ambiguous (a condition of shape {list(t.shape)}); "
                                     "reduce it first, e.g. with sum() or amax()")
        v = t.value.reshape(()).item()
        if isinstance(v, (bool, np.bool_)):
            return bool(v)
        return self.decisions.compare("!=", v, fmpq(0))


def _is_boolean(values: np.ndarray) -> bool:
    return values.size > 0 and isinstance(values.flat[0], (bool, np.bool_))


def _plain_ints(value, ns):
    if isinstance(value, (list, tuple)):
        return type(value)(_plain_ints(v, ns) for v in value)
    if isinstance(value, T):
        return ns.integer(value)
    return value


def _show(t: T) -> str:
    from verifier.oracle.graph.numbers import to_float
    return str([to_float(v) if not isinstance(v, bool) else v for v in t.value.ravel()][:4])


def _is_tensor_argument(value) -> bool:
    """A tensor where an op takes `dim` (max(a, b)): computed, more than one element, or not
    an integer; a literal dim such as 1 reaches the namespace as a constant integer."""
    if isinstance(value, list):
        return any(_is_tensor_argument(v) for v in value) or len(value) > 1
    if not isinstance(value, T):
        return False
    if value.node is not None or value.size != 1:
        return True
    v = value.value.reshape(()).item()
    return not (is_exact(v) and v.q == 1)
