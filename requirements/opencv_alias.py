"""Write the `opencv-python` alias wheel: a distribution with no files that requires `opencv-python-headless`.

mmengine, mmcv-lite and imagecorruptions-imaug declare `opencv-python`, the GUI build of OpenCV; grad-cam and the
tests want `opencv-python-headless`. Both install the same `cv2` package, so with both in an environment the one
installed last wins, and the GUI build's `cv2` needs X libraries (libxcb, libGL) that servers and the images lack.
The lock resolves every `opencv-python` requirement to this alias instead (`requirements/overrides.txt`, applied by
`make lock`): it satisfies those declarations, `pip check` stays clean, and the only `cv2` on disk is the
headless build's, at the version the alias pins.

The wheel is stored uncompressed with fixed timestamps, so the same version always gives the same bytes, and the
hash in the locks stays valid (tests/test_requirements.py rebuilds it and compares). To move OpenCV:
`python requirements/opencv_alias.py NEW_VERSION`, then `make lock`.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
WHEEL_DIR = HERE / "opencv-python-alias"
OVERRIDES = HERE / "overrides.txt"
# The local version label marks the alias wherever its version is printed (`pip list`: 5.0.0.93+headless), and
# local labels do not count against the `opencv-python>=3` requirements it has to satisfy.
LOCAL_LABEL = "headless"
# Zip entries dated 1980-01-01 (the earliest a zip can hold), permissions rw-r--r--, made on Unix.
ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def wheel_name(version: str) -> str:
    return f"opencv_python-{version}+{LOCAL_LABEL}-py3-none-any.whl"


def _record_line(path: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"


def wheel_files(version: str) -> dict[str, bytes]:
    """The wheel's entries: metadata only, so installing it writes no `cv2`."""
    dist_info = f"opencv_python-{version}+{LOCAL_LABEL}.dist-info"
    files = {
        f"{dist_info}/METADATA": (
            "Metadata-Version: 2.1\n"
            "Name: opencv-python\n"
            f"Version: {version}+{LOCAL_LABEL}\n"
            "Summary: Alias of opencv-python-headless for packages that declare opencv-python "
            "(dscr: requirements/opencv_alias.py)\n"
            f"Requires-Dist: opencv-python-headless=={version}\n").encode(),
        f"{dist_info}/WHEEL": (
            "Wheel-Version: 1.0\n"
            "Generator: dscr requirements/opencv_alias.py\n"
            "Root-Is-Purelib: true\n"
            "Tag: py3-none-any\n").encode(),
    }
    record = [_record_line(path, data) for path, data in files.items()] + [f"{dist_info}/RECORD,,"]
    files[f"{dist_info}/RECORD"] = ("\n".join(record) + "\n").encode()
    return files


def build_wheel(version: str, out_dir: Path) -> Path:
    """Write the alias wheel for `version` into `out_dir`; the bytes depend on `version` only."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / wheel_name(version)
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in wheel_files(version).items():
            info = zipfile.ZipInfo(name, ZIP_DATE)
            info.compress_type = zipfile.ZIP_STORED
            info.create_system = 3
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("version", help="the opencv-python-headless version the alias pins, e.g. 5.0.0.93")
    args = parser.parse_args(argv)
    for old in WHEEL_DIR.glob("*.whl"):
        old.unlink()
    path = build_wheel(args.version, WHEEL_DIR)
    OVERRIDES.write_text(
        "# `make lock` resolves every `opencv-python` requirement to the alias of the headless build\n"
        "# (requirements/opencv_alias.py writes this file and the wheel).\n"
        f"opencv-python @ ./{path.relative_to(HERE.parent).as_posix()}\n")
    print(f"opencv_alias: wrote {path.relative_to(HERE.parent)} and {OVERRIDES.relative_to(HERE.parent)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
