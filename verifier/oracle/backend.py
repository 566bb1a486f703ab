"""`SympyOracle`: computes the exact reference values of a case at one dtype and path.

Not a backend: `verifier.reference.Reference` asks it for values and the judge
consults the Reference.

It runs the case's program with SymPy, on the path the program took at the
point (`exact`: the inputs as written; `float64`/`float32`: as those
backends receive them), differentiates exactly, and evaluates exactly where
the numbers are rational, else to 30 digits (or 18, in extended precision,
for large tensors of many distinct values); `exactness` says which.

Two paths: the generic-element path (elementwise ops and full reductions,
any size, see elementwise.py) and the expansion path (one symbol per
element, small inputs, see expand.py).  The first is tried first.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from verifier.cases.model import Case
from verifier.contract import CaseError, LimitExceeded, ReferenceValues, TimeLimit
from verifier.lang.interpreter import Limits, PathMismatch
from verifier.oracle.derivation import Derivation
from verifier.oracle.elementwise import GenericDerivation
from verifier.oracle.evaluate import floats_of
from verifier.oracle.expand import ELEMENT_LIMIT, ExpansionDerivation
from verifier.oracle.generic import NotElementwise, Undecidable
from verifier.oracle.graph.compile import Unsupported as GraphUnsupported
from verifier.oracle.graph.derivation import GraphDerivation
from verifier.oracle.longdouble import Unsupported
from verifier.oracle.point import case_point
from verifier.oracle.ties import derive_tie_orders, tie_marks

GRAPH_ERRORS = ("nonscalar_output", "backward_twice", "inplace_saved", "inplace_leaf")
NO_GRAPH = "the exact oracle has no autograd graph: expected errors are checked on the autograd backends"
# auto: the graph, else (an op it has no rule for, a huge tensor) the symbolic paths;
# symbolic: the generic-element path, else the expansion path.
PATHS = ("auto", "graph", "symbolic", "generic", "expand")
# Past this many input elements the graph (one exact number per element and operation)
# gives way to the generic-element path, whose cost does not grow with the tensor.
GRAPH_ELEMENT_LIMIT = 200_000
# Past this many, a program of elementwise ops and full reductions goes to the generic-element
# path first: it derives one generic element once, where the graph works per element.
GENERIC_FIRST_ELEMENTS = 10_000

DEFAULT_LIMITS = Limits()


@dataclass
class OracleRun(ReferenceValues):
    """Reference values that keep their derivation, so claims are checked in the same symbols."""
    derivation: Derivation | None = None
    path: str = ""  # 'generic' or 'expand'


class SympyOracle:
    """The symbolic oracle; one instance serves every case (it keeps no per-case state)."""

    def __init__(self, path: str = "auto", limits: Limits = DEFAULT_LIMITS) -> None:
        if path not in PATHS:
            raise ValueError(f"path must be one of {', '.join(PATHS)}, got {path!r}")
        self.path = path
        self.limits = limits

    def run(self, case: Case, dtype: str, follow: tuple | None = None) -> OracleRun:
        start = time.perf_counter()
        run = OracleRun(dtype=dtype)
        if case.expect.error in GRAPH_ERRORS:
            run.skipped = NO_GRAPH
            return run
        try:
            point = case_point(case, dtype)
            derivation, marked, reversed_ = derive_tie_orders(
                lambda: self._derive(case, point, follow, dtype))
            self._fill(run, derivation, point)
            _mark_ties(run, tie_marks(derivation, marked, reversed_))
        except CaseError as exc:
            run.error_kind, run.error_message = exc.kind, str(exc)
        except TimeLimit:
            raise
        except LimitExceeded as exc:
            run.error_kind, run.error_message = "other", f"limit exceeded: {exc}"
            run.unfinished = True
        except (NameError, PathMismatch, ValueError, TypeError, ZeroDivisionError,
                IndexError, KeyError, ArithmeticError) as exc:
            run.error_kind, run.error_message = "other", f"{type(exc).__name__}: {exc}"
        run.seconds = time.perf_counter() - start
        return run

    def error_bounds(self, case: Case, dtype: str, trace: tuple) -> dict:
        """The attainable error bound per quantity at `dtype`, along `trace`."""
        from verifier.oracle.graph.derivation import error_bounds
        return error_bounds(case, case_point(case, dtype), tuple(trace), dtype, self.limits)

    def _derive(self, case: Case, point: dict, follow, dtype: str = "exact") -> Derivation:
        if self.path == "auto" and _elements(point) > GENERIC_FIRST_ELEMENTS:
            try:
                derivation = GenericDerivation(case, point, follow, self.limits)
                derivation.derive()
                return derivation
            except (NotElementwise, Undecidable, Unsupported):
                pass
        if self.path in ("auto", "graph") and (self.path == "graph" or
                                               _elements(point) <= GRAPH_ELEMENT_LIMIT):
            try:
                derivation = GraphDerivation(case, point, follow, self.limits, dtype)
                derivation.derive()
                return derivation
            except GraphUnsupported as exc:
                if self.path == "graph":
                    raise CaseError("other", f"the graph oracle cannot run this case: {exc}") \
                        from None
            except (CaseError, LimitExceeded, PathMismatch, NameError):
                raise  # the program's own failure: every path reports it alike
            except (ArithmeticError, TypeError, ValueError, IndexError, KeyError,
                    AttributeError) as exc:
                if self.path == "graph":
                    raise
                # a defect of the graph oracle must not cost the verdict: the symbolic paths
                derivation = self._symbolic(case, point, follow)
                derivation.notes.append(f"the graph oracle failed ({type(exc).__name__}: "
                                        f"{exc}); the symbolic path answered")
                return derivation
        return self._symbolic(case, point, follow)

    def _symbolic(self, case: Case, point: dict, follow) -> Derivation:
        if self.path != "expand":
            try:
                derivation = GenericDerivation(case, point, follow, self.limits)
                try:
                    derivation.derive()
                except Unsupported:
                    if _elements(point) > ELEMENT_LIMIT:
                        raise
                    derivation = GenericDerivation(case, point, follow, self.limits, mode="exact")
                    derivation.derive()
                return derivation
            except (NotElementwise, Undecidable, Unsupported) as exc:
                if self.path == "generic":
                    raise CaseError("other", "the generic-element path cannot run this "
                                             f"case: {exc}") from None
                reason = str(exc)
        else:
            reason = "the expansion path was asked for"
        derivation = ExpansionDerivation(case, point, follow, self.limits, reason)
        derivation.derive()
        return derivation

    def _fill(self, run: OracleRun, d: Derivation, point: dict) -> None:
        run.derivation, run.path, run.method = d, d.path, d.path
        run.inputs = {name: _floats(point[name]) for name in d.case.inputs}
        run.exact_value = d.value
        run.exact_grads = dict(d.grads)
        run.exact_hvp = dict(d.hvp)
        if isinstance(d, GraphDerivation):
            run.value = d.floats["value"]
            run.grads = {name: d.floats[f"grad.{name}"] for name in d.grads}
            run.hvp = {name: d.floats[f"hvp.{name}"] for name in d.hvp}
            run.undefined = dict(d.undefined)
        else:
            run.value = floats_of(d.value)
            run.grads = {name: floats_of(g) for name, g in d.grads.items()}
            run.hvp = {name: floats_of(h) for name, h in d.hvp.items()}
            run.symbolic_grads = {name: d.symbolic_grad(name) for name in d.grads}
        run.exactness = "; ".join([d.precision(), *d.notes])
        run.variables = d.variables()
        run.trace = d.trace


def symbolic_derivation(case: Case, point: dict, follow, limits: Limits = DEFAULT_LIMITS):
    """The monolithic SymPy derivation (closed forms for `show`, identity proofs of claims)."""
    return SympyOracle("symbolic", limits)._symbolic(case, point, follow)


def closed_form(case: Case, seconds: float = 5.0) -> dict:
    """d output / d input as SymPy expressions, for `verifier show`, within `seconds`."""
    from verifier.runner.timeout import CaseTimeout, time_limit
    try:
        with time_limit(seconds, "the closed form"):
            d = SympyOracle("symbolic")._symbolic(case, case_point(case, "exact"), None)
            return {name: d.symbolic_grad(name) for name in d.grads}
    except CaseTimeout:
        return {}
    except Exception:  # noqa: BLE001 - show prints the numbers without the closed form
        return {}


def _elements(point: dict) -> int:
    return sum(int(np.prod(p.shape, dtype=np.int64)) for p in point.values())


def _floats(p) -> np.ndarray:
    if p.floats is not None:
        return p.floats
    if p.uniform is not None:
        return np.full(p.shape, float(p.uniform))
    return floats_of(p.as_fractions())


def _mark_ties(run: OracleRun, marks: dict) -> None:
    """Elements a tie decides: undefined, with the values the conventions admit."""
    for key, (mask, admitted) in marks.items():
        run.undefined[key] = mask | np.asarray(run.undefined.get(key, False), dtype=bool)
        run.convention[key] = mask
        run.alternative[key] = floats_of(admitted)
    if marks:
        run.exactness = "; ".join(filter(None, [run.exactness, (
            f"{', '.join(sorted(marks))}: some elements sit at a tie of a selection, where no "
            "derivative exists; torch's convention is required there, or either order where "
            "torch leaves it open (topk)")]))
