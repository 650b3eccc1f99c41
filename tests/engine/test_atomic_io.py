"""Atomic writes: a failed write keeps the previous file, a full disk is one line naming the path, and a
killed writer's temp file is cleared by the next write to the same path."""

from __future__ import annotations

import errno
import subprocess
import sys
from collections import namedtuple

import numpy as np
import pytest

from dscr.config import DscrError
from dscr.engine import io
from dscr.engine.io import read_npy, write_atomic, write_json_atomic


def _dead_pid() -> int:
    """The pid of a process that has ended."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_writer_failing_halfway_leaves_the_previous_file_intact(tmp_path):
    target = tmp_path / "metrics.json"
    write_json_atomic(target, {"accuracy": 1.0})
    before = target.read_bytes()

    def half_then_fail(tmp):
        tmp.write_text('{"accuracy": 2')  # half a result ...
        raise ValueError("serialiser crashed")  # ... then the writer dies

    with pytest.raises(ValueError, match="serialiser crashed"):
        write_atomic(target, half_then_fail)
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["metrics.json"]


def test_enospc_is_one_line_naming_the_path_and_keeps_the_previous_file(tmp_path):
    target = tmp_path / "checkpoints" / "last.pt"
    write_atomic(target, lambda tmp: tmp.write_bytes(b"old"))

    def disk_fills(tmp):
        tmp.write_bytes(b"new, half")
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(DscrError) as err:
        write_atomic(target, disk_fills)
    message = str(err.value)
    assert "no space left on device" in message and str(target) in message and "\n" not in message
    assert target.read_bytes() == b"old" and sorted(p.name for p in target.parent.iterdir()) == ["last.pt"]


def test_a_serialiser_error_on_a_full_disk_is_reported_as_a_full_disk(tmp_path, monkeypatch):
    # torch.save reports a short write as its own RuntimeError ("unexpected pos ..."), without an errno
    def torch_like(tmp):
        raise RuntimeError("[enforce fail at inline_container.cc:672] . unexpected pos 33472 vs 33368")

    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(io.shutil, "disk_usage", lambda path: usage(64 << 10, 64 << 10, 0))
    with pytest.raises(DscrError, match="no space left on device: could not write .*last.pt"):
        write_atomic(tmp_path / "last.pt", torch_like)
    # with room on the disk the same error is a real serialiser bug and is not disguised
    monkeypatch.setattr(io.shutil, "disk_usage", lambda path: usage(1 << 40, 0, 1 << 40))
    with pytest.raises(RuntimeError, match="unexpected pos"):
        write_atomic(tmp_path / "last.pt", torch_like)


def test_the_next_write_removes_temps_of_killed_writers_only(tmp_path):
    dead = _dead_pid()
    stale = [tmp_path / f".last.pt.{dead}-k1ll3d00.tmp",   # a writer killed mid-write
             tmp_path / ".last.pt.a8x0q2mz.tmp"]          # the pid-less name older versions wrote
    alive = tmp_path / f".last.pt.{__import__('os').getpid()}-wr1t1ng0.tmp"  # a writer still at work
    other = tmp_path / f".last.pt.1.{dead}-0therf1l.tmp"  # a temp of another file, last.pt.1
    for path in stale + [alive, other]:
        path.write_bytes(b"partial")
    write_atomic(tmp_path / "last.pt", lambda tmp: tmp.write_bytes(b"new"))
    assert not any(p.exists() for p in stale)
    assert alive.exists() and other.exists()
    assert (tmp_path / "last.pt").read_bytes() == b"new"


def test_results_are_readable_by_others(tmp_path):
    path = write_json_atomic(tmp_path / "r.json", {})
    assert path.stat().st_mode & 0o044 == 0o044  # mkstemp's 0600 would hide results from other users


@pytest.mark.parametrize("make, reason", [
    (lambda p: p.write_bytes(b""), "No data left|empty"),
    (lambda p: p.write_bytes(np.random.default_rng(0).bytes(4096)), "pickled"),
    (lambda p: np.save(p, np.array([{"a": 1}], dtype=object), allow_pickle=True), "memory-mapped|object"),
])
def test_read_npy_refuses_unreadable_arrays_in_one_line(tmp_path, make, reason):
    path = tmp_path / "x.npy"
    make(path)
    with pytest.raises(DscrError, match=reason) as err:
        read_npy(path, "--images")
    assert str(err.value).startswith(f"--images {path} is not a readable .npy array")
    with pytest.raises(DscrError, match="file not found"):
        read_npy(tmp_path / "none.npy", "--images")


def test_read_npy_refuses_a_truncated_array(tmp_path):
    path = tmp_path / "x.npy"
    np.save(path, np.zeros((10, 8, 8, 3), np.uint8))
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(DscrError, match="truncated"):
        read_npy(path, "--images")
