import numpy as np
import pytest
import torch


@pytest.fixture(autouse=True)
def seeded_rngs():
    """Every test starts from the same numpy and torch random state."""
    np.random.seed(0)
    torch.manual_seed(0)
    yield
