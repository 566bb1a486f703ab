"""Running the cases on each mutant, one case per task, in the suite's worker processes.

A task is one case: the unmutated engine is run to see which registry rules
the case reaches (coverage), then every mutant of a reached rule, or of the
engine core, is installed, the engine is run, and the mutant uninstalled.  A
run identical to the unmutated one cannot be judged differently; a run that
differs is judged against the case's oracle (computed once per case, only
if needed) where the unmutated run passes (a failing row cannot kill).  `mutate_case` has run_case's
signature, so `verifier.parallel.run_cases_parallel` runs it in workers; the
plan (which mutants, the time limit) travels as its `toolkit`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from verifier.mutate.patching import replace_rule

KILLING = ("fail", "error")


@dataclass(frozen=True)
class MutationPlan:
    mutant_ids: tuple[str, ...]


@dataclass
class CaseResult:
    """What one case did to the mutants: the ones it reached and the ones it killed."""
    case: str
    file: str
    # False where the unmutated engine fails every dtype judged (it cannot kill)
    usable: bool
    reached: list[str]
    killed: dict[str, str]  # mutant id -> the first failing row's message
    seconds: float = 0.0


def mutate_case(case, backends, dtypes, timeout, plan: MutationPlan) -> list[CaseResult]:
    from verifier.mutate.catalogue import by_id
    from verifier.runner import real_toolkit
    from verifier.runner.timeout import CaseTimeout, time_limit

    started = time.perf_counter()
    result = CaseResult(case.name, case.file, True, [], {})
    toolkit = real_toolkit()
    table = toolkit.backends()
    chosen = [d for d in case.dtypes if dtypes is None or d in dtypes]
    if case.skip is not None or "engine" not in table or \
            (case.backends and "engine" not in case.backends):
        return [result]
    engine = table["engine"]
    # One reference for every mutant: it computes each (dtype, path) once.
    reference = toolkit.reference(case, timeout)

    def verdict(run):
        return toolkit.judge_case(case, {("engine", run.dtype): run}, reference, [],
                                  include_oracle=False)[0]

    try:
        with time_limit(timeout, f"case {case.name}"):
            reached, baseline = _covered(lambda: {d: engine.run(case, d) for d in chosen})
    except Exception:  # noqa: BLE001  a case that cannot run unmutated kills nothing
        result.usable = False
        return [result]
    # Judged only when a mutant changes this dtype's run: a run identical to the unmutated
    # one gets the same verdict, so most (case, mutant) pairs never need the oracle.
    passes: dict[str, bool] = {}
    mutants = by_id()
    for mutant_id in plan.mutant_ids:
        mutant = mutants[mutant_id]
        if mutant.rule != "core" and (mutant.target, mutant.rule) not in reached:
            continue
        result.reached.append(mutant_id)
        undo = mutant.install()
        try:
            with time_limit(timeout, f"case {case.name} on mutant {mutant_id}"):
                for dtype in chosen:
                    run = engine.run(case, dtype)
                    if same_run(run, baseline[dtype]):
                        continue
                    if dtype not in passes:
                        undo()  # the unmutated verdict is judged with the engine healthy
                        passes[dtype] = verdict(baseline[dtype]).status == "pass"
                        undo = mutant.install()
                    if not passes[dtype]:
                        continue
                    v = verdict(run)
                    if v.status in KILLING:
                        result.killed[mutant_id] = f"{dtype}: {v.status}: {v.message}"
                        break
        except CaseTimeout as exc:
            result.killed[mutant_id] = f"timeout: {exc}"
        except Exception as exc:  # noqa: BLE001  the mutant crashed the run: caught
            result.killed[mutant_id] = f"crashed: {type(exc).__name__}: {exc}"
        finally:
            undo()
    if passes and not any(passes.values()):
        result.usable = False  # fails unmutated at every dtype judged: it could not kill
    result.seconds = time.perf_counter() - started
    return [result]


def same_run(a, b) -> bool:
    """Whether two runs of one case computed the same thing (so get the same verdict)."""
    if (a.error_kind, a.error_message, a.skipped, tuple(a.trace), a.result_dtypes) != \
            (b.error_kind, b.error_message, b.skipped, tuple(b.trace), b.result_dtypes):
        return False
    if a.variables != b.variables or not _same_array(a.value, b.value):
        return False
    return all(set(x) == set(y) and all(_same_array(x[k], y[k]) for k in x)
               for x, y in ((a.grads, b.grads), (a.hvp, b.hvp)))


def _same_array(x, y) -> bool:
    if x is None or y is None:
        return x is None and y is None
    return x.shape == y.shape and bool(np.array_equal(x, y, equal_nan=True))


def _covered(fn):
    """fn()'s result, and the (op name, 'forward' or 'vjp') of every rule it called."""
    from verifier.ops.registry import all_ops
    reached: set[tuple[str, str]] = set()
    undos = []
    for name, op in list(all_ops().items()):
        if op.kind == "meta":
            continue
        undos.append(replace_rule(
            name, forward=_recording(op.forward, (name, "forward"), reached),
            vjp=_recording(op.vjp, (name, "vjp"), reached) if op.vjp else None))
    try:
        value = fn()
    finally:
        for undo in reversed(undos):
            undo()
    return reached, value


def _recording(fn, key, reached):
    def call(*args, **kwargs):
        reached.add(key)
        return fn(*args, **kwargs)
    return call
