import os

import numpy as np
import pytest
import torch
from hypothesis import settings

# CI gates a merge: there, hypothesis draws the same examples every run (a failure found
# once is found again); locally it explores new examples each run.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(autouse=True)
def seeded_rngs():
    """Every test starts from the same numpy and torch random state."""
    np.random.seed(0)
    torch.manual_seed(0)
    yield
