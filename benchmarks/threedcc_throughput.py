"""Seconds per image of every ImageNet-3DCC corruption (dscr.corrupt), at ImageNet's 224 px, on smooth test images
with a smooth random depth map; the camera-based ones (xy / z motion blur, h265, bit error) render up to 60 views
of a point cloud per image, the video ones also encode and decode a 119-frame clip.

    python benchmarks/threedcc_throughput.py [--images 6] [--size 224] [--severities 1,5] [--threads 1]
                                             [--device cpu]

Timing is CPU time of this process on CPU (the machine may be shared), wall time on CUDA; one untimed warm-up
call per corruption. The last line extrapolates to ImageNet-3DCC (11 corruptions x 5 severities x 50 000 images).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "corrupt"))

from corrupt_reference import smooth_images, to_nchw  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=6)
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--severities", default="1,5")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    from dscr import corrupt

    suite = corrupt.get_suite("imagenet-3dcc")
    device = torch.device(args.device)
    x = to_nchw(smooth_images(args.images, args.size, args.size, seed=0)).to(device)
    coarse = torch.rand(args.images, 1, 6, 6, generator=torch.Generator().manual_seed(0)) * 0.8 + 0.2
    depth = torch.nn.functional.interpolate(coarse, size=args.size, mode="bicubic").clamp_min(0.05).to(device)
    severities = [int(s) for s in args.severities.split(",")]
    clock = time.perf_counter if device.type == "cuda" else time.process_time
    per_image = {}
    print(f"| corruption | " + " | ".join(f"s/image, severity {s}" for s in severities) + " |")
    print("|---|" + "---|" * len(severities))
    for name in suite.corruptions:
        suite.apply(name, x[:1], severities[0], depth=depth[:1])  # warm-up
        row = []
        for severity in severities:
            start = clock()
            suite.apply(name, x, severity, torch.Generator().manual_seed(severity), depth=depth)
            if device.type == "cuda":
                torch.cuda.synchronize()
            row.append((clock() - start) / args.images)
        per_image[name] = sum(row) / len(row)
        print(f"| {name} | " + " | ".join(f"{v:.4f}" for v in row) + " |")
    total = sum(per_image.values()) * 5 * 50_000
    print(f"ImageNet-3DCC at {args.size} px (11 x 5 x 50 000 images, severities averaged as measured): "
          f"{total / 3600:.0f} h on this device with {args.threads} thread(s)")


if __name__ == "__main__":
    main()
