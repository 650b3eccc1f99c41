"""Write UCF101-C to disk: every test video of a split, corrupted at every corruption x severity.

Layout: `OUT/<corruption>/<severity>/<Class>/<video>.avi`, the official UCF-101 layout below each
(corruption, severity), so `UCF101(root, video_dir=OUT/<c>/<s>)` reads it with the official split files.
Each whole video is decoded at its native size and corrupted as one clip (temporal maps therefore reorder the
whole video, as the on-the-fly evaluation does), seeded per (corruption, severity, video). Videos are stored
losslessly (FFV1, RGB) so that no second compression is added on top of the corruption; a file is written
to a temporary name and renamed, so an interrupted run resumes where it stopped.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from dscr import corrupt
from dscr.engine.io import write_atomic

from .data import UCF101, count_frames, item_generator, read_frames


def write_video_lossless(path: Path, clip: torch.Tensor, fps: float = 25.0) -> None:
    """Encode uint8 (3, T, H, W) RGB frames to `path` with FFV1 (bit-exact RGB), atomically."""
    frames = clip.permute(1, 2, 3, 0).cpu().numpy()
    write_atomic(path, lambda tmp: _encode_ffv1(tmp, frames, fps))


def _encode_ffv1(path: Path, frames: np.ndarray, fps: float) -> None:
    import av

    with av.open(str(path), "w", format="avi") as container:  # the temp's name has no .avi to go by
        stream = container.add_stream("ffv1", rate=round(fps))
        stream.width, stream.height = frames.shape[2], frames.shape[1]
        stream.pix_fmt = "bgr0"
        for array in frames:
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(array), format="rgb24")
            for packet in stream.encode(frame.reformat(format="bgr0")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def write_ucf101_c(root: str | Path, out_dir: str | Path, *, split: int = 1, corruptions: list[str] | None = None,
                   severities: list[int] | None = None, seed: int = 0, subset: int = 0,
                   device: str | torch.device = "cpu", suite_name: str = "ucf101-c") -> int:
    """Corrupt the test videos of UCF101 split `split` and write them under `out_dir`.

    Args:
        root: UCF101 root (UCF-101/ and ucfTrainTestlist/).
        out_dir: destination of the corrupted copies.
        split: official split 1-3 (its test list is corrupted).
        corruptions, severities: subsets of the suite's (None: all).
        seed: corruption seed.
        subset: a fixed seeded subset of this many test videos (0: all).
        device: where the corruptions run.
        suite_name: the video suite.

    Returns:
        The number of videos written (existing ones are kept).
    """
    suite = corrupt.get_suite(suite_name)
    names = list(corruptions or suite.corruptions)
    levels = list(severities or suite.severities)
    for name in names:
        suite.corruption(name)
    videos = UCF101(root, split, train=False, seed=seed, subset=subset)  # lists the videos; decodes nothing
    out_dir, written = Path(out_dir), 0
    jobs = [(i, n, s) for i in range(len(videos)) for n in names for s in levels]
    cached: tuple[int, torch.Tensor, float] | None = None
    for index, name, severity in tqdm(jobs, desc=suite.name, disable=None):
        item = videos.items[index]
        target = out_dir / name / str(severity) / item.path
        if target.is_file():
            continue
        if cached is None or cached[0] != index:
            source = videos.video_root / item.path
            frames = read_frames(source, list(range(count_frames(source))))
            cached = (index, frames.permute(3, 0, 1, 2)[None].to(device), _fps(source))
        generator = item_generator(seed, name, severity, index)
        clip = suite.apply(name, cached[1], severity, generator)
        write_video_lossless(target, clip[0], cached[2])
        written += 1
    return written


def _fps(path: Path) -> float:
    import av

    with av.open(str(path)) as container:
        rate = container.streams.video[0].average_rate
    return float(rate) if rate else 25.0
