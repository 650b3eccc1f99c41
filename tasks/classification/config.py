"""The classification training config: one YAML file per paper scenario under `configs/`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from dscr.dst import DSTConfig
from dscr.engine.optim import LRScheduleConfig, OptimConfig


@dataclass
class DataConfig:
    name: Literal["cifar10", "cifar100", "fashionmnist", "tinyimagenet", "imagenet"] = "cifar10"
    root: str = "data"
    train_subset: int = 0      # train on a fixed seeded subset of this size (0: the whole training set)
    test_subset: int = 0       # evaluate on a fixed seeded subset of this size (0: the whole test set)
    augment: Literal["crop_flip", "imagenet", "none"] = "crop_flip"
    image_size: int = 0        # folder datasets: input resolution (0: the dataset's native size)
    num_workers: int = 4       # folder datasets: DataLoader workers
    # folder datasets: where JPEGs are decoded and augmented. auto: on the GPU in batches when training on CUDA
    # with augment=imagenet (tasks/classification/device_jpeg.py), with PIL in the workers otherwise.
    decode: Literal["auto", "pil", "device"] = "auto"
    eval_batch_size: int = 500


@dataclass
class ModelConfig:
    name: str = "resnet_tiny"  # see tasks/classification/models.py (`dscr train --help` lists them)
    kwargs: dict[str, Any] = field(default_factory=dict)  # passed to the model builder (e.g. width)


@dataclass
class TrainConfig:
    name: str = "run"          # the run folder: <out_dir>/<name>
    seed: int = 0
    epochs: int = 1
    batch_size: int = 128      # global batch (split evenly across DDP ranks)
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    lr_schedule: LRScheduleConfig = field(default_factory=LRScheduleConfig)
    dst: DSTConfig = field(default_factory=DSTConfig)
    label_smoothing: float = 0.0
    mixup_alpha: float = 0.0   # > 0: Mixup with Beta(alpha, alpha) mixing (Table 9)
    device: Literal["auto", "cpu", "cuda"] = "auto"
    amp: Literal["auto", "bf16", "off"] = "auto"   # auto: bf16 autocast on CUDA, off on CPU
    channels_last: bool = True  # NHWC activations on every device (CPU too: 1.7x faster training, measured)
    compile: bool = False      # torch.compile the training forward (off: on CPU its compile time outweighs a
                               # 1.25x faster step for the smoke model; measure on a GPU with benchmarks/gpu_suite.py)
    out_dir: str = "runs"
    resume: bool = False       # continue from <run>/checkpoints/last.pt; a finished run is left as it is
    keep_every: int = 0        # also keep checkpoints/epoch_<k>.pt every k epochs (analyses over training)
    halt_after_epochs: int = 0  # stop after this many epochs as if killed (tests of resume); 0: off
    threads: int = 0           # torch CPU threads (0: torch's default)

    def __post_init__(self) -> None:
        if self.epochs < 1:
            raise ValueError(f"epochs: {self.epochs}; must be >= 1")
        if self.batch_size < 1:
            raise ValueError(f"batch_size: {self.batch_size}; must be >= 1")
