"""UCF101-C corruptions do what their names say, on hand-checkable clips whose frame t holds the value t."""

from __future__ import annotations

import pytest
import torch

from dscr import corrupt
from dscr.corrupt.video import TEMPORAL, frame_order, resample_indices, rotate_frames

SUITE = corrupt.get_suite("ucf101-c")


def numbered_clips(n: int = 2, frames: int = 16, size: int = 8) -> torch.Tensor:
    """uint8 (n, 3, T, size, size) where every pixel of frame t is 6 * t (so frames can be read back)."""
    values = (torch.arange(frames, dtype=torch.uint8) * 6).view(1, 1, frames, 1, 1)
    return values.expand(n, 3, frames, size, size).contiguous()


def frame_ids(clips: torch.Tensor) -> list[list[int]]:
    """The source frame of every output frame, read back from the pixel values."""
    return (clips[:, 0, :, 0, 0].long() // 6).tolist()


def apply(name: str, clips: torch.Tensor, severity: int, seed: int = 0) -> torch.Tensor:
    return SUITE.apply(name, clips, severity, torch.Generator().manual_seed(seed))


def test_suite_lists_the_papers_16_corruptions_at_4_severities():
    assert len(SUITE.corruptions) == 16 and SUITE.severities == [1, 2, 3, 4]
    assert set(TEMPORAL) <= set(SUITE.corruptions)
    assert "core/video_perturb.py" in SUITE.source


@pytest.mark.parametrize("severity,rate", [(1, 2), (2, 4)])
def test_sampling_keeps_every_rate_th_frame_each_held_rate_times(severity, rate):
    out = frame_ids(apply("sampling", numbered_clips(), severity))
    assert out[0] == [t - t % rate for t in range(16)]


@pytest.mark.parametrize("severity", [1, 2, 3])
def test_reverse_sampling_reverses_frame_order(severity):
    forward = frame_ids(apply("sampling", numbered_clips(), severity))[0]
    backward = frame_ids(apply("reverse_sampling", numbered_clips(), severity))[0]
    assert backward == sorted(backward, reverse=True) and backward[0] > backward[-1]
    assert sorted(backward) == sorted(forward)


@pytest.mark.parametrize("severity,segment", [(1, 32), (2, 16), (3, 8), (4, 4)])
def test_jumble_shuffles_frames_only_inside_their_segment(severity, segment):
    out = frame_ids(apply("jumble", numbered_clips(n=4, frames=32), severity))
    for row in out:
        assert row != list(range(32))
        for start in range(0, 32, segment):
            assert sorted(row[start:start + segment]) == list(range(start, start + segment))


@pytest.mark.parametrize("severity,segment", [(1, 4), (2, 9)])
def test_box_jumble_moves_whole_segments(severity, segment):
    out = frame_ids(apply("box_jumble", numbered_clips(n=4, frames=36), severity))
    blocks = [list(range(s, min(s + segment, 36))) for s in range(0, 36, segment)]
    for row in out:
        assert row != list(range(36))
        pieces, i = [], 0
        while i < 36:  # cut the output into runs that are whole blocks
            block = next(b for b in blocks if b[0] == row[i])
            assert row[i:i + len(block)] == block
            pieces.append(block[0])
            i += len(block)
        assert sorted(pieces) == [b[0] for b in blocks]


def test_box_jumble_reorders_a_clip_shorter_than_its_segment():
    row = frame_ids(apply("box_jumble", numbered_clips(frames=8), severity=4))[0]  # segment 25 > 8 frames
    assert row != list(range(8)) and sorted(row) == list(range(8))


@pytest.mark.parametrize("severity", [1, 2, 3, 4])
def test_freeze_repeats_frames_and_never_goes_back(severity):
    out = frame_ids(apply("freeze", numbered_clips(n=3, frames=40), severity))
    kept = {1: 16, 2: 8, 3: 4, 4: 2}[severity]  # int(fraction * 40), at least 2 at severity 4
    for row in out:
        assert row == sorted(row)                      # time never runs backwards
        assert len(set(row)) <= kept < 40              # only the frozen frames are shown
        assert any(a == b for a, b in zip(row, row[1:]))


def test_temporal_maps_are_seeded_per_generator():
    a = apply("jumble", numbered_clips(n=2), 1, seed=3)
    assert torch.equal(a, apply("jumble", numbered_clips(n=2), 1, seed=3))
    assert not torch.equal(a, apply("jumble", numbered_clips(n=2), 1, seed=4))
    assert frame_ids(a)[0] != frame_ids(a)[1]          # one map per clip


def test_frame_order_of_a_full_video_has_the_video_length():
    g = torch.Generator().manual_seed(0)
    for name in TEMPORAL:
        order = frame_order(name, 150, 2, g)
        assert order.shape == (150,) and 0 <= order.min() and order.max() < 150


def test_resample_indices_takes_segment_centres_and_repeats_short_sequences():
    assert resample_indices(16, 4).tolist() == [2, 6, 10, 14]
    assert resample_indices(2, 4).tolist() == [0, 0, 1, 1]
    assert resample_indices(16, 4, offset=0.0).tolist() == [0, 4, 8, 12]


def test_static_rotate_turns_counter_clockwise_like_pil():
    frames = torch.arange(16, dtype=torch.uint8).view(1, 1, 4, 4).expand(1, 3, 4, 4).contiguous()
    turned = rotate_frames(frames, torch.tensor([90.0]))
    assert torch.equal(turned, torch.rot90(frames, 1, dims=(-2, -1)))  # PIL rotate(90) == np.rot90


def test_rotate_matches_pil_image_rotate():
    from PIL import Image

    g = torch.Generator().manual_seed(0)
    frame = torch.randint(0, 256, (1, 3, 24, 32), generator=g, dtype=torch.uint8)
    ours = rotate_frames(frame, torch.tensor([13.0]))[0].permute(1, 2, 0).numpy()
    pil = Image.fromarray(frame[0].permute(1, 2, 0).numpy()).rotate(13)
    import numpy as np

    assert (ours == np.asarray(pil)).all(axis=-1).mean() > 0.97  # nearest sampling: a few edge pixels differ


def test_static_rotate_turns_every_frame_alike_and_rotate_draws_per_frame():
    g = torch.Generator().manual_seed(0)
    clip = torch.randint(0, 256, (1, 3, 1, 32, 32), generator=g, dtype=torch.uint8).expand(1, 3, 6, 32, 32)
    static = apply("static_rotate", clip.contiguous(), 3)
    assert all(torch.equal(static[:, :, 0], static[:, :, t]) for t in range(6))
    moving = apply("rotate", clip.contiguous(), 4)
    assert any(not torch.equal(moving[:, :, 0], moving[:, :, t]) for t in range(6))


def test_translate_shifts_all_frames_of_a_clip_by_one_offset():
    g = torch.Generator().manual_seed(1)
    clip = torch.randint(1, 256, (3, 3, 4, 224, 224), generator=g, dtype=torch.uint8)
    out = apply("translate", clip, 4)  # offsets 1..32 px per axis
    for i in range(3):
        rows = int((out[i, 0, 0] == 0).all(dim=1).sum())
        cols = int((out[i, 0, 0] == 0).all(dim=0).sum())
        assert 1 <= rows <= 32 and 1 <= cols <= 32
        assert torch.equal(out[i, :, :, :224 - rows, :224 - cols], clip[i, :, :, rows:, cols:])


def test_frame_wise_corruptions_equal_the_image_engine_on_the_frames():
    g = torch.Generator().manual_seed(0)
    clips = torch.randint(0, 256, (2, 3, 4, 16, 16), generator=g, dtype=torch.uint8)
    ours = apply("gaussian_noise", clips, 2, seed=5)
    frames = clips.transpose(1, 2).reshape(8, 3, 16, 16)
    image = corrupt.Suite.apply(SUITE, "gaussian_noise", frames, 2, torch.Generator().manual_seed(5))
    assert torch.equal(ours, image.view(2, 4, 3, 16, 16).transpose(1, 2))
    assert not torch.equal(ours[:, :, 0], ours[:, :, 1] - clips[:, :, 1] + clips[:, :, 0])  # fresh noise per frame


@pytest.mark.parametrize("name", SUITE.corruptions)
def test_every_clip_is_corrupted_at_every_severity(name):
    g = torch.Generator().manual_seed(0)
    clips = torch.randint(0, 256, (2, 3, 8, 32, 32), generator=g, dtype=torch.uint8)
    for severity in SUITE.severities:
        out = apply(name, clips, severity)
        assert out.shape == clips.shape and out.dtype == torch.uint8
        changed = (out != clips).flatten(1).any(dim=1)
        assert changed.all(), f"{name} severity {severity} left a clip unchanged"


def test_bad_input_raises_one_line_errors():
    from dscr.config import DscrError

    with pytest.raises(DscrError, match="allowed: 1..4"):
        apply("freeze", numbered_clips(), 5)
    with pytest.raises(DscrError, match=r"\(N, 3, T, H, W\)"):
        SUITE.apply("freeze", numbered_clips()[:, :, 0], 1)
