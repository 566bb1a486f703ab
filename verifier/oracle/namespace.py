"""`SympyNamespace`: the shared interpreter over numpy object arrays of SymPy expressions.

Every operation is the registry's SymPy implementation (`Op.sympy`), so the
conventions (kinks, broadcasting, torch's meaning of each function) live in
one place.  Conditions are decided at the point where the case is evaluated
(`point`: symbol -> Rational), exactly where possible and otherwise to 50
digits, so the oracle differentiates the path the program took.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from verifier.contract import CaseError
from verifier.lang.interpreter import MASK_INDEX_MESSAGE, Namespace, RegistryOperators
from verifier.ops import registry
from verifier.oracle.evaluate import at_point, decide, rational

RELATIONS = {"<": sp.StrictLessThan, "<=": sp.LessThan, ">": sp.StrictGreaterThan,
             ">=": sp.GreaterThan, "==": sp.Equality, "!=": sp.Unequality}
RELATION_OPS = {cls: op for op, cls in RELATIONS.items()}
INTEGER_PARAMS = ("dim", "int", "shape")
SHAPE_WORDS = ("broadcast", "shape", "mismatch", "aligned", "dimension", "must match")


def shape_text(value) -> str:
    return "[" + ", ".join(map(str, np.shape(value))) + "]"


class SympyNamespace(RegistryOperators, Namespace):
    """Tensors are object ndarrays; scalars (literals, loop counters) are SymPy numbers."""

    def __init__(self, point: dict | None = None) -> None:
        self.point = point or {}  # Symbol -> Rational: where conditions are decided
        self.notes: list[str] = []  # conditions taken as equal to 50 digits, etc.

    # --- literals ------------------------------------------------------------
    def number(self, value, is_int: bool):
        return rational(value)

    def constant(self, name: str):
        return {"pi": sp.pi, "e": sp.E, "inf": sp.oo, "nan": sp.nan}[name]

    # --- operations through the registry -------------------------------------
    def call(self, func: str, args: list, kwargs: dict):
        op = self._op(func)
        if op.sympy is None:
            raise CaseError("other", f"{func}() has no SymPy implementation in the registry yet; "
                                     "the exact oracle cannot run this case")
        try:
            tensors, params = op.bind(tuple(args), dict(kwargs))
        except (TypeError, KeyError) as exc:
            raise CaseError("other", str(exc).strip("'\"")) from None
        any_array = any(isinstance(t, (np.ndarray, list)) for t in tensors)
        params = {name: self._param(op, name, v) for name, v in params.items()}
        if op.variadic:
            # The registry's variadic ops take the list unpacked: sympy(*arrays, dim=...).
            tensors = tuple(self._array(t) for t in tensors[0]) + tuple(
                self._array(t) for t in tensors[1:])
        else:
            tensors = tuple(self._array(t) for t in tensors)
        result = self._apply(op, tensors, params)
        return self._result(result, any_array)

    def _op(self, func: str):
        try:
            return registry.get(func)
        except KeyError:
            raise CaseError("other", f"unknown function {func}(); the registry has no operation "
                                     "of that name") from None

    def _apply(self, op, tensors, params):
        try:
            return op.sympy(*tensors, **params)
        except ValueError as exc:
            text = str(exc)
            shapes = " and ".join(shape_text(t) for t in tensors if isinstance(t, np.ndarray))
            if op.kind == "linalg" and any(w in text for w in SHAPE_WORDS):
                raise CaseError("shape", f"{op.name}(): shapes {shapes} cannot be multiplied "
                                         f"({text}); the last dim of the first must equal the "
                                         "first (or second-to-last) dim of the second") from None
            if any(w in text for w in SHAPE_WORDS):
                raise CaseError("shape", f"{op.name}(): the shapes {shapes} do not broadcast "
                                         f"({text}); make the sizes equal or 1 in each dim") from None
            raise CaseError("other", f"{op.name}(): {text}") from None
        except RuntimeError as exc:
            kind = "shape" if "shape" in str(exc) else "other"
            raise CaseError(kind, f"{op.name}(): {exc}") from None
        except (TypeError, IndexError, ZeroDivisionError, AttributeError) as exc:
            raise CaseError("other", f"{op.name}(): {type(exc).__name__}: {exc}") from None

    def _param(self, op, name: str, value):
        kind = next((p.kind for p in op.params if p.name == name), "any")
        if kind in INTEGER_PARAMS:
            return _plain_ints(value)
        if kind == "bool" and isinstance(value, sp.Basic):
            return bool(value)
        return value

    def _array(self, value):
        if isinstance(value, np.ndarray):
            return value if value.dtype == object else value.astype(object)
        if isinstance(value, list):
            return np.array([self._array(v) for v in value], dtype=object)
        if isinstance(value, (bool, int, float)):
            value = rational(value)
        return np.asarray(value, dtype=object)

    @classmethod
    def _result(cls, result, any_array: bool):
        if isinstance(result, tuple):
            # torch's named tuple (max with dim: values, indices), subscripted as x[0].
            return tuple(cls._result(r, True) for r in result)
        if isinstance(result, (bool, np.bool_)):
            return result
        if isinstance(result, (int, np.integer)):
            return sp.Integer(int(result))
        if isinstance(result, np.ndarray):
            if result.dtype != object:
                result = result.astype(object)
            if result.ndim == 0 and not any_array:
                return result.item()
            return result
        if any_array:
            return np.asarray(result, dtype=object)
        return result

    def inplace(self, op: str, target, value):
        # torch's in-place op keeps the target's shape: it cannot grow by broadcasting.
        result = self.binop(op, target, value)
        if np.shape(result) != np.shape(target):
            raise CaseError("shape", f"output with shape {shape_text(target)} doesn't match the "
                                     f"broadcast shape {shape_text(result)} (in-place "
                                     f"'{op}='); write 'y = y {op} ...' to get a new tensor")
        return result

    def transpose_all(self, value):
        return np.transpose(self._array(value))

    def integer(self, value) -> int:
        if isinstance(value, np.ndarray) and value.size == 1:
            value = value.reshape(()).item()
        value = self._numeric(value)
        if not (isinstance(value, sp.Basic) and value.is_Integer) and not isinstance(value, int):
            raise CaseError("other", f"expected an integer (a loop bound or an index), got {value}")
        return int(value)

    def numel(self, value) -> int | None:
        return int(value.size) if isinstance(value, np.ndarray) else None

    def index_tensor(self, value):
        if not isinstance(value, np.ndarray) or value.ndim == 0:
            return None
        items = value.ravel().tolist()
        if any(isinstance(v, (bool, np.bool_, sp.logic.boolalg.Boolean)) for v in items):
            raise CaseError("other", MASK_INDEX_MESSAGE)
        if not all(isinstance(v, sp.Integer) or isinstance(v, int) for v in items):
            return None
        return np.array([int(v) for v in items], dtype=np.int64).reshape(value.shape).tolist()

    # --- conditions ------------------------------------------------------------
    def compare(self, op: str, a, b):
        relation = RELATIONS[op]
        if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
            make = np.frompyfunc(lambda u, v: relation(u, v, evaluate=False), 2, 1)
            return np.asarray(make(self._array(a), self._array(b)), dtype=object)
        return relation(a, b, evaluate=False)

    def truth(self, value) -> bool:
        if isinstance(value, np.ndarray):
            if value.size != 1:
                raise CaseError("other", f"Boolean value of Tensor with more than one value is "
                                         f"ambiguous (a condition of shape {shape_text(value)}); "
                                         "reduce it first, e.g. with sum() or amax()")
            value = value.reshape(()).item()
        if isinstance(value, (bool, np.bool_)):
            return bool(value)
        if isinstance(value, sp.logic.boolalg.BooleanAtom):
            return bool(value)
        if isinstance(value, sp.core.relational.Relational) and type(value) in RELATION_OPS:
            result, note = decide(RELATION_OPS[type(value)], self._numeric(value.lhs),
                                  self._numeric(value.rhs))
            if note:
                self.notes.append(note)
            return result
        number = self._numeric(value)
        result, note = decide("!=", number, sp.Integer(0))
        return result

    def _numeric(self, value):
        """A value at the point where the case is evaluated."""
        if isinstance(value, sp.Basic) and value.free_symbols:
            return at_point(value, self.point)
        return value


def _plain_ints(value):
    """SymPy integers (loop counters) inside a dim or shape parameter as Python ints."""
    if isinstance(value, (list, tuple)):
        return type(value)(_plain_ints(v) for v in value)
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if isinstance(value, sp.Basic) and value.is_Integer:
        return int(value)
    return value
