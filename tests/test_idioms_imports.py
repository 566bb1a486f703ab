"""Operator-test idioms, part 7: the import forms tests use, for torch and for the engine.

`from torch.autograd.functional import jacobian` becomes
`from verifier.engine.autograd.functional import jacobian`: each dotted module and
each name imported from it must exist under both prefixes.
"""

from __future__ import annotations

import importlib

import pytest

IMPORTS = [
    ("nn.functional", ["conv2d", "interpolate", "batch_norm", "one_hot", "relu_"]),
    ("nn", ["Parameter", "functional", "init"]),
    ("nn.init", ["xavier_uniform_", "kaiming_normal_", "calculate_gain"]),
    ("testing", ["assert_close", "make_tensor"]),
    ("autograd", ["grad", "backward", "gradcheck", "gradgradcheck", "Function", "Variable"]),
    ("autograd.functional", ["jacobian", "hessian", "vjp", "jvp", "hvp", "vhp"]),
    ("autograd.function", ["once_differentiable", "Function"]),
    ("autograd.gradcheck", ["gradcheck", "gradgradcheck", "GradcheckError"]),
    ("autograd.forward_ad", ["dual_level", "make_dual", "unpack_dual"]),
    ("func", ["grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian", "vmap"]),
    ("linalg", ["solve", "det", "inv", "vector_norm"]),
]


@pytest.mark.parametrize("prefix", ["torch", "verifier.engine"])
@pytest.mark.parametrize("module, names", IMPORTS, ids=[m for m, _ in IMPORTS])
def test_module_and_names_import(prefix, module, names):
    imported = importlib.import_module(f"{prefix}.{module}")
    missing = [n for n in names if not hasattr(imported, n)]
    assert not missing, f"{prefix}.{module} lacks {missing}"
