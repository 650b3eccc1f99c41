"""Read the hashed locks (requirements/*.txt, written by `make lock`) and compare an environment with them.

`python requirements/locks.py check-env requirements/base.txt requirements/video.txt` exits 0 when the running
Python environment holds exactly the distributions those locks select for it (their markers evaluated here), at
the locked versions, and otherwise names what differs and exits 1. The images run it after their installs
(images/test_images.sh), so an image is shown to carry its locks' packages and nothing else; tests/
test_requirements.py reads the locks through `parse` too.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import re
import sys
from dataclasses import dataclass
from pathlib import Path

# The wheel of a local file requirement: name-version-python-abi-platform.whl (the opencv-python alias).
WHEEL_FILE = re.compile(r"(?P<name>[^/-]+)-(?P<version>[^-]+)-[^-]+-[^-]+-[^-]+\.whl$")
HASH = re.compile(r"--hash=sha256:([0-9a-f]{64})")
# The project itself is installed from its source, not from a lock.
PROJECT = "dscr"


@dataclass(frozen=True)
class Pin:
    """One locked distribution."""

    name: str  # normalised (PEP 503): lower case, runs of -_. as one -
    version: str
    marker: str  # the environment marker after ';', '' when unconditional
    hashes: tuple[str, ...]
    path: str = ""  # a local wheel file (the opencv-python alias), relative to the repository root


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def parse(lock: Path) -> list[Pin]:
    """The pins of a lock written by `uv pip compile --generate-hashes` (`name==version ; marker` or a wheel path)."""
    pins = []
    text = Path(lock).read_text().replace("\\\n", " ")
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        hashes = tuple(HASH.findall(line))
        requirement = HASH.sub("", line).strip()
        requirement, _, marker = (part.strip() for part in requirement.partition(";"))
        if "==" in requirement:
            name, version = (part.strip() for part in requirement.split("==", 1))
            pins.append(Pin(normalise(name), version, marker, hashes))
            continue
        wheel = WHEEL_FILE.search(requirement)
        if wheel is None:
            raise ValueError(f"{lock}: neither `name==version` nor a wheel file: {line[:80]}")
        pins.append(Pin(normalise(wheel["name"]), wheel["version"], marker, hashes, requirement))
    return pins


def selected(pins: list[Pin], environment: dict[str, str] | None = None) -> dict[str, Pin]:
    """The pins whose markers hold in `environment` (default: the running interpreter), by name."""
    from packaging.markers import Marker

    return {pin.name: pin for pin in pins if not pin.marker or Marker(pin.marker).evaluate(environment)}


def differences(expected: dict[str, Pin], installed: dict[str, str]) -> list[str]:
    """What an environment (name -> version) lacks, adds or holds at another version than `expected`."""
    from packaging.version import Version

    lines = [f"missing: {name}=={pin.version}" for name, pin in sorted(expected.items()) if name not in installed]
    lines += [f"not in the locks: {name}=={version}" for name, version in sorted(installed.items())
              if name not in expected]
    lines += [f"version: {name} is {installed[name]}, the lock says {pin.version}"
              for name, pin in sorted(expected.items())
              if name in installed and Version(installed[name]) != Version(pin.version)]
    return lines


def installed_distributions() -> dict[str, str]:
    return {normalise(dist.metadata["Name"]): dist.version for dist in importlib.metadata.distributions()
            if normalise(dist.metadata["Name"]) != PROJECT}


def check_env(locks: list[Path]) -> int:
    expected: dict[str, Pin] = {}
    for lock in locks:
        expected.update(selected(parse(lock)))
    problems = differences(expected, installed_distributions())
    for line in problems:
        print(f"locks: {line}", file=sys.stderr)
    names = " + ".join(Path(lock).name for lock in locks)
    print(f"locks: this environment {'differs from' if problems else 'is exactly'} {names} "
          f"({len(expected)} distributions)")
    return 1 if problems else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check-env", help="compare the running environment with the union of LOCKS")
    check.add_argument("locks", nargs="+", type=Path)
    args = parser.parse_args(argv)
    return check_env(args.locks)


if __name__ == "__main__":
    raise SystemExit(main())
