"""What both oracle paths produce, and the checks they share.

A `Derivation` is one run of the program at one point, differentiated:
the exact output, gradients (after `backward.repeat` passes) and, for
order 2, Hessian-vector products; plus what claims need (the namespace,
the variables after the run, and a test for symbolic identity).
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from verifier.cases.model import Case
from verifier.contract import CaseError
from verifier.lang.interpreter import Limits

DEFAULT_LIMITS = Limits()


class Derivation:
    path = ""

    def __init__(self, case: Case, point: dict, follow=None, limits: Limits = DEFAULT_LIMITS) -> None:
        self.case = case
        self.point = point
        self.follow = follow
        self.limits = limits
        self.value: np.ndarray | None = None
        self.grads: dict[str, np.ndarray] = {}
        self.hvp: dict[str, np.ndarray] = {}
        self.env: dict = {}
        self.trace: tuple = ()
        self.notes: list[str] = []

    def derive(self) -> None:
        raise NotImplementedError

    def symbolic_grad(self, name: str):
        raise NotImplementedError

    def precision(self) -> str:
        """'exact' where every number is rational, else how many digits they carry."""
        from verifier.oracle.values import all_exact
        arrays = [self.value, *self.grads.values(), *self.hvp.values()]
        if any(a is not None and a.dtype != object for a in arrays):
            from verifier.oracle.longdouble import DIGITS
            return f"{DIGITS} digits (longdouble)"
        if all(all_exact(a) for a in arrays if a is not None):
            return "exact"
        from verifier.oracle.evaluate import DIGITS
        return f"{DIGITS} digits"

    def variables(self) -> dict:
        """The program's scalar variables after the run (integers as int)."""
        out = {}
        for name, v in self.env.items():
            if name in self.case.inputs:
                continue
            if isinstance(v, np.ndarray) and v.ndim == 0:
                v = v.item()
            if isinstance(v, (int, bool)):
                out[name] = v
            elif isinstance(v, sp.Basic) and v.is_Integer:
                out[name] = int(v)
            elif isinstance(v, sp.Basic) and v.is_Number:
                out[name] = v
        return out


def element_symbols(name: str, shape: tuple) -> np.ndarray:
    """One real symbol per element, printed `x_0_1` for x[0, 1] (a 0-d input is `x`).

    Dummies, not Symbols: two symbols with one name are still distinct, so an input
    named `x_0` next to `x` cannot alias x's first element (a wrong verdict otherwise).
    """
    out = np.empty(shape, dtype=object)
    for index in np.ndindex(*shape):
        label = "_".join([name, *map(str, index)])
        out[index] = sp.Dummy(label, real=True)
    return out


def check_seed(case: Case, out_shape: tuple, seed) -> None:
    """The backward seed must have the output's shape; a non-scalar output needs one."""
    if seed is None:
        if int(np.prod(out_shape, dtype=np.int64)) != 1:
            raise CaseError("nonscalar_output", f"grad can be implicitly created only for scalar "
                                                f"outputs (the output has shape {list(out_shape)}); "
                                                "give a seed: with the output's shape")
        return
    if tuple(np.shape(seed)) != tuple(out_shape):
        raise CaseError("shape", f"Mismatch in shape: grad_output[0] has a shape of "
                                 f"{list(np.shape(seed))} and output[0] has a shape of "
                                 f"{list(out_shape)}; the seed must have the output's shape")


def is_zero(d) -> bool:
    """Whether SymPy shows d == 0 identically (cheap rewrites first, simplify if small)."""
    if d == 0:
        return True
    if sp.expand(d) == 0 or sp.cancel(d) == 0:
        return True
    if sp.count_ops(d) <= 200:
        return sp.simplify(d) == 0
    return False
