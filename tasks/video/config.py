"""The video training config: one YAML file per model under `configs/` (the paper's Table 3 UCF101 row)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from dscr.config import require_at_least
from dscr.dst import DSTConfig
# Optimizer and LR-schedule sections are shared by every task, so all read the same keys.
from dscr.engine.optim import LRScheduleConfig, OptimConfig


@dataclass
class VideoDataConfig:
    root: str = "data/UCF101"  # holds UCF-101/ and ucfTrainTestlist/ (see tasks/video/data.py)
    split: Literal[1, 2, 3] = 1  # the official train/test split
    frames: int = 8            # T: frames per clip, spread uniformly over the video
    crop_size: int = 224       # clip height and width
    short_side: int = 256      # frames are resized to this short side before cropping
    test_clips: int = 3        # clips per test video; video accuracy averages their softmax
    test_offset: float = 0.5   # test clip j of K: each segment's frame at (j + test_offset) / K (0: its first)
    # Where the paper is silent it follows Schiappa et al. (2023), Maddy12/ActionRecognitionRobustnessEval
    # core/build_dataset.py: ImageNet normalisation, RandomResizedCrop(scale 0.5-1) of the whole frame, the
    # frames at the segment starts when training too, one centre test clip (the configs set these).
    normalize: Literal["imagenet", "kinetics"] = "imagenet"  # the model's input mean / std
    train_crop_scale: list[float] = field(default_factory=list)  # [min, max] area of a RandomResizedCrop of
    #   the whole frame (Schiappa et al.: [0.5, 1.0]); empty: resize the short side, then a random crop
    train_jitter: bool = True  # training: a random frame per segment; false: the frames a test clip takes
    train_subset: int = 0      # fixed seeded subset of training videos (0: all)
    test_subset: int = 0       # fixed seeded subset of test videos (0: all)
    num_workers: int = 4       # DataLoader decoding workers
    eval_batch_size: int = 8   # test videos per batch (each holds test_clips clips)

    def __post_init__(self) -> None:
        require_at_least(self, 1, "frames", "crop_size", "test_clips", "eval_batch_size")
        require_at_least(self, 0, "train_subset", "test_subset", "num_workers")
        if self.short_side < self.crop_size:
            raise ValueError(f"short_side: {self.short_side}; must be >= data.crop_size ({self.crop_size})")
        if not 0.0 <= self.test_offset < 1.0:
            raise ValueError(f"test_offset: {self.test_offset}; allowed: 0 <= offset < 1")
        scale = self.train_crop_scale
        if scale and not (len(scale) == 2 and 0.0 < scale[0] <= scale[1] <= 1.0):
            raise ValueError(f"train_crop_scale: {scale}; allowed: [] or [min, max] with 0 < min <= max <= 1")


@dataclass
class VideoModelConfig:
    name: str = "r3d50"        # see tasks/video/models.py: r3d50 (slow_r50 architecture), i3d_r50
    pretrained: str = ""       # local Kinetics checkpoint (.pyth); empty: train from scratch
    kwargs: dict[str, Any] = field(default_factory=dict)  # passed to the builder (width, dropout)


@dataclass
class VideoTrainConfig:
    name: str = "ucf101"       # the run folder: <out_dir>/<name>
    seed: int = 0
    epochs: int = 80
    batch_size: int = 8        # global batch of clips (split evenly across DDP ranks)
    data: VideoDataConfig = field(default_factory=VideoDataConfig)
    model: VideoModelConfig = field(default_factory=VideoModelConfig)
    optim: OptimConfig = field(default_factory=lambda: OptimConfig(lr=0.1, weight_decay=1e-3))
    lr_schedule: LRScheduleConfig = field(default_factory=LRScheduleConfig)
    dst: DSTConfig = field(default_factory=DSTConfig)
    label_smoothing: float = 0.0
    eval_every: int = 1        # clean test accuracy every this many epochs (and always after the last)
    max_steps_per_epoch: int = 0  # cap on optimizer steps per epoch (0: the whole training list; smoke runs)
    device: Literal["auto", "cpu", "cuda"] = "auto"
    amp: Literal["auto", "bf16", "off"] = "auto"   # auto: bf16 autocast on CUDA, off on CPU
    out_dir: str = "runs"
    work_dir: str = ""         # where the run is written while it trains ("": the run folder; see classification)
    resume: bool = False       # continue from the last checkpoint if it is of the same config and code
    overwrite: bool = False    # delete an existing run in the run folder and train it again
    halt_after_epochs: int = 0  # stop after this many epochs as if killed (tests of resume); 0: off
    threads: int = 0           # torch CPU threads (0: torch's default)

    def __post_init__(self) -> None:
        require_at_least(self, 1, "epochs", "batch_size", "eval_every")
        require_at_least(self, 0, "max_steps_per_epoch", "halt_after_epochs", "threads")
        if not 0.0 <= self.label_smoothing < 1.0:
            raise ValueError(f"label_smoothing: {self.label_smoothing}; allowed: 0 <= label_smoothing < 1")
