"""How sensitive each element of a quantity is, for the fallback bound (bounds.py).

For the element q_i of a quantity (value, grad.x, hvp.x) at the inputs x a
row received:

    S_i = Σ_j |∂q_i/∂x_j| · |x_j|     its change when every input moves by one
                                      relative unit (input rounding: u·S_i);
    T_i = Σ_k |a_ik|                   the magnitude of the terms q_i is a sum
                                      of: grad = Jᵀ·seed, hvp = H·v.

They need the Jacobian J of the output and the Hessian H of f = <seed, out>,
which the exact oracle does not give at first order.  They are estimated
here in float64 with the engine's forward-over-reverse (create_graph), at
the row's own (rounded) inputs.  This is an *allowance*, never evidence: a
wrong engine derivative would have to be wrong by many orders of magnitude
to change a verdict, and the reference's own `error_bound` replaces it
wherever the oracle provides one.  It is computed only for quantities that
fail without it, and only for small cases (MAX_ROWS rows of J or H).
"""

from __future__ import annotations

import numpy as np

from verifier.backends.base import hvp_direction
from verifier.cases.model import Case

MAX_ROWS = 256  # backward passes one estimate may take (rows of J, then of H)


class Conditioning:
    """S and T of every quantity of one case at one dtype's inputs, computed once, lazily."""

    def __init__(self, case: Case) -> None:
        self.case = case
        self._cache: dict[str, dict] = {}

    def of(self, dtype: str, quantity: str) -> tuple[np.ndarray | None, np.ndarray | None]:
        """(T, S) for `quantity` at `dtype`'s inputs; None where unknown."""
        if dtype not in self._cache:
            try:
                self._cache[dtype] = _estimate(self.case, dtype)
            except Exception:  # noqa: BLE001 - no estimate: the bound keeps its other terms
                self._cache[dtype] = {}
        found = self._cache[dtype]
        return found.get(("T", quantity)), found.get(("S", quantity))


def _estimate(case: Case, dtype: str) -> dict:
    import verifier.engine as engine
    from verifier.backends.numeric import TensorNamespace
    from verifier.lang.interpreter import Interpreter

    leaves, env = {}, {}
    for name, inp in case.inputs.items():
        t = engine.tensor(inp.rounded(dtype), dtype=getattr(engine, inp.tensor_dtype("float64")),
                          requires_grad=inp.requires_grad)
        env[name] = t
        if inp.requires_grad:
            leaves[name] = t
    out, _, _ = Interpreter(TensorNamespace(engine, False), _limits()).run(case.program, env)
    found: dict = {}
    if not leaves or not isinstance(out, engine.Tensor) or not out.requires_grad:
        return found
    names = list(leaves)
    tensors = [leaves[n] for n in names]
    size = {n: np.abs(np.asarray(leaves[n].detach().numpy(), dtype=np.float64)) for n in names}
    flat_out = out.reshape(-1)
    seed = None if case.seed is None else np.asarray(case.seed.rounded(dtype), dtype=np.float64)
    # An infinite input (-inf in a masked row) makes some terms 0 * inf: nan, a term of no
    # known size, said by the result itself, not by a warning on the user's terminal.
    with np.errstate(invalid="ignore", over="ignore"):
        if flat_out.shape[0] <= MAX_ROWS:
            _jacobian_terms(engine, flat_out, tensors, names, size, seed, out.shape, found)
        seed_t = None if seed is None else engine.tensor(seed, dtype=engine.float64)
        grads = engine.autograd.grad(out, tensors, grad_outputs=seed_t, create_graph=True,
                                     retain_graph=True, allow_unused=True)
        if sum(t.numel() for t in tensors) <= MAX_ROWS:
            _hessian_terms(engine, grads, tensors, names, size, case.backward_repeat, found)
    return found


def _jacobian_terms(engine, flat_out, tensors, names, size, seed, shape, found) -> None:
    """S of the value (rows of J) and T of each grad (Σ_k |J_ki · seed_k|)."""
    n_out = flat_out.shape[0]
    weights = np.ones(n_out) if seed is None else np.abs(np.broadcast_to(seed, shape)).reshape(-1)
    s_value = np.zeros(n_out)
    t_grad = {n: np.zeros(size[n].shape) for n in names}
    for k in range(n_out):
        rows = engine.autograd.grad(flat_out[k], tensors, retain_graph=True, allow_unused=True)
        for name, row in zip(names, rows):
            if row is None:
                continue
            row = np.abs(np.asarray(row.detach().numpy(), dtype=np.float64))
            s_value[k] += float(np.sum(_finite(row) * size[name]))
            t_grad[name] += _finite(row) * weights[k]
    found[("S", "value")] = s_value.reshape(shape)
    if n_out == 1:
        return  # a scalar output's gradient is not a sum of several terms
    for name in names:
        found[("T", f"grad.{name}")] = t_grad[name]


def _hessian_terms(engine, grads, tensors, names, size, repeat, found) -> None:
    """S of each grad (rows of H against |x|) and T of each hvp (rows of H against |v|)."""
    direction = {n: hvp_direction(size[n].shape) for n in names}
    for name, g in zip(names, grads):
        s_grad = np.zeros(size[name].shape)
        t_hvp = np.zeros(size[name].shape)
        if g is not None and g.requires_grad:
            flat = g.reshape(-1)
            for i, index in enumerate(np.ndindex(size[name].shape)):
                rows = engine.autograd.grad(flat[i], tensors, retain_graph=True, allow_unused=True)
                for other, row in zip(names, rows):
                    if row is None:
                        continue
                    row = _finite(np.abs(np.asarray(row.detach().numpy(), dtype=np.float64)))
                    s_grad[index] += float(np.sum(row * size[other]))
                    t_hvp[index] += float(np.sum(row * direction[other]))
        found[("S", f"grad.{name}")] = s_grad * repeat
        found[("T", f"hvp.{name}")] = t_hvp


def _finite(a: np.ndarray) -> np.ndarray:
    """Non-finite derivatives say nothing about a finite allowance: they count as 0."""
    return np.where(np.isfinite(a), a, 0.0)


def _limits():
    from verifier.lang.interpreter import Limits
    return Limits(seconds=10.0)
