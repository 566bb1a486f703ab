"""Small fakes of the backends, the claims and the judge, for testing the runner and the CLI
without the real ones: each fake backend computes `value = sum(x)` its own way."""

from __future__ import annotations

import time
from fractions import Fraction

import numpy as np

from verifier.backends.base import Backend, Run
from verifier.cases.model import Case, Input, Marker
from verifier.contract import ReferenceValues
from verifier.lang import ir
from verifier.runner import Toolkit
from verifier.verdict import Verdict


def exact_array(values) -> np.ndarray:
    flat = [Fraction(v) for v in np.ravel(values)]
    out = np.empty(np.shape(values), dtype=object)
    for i, v in enumerate(flat):
        out.flat[i] = v
    return out


def make_case(name="c", values=(1, 2), **kwargs) -> Case:
    inputs = {"x": Input("x", exact_array(list(values)), kind="value")}
    program = ir.Program(body=(), result=ir.Call("sum", (ir.Name("x"),)))
    return Case(name=name, file="cases/fake.yaml", line=3, program=program, inputs=inputs,
                source="sum(x)", **kwargs)


class FakeNumeric(Backend):
    def __init__(self, name, offset=0.0, crash=None, sleep=0.0, reason=None, wrong_on=()):
        self.name, self.offset, self.crash, self.sleep, self.reason = name, offset, crash, sleep, reason
        self.wrong_on = wrong_on  # names of cases where this backend is off by 1
        self.calls = []

    def unavailable(self):
        return self.reason

    def run(self, case, dtype):
        self.calls.append((case.name, dtype))
        if self.crash:
            raise self.crash
        if self.sleep:
            time.sleep(self.sleep)
        x = case.inputs["x"].rounded(dtype).astype(np.float64)
        offset = self.offset + (1.0 if case.name in self.wrong_on else 0.0)
        return Run(self.name, dtype, inputs={"x": x}, value=np.float64(x.sum() + offset),
                   grads={"x": np.ones_like(x)})


class FakeOracle:
    """A reference factory: `oracle(case, budget)` gives a Reference over `compute` below;
    its time limit, its cache and its claims are the real Reference's."""

    def __init__(self, sleep=0.0, crash=None):
        self.calls = []
        self.finished = 0  # runs that got to their result (a time limit stops the others)
        self.sleep, self.crash = sleep, crash
        self.claim_results: list = []

    def __call__(self, case, budget):
        from verifier.reference import Reference
        reference = Reference(case, budget, oracle=self)
        reference.claims = lambda: list(self.claim_results)
        return reference

    def run(self, case, dtype, follow=None):
        self.calls.append((dtype, follow))
        if self.crash:
            raise self.crash
        if self.sleep:
            deadline = time.monotonic() + self.sleep
            while time.monotonic() < deadline:  # busy, like SymPy simplifying
                pass
        self.finished += 1
        x = case.inputs["x"].rounded_exact(dtype)
        total = sum(x.ravel(), Fraction(0))
        return ReferenceValues(dtype, value=np.float64(float(total)), exact_value=np.array(total),
                               exact_grads={"x": np.array([Fraction(1)] * x.size, dtype=object)},
                               grads={"x": np.ones(x.size)}, symbolic_grads={"x": 1},
                               exactness="exact")


def fake_judge(case, runs, reference, claims, include_oracle=True):
    verdicts = []
    for (backend, dtype), run in runs.items():
        ref = reference.at(dtype)
        if ref.error_kind:
            verdicts.append(Verdict(case.name, case.file, backend, dtype, "error",
                                    message=ref.error_message))
            continue
        truth = ref.value
        err = abs(float(run.value) - float(truth))
        status = "pass" if err == 0 else "fail"
        if status == "fail" and case.xfail is not None and case.xfail.covers(backend, dtype):
            status = "xfail"
        verdicts.append(Verdict(case.name, case.file, backend, dtype, status,
                                max_abs_err=err, max_rel_err=err / max(abs(float(truth)), 1e-300),
                                message="" if err == 0 else f"value off by {err}",
                                details={"value": {"max_abs_err": err}}))
    if include_oracle:
        claims = claims() if callable(claims) else claims
        exact = reference.at("exact")
        status = "error" if exact.error_kind else \
            "fail" if any(c == "wrong" for c in claims) else "pass"
        verdicts.append(Verdict(case.name, case.file, "sympy", "exact", status,
                                message=exact.error_message))
    return verdicts


def toolkit(*backends, claims=(), oracle=None) -> Toolkit:
    table = {b.name: b for b in backends}
    oracle = oracle or FakeOracle()
    oracle.claim_results = list(claims)
    return Toolkit(lambda: table, oracle, fake_judge)


__all__ = ["FakeNumeric", "FakeOracle", "Marker", "make_case", "toolkit", "fake_judge"]
