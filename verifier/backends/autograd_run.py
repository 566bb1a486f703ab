"""One case on one torch-like module: forward, backward passes, second order.

Shared by the engine and torch backends (CPU and CUDA): only the module and
the device differ.  Every failure is caught and classified with the one
error table of `verifier.backends.numeric`, so that a case's expected error
(`backward_twice`, `inplace_saved`, ...) is what the module itself raised.
"""

from __future__ import annotations

import time

import numpy as np

from verifier.backends.base import Run, TimeLimit, hvp_direction
from verifier.backends.numeric import (
    TensorNamespace,
    classify,
    dtype_name,
    scalar_variables,
    to_float64,
)
from verifier.backends.warning_notes import warnings_as_notes
from verifier.cases.model import Case
from verifier.lang.interpreter import Interpreter, Limits

DEFAULT_LIMITS = Limits()


def run_on_module(case: Case, dtype: str, *, backend: str, module, device: str = "cpu",
                  uses_registry_torch: bool, limits: Limits = DEFAULT_LIMITS) -> Run:
    """Run `case` at `dtype` with `module` (torch or verifier.engine); never raises."""
    run = Run(backend=backend, dtype=dtype,
              inputs={name: inp.rounded(dtype) for name, inp in case.inputs.items()})
    started = time.perf_counter()
    try:
        ns = TensorNamespace(module, uses_registry_torch, dtype, device)
        with warnings_as_notes(run):
            _execute(case, dtype, run, module, device, ns, limits)
    except TimeLimit:
        raise
    except Exception as exc:  # a case's failure is data, not a crash of the runner
        run.error_kind, run.error_message = classify(exc)
    run.seconds = time.perf_counter() - started
    return run


def _native(values):
    """Rounded inputs as numpy's own floats: torch cannot read ml_dtypes' bfloat16 arrays,
    and their float64 copies are exact (the tensor rounds them back without change)."""
    return values.astype("float64") if values.dtype.name == "bfloat16" else values


def _execute(case, dtype, run, module, device, ns, limits) -> None:
    torch_dtype = getattr(module, dtype)
    leaves = {}
    env = {}
    for name, inp in case.inputs.items():
        # An int64/int32/bool input (`dtype:`) keeps its dtype in every run.
        t = module.tensor(_native(run.inputs[name]), dtype=getattr(module, inp.tensor_dtype(dtype)),
                          device=device, requires_grad=inp.requires_grad)
        env[name] = t
        if inp.requires_grad:
            leaves[name] = t
    result, variables, trace = Interpreter(ns, limits).run(case.program, env)
    run.trace = trace
    run.variables = scalar_variables(variables, module.Tensor)
    if not isinstance(result, module.Tensor):
        # A program whose output is a plain number: it does not depend on the inputs.
        result = module.tensor(result, dtype=torch_dtype, device=device)
    run.value = to_float64(result)
    run.result_dtypes["value"] = dtype_name(result)
    if not leaves:
        return
    seed = None
    if case.seed is not None:
        seed = module.tensor(_native(case.seed.rounded(dtype)), dtype=torch_dtype, device=device)
    if not result.requires_grad:
        _no_graph(case, run, leaves, seed)
        return
    if case.order >= 2:
        run.hvp = _hessian_vector(module, result, seed, leaves, dtype, device, run.result_dtypes)
    for _ in range(case.backward_repeat):
        if case.retain_graph is None:
            result.backward(seed)  # the module's own default, as a user's call would get it
        else:
            result.backward(seed, retain_graph=case.retain_graph)
    for name, leaf in leaves.items():
        if leaf.grad is None:
            # The output does not depend on this input: its derivative is zero.
            run.grads[name] = np.zeros(leaf.shape, dtype=np.float64)
            run.notes.append(f"{name} got no gradient (unused by the output); recorded as zeros")
        else:
            run.grads[name] = to_float64(leaf.grad)
            run.result_dtypes[f"grad.{name}"] = dtype_name(leaf.grad)


def _no_graph(case, run, leaves, seed) -> None:
    """The output does not require grad: every gradient is zero (or a seedless nonscalar)."""
    if seed is None and run.value.size != 1:
        # torch checks the shape before it notices the missing graph; say what it would.
        raise RuntimeError("grad can be implicitly created only for scalar outputs")
    for name, leaf in leaves.items():
        run.grads[name] = np.zeros(tuple(leaf.shape), dtype=np.float64)
        if case.order >= 2:
            run.hvp[name] = np.zeros(tuple(leaf.shape), dtype=np.float64)
    run.notes.append("the output does not depend on any input that requires grad; "
                     "gradients recorded as zeros")


def _hessian_vector(module, result, seed, leaves, dtype, device,
                    dtypes: dict[str, str]) -> dict[str, np.ndarray]:
    """hvp_i = d/dx_i sum_j <g_j, v_j>, g = d<seed, out>/dx (create_graph=True)."""
    names = list(leaves)
    tensors = [leaves[n] for n in names]
    grads = module.autograd.grad(result, tensors, grad_outputs=seed, create_graph=True,
                                 retain_graph=True, allow_unused=True)
    torch_dtype = getattr(module, dtype)
    total = None
    for g, t in zip(grads, tensors):
        if g is None:
            continue
        v = module.tensor(hvp_direction(tuple(t.shape)), dtype=torch_dtype, device=device)
        term = (g * v).sum()
        total = term if total is None else total + term
    out = {n: np.zeros(tuple(t.shape), dtype=np.float64) for n, t in zip(names, tensors)}
    if total is None or not total.requires_grad:
        return out  # the gradient is constant: a zero Hessian
    # retain_graph: the backward passes that follow still need the forward graph.
    second = module.autograd.grad(total, tensors, retain_graph=True, allow_unused=True)
    for n, h in zip(names, second):
        if h is not None:
            out[n] = to_float64(h)
            dtypes[f"hvp.{n}"] = dtype_name(h)
    return out
