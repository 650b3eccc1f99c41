"""ImageNet-3DCC's depth- and video-based corruptions (flash, xy / z motion blur, h265 abr, bit error) against
values computed here from the reference's formulas (EPFL-VILAB/3DCommonCorruptions create_3dcc/), on scenes whose
geometry makes the answer known: planes at a known depth, frames of a known value."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from scipy import ndimage

from dscr import corrupt
from dscr.corrupt import camera, codec, threedcc

from corrupt_reference import smooth_images, to_nchw

# Appendix A.2 of the paper: "near focus, far focus, fog 3d, flash, color quant, low light, xy motion blur,
# z motion blur, iso noise, bit error, h265 abr"
APPENDIX_A2 = ["near focus", "far focus", "fog 3d", "flash", "color quant", "low light", "xy motion blur",
               "z motion blur", "iso noise", "bit error", "h265 abr"]


def test_the_suite_is_the_eleven_of_appendix_a2():
    suite = corrupt.get_suite("imagenet-3dcc")
    assert suite.corruptions == [name.replace(" ", "_") for name in APPENDIX_A2]
    assert suite.severities == [1, 2, 3, 4, 5]
    needs_depth = {n for n in suite.corruptions if suite.corruption(n).needs_depth}
    assert needs_depth == {"near_focus", "far_focus", "fog_3d", "flash", "xy_motion_blur", "z_motion_blur",
                           "bit_error", "h265_abr"}


def _plane(n, size, value=0.5):
    return torch.full((n, 1, size, size), value)


def test_flash_on_a_plane_facing_the_camera():
    # a plane at constant depth: |n . l| at pixel (r, c) is f / sqrt(f^2 + x^2 + y^2), x, y its offsets from the
    # centre, f the camera's 512 px focal at 512 px (here 48 px); flash = rgb * (1 + shade / c), clipped at 1,
    # c = create_flash.py's corr_scaler (2.4, 1.4, 0.9, 0.6, 0.4)
    x = to_nchw(smooth_images(2, 48, 48, seed=3))
    suite = corrupt.get_suite("imagenet-3dcc")
    offsets = np.arange(48) - 23.5
    shade = 48 / np.sqrt(48 ** 2 + offsets[None, :] ** 2 + offsets[:, None] ** 2)
    rgb = x.numpy().astype(np.float64) / 255
    for severity, scaler in enumerate((2.4, 1.4, 0.9, 0.6, 0.4), start=1):
        ours = suite.apply("flash", x, severity, depth=_plane(2, 48)).numpy().astype(int)
        expected = np.floor(np.minimum(rgb * (1 + shade / scaler), 1.0) * 255)
        assert np.abs(ours - expected).max() <= 1, severity


def _shifted(image: np.ndarray, dy: float, dx: float) -> np.ndarray:
    """The image seen after its content moved by (-dy, -dx): bilinear interpolation at p + (dy, dx)."""
    return np.stack([ndimage.shift(image[c].astype(np.float64), (-dy, -dx), order=1, mode="nearest")
                     for c in range(image.shape[0])])


def _read(frame: np.ndarray) -> np.ndarray:
    """The uint8 render truncated, then cv2.getRectSubPix about the centre: rounded 2 x 2 means, edge repeated."""
    f = np.pad(np.floor(frame).astype(int), ((0, 0), (0, 1), (0, 1)), mode="edge")
    return (f[:, :-1, :-1] + f[:, :-1, 1:] + f[:, 1:, :-1] + f[:, 1:, 1:] + 2) // 4


def test_a_sideways_camera_translates_a_plane_by_the_scaled_shift():
    # create_motion.py shifts the view centre by (u, v) px of a 512 px frame; at 64 px that is (u, v) / 8, and a
    # plane (one depth) moves as a whole: frame t is the image translated by t * (u, v) / 8
    x = to_nchw(smooth_images(1, 64, 64, seed=1))
    frames = camera.camera_frames(x.float() / 255, _plane(1, 64), torch.tensor([[56.0, -24.0]]), torch.ones(1, 2),
                                  camera.STEPS)
    for step in (20, 59):
        t = step / 59
        expected = _read(_shifted(x[0].numpy(), -24 / 8 * t, 56 / 8 * t))
        ours = frames[step][0].numpy().astype(int)
        inner = (slice(None), slice(5, 58), slice(3, 56))  # away from the uncovered strip (7 px right, 3 px top)
        assert np.abs(ours[inner] - expected[inner]).max() <= 2, step
        assert np.mean(np.abs(ours[inner] - expected[inner]) <= 1) > 0.97, step


def test_nearer_surfaces_move_more():
    # top half at depth 0.5 (nearest: moves the full shift), bottom half at 1.0 (twice as far: half the shift)
    x = to_nchw(smooth_images(1, 64, 64, seed=2))
    depth = torch.full((1, 1, 64, 64), 1.0)
    depth[..., :32, :] = 0.5
    frame = camera.camera_frames(x.float() / 255, depth, torch.tensor([[64.0, 0.0]]), torch.ones(1, 2),
                                 camera.STEPS)[-1][0].numpy().astype(int)
    near = _read(_shifted(x[0].numpy(), 0.0, 8.0))
    far = _read(_shifted(x[0].numpy(), 0.0, 4.0))
    assert np.abs(frame[:, 3:28, 2:52] - near[:, 3:28, 2:52]).max() <= 2
    assert np.abs(frame[:, 36:60, 2:56] - far[:, 36:60, 2:56]).max() <= 2
    assert np.abs(frame[:, 36:60, 2:56] - near[:, 36:60, 2:56]).mean() > 3  # and not by the near shift


def test_a_forward_camera_magnifies_about_the_centre():
    # z motion: the view's crop shrinks to `zoom` of the frame; at t = 1 a plane is magnified 1 / zoom about the
    # image centre (the camera moved to depth_to = nearest * zoom)
    x = to_nchw(smooth_images(1, 64, 64, seed=4))
    frame = camera.camera_frames(x.float() / 255, _plane(1, 64), torch.zeros(1, 2), torch.full((1, 2), 0.5),
                                 camera.STEPS)[-1][0].numpy().astype(int)
    centre = 31.5
    grid = np.mgrid[0:64, 0:64].astype(np.float64) + 0.5  # the half-pixel read samples between pixels
    source = (grid - centre) * 0.5 + centre
    expected = np.stack([ndimage.map_coordinates(x[0, c].numpy().astype(np.float64), source, order=1,
                                                 mode="nearest") for c in range(3)])
    error = np.abs(frame[:, 8:56, 8:56] - expected[:, 8:56, 8:56])
    assert error.mean() < 2.0 and np.abs(frame - x[0].numpy().astype(int)).mean() > 3 * error.mean()


@pytest.mark.parametrize("name, frames", [("xy_motion_blur", (20, 30, 40, 50, 60)),
                                          ("z_motion_blur", (20, 25, 30, 35, 38))])
def test_motion_blur_is_the_mean_of_the_first_frames_of_the_path(monkeypatch, name, frames):
    # frame k of a path is filled with k + 0.5 * (k % 2): the severities are the means of create_motion.py's
    # first 20, 30, 40, 50, 60 (xy) or 20, 25, 30, 35, 38 (z) frames, truncated to 8 bits
    calls = []

    def fake_frames(x, depth, shift, zoom, count):
        calls.append((shift.clone(), zoom.clone(), count))
        return [torch.full((len(x), 3, 8, 8), k + 0.5 * (k % 2)) for k in range(count)]

    monkeypatch.setattr(camera, "camera_frames", fake_frames)
    suite = corrupt.get_suite("imagenet-3dcc")
    x = torch.zeros(200, 3, 8, 8, dtype=torch.uint8)
    for severity, count in enumerate(frames, start=1):
        y = suite.apply(name, x, severity, torch.Generator().manual_seed(severity), depth=_plane(200, 8))
        assert calls[-1][2] == count
        assert torch.all(y == int(np.mean([k + 0.5 * (k % 2) for k in range(count)])))
    shift, zoom, _ = calls[-1]
    if name == "xy_motion_blur":  # u in [-75, -50) or [50, 75), v in [-75, 75), no zoom
        assert ((shift[:, 0].abs() >= 50) & (shift[:, 0].abs() < 75) & (shift[:, 0] < 75)).all()
        assert (shift[:, 0] < 0).any() and (shift[:, 0] > 0).any()
        assert shift[:, 1].min() >= -75 and shift[:, 1].max() < 75 and torch.all(zoom == 1)
    else:  # u, v in [-30, 30), crop scale in [0.5, 0.6)
        assert shift.min() >= -30 and shift.max() < 30
        assert zoom.min() >= 0.5 and zoom.max() < 0.6


def _packets(clip: bytes) -> list[bytes]:
    import av

    with av.open(io.BytesIO(clip)) as container:
        return [bytes(p) for p in container.demux(container.streams.video[0]) if p.size]


def test_bit_errors_follow_ffmpegs_noise_rule():
    # FFmpeg's noise bitstream filter (the reference's `-bsf noise=A`): a running sum of (byte + 1) over the
    # stream, and the byte becomes the sum's low 8 bits whenever the sum is a multiple of A
    import av

    frames = list(smooth_images(12, 32, 32, seed=5))
    clip = codec.source_clip(frames)
    expected, state = [], 0
    for packet in _packets(clip):
        data = bytearray(packet)
        for i, byte in enumerate(data):
            state = (state + byte + 1) % 2 ** 32
            if state % 40 == 0:
                data[i] = state % 256
        expected.append(bytes(data))
    with av.open(io.BytesIO(clip)) as container:
        stream = container.streams.video[0]
        bsf = av.bitstream.BitStreamFilterContext("noise=40", stream)
        ours = [bytes(q) for p in [p for p in container.demux(stream) if p.size] + [None] for q in bsf.filter(p)]
    assert ours == expected and ours != _packets(clip)
    # and bit_error decodes exactly those packets and keeps the last frame
    with av.open(io.BytesIO(clip)) as container:
        decoder = av.CodecContext.create("h264", "r")
        decoder.extradata = container.streams.video[0].codec_context.extradata
        decoder.thread_count = 1
        originals = [p for p in container.demux(container.streams.video[0]) if p.size]
        packets = []
        for original, data in zip(originals, expected):
            packet = av.Packet(data)
            packet.pts, packet.dts, packet.time_base = original.pts, original.dts, original.time_base
            packet.is_keyframe = original.is_keyframe
            packets.append(packet)
    last = None
    for packet in packets + [None]:
        try:
            for frame in decoder.decode(packet):
                last = frame.to_ndarray(format="rgb24", interpolation="BICUBIC")
        except av.error.FFmpegError:
            pass
    assert np.array_equal(codec.bit_error(clip, 40), last)


def test_the_video_corruptions_read_the_last_frame_of_the_camera_clip(monkeypatch):
    # the clip is the path's 60 frames and 59 back: it ends on frame 0 (value 90 here, the others brighter)
    monkeypatch.setattr(camera, "camera_frames",
                        lambda x, depth, shift, zoom, count: [torch.full((len(x), 3, 32, 32), 90 + 2 * k,
                                                                         dtype=torch.uint8) for k in range(count)])
    suite = corrupt.get_suite("imagenet-3dcc")
    x = torch.zeros(1, 3, 32, 32, dtype=torch.uint8)
    clean = suite.apply("bit_error", x, 1, depth=_plane(1, 32)).float()
    assert (clean - 90).abs().mean() < 1.5  # amount 100000: a stream this small is left intact
    rough = suite.apply("h265_abr", x, 5, depth=_plane(1, 32)).float()
    assert (rough - 90).abs().mean() < 12


def test_h265_abr_lowers_the_bit_rate_by_the_divisor(monkeypatch):
    import av

    base = smooth_images(1, 96, 96, seed=6)[0]
    frames = [np.roll(base, k, axis=1) for k in range(60)]
    clip = codec.source_clip(frames + frames[::-1][1:])
    with av.open(io.BytesIO(clip)) as container:  # moviepy's clip: H.264, 119 frames at 25 fps
        assert container.streams.video[0].codec_context.name == "h264" and len(_packets(clip)) == 119
    rate = codec.bit_rate(clip)
    assert rate == pytest.approx(len(clip) * 8 / (119 / 25), rel=1e-3)  # ffprobe's format bit_rate
    calls = []
    encode = codec.encode
    monkeypatch.setattr(codec, "encode", lambda f, name, options, bit_rate=None: calls.append(
        (name, options, bit_rate)) or encode(f, name, options, bit_rate))
    errors = [np.abs(codec.h265_abr(clip, d).astype(int) - base.astype(int)).mean() for d in (2, 8, 32)]
    assert errors[0] < errors[1] < errors[2]
    for (name, options, bit_rate), divisor in zip(calls, (2, 8, 32)):  # -b:v R -maxrate R -bufsize R, R = rate / d
        assert name == "libx265" and bit_rate == int(rate / divisor)
        assert options["maxrate"] == options["bufsize"] == str(int(rate / divisor))


def test_fill_disocclusion_takes_the_farther_end_of_the_shortest_gap():
    # a one-pixel hole: the vertical pair (gap 2) beats the diagonals (gap 2.83); the farther pixel (below) wins
    depth = torch.ones(1, 1, 5, 5)
    depth[..., 3, :] = 2.0
    depth[..., 2, 2] = 0.0
    image = torch.arange(25.0).reshape(1, 1, 5, 5)
    filled = camera.fill_disocclusion(image, depth)
    assert filled[0, 0, 2, 2] == image[0, 0, 3, 2]
    assert torch.equal(filled[0, 0].flatten()[:12], image[0, 0].flatten()[:12])
    # a strip uncovered at the frame's edge has no covered pixel on both sides: left to extend_edges
    depth = torch.ones(1, 1, 4, 6)
    depth[..., 4:] = 0.0
    image = torch.arange(24.0).reshape(1, 1, 4, 6)
    strip = camera.fill_disocclusion(image, depth)
    assert torch.equal(strip, image)
    extended = camera.extend_edges(strip, depth <= 0)
    assert torch.equal(extended[0, 0, :, 4], extended[0, 0, :, 3]) and torch.equal(extended[0, 0, :, 5],
                                                                                   extended[0, 0, :, 3])


def test_points_on_depth_edges_are_dropped_as_3d_ken_burns_does():
    rng = np.random.default_rng(7)  # a bumpy surface: some second differences above 0.03, some below
    depth = torch.from_numpy(ndimage.gaussian_filter(rng.uniform(0.5, 1.0, (16, 16)), 1.0))[None, None].float()
    points, _, nearest = camera.load_scene(depth, 16.0, 2)
    disparity = 1 / (depth[0, 0].numpy().astype(np.float64) + 1e-7)
    disparity /= disparity.max()
    kernel = np.array([[0, -1, -1], [-1, 4, 0], [-1, 0, 0]], dtype=np.float64)  # spatial_filter('laplacian')
    dropped = np.abs(ndimage.correlate(disparity, kernel, mode="nearest")) >= 0.03
    assert dropped.any() and (~dropped).any()
    assert np.array_equal(points[0, 2].reshape(16, 16).numpy() == 0, dropped)
    # depth rescaled to focal * baseline / disparity, disparity 40 at the nearest point: that point sits at the focal
    inner = depth[0, 0, 2:14, 2:14].min().item()
    assert nearest.item() == pytest.approx(16.0 * inner / depth.min().item(), rel=1e-5)
