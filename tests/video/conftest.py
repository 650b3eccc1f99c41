"""Fixtures of the video tests: a tiny UCF101 on disk, written once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from .video_helpers import make_ucf101


@pytest.fixture(scope="session")
def ucf_root(tmp_path_factory) -> Path:
    return make_ucf101(tmp_path_factory.mktemp("ucf101"))
