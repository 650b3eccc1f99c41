"""Registry, determinism, devices and the `dscr corrupt` writer."""

from __future__ import annotations

import argparse

import numpy as np
import pytest
import torch

from dscr import corrupt
from dscr.config import DscrError

from corrupt_reference import smooth_images, to_nchw

CIFAR19 = ["gaussian_noise", "shot_noise", "impulse_noise", "defocus_blur", "glass_blur", "motion_blur", "zoom_blur",
           "snow", "frost", "fog", "brightness", "contrast", "elastic_transform", "pixelate", "jpeg_compression",
           "speckle_noise", "gaussian_blur", "spatter", "saturate"]


@pytest.fixture(scope="module")
def batch():
    return to_nchw(smooth_images(4, 32, 32, seed=5))


def test_builtin_suites_are_registered():
    names = corrupt.list_suites()
    for name in ["cifar10-c", "cifar100-c", "tinyimagenet-c", "imagenet-c", "voc-c"]:
        assert name in names
    suite = corrupt.get_suite("cifar10-c")
    assert suite.corruptions == CIFAR19 and suite.severities == [1, 2, 3, 4, 5] and suite.dataset == "cifar10"
    assert len(corrupt.get_suite("imagenet-c").corruptions) == 15
    assert len(corrupt.get_suite("tinyimagenet-c").corruptions) == 15


def test_tables_hold_the_published_constants():
    """Spot checks against hendrycks/robustness (SPEC section 3 quotes the gaussian-noise rows)."""
    sigma = lambda suite: [p["sigma"] for p in corrupt.get_suite(suite).table["gaussian_noise"].params]  # noqa: E731
    assert sigma("cifar10-c") == [0.04, 0.06, 0.08, 0.09, 0.10]
    assert sigma("imagenet-c") == [0.08, 0.12, 0.18, 0.26, 0.38]
    assert sigma("tinyimagenet-c") == [0.04, 0.08, 0.12, 0.15, 0.18]
    jpeg = [p["quality"] for p in corrupt.get_suite("cifar10-c").table["jpeg_compression"].params]
    assert jpeg == [80, 65, 58, 50, 40]
    zooms = corrupt.get_suite("cifar10-c").table["zoom_blur"].params[0]["zooms"]
    assert len(zooms) == 7 and abs(zooms[-1] - 1.06) < 1e-9  # np.arange(1, 1.06, 0.01) overshoots


def test_unknown_names_raise_one_line_errors(batch):
    with pytest.raises(DscrError, match="allowed: .*cifar10-c"):
        corrupt.get_suite("cifar11-c")
    suite = corrupt.get_suite("cifar10-c")
    with pytest.raises(DscrError, match="allowed: gaussian_noise"):
        suite.apply("rain", batch, 1)
    with pytest.raises(DscrError, match="severity 6"):
        suite.apply("fog", batch, 6)
    with pytest.raises(DscrError, match="uint8"):
        suite.apply("fog", batch.float(), 1)


@pytest.mark.parametrize("name", CIFAR19)
def test_every_corruption_is_seeded_and_shape_preserving(batch, name):
    suite = corrupt.get_suite("cifar10-c")
    a = suite.apply(name, batch, 3, corrupt.batch_generator(7, name, 3, 0))
    b = suite.apply(name, batch, 3, corrupt.batch_generator(7, name, 3, 0))
    assert a.dtype == torch.uint8 and a.shape == batch.shape
    assert torch.equal(a, b)
    assert not torch.equal(a, batch)  # every corruption changes a natural image at severity 3
    grey = suite.apply(name, batch[:, :1], 3, corrupt.batch_generator(7, name, 3, 0))
    assert grey.shape == batch[:, :1].shape


@pytest.mark.parametrize("name", ["gaussian_noise", "glass_blur", "fog", "frost", "elastic_transform", "snow"])
def test_different_seeds_differ(batch, name):
    suite = corrupt.get_suite("cifar10-c")
    a = suite.apply(name, batch, 3, corrupt.batch_generator(0, name, 3, 0))
    b = suite.apply(name, batch, 3, corrupt.batch_generator(1, name, 3, 0))
    assert not torch.equal(a, b)


def test_severity_increases_damage(batch):
    suite = corrupt.get_suite("cifar10-c")
    for name in ["gaussian_noise", "defocus_blur", "contrast", "jpeg_compression", "pixelate"]:
        errors = [(suite.apply(name, batch, s, corrupt.batch_generator(0, name, s, 0)).float() - batch.float())
                  .abs().mean().item() for s in suite.severities]
        assert errors[0] < errors[-1], (name, errors)


DETERMINISTIC = ["defocus_blur", "zoom_blur", "brightness", "contrast", "pixelate", "jpeg_compression",
                 "gaussian_blur", "saturate"]


def test_chunking_leaves_deterministic_corruptions_unchanged(batch, monkeypatch):
    """Suite.apply splits batches into cache-sized chunks: the split must not show in the result."""
    from dscr.corrupt import registry

    suite = corrupt.get_suite("cifar10-c")
    whole = {name: suite.apply(name, batch, 4) for name in DETERMINISTIC}
    monkeypatch.setattr(registry, "_CHUNK_ELEMENTS", 3 * 32 * 32 + 1)  # one image per chunk
    for name in DETERMINISTIC:
        assert torch.equal(suite.apply(name, batch, 4), whole[name]), name


def test_chunked_random_corruptions_stay_seeded_and_draw_per_chunk(batch, monkeypatch):
    from dscr.corrupt import registry

    monkeypatch.setattr(registry, "_CHUNK_ELEMENTS", 2 * 3 * 32 * 32)  # two images per chunk
    suite = corrupt.get_suite("cifar10-c")
    a = suite.apply("gaussian_noise", batch, 5, corrupt.batch_generator(0, "gaussian_noise", 5, 0))
    b = suite.apply("gaussian_noise", batch, 5, corrupt.batch_generator(0, "gaussian_noise", 5, 0))
    assert torch.equal(a, b)
    noise = a.float() - batch.float()
    assert not torch.equal(noise[:2], noise[2:])  # the second chunk draws fresh noise


@pytest.mark.parametrize("channels", [1, 3])
def test_shift_sum_equals_clamped_shifts(channels):
    """Padded-gather shift_sum == the definition: sum_t w * x[clamp(y - dy), clamp(x - dx)]."""
    from dscr.corrupt import ops

    gen = torch.Generator().manual_seed(channels)
    n, h, w, taps = 5, 7, 9, 4
    x = torch.rand(n, channels, h, w, generator=gen)
    dy = torch.randint(-8, 9, (n, taps), generator=gen)  # shifts beyond the image size replicate the edge
    dx = torch.randint(-10, 11, (n, taps), generator=gen)
    weights = torch.rand(n, taps, generator=gen)
    weights[:, 2] = 0.0  # a tap every image skips
    expected = torch.zeros_like(x)
    rows, cols = torch.arange(h), torch.arange(w)
    for i in range(n):
        for t in range(taps):
            iy = (rows - dy[i, t]).clamp(0, h - 1)
            ix = (cols - dx[i, t]).clamp(0, w - 1)
            expected[i] += weights[i, t] * x[i][:, iy][:, :, ix]
    assert torch.allclose(ops.shift_sum(x, dy, dx, weights), expected, atol=1e-6)


def _run_cli(argv):
    from dscr.cli import corrupt as cli

    parser = argparse.ArgumentParser()
    cli.add_parser(parser.add_subparsers())
    return cli.run(parser.parse_args(["corrupt", "--threads", "0", *argv]))


def test_cli_writes_cifar_layout_from_images_and_resumes(tmp_path, batch):
    images = smooth_images(6, 32, 32, seed=6)
    labels = np.arange(6)
    np.save(tmp_path / "x.npy", images)
    np.save(tmp_path / "y.npy", labels)
    out = tmp_path / "out"
    argv = ["--suite", "cifar10-c", "--images", str(tmp_path / "x.npy"), "--labels", str(tmp_path / "y.npy"),
            "--out", str(out), "--corruptions", "fog,contrast", "--batch-size", "4"]
    assert _run_cli(argv) == 0
    fog = np.load(out / "fog.npy")
    assert fog.shape == (30, 32, 32, 3) and fog.dtype == np.uint8
    assert np.array_equal(np.load(out / "labels.npy"), np.tile(labels, 5))
    # severity 2, second batch equals the on-the-fly result with the shared seeding helper
    suite = corrupt.get_suite("cifar10-c")
    x = to_nchw(images[4:6])
    expected = suite.apply("fog", x, 2, corrupt.batch_generator(0, "fog", 2, 1)).permute(0, 2, 3, 1).numpy()
    assert np.array_equal(fog[6 + 4:6 + 6], expected)
    # a complete file is not rewritten on resume
    stamp = (out / "fog.npy").stat().st_mtime_ns
    assert _run_cli(argv) == 0
    assert (out / "fog.npy").stat().st_mtime_ns == stamp
    assert not list(out.glob(".*tmp"))


def test_cli_rejects_bad_input(tmp_path):
    np.save(tmp_path / "bad.npy", np.zeros((2, 8, 8, 3), dtype=np.float32))
    with pytest.raises(DscrError, match="uint8"):
        _run_cli(["--suite", "cifar10-c", "--images", str(tmp_path / "bad.npy"), "--out", str(tmp_path / "o")])
    with pytest.raises(DscrError, match="data missing"):
        _run_cli(["--suite", "imagenet-c", "--root", str(tmp_path), "--out", str(tmp_path / "o")])


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("name", CIFAR19)
def test_cuda_matches_cpu_for_deterministic_and_runs_for_random(batch, name):
    suite = corrupt.get_suite("cifar10-c")
    cpu = suite.apply(name, batch, 3, corrupt.batch_generator(0, name, 3, 0))
    gpu = suite.apply(name, batch.cuda(), 3, corrupt.batch_generator(0, name, 3, 0))  # CPU generator on CUDA data
    assert gpu.device.type == "cuda" and gpu.dtype == torch.uint8
    assert (gpu.cpu().int() - cpu.int()).abs().float().mean() < 1.0


def test_corrupt_list_shows_every_suite_with_its_corruptions(capsys):
    from dscr.cli import main

    assert main(["corrupt", "--list"]) == 0
    lines = {line.split(":", 1)[0]: line for line in capsys.readouterr().out.splitlines()}
    assert set(lines) == set(corrupt.list_suites())
    assert lines["cifar10-c"].startswith("cifar10-c: cifar10, severities 1-5, 19 corruptions: ")
    assert all(name in lines["cifar10-c"] for name in CIFAR19)
    assert lines["ucf101-c"].startswith("ucf101-c: ucf101, severities 1-4, 16 corruptions: ")
    assert "(needs depth)" in lines["imagenet-3dcc"]


def test_evaluate_help_names_what_exists(capsys):
    """`dscr evaluate --help` sends the user to `dscr corrupt --list` and names the OOD sets it accepts."""
    from dscr.cli import build_parser
    from tasks.classification.evaluate import OOD_SUITES

    with pytest.raises(SystemExit):
        build_parser().parse_args(["evaluate", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "dscr corrupt --list" in text and all(name in text for name in OOD_SUITES)
    assert build_parser().parse_args(["corrupt", "--list"]).list
