"""UCF101-C written to disk: lossless, the same pixels as the on-the-fly suite, readable by the loader."""

from __future__ import annotations

import torch

from dscr import corrupt
from tasks.video.corrupt_disk import write_ucf101_c
from tasks.video.data import UCF101, count_frames, item_generator, read_frames


def test_written_videos_hold_the_suites_output_and_load_like_on_the_fly(ucf_root, tmp_path):
    out = tmp_path / "ucf101-c"
    assert write_ucf101_c(ucf_root, out, corruptions=["reverse_sampling", "gaussian_noise"], severities=[1],
                          subset=2) == 4
    assert write_ucf101_c(ucf_root, out, corruptions=["reverse_sampling"], severities=[1], subset=2) == 0  # resumes

    clean = UCF101(ucf_root, 1, train=False, frames=4, crop_size=32, short_side=32, subset=2)
    item = clean.items[0]
    source = read_frames(clean.video_root / item.path, list(range(16))).permute(3, 0, 1, 2)[None]
    for name in ("reverse_sampling", "gaussian_noise"):
        path = out / name / "1" / item.path
        assert count_frames(path) == 16
        written = read_frames(path, list(range(16))).permute(3, 0, 1, 2)[None]
        expected = corrupt.get_suite("ucf101-c").apply(name, source, 1, item_generator(0, name, 1, 0))
        assert torch.equal(written, expected)  # lossless storage

    on_disk = UCF101(ucf_root, 1, train=False, frames=4, crop_size=32, short_side=32, subset=2,
                     video_dir=out / "reverse_sampling" / "1")
    clean.set_temporal_corruption("reverse_sampling", 1)
    assert torch.equal(on_disk[0][0], clean[0][0])  # a whole-video map, then the same clip sampling


def test_dscr_corrupt_writes_ucf101_c_through_the_video_writer(ucf_root, tmp_path, capsys):
    from dscr.cli import main

    assert main(["corrupt", "--suite", "ucf101-c", "--root", str(ucf_root), "--out", str(tmp_path / "c"),
                 "--corruptions", "freeze", "--limit", "2"]) == 0
    assert "ucf101-c: 8 corrupted videos" in capsys.readouterr().out  # 2 videos x 4 severities
    assert len(list((tmp_path / "c" / "freeze").rglob("*.avi"))) == 8
