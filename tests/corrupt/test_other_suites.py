"""ImageNet-C-bar, Fashion-MNIST-C and ImageNet-3DCC: references where a library gives one, properties otherwise."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dscr import corrupt
from dscr.config import DscrError

from corrupt_reference import psnr, smooth_images, to_nchw, within_one


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


# ------------------------------------------------------------------ ImageNet-C-bar
CBAR = ["blue_noise_sample", "brownish_noise", "caustic_refraction", "checkerboard_cutout", "cocentric_sine_waves",
        "inverse_sparkles", "perlin_noise", "plasma_noise", "single_frequency_greyscale", "sparkles"]


@pytest.fixture(scope="module")
def square():
    return to_nchw(smooth_images(3, 40, 40, seed=8))


def test_cbar_suite_lists_the_ten_with_published_folders():
    suite = corrupt.get_suite("imagenet-c-bar")
    assert sorted(suite.corruptions) == CBAR and suite.severities == [1, 2, 3, 4, 5]
    assert suite.corruption("caustic_refraction").severity_dir(1) == "2.35"


@pytest.mark.parametrize("name", CBAR)
def test_cbar_runs_seeded_and_grows_with_severity(square, name):
    suite = corrupt.get_suite("imagenet-c-bar")
    a = suite.apply(name, square, 5, _gen(1))
    assert a.shape == square.shape and torch.equal(a, suite.apply(name, square, 5, _gen(1)))
    mild = (suite.apply(name, square, 1, _gen(1)).float() - square.float()).abs().mean()
    strong = (a.float() - square.float()).abs().mean()
    assert strong > mild > 0


def test_cbar_masks_and_cutouts_only_touch_what_they_should(square):
    suite = corrupt.get_suite("imagenet-c-bar")
    y = suite.apply("blue_noise_sample", square, 4, _gen())
    assert torch.all((y == square) | (y == 0))
    y = suite.apply("checkerboard_cutout", square, 4, _gen())
    assert torch.all((y == square) | (y == 128))
    level = 4.5  # severity 4 of single_frequency_greyscale
    y = suite.apply("single_frequency_greyscale", square, 4, _gen())
    assert (y.float() - square.float()).abs().max() <= level * 196 / 10 + 1


# ------------------------------------------------------------------ Fashion-MNIST-C
@pytest.fixture(scope="module")
def digits():
    rng = np.random.default_rng(9)
    img = np.zeros((4, 28, 28), dtype=np.uint8)
    img[:, 6:22, 9:19] = rng.integers(120, 255, size=(4, 16, 10))
    return img


def test_fashion_mnist_c_suite():
    suite = corrupt.get_suite("fashion-mnist-c")
    assert len(suite.corruptions) == 15 and suite.severities == [1] and suite.dataset == "fashionmnist"


@pytest.mark.parametrize("name, reference", [("flip_sides", np.fliplr), ("flip_up_down", np.flipud),
                                             ("flip_left_right", lambda a: np.rot90(a, 3)),
                                             ("flip_top_bottom", np.rot90), ("inverse", lambda a: 255 - a)])
def test_fashion_mnist_geometric(digits, name, reference):
    y = corrupt.get_suite("fashion-mnist-c").apply(name, torch.from_numpy(digits)[:, None], 1)
    assert np.array_equal(y[:, 0].numpy(), np.stack([reference(d) for d in digits]))


@pytest.mark.parametrize("name", ["rotate", "scale"])
def test_fashion_mnist_affine_matches_skimage_warp(digits, monkeypatch, name):
    from skimage import transform

    from dscr.corrupt import mnist_c

    monkeypatch.setattr(mnist_c, "_random_sign", lambda n, g: torch.ones(n, dtype=torch.float64))
    suite = corrupt.get_suite("fashion-mnist-c")
    params = suite.table[name].params[0]
    kwargs = {"rotation": params["radians"]} if name == "rotate" else {"scale": (params["factor"],) * 2}
    aff = transform.AffineTransform(**kwargs)
    (a1, a2), (b1, b2) = aff.params[0, :2], aff.params[1, :2]
    aff = transform.AffineTransform(**kwargs, translation=[13.5 * (1 - a1 - a2), 13.5 * (1 - b1 - b2)])
    ref = np.stack([np.uint8(np.clip(transform.warp(d / 255.0, inverse_map=aff), 0, 1) * 255) for d in digits])
    ours = suite.apply(name, torch.from_numpy(digits)[:, None], 1)[:, 0].numpy()
    assert within_one(ours, ref) > 0.97 and psnr(ours, ref) > 30


def test_fashion_mnist_colour_ops_match_skimage(digits):
    import skimage as sk

    suite = corrupt.get_suite("fashion-mnist-c")
    x = torch.from_numpy(digits)[:, None]
    for name, edit in [("brightness", lambda h: np.concatenate([h[..., :2], np.clip(h[..., 2:] + 0.5, 0, 1)], -1)),
                       ("saturate", lambda h: np.clip(h * 20 + 0.2, 0, 1))]:
        ref = np.stack([np.uint8(np.clip(sk.color.rgb2gray(sk.color.hsv2rgb(edit(sk.color.rgb2hsv(
            sk.color.gray2rgb(d / 255.0))))), 0, 1) * 255) for d in digits])
        assert np.abs(suite.apply(name, x, 1)[:, 0].numpy().astype(int) - ref).max() <= 1, name


def test_mnist_glass_walk_truly_swaps_with_skips():
    from dscr.corrupt import blur, ops

    n, h, w, delta, iterations, p = 2, 9, 8, 1, 2, 0.5
    perm = blur.glass_permutation(n, h, w, delta, iterations, _gen(3), swap=True, swap_probability=p)
    steps = iterations * (h - 2 * delta) * (w - 2 * delta)
    g = _gen(3)
    offsets = ops.randint(-delta, delta, (steps, 2, n), g, "cpu").numpy()
    active = (ops.uniform((steps, n), g, "cpu") < p).numpy()
    for i in range(n):
        img = np.arange(h * w).reshape(h, w)  # 2-D: elements are scalars, the tuple swap really swaps
        step = 0
        for _ in range(iterations):
            for r in range(h - delta, delta, -1):
                for c in range(w - delta, delta, -1):
                    if active[step, i]:
                        dx, dy = offsets[step, :, i]
                        img[r, c], img[r + dy, c + dx] = img[r + dy, c + dx], img[r, c]
                    step += 1
        assert np.array_equal(img.reshape(-1), perm[i].numpy())
        assert sorted(perm[i].tolist()) == list(range(h * w))  # a true permutation


# ------------------------------------------------------------------ ImageNet-3DCC
@pytest.fixture(scope="module")
def scene():
    x = to_nchw(smooth_images(2, 32, 32, seed=10))
    ys, xs = torch.meshgrid(torch.linspace(0.05, 1, 32), torch.linspace(0.05, 1, 32), indexing="ij")
    depth = torch.stack([ys, xs])[:, None]  # image 0: depth grows downwards, image 1: to the right
    return x, depth


def test_3dcc_color_quant_is_pil_posterize(scene):
    from PIL import Image, ImageOps

    x, _ = scene
    suite = corrupt.get_suite("imagenet-3dcc")
    for severity in suite.severities:
        ours = suite.apply("color_quant", x, severity).permute(0, 2, 3, 1).numpy()
        ref = np.stack([np.asarray(ImageOps.posterize(Image.fromarray(img), 6 - severity))
                        for img in x.permute(0, 2, 3, 1).numpy()])
        assert np.array_equal(ours, ref)


def test_3dcc_fog_follows_the_transmission_formula(scene):
    x, depth = scene
    y = corrupt.get_suite("imagenet-3dcc").apply("fog_3d", x, 3, depth=depth)
    rgb = x.double() / 255
    t = torch.exp(-12 * depth.double())
    ref = torch.floor((t * rgb + rgb.mean(dim=(1, 2, 3), keepdim=True) * (1 - t)) * 255)
    assert (y.double() - ref).abs().max() <= 1


@pytest.mark.parametrize("severity", [1, 3, 5])
def test_3dcc_noises_match_reference_statistics(scene, severity):
    x, _ = scene
    suite = corrupt.get_suite("imagenet-3dcc")
    rng = np.random.default_rng(severity)
    img = x.permute(0, 2, 3, 1).numpy() / 255.0
    # the reference's two-stage noise, written out with numpy
    stage = np.clip(rng.poisson(img * 25) / 25, 0, 1)
    ref = np.uint8(np.clip(stage + rng.normal(size=img.shape, scale=0.7 * [.08, .12, .18, .26, .38][severity - 1]),
                           0, 1) * 255)
    ours = suite.apply("iso_noise", x, severity, _gen(severity)).permute(0, 2, 3, 1).numpy()
    d_o, d_r = ours.astype(float) - img * 255, ref.astype(float) - img * 255
    assert abs(d_o.mean() - d_r.mean()) < 1.5 and abs(d_o.std() - d_r.std()) < 0.06 * d_r.std()


def test_3dcc_focus_blurs_away_from_the_focal_plane(scene):
    x, depth = scene
    suite = corrupt.get_suite("imagenet-3dcc")
    near = (suite.apply("near_focus", x, 5, depth=depth).float() - x.float()).abs()[0].mean(dim=(0, 2))
    assert near[:8].mean() < near[-8:].mean()  # image 0: rows near the camera stay sharper
    far = (suite.apply("far_focus", x, 5, depth=depth).float() - x.float()).abs()[0].mean(dim=(0, 2))
    assert far[:8].mean() > far[-12:-4].mean()
    with pytest.raises(DscrError, match="depth"):
        suite.apply("near_focus", x, 1)


def test_3dcc_official_folder_loader(tmp_path):
    from dscr.corrupt.threedcc import official_images

    for cls in ("n02", "n01"):
        (tmp_path / "xy_motion_blur" / "3" / cls).mkdir(parents=True)
        (tmp_path / "xy_motion_blur" / "3" / cls / "a.JPEG").write_bytes(b"")
    paths, labels, classes = official_images(tmp_path, "xy_motion_blur", 3)
    assert classes == ["n01", "n02"] and labels == [0, 1] and paths[0].parent.name == "n01"
    with pytest.raises(DscrError, match="missing"):
        official_images(tmp_path, "flash", 1)
