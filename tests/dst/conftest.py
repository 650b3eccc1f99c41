"""DST tests run single-threaded (the machine is shared); helpers live in dst_helpers.py."""

import pytest
import torch


@pytest.fixture(autouse=True)
def _single_thread():
    torch.set_num_threads(1)
    yield
