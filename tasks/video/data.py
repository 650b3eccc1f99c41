"""UCF101 clips: the official split files, .avi decoding with PyAV, T uniformly spread frames, resize and crop.

Layout under `root` (as the official archives unpack):

    root/UCF-101/<Class>/v_<Class>_gXX_cYY.avi
    root/ucfTrainTestlist/classInd.txt                  "1 ApplyEyeMakeup" (1-based class ids)
    root/ucfTrainTestlist/trainlist0{1,2,3}.txt          "<Class>/<file>.avi <id>"
    root/ucfTrainTestlist/testlist0{1,2,3}.txt           "<Class>/<file>.avi"

A clip holds T frames spread uniformly over the whole video: the video is cut into T equal segments and
one frame is taken at the same relative position in each: for test clip j of K, position (j + offset) / K
(offset 0.5: K clips tile the video; K = 1, offset 0: each segment's first frame, as the loader of Schiappa
et al. 2023 that the paper follows); when training, a random position per segment (`jitter`) or the test
clip's. Only those frames are converted from the codec's format.

Space: when training, either a RandomResizedCrop of the whole frame (`crop_scale`: its area range, aspect
ratio 3/4-4/3, one box for every frame of the clip; Schiappa et al.: scale 0.5-1) resized to `crop_size`,
or a resize of the short side to `short_side` and a random `crop_size` crop; then a horizontal flip with
probability 0.5. When testing: short side to `short_side`, centre crop (short_side = crop_size: the whole
central square, as Schiappa et al.'s Resize(1.25 S), CenterCrop(1.25 S), Resize(S)). Clips stay uint8
(3, T, H, W) until the model, so corruptions see the pixels a saved corrupted video would hold.

Temporal corruptions (`dscr.corrupt.video.TEMPORAL`) reorder the whole video, as the reference does: the
dataset composes the corruption's index map over all frames with the clip sampling above, and decodes only
the frames the corrupted clip shows.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from dscr.config import DscrError
from dscr.engine.crops import random_resized_box
from dscr.corrupt.video import frame_order, resample_indices

VIDEO_DIR = "UCF-101"
SPLIT_DIR = "ucfTrainTestlist"


@dataclass(frozen=True)
class VideoItem:
    path: str    # relative to the video folder, e.g. "ApplyEyeMakeup/v_ApplyEyeMakeup_g01_c01.avi"
    label: int   # 0-based class index


def dataset_present(root: str | Path) -> bool:
    """Whether `root` holds UCF101 in the official layout (what a report checks before the UCF101 rows)."""
    root = Path(root)
    return (root / SPLIT_DIR / "classInd.txt").is_file() and (root / VIDEO_DIR).is_dir()


def read_classes(root: str | Path) -> list[str]:
    """Class names in the order of classInd.txt (index = label)."""
    path = Path(root) / SPLIT_DIR / "classInd.txt"
    if not path.is_file():
        raise DscrError(f"UCF101 split files not found: {path} is missing (expected root/{SPLIT_DIR}/ and "
                        f"root/{VIDEO_DIR}/ as the official archives unpack)")
    ids = {}
    for line in path.read_text().split("\n"):
        if line.strip():
            number, name = line.split()
            ids[int(number)] = name
    return [ids[i] for i in sorted(ids)]


def read_split(root: str | Path, split: int, train: bool) -> list[VideoItem]:
    """The videos of official split `split` (1-3), labels from the class folder name."""
    if split not in (1, 2, 3):
        raise DscrError(f"UCF101 split is {split}; allowed: 1, 2, 3")
    classes = {name.lower(): i for i, name in enumerate(read_classes(root))}
    path = Path(root) / SPLIT_DIR / f"{'train' if train else 'test'}list0{split}.txt"
    if not path.is_file():
        raise DscrError(f"UCF101 split file not found: {path}")
    items = []
    for line in path.read_text().split("\n"):
        if line.strip():
            rel = line.split()[0]
            # class names compare case-insensitively: the official files mix HandStandPushups and HandstandPushups
            items.append(VideoItem(rel, classes[rel.split("/")[0].lower()]))
    return items


def count_frames(path: str | Path) -> int:
    """Frames in the first video stream (from the header; by demuxing when the header does not say)."""
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        if stream.frames > 0:
            return stream.frames
        return sum(1 for packet in container.demux(stream) if packet.size > 0)


def read_frames(path: str | Path, indices: list[int] | np.ndarray) -> torch.Tensor:
    """Decode the frames at `indices` (any order, repeats allowed) as uint8 (len(indices), H, W, 3) RGB.

    Decoding stops after the last wanted frame. An index past the end of a truncated file gets the last
    frame that decoded.
    """
    import av

    wanted = sorted(set(int(i) for i in indices))
    if not wanted:
        raise ValueError("no frame indices given")
    frames: dict[int, np.ndarray] = {}
    last = None
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        pending = iter(wanted)
        target = next(pending)
        for i, frame in enumerate(container.decode(stream)):
            last = frame
            if i == target:
                frames[i] = frame.to_ndarray(format="rgb24")
                target = next(pending, None)
                if target is None:
                    break
        if last is None:
            raise DscrError(f"no video frame could be decoded from {path}")
        tail = last.to_ndarray(format="rgb24") if len(frames) < len(wanted) else None
    return torch.from_numpy(np.stack([frames.get(int(i), tail) for i in indices]))


def resize_frames(frames: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """uint8 (T, H, W, 3) -> uint8 (3, T, *size) (bilinear, antialiased)."""
    x = frames.permute(3, 0, 1, 2).float()   # (3, T, H, W): T acts as the batch of F.interpolate
    if tuple(x.shape[-2:]) != tuple(size):
        x = F.interpolate(x, size=size, mode="bilinear", antialias=True, align_corners=False)
    return x.round().clamp(0, 255).to(torch.uint8)


def resize_short_side(frames: torch.Tensor, short_side: int) -> torch.Tensor:
    """uint8 (T, H, W, 3) -> uint8 (3, T, H', W') with min(H', W') = short_side (bilinear, antialiased)."""
    h, w = frames.shape[1:3]
    scale = short_side / min(h, w)
    return resize_frames(frames, (max(short_side, round(h * scale)), max(short_side, round(w * scale))))


def crop(clip: torch.Tensor, size: int, top: int, left: int) -> torch.Tensor:
    return clip[..., top:top + size, left:left + size]


def item_generator(seed: int, *keys) -> torch.Generator:
    """A CPU generator that depends only on (seed, keys): the same for any worker count or batch size."""
    key = zlib.crc32("/".join(map(str, keys)).encode())
    return torch.Generator().manual_seed((int(seed) * 1_000_003 + key) % (2 ** 63))


class UCF101(torch.utils.data.Dataset):
    """UCF101 videos of one split as uint8 clips.

    Training items: `(clip (3, T, S, S), label)` with random frame positions, crop and flip drawn from
    (seed, epoch, index). Test items: `(clips (K, 3, T, S, S), label)`, K = `clips` fixed clips per video.

    Args:
        root: dataset root (see the module docstring).
        split: official split 1-3.
        train: the train list (with augmentation) or the test list.
        frames: T, frames per clip.
        crop_size: S, output height and width.
        short_side: frames are resized to this short side before cropping (>= crop_size).
        clips: test clips per video (ignored when training).
        seed: base seed of the training randomness and of the temporal corruption maps.
        video_dir: folder of the .avi files relative to `root` (or absolute: a corrupted copy on disk).
        subset: keep a fixed seeded subset of this many videos (0: all).
        offset: test clip j of K takes each segment's frame at (j + offset) / K.
        jitter: training clips take a random frame per segment (else the test clip's frames).
        crop_scale: training: (min, max) area of a RandomResizedCrop of the whole frame; empty: short-side
            resize and a random crop.
    """

    def __init__(self, root: str | Path, split: int = 1, train: bool = True, frames: int = 8,
                 crop_size: int = 224, short_side: int = 256, clips: int = 1, seed: int = 0,
                 video_dir: str | Path = VIDEO_DIR, subset: int = 0, offset: float = 0.5, jitter: bool = True,
                 crop_scale: tuple[float, ...] = ()):
        if short_side < crop_size:
            raise DscrError(f"short_side {short_side} is smaller than crop_size {crop_size}")
        self.root, self.video_root = Path(root), Path(root) / video_dir
        self.items = read_split(root, split, train)
        if subset and subset < len(self.items):
            keep = np.sort(np.random.default_rng(seed).permutation(len(self.items))[:subset])
            self.items = [self.items[i] for i in keep]
        self.classes = read_classes(root)
        self.train, self.frames, self.crop_size, self.short_side = train, frames, crop_size, short_side
        self.clips, self.seed, self.epoch = (1 if train else clips), seed, 0
        self.offset, self.jitter, self.crop_scale = offset, jitter, tuple(crop_scale)
        self.temporal: tuple[str, int] | None = None   # (corruption, severity) applied to whole videos

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def set_temporal_corruption(self, name: str | None, severity: int = 1) -> None:
        """Reorder every video with temporal corruption `name` (None: clean)."""
        self.temporal = (name, severity) if name else None

    def __len__(self) -> int:
        return len(self.items)

    def frame_indices(self, index: int, length: int, generator: torch.Generator) -> torch.Tensor:
        """Source-frame indices (clips, T) of item `index` in a video of `length` frames."""
        if self.train and self.jitter:
            offsets = torch.rand(self.frames, generator=generator, dtype=torch.float64)
            base = torch.arange(self.frames, dtype=torch.float64)
            idx = ((base + offsets) * (length / self.frames)).floor().long().clamp(0, length - 1)[None]
        else:
            idx = torch.stack([resample_indices(length, self.frames, (j + self.offset) / self.clips)
                               for j in range(self.clips)])
        if self.temporal is not None:
            name, severity = self.temporal
            order = frame_order(name, length, severity, item_generator(self.seed, name, severity, index))
            idx = order[idx]
        return idx

    def __getitem__(self, index: int):
        item = self.items[index]
        path = self.video_root / item.path
        if not path.is_file():
            raise DscrError(f"video listed in the split file is missing: {path}")
        g = item_generator(self.seed, "train", self.epoch, index)
        idx = self.frame_indices(index, count_frames(path), g)
        frames = read_frames(path, idx.flatten().tolist())
        s = self.crop_size
        if self.train:
            clip = self._train_view(frames, g)
            if torch.rand(1, generator=g) < 0.5:
                clip = clip.flip(-1)
            return clip.contiguous(), item.label
        clip = resize_short_side(frames, self.short_side)
        clip = clip.view(3, *idx.shape, *clip.shape[-2:]).transpose(0, 1)  # (K, 3, T, H, W)
        h, w = clip.shape[-2:]
        return crop(clip, s, (h - s) // 2, (w - s) // 2).contiguous(), item.label

    def _train_view(self, frames: torch.Tensor, g: torch.Generator) -> torch.Tensor:
        """uint8 (T, H, W, 3) -> (3, T, S, S): one random box for the whole clip."""
        s = self.crop_size
        if self.crop_scale:
            top, left, h, w = random_resized_box(frames.shape[1], frames.shape[2], g, scale=self.crop_scale)
            return resize_frames(frames[:, top:top + h, left:left + w], (s, s))
        clip = resize_short_side(frames, self.short_side)
        h, w = clip.shape[-2:]
        top = int(torch.randint(0, h - s + 1, (1,), generator=g))
        left = int(torch.randint(0, w - s + 1, (1,), generator=g))
        return crop(clip, s, top, left)


def make_loader(dataset: UCF101, batch_size: int, *, train: bool, num_workers: int, seed: int = 0,
                rank: int = 0, world_size: int = 1) -> torch.utils.data.DataLoader:
    """A DataLoader over this rank's share: shuffled and even (drop_last) when training; when testing each
    rank takes every world_size-th video, so every video is counted exactly once across ranks."""
    if train:
        sampler = torch.utils.data.DistributedSampler(dataset, num_replicas=world_size, rank=rank, shuffle=True,
                                                      seed=seed, drop_last=True)
    else:
        sampler = list(range(rank, len(dataset), world_size))
    return torch.utils.data.DataLoader(dataset, batch_size=batch_size, sampler=sampler, drop_last=train,
                                       num_workers=num_workers, pin_memory=torch.cuda.is_available(),
                                       persistent_workers=False)
