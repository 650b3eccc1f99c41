"""The UCF101 loader on real PyAV-encoded videos in the official folder and split-file layout."""

from __future__ import annotations

import pytest
import torch
from .video_helpers import CLASSES, FRAMES, HEIGHT, WIDTH, shape_frames

from dscr.config import DscrError
from dscr.corrupt.video import frame_order
from tasks.video.data import UCF101, count_frames, dataset_present, item_generator, read_frames, read_split


def test_split_files_give_paths_and_labels_from_class_folders(ucf_root):
    train, test = read_split(ucf_root, 1, True), read_split(ucf_root, 1, False)
    assert len(train) == 12 and len(test) == 6
    assert {item.label for item in test} == {0, 1, 2}
    assert all(item.path.split("/")[0] == CLASSES[item.label] for item in train + test)
    with pytest.raises(DscrError, match="allowed: 1, 2, 3"):
        read_split(ucf_root, 4, True)
    assert dataset_present(ucf_root) and not dataset_present(ucf_root / "UCF-101")


def test_decoding_returns_the_written_frames(ucf_root):
    path = ucf_root / "UCF-101" / read_split(ucf_root, 1, False)[0].path
    assert count_frames(path) == FRAMES
    frames = read_frames(path, [5, 0, 5, FRAMES + 3])  # any order, repeats, past the end -> last frame
    written = torch.from_numpy(shape_frames(0, 4))
    assert frames.shape == (4, HEIGHT, WIDTH, 3) and frames.dtype == torch.uint8
    for got, want in zip(frames, [5, 0, 5, FRAMES - 1]):
        assert (got.float() - written[want].float()).abs().mean() < 6  # lossy codec, a few levels off


def test_test_items_hold_k_clips_that_tile_the_video(ucf_root):
    ds = UCF101(ucf_root, 1, train=False, frames=4, crop_size=32, short_side=32, clips=2)
    clips, label = ds[0]
    assert clips.shape == (2, 3, 4, 32, 32) and clips.dtype == torch.uint8 and label == 0
    idx = ds.frame_indices(0, 16, item_generator(0))
    assert idx.tolist() == [[1, 5, 9, 13], [3, 7, 11, 15]]


def test_train_items_are_augmented_deterministically_per_seed_epoch_and_index(ucf_root):
    ds = UCF101(ucf_root, 1, train=True, frames=8, crop_size=32, short_side=36, seed=1)
    a, label = ds[3]
    assert a.shape == (3, 8, 32, 32) and label == 0
    assert torch.equal(a, ds[3][0])
    ds.set_epoch(1)
    assert not torch.equal(a, ds[3][0])


def test_temporal_corruption_reorders_the_whole_video_before_clip_sampling(ucf_root):
    ds = UCF101(ucf_root, 1, train=False, frames=4, crop_size=32, short_side=32, clips=1)
    clean = ds.frame_indices(2, 16, item_generator(0))
    ds.set_temporal_corruption("jumble", 2)
    jumbled = ds.frame_indices(2, 16, item_generator(0))
    assert torch.equal(jumbled, frame_order("jumble", 16, 2, item_generator(0, "jumble", 2, 2))[clean])


def square_column(clip: torch.Tensor) -> list[float]:
    """Horizontal centre of the red square in every frame of a (3, T, H, W) clip."""
    red = (clip[0].float() > 150) & (clip[1].float() < 120)
    cols = torch.arange(clip.shape[-1], dtype=torch.float32)
    return [(cols * m.sum(0)).sum().item() / max(m.sum().item(), 1) for m in red]


def test_reverse_sampling_makes_a_rightward_motion_run_left_on_decoded_video(ucf_root):
    ds = UCF101(ucf_root, 1, train=False, frames=4, crop_size=40, short_side=40, clips=1)
    index = next(i for i, item in enumerate(ds.items) if item.label == 0)  # MoveRight
    forward = square_column(ds[index][0][0])
    ds.set_temporal_corruption("reverse_sampling", 1)
    backward = square_column(ds[index][0][0])
    assert forward == sorted(forward) and forward[0] < forward[-1]
    assert backward == sorted(backward, reverse=True) and backward[0] > backward[-1]
