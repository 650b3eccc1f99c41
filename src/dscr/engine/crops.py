"""RandomResizedCrop's box rule, drawn from a generator: the image path decoded on the GPU and the video clips
share it (both crop on tensors, not through torchvision's transform and its global RNG)."""

from __future__ import annotations

import torch

IMAGENET_SCALE = (0.08, 1.0)
IMAGENET_RATIO = (3.0 / 4.0, 4.0 / 3.0)


def random_resized_box(height: int, width: int, generator: torch.Generator,
                       scale: tuple[float, float] = IMAGENET_SCALE,
                       ratio: tuple[float, float] = IMAGENET_RATIO) -> tuple[int, int, int, int]:
    """(top, left, h, w) of a RandomResizedCrop box by torchvision's rule and in its order of draws: area
    fraction uniform in `scale`, log aspect ratio uniform in `ratio`, 10 tries, then the largest centred box
    whose aspect ratio lies in `ratio`."""
    area = height * width
    log_ratio = torch.log(torch.tensor(ratio, dtype=torch.float64))
    for _ in range(10):
        target = area * float(torch.empty(1, dtype=torch.float64).uniform_(*scale, generator=generator))
        aspect = float(torch.exp(torch.empty(1, dtype=torch.float64).uniform_(*log_ratio.tolist(),
                                                                                generator=generator)))
        w, h = round((target * aspect) ** 0.5), round((target / aspect) ** 0.5)
        if 0 < w <= width and 0 < h <= height:
            top = int(torch.randint(0, height - h + 1, (1,), generator=generator))
            left = int(torch.randint(0, width - w + 1, (1,), generator=generator))
            return top, left, h, w
    aspect = width / height
    if aspect < ratio[0]:
        w, h = width, round(width / ratio[0])
    elif aspect > ratio[1]:
        h, w = height, round(height * ratio[1])
    else:
        w, h = width, height
    return (height - h) // 2, (width - w) // 2, h, w
