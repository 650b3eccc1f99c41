"""Atomic file writes: a reader never sees a half-written result (write to a temp file, then rename);
arrays read back with one-line errors.

Temp files are named `.<name>.<pid>-<random>.tmp` beside their target. A writer killed mid-write (kill -9,
a lost machine) leaves its temp behind; the next write to the same path removes the temps of writers that
are no longer running, so they never accumulate. A full disk is reported as one line naming the path.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Callable

from dscr.config import DscrError

# Free space below which a failed write is taken as "disk full": serialisers such as torch.save report a
# short write as their own RuntimeError, without the ENOSPC errno.
FULL_DISK_BYTES = 1 << 20


def write_atomic(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Call `write(tmp_path)` then rename the temp file onto `path` (same folder, so the rename is atomic).

    Raises:
        DscrError: the disk is full (the previous file at `path`, if any, is left intact).
    """
    path = Path(path)
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_temps(path.parent, f".{path.name}.", ".tmp")
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=temp_prefix(path), suffix=".tmp")
        os.close(fd)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp creates 0600; results are meant to be read by others
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException as exc:
        full = disk_full(exc, path.parent)
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        if full:
            raise DscrError(f"no space left on device: could not write {path}") from None
        raise
    return path


def write_json_atomic(path: str | Path, data: Any) -> Path:
    return write_atomic(path, lambda tmp: tmp.write_text(json.dumps(data, indent=2, default=float) + "\n"))


def write_text_atomic(path: str | Path, text: str) -> Path:
    return write_atomic(path, lambda tmp: tmp.write_text(text))


def read_npy(path: str | Path, what: str):
    """A .npy array read without unpickling (memory-mapped where it can be).

    Raises:
        DscrError: the file is missing, empty, truncated, holds Python objects or is not a .npy file; one line
            naming `what` (e.g. "--images") and the path.
    """
    import numpy as np

    path = Path(path)
    if not path.is_file():
        raise DscrError(f"{what} file not found: {path}")
    try:
        return np.load(path, mmap_mode="r", allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        reason = (str(exc).splitlines() or [exc.__class__.__name__])[0][:100]
        raise DscrError(f"{what} {path} is not a readable .npy array (truncated, empty, object dtype or "
                        f"another format: {reason})") from None


def disk_full(exc: BaseException, folder: Path) -> bool:
    """Whether a failed write failed for lack of space: ENOSPC/EDQUOT, or (serialisers that hide the errno)
    any error while the file system holds less than FULL_DISK_BYTES free."""
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    if not isinstance(exc, (OSError, RuntimeError)):
        return False
    try:
        return shutil.disk_usage(folder).free < FULL_DISK_BYTES
    except OSError:
        return False


def temp_prefix(path: Path) -> str:
    """The name prefix of this process's temps for `path`: `.<name>.<pid>-` (mkstemp adds the random part)."""
    return f".{path.name}.{os.getpid()}-"


def remove_stale_temps(folder: Path, prefix: str, suffix: str = "") -> None:
    """Remove the temps `<prefix><pid>-<random><suffix>` (files or folders) whose writer process has ended.

    Temps without a pid (`<prefix><random><suffix>`, written before temps carried one) are stale by
    definition; names with a further dot belong to another target (`.last.pt.1.*` is not `.last.pt.*`).
    """
    try:
        entries = [e for e in os.scandir(folder) if e.name.startswith(prefix) and e.name.endswith(suffix)
                   and len(e.name) > len(prefix) + len(suffix)]
    except FileNotFoundError:
        return
    for entry in entries:
        rest = entry.name[len(prefix):len(entry.name) - len(suffix)]
        pid, dash, _ = rest.partition("-")
        if "." in rest or (dash and not pid.isdigit()) or (dash and _running(int(pid))):
            continue
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path, ignore_errors=True)
        else:
            Path(entry.path).unlink(missing_ok=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
