"""float16 and bfloat16 as run dtypes: the formats table, the engine against torch, the judge."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import verifier.engine as engine
from verifier.cases.loader import load_text
from verifier.compare.bounds import overflow_ok
from verifier.float_formats import FORMATS, eps, is_floating, numpy_dtype, round_to
from verifier.runner import run_case

LOW = ("float16", "bfloat16")


def test_the_formats_table():
    assert eps("float64") == 2.0 ** -52 and eps("float32") == 2.0 ** -23
    assert eps("float16") == 2.0 ** -10 and eps("bfloat16") == 2.0 ** -7
    for name in FORMATS:
        assert is_floating(numpy_dtype(name))
        assert float(round_to(name, np.array(FORMATS[name].max_value))) == FORMATS[name].max_value
    # 1/3 to 8 significant bits: 0.333984375 = 171 / 512
    assert float(round_to("bfloat16", np.array(1 / 3))) == 171 / 512
    assert float(round_to("float16", np.array(0.1))) == 0.0999755859375


# (expression, input shapes): the elementwise, reduction and matmul families.
EXPRESSIONS = [
    (lambda m, x: (m.exp(x) * m.tanh(x)).sum(), [(2, 3)]),
    (lambda m, x: (m.sigmoid(x) + m.sin(x) * x).sum(), [(4,)]),
    (lambda m, x: (m.softmax(x, dim=1) * x).sum(), [(3, 4)]),
    (lambda m, x: m.std(x, dim=0).sum() + m.cumsum(x, 1).pow(2).sum(), [(3, 3)]),
    (lambda m, x: m.max(x, dim=1)[0].sum() + m.sort(x, dim=0)[0][0].sum(), [(3, 4)]),
    (lambda m, a, b: ((a @ b) ** 2).sum(), [(3, 4), (4, 2)]),
]


@pytest.mark.parametrize("dtype", LOW)
@pytest.mark.parametrize("index", range(len(EXPRESSIONS)))
def test_engine_agrees_with_torch_in_low_precision(index, dtype):
    expression, shapes = EXPRESSIONS[index]
    rng = np.random.default_rng(index)
    arrays = [round_to(dtype, rng.uniform(-1, 1, size=s)).astype(np.float64) for s in shapes]
    results = []
    for module in (engine, torch):
        leaves = [module.tensor(a, dtype=getattr(module, dtype), requires_grad=True) for a in arrays]
        out = expression(module, *leaves)
        out.backward()
        assert str(out.dtype) == f"torch.{dtype}"
        results.append([float(out)] + [t.grad.float().numpy() if module is torch else
                                       t.grad.numpy().astype(np.float64) for t in leaves])
    (ours, *our_grads), (theirs, *their_grads) = results
    # Both round every operation to the dtype (torch accumulates sums in float32): a few
    # roundings of terms of size ~1 each.
    tol = 32 * eps(dtype)
    assert abs(ours - theirs) <= tol * (1 + abs(theirs)) * 4
    for mine, reference in zip(our_grads, their_grads):
        np.testing.assert_allclose(mine, reference, rtol=0, atol=tol * (1 + np.abs(reference).max()))


def test_a_result_beyond_the_range_is_expected_to_be_infinite():
    exact = np.array([162754.79, -70000.0, 1.0])
    got = np.array([np.inf, -np.inf, np.inf])
    no_slack = np.zeros(3)
    assert overflow_ok(got, exact, no_slack, "float16").tolist() == [True, True, False]
    assert not overflow_ok(got, exact, no_slack, "bfloat16").any()  # 3.4e38 is its largest


def test_float16_overflow_passes_as_inf_and_a_finite_float16_answer_fails():
    case = load_text("""cases:
  - name: overflow
    inputs:
      x: {value: [12]}
    expr: sum(exp(x))
    dtypes: [float16]
""").cases[0]
    verdicts = run_case(case, ["engine", "torch", "sympy"], None, timeout=60)
    assert all(v.status == "pass" for v in verdicts), [(v.backend, v.message) for v in verdicts]
    from verifier.cases.model import Tolerance
    from verifier.compare.errors import check_quantity
    finite = check_quantity("value", np.array(65504.0), np.array(162754.79), None, "float16",
                            Tolerance(rtol=1e-3, atol=0.0))
    assert not finite.ok


def test_the_loader_accepts_low_precision_dtypes_and_names_unknown_ones():
    loaded = load_text("""cases:
  - name: half
    inputs: {x: {value: [1, 2]}}
    expr: sum(x)
    dtypes: [float16, bfloat16]
""")
    assert loaded.cases[0].dtypes == ("float16", "bfloat16") and not loaded.problems
    refused = load_text("""cases:
  - name: quarter
    inputs: {x: {value: [1, 2]}}
    expr: sum(x)
    dtypes: [float8]
""")
    assert not refused.cases and any("float8" in str(p) for p in refused.problems)


def test_bfloat16_stays_bfloat16_beside_python_numbers_as_in_torch():
    # ml_dtypes promotes bfloat16 + 1e-5 to float32; torch keeps bfloat16 (a weak scalar),
    # in the operators and inside composite ops (layer_norm adds eps)
    for module in (engine, torch):
        x = module.ones(2, 8, dtype=module.bfloat16)
        results = [x + 1e-5, x * 2.0, 1.0 - x, x / 3.0, x ** 2.0, module.clamp(x, min=0.5),
                   module.nn.functional.layer_norm(x, [8])]
        assert all(r.dtype == module.bfloat16 for r in results), [r.dtype for r in results]
