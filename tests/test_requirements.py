"""The dependency locks (requirements/*.txt, `make lock`): exact pins with hashes, one OpenCV (the headless build),
the per-group locks agreeing with the developer lock, closed under their dependencies for Python 3.11 and 3.12,
DVC's S3 and SSH remotes usable, and no requirement the project does not use. The `slow` tests re-resolve every
lock with uv for both Pythons (network; `make test-lock`)."""

from __future__ import annotations

import ast
import hashlib
import importlib.metadata
import importlib.util
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement

REPO = Path(__file__).resolve().parents[1]
REQUIREMENTS = REPO / "requirements"
GROUPS = ("base", "classification", "video", "segmentation", "test")
LOCKS = ("lock",) + GROUPS
RUNTIME_GROUPS = ("base", "classification", "video", "segmentation")
# Packages only tests and benchmarks use (and what they pull in): never in a runtime image.
TEST_ONLY = ("pytest", "pytest-xdist", "imagecorruptions-imaug", "numba", "llvmlite", "scikit-image")
CODE_DIRS = ("src", "tasks", "tests", "benchmarks")


def _module(name: str):
    spec = importlib.util.spec_from_file_location(f"requirements_{name}", REQUIREMENTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


locks = _module("locks")
opencv_alias = _module("opencv_alias")


def _pins(lock: str) -> list:
    return locks.parse(REQUIREMENTS / f"{lock}.txt")


def _versions(lock: str) -> dict[str, str]:
    return {pin.name: pin.version for pin in _pins(lock)}


@pytest.mark.parametrize("lock", LOCKS)
def test_every_pin_is_exact_and_hashed(lock):
    pins = _pins(lock)
    assert pins
    for pin in pins:
        assert pin.version and pin.hashes, f"{lock}.txt: {pin.name} is not pinned with a hash"


def test_groups_pin_what_the_developer_lock_pins():
    developer = _versions("lock")
    covered = set()
    for group in GROUPS:
        for name, version in _versions(group).items():
            assert developer.get(name) == version, f"{group}.txt pins {name}=={version}, lock.txt {developer.get(name)}"
            covered.add(name)
    assert covered == set(developer), f"in lock.txt but in no group: {sorted(set(developer) - covered)}"


def test_runtime_locks_hold_the_base_and_no_test_package():
    base = _versions("base")
    for group in RUNTIME_GROUPS:
        versions = _versions(group)
        assert base.items() <= versions.items(), f"{group}.txt does not hold base.txt"
        assert not set(TEST_ONLY) & set(versions), f"{group}.txt holds test-only {set(TEST_ONLY) & set(versions)}"
    assert set(TEST_ONLY) <= set(_versions("test"))


def _opencv_pins(lock: str) -> dict:
    return {pin.name: pin for pin in _pins(lock) if "opencv" in pin.name}


@pytest.mark.parametrize("lock", LOCKS)
def test_the_only_opencv_is_the_headless_build(lock):
    pins = _opencv_pins(lock)
    assert set(pins) <= {"opencv-python-headless", "opencv-python"}
    if "opencv-python" in pins:
        alias, headless = pins["opencv-python"], pins["opencv-python-headless"]
        assert alias.path == f"./requirements/opencv-python-alias/{opencv_alias.wheel_name(headless.version)}"
        assert alias.version == f"{headless.version}+{opencv_alias.LOCAL_LABEL}"


def test_the_opencv_alias_is_its_script_s_output_and_holds_no_cv2(tmp_path):
    headless = _opencv_pins("lock")["opencv-python-headless"]
    alias = _opencv_pins("lock")["opencv-python"]
    committed = REPO / alias.path
    rebuilt = opencv_alias.build_wheel(headless.version, tmp_path)
    assert rebuilt.read_bytes() == committed.read_bytes()
    assert alias.hashes == (hashlib.sha256(committed.read_bytes()).hexdigest(),)
    with zipfile.ZipFile(committed) as wheel:
        assert all(name.split("/")[0].endswith(".dist-info") for name in wheel.namelist())
        metadata = wheel.read(f"opencv_python-{alias.version}.dist-info/METADATA").decode()
    assert f"Requires-Dist: opencv-python-headless=={headless.version}\n" in metadata


def test_cv2_is_the_headless_build_s():
    """In this environment `cv2` is the headless build's file, and the alias installed nothing of its own."""
    origin = Path(importlib.util.find_spec("cv2").origin).resolve()
    headless = importlib.metadata.distribution("opencv-python-headless")
    assert origin in {Path(headless.locate_file(file)).resolve() for file in headless.files}
    alias = importlib.metadata.distribution("opencv-python")
    assert all(".dist-info" in str(file) for file in alias.files), "opencv-python is the GUI build, not the alias"


# --- every requirement is used ----------------------------------------------------------------------------------

def _top_level_requirements() -> dict[str, str]:
    """Requirement name -> the .in file naming it."""
    names = {}
    for path in REQUIREMENTS.glob("*.in"):
        for line in path.read_text().splitlines():
            line = line.split("#", 1)[0].strip()
            if line and not line.startswith("-"):
                names[locks.normalise(re.match(r"[A-Za-z0-9._-]+", line)[0])] = path.name
    return names


def _imported_modules() -> set[str]:
    modules = set()
    for folder in CODE_DIRS:
        for path in (REPO / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Import):
                    modules.update(alias.name.split(".")[0] for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    modules.add(node.module.split(".")[0])
    return modules


def _installed_package_file(package: str, relative: str) -> Path:
    return Path(importlib.util.find_spec(package).submodule_search_locations[0]) / relative


# Requirements the project uses other than by an import in src/, tasks/, tests/ or benchmarks/: a file that shows
# the use and a pattern it must contain. "pkg:path" is a file of an installed package.
USED_WITHOUT_IMPORT = {
    "dvc": ("Makefile", r"\$\(DVC\) repro"),
    "dvc-s3": ("tests/test_requirements.py", r"def test_dvc_reaches_s3_and_ssh_remotes"),
    "dvc-ssh": ("tests/test_requirements.py", r"def test_dvc_reaches_s3_and_ssh_remotes"),
    "ray": ("images/README.md", r"ray start --address"),
    "pytest-xdist": ("Makefile", r"pytest -n \d"),
    "pip": ("Makefile", r"pip install -q --require-hashes"),
    "setuptools": ("pyproject.toml", r"setuptools\.build_meta"),
    "ftfy": ("mmseg:utils/tokenizer.py", r"^import ftfy"),
    "regex": ("mmseg:utils/tokenizer.py", r"^import regex"),
}


def test_every_requirement_is_used():
    imported = _imported_modules()
    distribution_modules: dict[str, set[str]] = {}
    for module, distributions in importlib.metadata.packages_distributions().items():
        for distribution in distributions:
            distribution_modules.setdefault(locks.normalise(distribution), set()).add(module)
    for name, source in sorted(_top_level_requirements().items()):
        if name in USED_WITHOUT_IMPORT:
            where, pattern = USED_WITHOUT_IMPORT[name]
            package, _, relative = where.rpartition(":")
            path = _installed_package_file(package, relative) if package else REPO / where
            assert re.search(pattern, path.read_text(), re.MULTILINE), f"{name} ({source}): no use in {where}"
        else:
            modules = distribution_modules.get(name, set())
            assert modules & imported, f"{name} ({source}) provides {sorted(modules)}, imported nowhere"


# --- DVC remotes ------------------------------------------------------------------------------------------------

def test_dvc_reaches_s3_and_ssh_remotes(tmp_path):
    """DVC knows s3:// and ssh:// remotes only with its plugins (dvc-s3, dvc-ssh); without one it raises
    "s3 is supported, but requires 'dvc-s3' to be installed". Building the remotes needs no network."""
    from dvc.repo import Repo

    repo = Repo.init(tmp_path, no_scm=True)
    with repo.config.edit() as config:
        config["remote"]["store"] = {"url": "s3://bucket/dscr"}
        config["remote"]["box"] = {"url": "ssh://user@example.org/srv/dscr"}
    repo = Repo(tmp_path)
    assert repo.cloud.get_remote("store").fs.protocol == "s3"
    assert repo.cloud.get_remote("box").fs.protocol == "ssh"


# --- the lock holds for Python 3.11 and 3.12 --------------------------------------------------------------------

def _linux_environment(python: str) -> dict[str, str]:
    environment = default_environment()
    environment.update(python_version=python, python_full_version=f"{python}.0", sys_platform="linux",
                       platform_system="Linux", platform_machine="x86_64", implementation_name="cpython",
                       platform_python_implementation="CPython", os_name="posix")
    return environment


@pytest.mark.parametrize("python", ["3.11", "3.12"])
def test_lock_is_closed_under_dependencies(python):
    """Every dependency of every pin the lock selects on Linux for `python` is itself selected, at a version the
    dependency allows (read from this environment's metadata: the locked versions are installed here)."""
    environment = _linux_environment(python)
    chosen = locks.selected(_pins("lock"), environment)
    running = f"{sys.version_info.major}.{sys.version_info.minor}" == python
    checked = 0
    for name, pin in chosen.items():
        try:
            distribution = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            assert not running, f"{name} is in the lock for Python {python} but not installed (run make setup)"
            continue
        if distribution.version != pin.version:
            continue
        checked += 1
        for line in distribution.requires or []:
            requirement = Requirement(line)
            if requirement.marker and not requirement.marker.evaluate({**environment, "extra": ""}):
                continue
            dependency = chosen.get(locks.normalise(requirement.name))
            assert dependency is not None, f"{name} needs {requirement}, which the lock lacks for Python {python}"
            assert requirement.specifier.contains(dependency.version, prereleases=True), \
                f"{name} needs {requirement}, the lock has {dependency.version}"
    assert checked >= 0.9 * len(chosen)


def _uv() -> str:
    uv = os.environ.get("DSCR_UV") or str(REPO / "build" / "uv" / "bin" / "uv")
    if not Path(uv).is_file():
        pytest.fail("uv not found: run `make test-lock` (it installs uv into build/uv)")
    return uv


@pytest.mark.slow
@pytest.mark.parametrize("python", ["3.11", "3.12"])
@pytest.mark.parametrize("lock", LOCKS)
def test_lock_resolves_unchanged(lock, python, tmp_path):
    """uv resolves the lock itself for Linux x86_64 and `python` from the registry: every pinned version exists
    there for that Python and nothing is added or moved."""
    out = tmp_path / "resolved.txt"
    subprocess.run([_uv(), "pip", "compile", "--quiet", "--python-version", python,
                    "--python-platform", "x86_64-manylinux_2_28", "--no-header", "--no-annotate",
                    "--overrides", "requirements/overrides.txt", f"requirements/{lock}.txt", "-o", str(out)],
                   cwd=REPO, check=True, timeout=600)
    resolved = {pin.name: pin.version for pin in locks.parse(out)} if out.read_text().strip() else {}
    locked = {name: pin.version for name, pin in locks.selected(_pins(lock), _linux_environment(python)).items()}
    assert resolved == locked
