"""The classification training config: one YAML file per paper scenario under `configs/`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from dscr.config import require_at_least
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
    # DeiT's recipe (Touvron et al. 2021), through timm; all off by default.
    rand_augment: str = ""     # augment=imagenet: a timm RandAugment policy, e.g. rand-m9-mstd0.5-inc1 (DeiT)
    interpolation: Literal["bilinear", "bicubic"] = "bilinear"  # folder datasets: resize/crop (DeiT: bicubic)
    random_erasing: float = 0.0  # probability of erasing a random box of an image with N(0, 1) noise (DeiT: 0.25)
    repeat_aug: int = 1        # repeated augmentation (DeiT: 3): each image comes this many times per epoch

    def __post_init__(self) -> None:
        if not 0.0 <= self.random_erasing <= 1.0:
            raise ValueError(f"random_erasing: {self.random_erasing}; allowed: a probability in [0, 1]")
        if self.repeat_aug < 1:
            raise ValueError(f"repeat_aug: {self.repeat_aug}; must be >= 1 (1: off)")
        if self.rand_augment and not self.rand_augment.startswith("rand-"):
            raise ValueError(f"rand_augment: '{self.rand_augment}'; a timm RandAugment policy starts with "
                             "'rand-' (e.g. rand-m9-mstd0.5-inc1)")
        if (self.rand_augment or self.repeat_aug > 1) and self.augment != "imagenet":
            raise ValueError("rand_augment and repeat_aug go with augment: imagenet")
        require_at_least(self, 0, "train_subset", "test_subset", "image_size", "num_workers")
        require_at_least(self, 1, "eval_batch_size")


@dataclass
class ModelConfig:
    name: str = "resnet_tiny"  # see tasks/classification/models.py (`dscr train --help` lists them)
    kwargs: dict[str, Any] = field(default_factory=dict)  # passed to the model builder (e.g. width)
    drop_path: float = 0.0     # stochastic depth rate of the models that have it (deit_base; DeiT: 0.1)

    def __post_init__(self) -> None:
        if not 0.0 <= self.drop_path < 1.0:
            raise ValueError(f"drop_path: {self.drop_path}; allowed: 0 <= drop_path < 1")


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
    label_smoothing: float = 0.0  # with Mixup/CutMix: folded into their soft targets, as timm does
    # Mixup / CutMix through timm's Mixup, one draw per batch (Table 9: mixup_alpha 1; DeiT: 0.8 and 1.0).
    mixup_alpha: float = 0.0   # > 0: Mixup with lambda ~ Beta(alpha, alpha)
    cutmix_alpha: float = 0.0  # > 0: CutMix with lambda ~ Beta(alpha, alpha)
    mixup_prob: float = 1.0    # probability that a batch is mixed at all
    mixup_switch_prob: float = 0.5  # with both on: probability that a mixed batch uses CutMix
    device: Literal["auto", "cpu", "cuda"] = "auto"
    amp: Literal["auto", "bf16", "off"] = "auto"   # auto: bf16 autocast on CUDA, off on CPU
    channels_last: bool = True  # NHWC activations on every device (CPU too: 1.7x faster training, measured)
    compile: bool = False      # torch.compile the training forward (off: on CPU its compile time outweighs a
                               # 1.25x faster step for the smoke model; measure on a GPU with benchmarks/gpu_suite.py)
    out_dir: str = "runs"
    work_dir: str = ""         # where the run is written while it trains ("": the run folder itself); the
                               # DVC pipeline keeps it outside the stage outputs so an interrupted run resumes
    resume: bool = False       # continue from the last checkpoint if it is of the same config and code; a
                               # finished run is left as it is
    overwrite: bool = False    # delete an existing run in the run folder and train it again
    keep_every: int = 0        # also keep checkpoints/epoch_<k>.pt every k epochs (analyses over training)
    halt_after_epochs: int = 0  # stop after this many epochs as if killed (tests of resume); 0: off
    threads: int = 0           # torch CPU threads (0: torch's default)

    def __post_init__(self) -> None:
        require_at_least(self, 1, "epochs", "batch_size")
        require_at_least(self, 0, "mixup_alpha", "cutmix_alpha", "keep_every", "halt_after_epochs", "threads")
        for name in ("label_smoothing", "mixup_prob", "mixup_switch_prob"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name}: {getattr(self, name)}; allowed: [0, 1]")
        if self.label_smoothing == 1.0:
            raise ValueError("label_smoothing: 1.0; allowed: 0 <= label_smoothing < 1")
