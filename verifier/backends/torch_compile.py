"""`torch-compile`: the case's function compiled by `torch.compile` (inductor), then `.grad`.

The program is first traced to one FX graph of aten operations by running it
(`make_fx` on real tensors: branches and loops are decided at these inputs, so
the graph is the program along the path it takes here, as for every other
backend); `torch.compile` then compiles that graph: AOTAutograd derives its
backward graph, inductor compiles both to C++.  (Letting dynamo trace the
interpreter itself breaks the graph at every statement.)  The gradient is the
compiled backward applied to the seed.  A run that compiled no graph computed
nothing compiled, so it is skipped with that reason rather than passed.

Compiling costs seconds per case, so this backend is opt-in: it runs only
when named (`--backend torch-compile`).
"""

from __future__ import annotations

import functools
import warnings

from verifier.backends.base import Run
from verifier.backends.case_function import CaseFunction, NotApplicable, zeros_for
from verifier.backends.numeric import to_float64


@functools.lru_cache(maxsize=1)
def compiler_problem() -> str | None:
    """None where inductor compiles and runs a small function here, else why not."""
    try:
        import torch
        compiled = torch.compile(lambda a: (a * a).sum(), backend="inductor")
        x = torch.ones(2, dtype=torch.float64, requires_grad=True)
        compiled(x).backward()
        if x.grad is None or x.grad.tolist() != [2.0, 2.0]:
            return f"torch.compile gave a wrong gradient in its self-test: {x.grad}"
    except Exception as exc:  # no C++ compiler, no inductor, a broken install
        text = str(exc).strip().splitlines()
        return f"torch.compile (inductor) does not work here: {type(exc).__name__}: " + \
            (text[0] if text else "")
    finally:
        try:
            import torch._dynamo
            torch._dynamo.reset()
        except Exception:  # torch missing: the problem is reported above
            pass
    return None


def compiled_gradients(fn: CaseFunction, run: Run) -> None:
    # inductor's own deprecation warnings would bury the report, once per case.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _compiled_gradients(fn, run)


def _compiled_gradients(fn: CaseFunction, run: Run) -> None:
    import torch
    import torch._dynamo
    from torch._inductor.compile_fx import compile_fx
    from torch.fx.experimental.proxy_tensor import make_fx

    if fn.case.order >= 2:
        raise NotApplicable("order 2 needs a backward through the compiled backward, and "
                            "AOTAutograd does not support double backward of compiled graphs")
    torch._dynamo.reset()  # a fresh cache: each case compiles its own graphs
    graphs = []

    def counting_inductor(graph_module, example_inputs):
        graphs.append(graph_module)
        return compile_fx(graph_module, example_inputs)

    leaves = fn.primals(requires_grad=True)
    fn.fix_path()
    try:
        try:
            graph = make_fx(fn, tracing_mode="real")(*fn.primals())
        except RuntimeError as exc:
            if "tracing tensor" not in str(exc):
                raise
            raise NotApplicable("the program reads a tensor's value as a Python number (a loop "
                                "bound, an index), which a traced graph cannot capture") from None
        compiled = torch.compile(graph, backend=counting_inductor, dynamic=False)
        out = compiled(*leaves)
        if not graphs:
            raise NotApplicable("torch.compile compiled no graph for this case (dynamo ran all "
                                "of it eagerly), so there is no compiled path to check")
        fn.record(run, out)
        run.notes.append(f"torch.compile: {len(graphs)} graph(s) compiled by inductor")
        run.grads = zeros_for(fn.names, fn.arrays)
        if fn.names and out.requires_grad:
            grads = torch.autograd.grad(fn.contract(out), leaves, allow_unused=True)
            for name, g in zip(fn.names, grads):
                if g is not None:
                    run.grads[name] = to_float64(g)
    finally:
        torch._dynamo.reset()
