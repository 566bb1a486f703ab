"""Operator-test idioms, part 8: setup switches (backends, determinism, CUDA seeds),
anomaly detection, torch.special, and clamp with tensor bounds.

Each body runs with real torch and with the engine imported as `torch`.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch as real_torch

import verifier.engine as engine

pytestmark = pytest.mark.parametrize("torch", [real_torch, engine], ids=["torch", "engine"])


def test_setup_switches(torch):
    previous = torch.backends.cudnn.deterministic
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    assert torch.backends.cudnn.deterministic is True
    torch.backends.cudnn.deterministic = previous
    torch.use_deterministic_algorithms(True)
    assert torch.are_deterministic_algorithms_enabled()
    torch.use_deterministic_algorithms(False)
    assert not torch.are_deterministic_algorithms_enabled()
    torch.manual_seed(0)
    torch.cuda.manual_seed_all(0)
    torch.cuda.manual_seed(0)
    assert torch.cuda.is_available() is False or torch is real_torch
    threads = torch.get_num_threads()
    torch.set_num_threads(threads)
    assert torch.get_num_threads() == threads


def test_anomaly_detection_names_the_node(torch):
    x = torch.tensor([-1.0, 1.0], requires_grad=True)
    with pytest.warns(UserWarning) if torch is real_torch else _nothing():
        with torch.autograd.detect_anomaly():
            with pytest.raises(RuntimeError, match="Function 'SqrtBackward0' returned nan values"):
                torch.sqrt(x).sum().backward()
    torch.sqrt(x).sum().backward()  # off again: NaN gradients pass silently
    assert math.isnan(x.grad[0].item())
    with torch.autograd.set_detect_anomaly(True):
        assert torch.is_anomaly_enabled()
    assert not torch.is_anomaly_enabled()


class _nothing:  # noqa: N801  a context manager that expects nothing
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_special_functions(torch):
    x = torch.tensor([-1.0, 0.0, 0.5, 2.0], dtype=torch.float64)
    np.testing.assert_allclose(torch.special.expit(x).numpy(), 1 / (1 + np.exp(-x.numpy())))
    np.testing.assert_allclose(torch.special.ndtr(x).numpy(),
                               [0.15865525393145707, 0.5, 0.6914624612740131, 0.9772498680518208])
    entropy = torch.special.entr(x)
    assert entropy[0].item() == -math.inf and entropy[1].item() == 0.0
    assert entropy[2].item() == pytest.approx(-0.5 * math.log(0.5))
    assert torch.special.gammaln(torch.tensor([3.0])).item() == pytest.approx(math.log(2.0))
    assert torch.special.xlogy(torch.tensor([0.0]), torch.tensor([0.0])).item() == 0.0
    assert torch.special.logit(torch.tensor([0.5])).item() == 0.0
    assert torch.autograd.gradcheck(torch.special.ndtr, (x.clone().requires_grad_(),))


def test_clamp_with_tensor_bounds(torch):
    x = torch.tensor([0.0, 1.0, 2.0, 3.0], requires_grad=True)
    low = torch.tensor([1.0, 1.0, 1.0, 1.0], requires_grad=True)
    high = torch.tensor([2.0, 2.0, 2.0, 2.0], requires_grad=True)
    y = torch.clamp(x, min=low, max=high)
    (y * torch.tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()
    assert y.tolist() == [1.0, 1.0, 2.0, 2.0]
    assert x.grad.tolist() == [0.0, 2.0, 3.0, 0.0]
    assert low.grad.tolist() == [1.0, 0.0, 0.0, 0.0] and high.grad.tolist() == [0.0, 0.0, 0.0, 4.0]
    z = x.detach().clone()
    z.clamp_(min=torch.full((4,), 1.5))
    assert z.tolist() == [1.5, 1.5, 2.0, 3.0]
    assert x.clip(1, 2).tolist() == [1.0, 1.0, 2.0, 2.0]
    assert torch.inner(x, x).item() == 14.0 and x.detach().numpy(force=True).shape == (4,)
    assert x.numpy(force=True).tolist() == [0.0, 1.0, 2.0, 3.0]
