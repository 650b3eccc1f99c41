"""Clip decoding and training throughput, measured side by side in one run: `python benchmarks/video_throughput.py`.

Decoding runs on UCF101-like files written here (320x240, 25 fps, MPEG-4 part 2 in AVI, moving textures):
one process, T frames per clip spread over the video, resized and cropped as in training. Training runs
the real models (`r3d50`, `i3d_r50`) for a few SGD steps on random uint8 clips on the chosen device.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch


def write_test_videos(folder: Path, count: int, frames: int, height: int = 240, width: int = 320) -> list[Path]:
    """UCF101-sized videos of a drifting random texture (so the codec has real work to do)."""
    import av

    rng = np.random.default_rng(0)
    paths = []
    for i in range(count):
        texture = rng.integers(0, 256, (height * 2, width * 2, 3), dtype=np.uint8)
        path = folder / f"v_{i}.avi"
        with av.open(str(path), "w") as container:
            stream = container.add_stream("mpeg4", rate=25)
            stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
            for t in range(frames):
                frame = np.ascontiguousarray(texture[t:t + height, 2 * t:2 * t + width])
                for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                    container.mux(packet)
            for packet in stream.encode():
                container.mux(packet)
        paths.append(path)
    return paths


def decode_rate(paths: list[Path], frames: int, crop_size: int, short_side: int, repeats: int) -> float:
    """Clips per second for one process: decode T frames, resize, centre crop."""
    from tasks.video.data import count_frames, crop, read_frames, resize_short_side
    from dscr.corrupt.video import resample_indices

    start = time.perf_counter()
    for _ in range(repeats):
        for path in paths:
            idx = resample_indices(count_frames(path), frames).tolist()
            clip = resize_short_side(read_frames(path, idx), short_side)
            h, w = clip.shape[-2:]
            crop(clip, crop_size, (h - crop_size) // 2, (w - crop_size) // 2)
    return repeats * len(paths) / (time.perf_counter() - start)


def train_rate(name: str, device: torch.device, batch: int, frames: int, size: int, steps: int) -> float:
    """Training clips per second (forward, backward, SGD step), after one warm-up step."""
    from tasks.video.models import VideoClassifier, create_model

    model = VideoClassifier(create_model(name, 101, frames=frames, crop_size=size)).to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-3)
    clips = torch.randint(0, 256, (batch, 3, frames, size, size), dtype=torch.uint8, device=device)
    labels = torch.randint(0, 101, (batch,), device=device)
    use_bf16 = device.type == "cuda"
    for step in range(steps + 1):
        if step == 1:
            if device.type == "cuda":
                torch.cuda.synchronize()
            start = time.perf_counter()
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=use_bf16):
            loss = torch.nn.functional.cross_entropy(model(clips), labels)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
    if device.type == "cuda":
        torch.cuda.synchronize()
    return steps * batch / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--videos", type=int, default=8)
    parser.add_argument("--video-frames", type=int, default=180, help="frames per test video (UCF101 mean ~186)")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--frames", type=int, default=8)
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--threads", type=int, default=0)
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    with tempfile.TemporaryDirectory() as tmp:
        paths = write_test_videos(Path(tmp), args.videos, args.video_frames)
        decode = decode_rate(paths, args.frames, args.size, round(args.size * 256 / 224), repeats=2)
    print(f"decode: {decode:.1f} clips/s per process ({args.frames} frames, 320x240 -> {args.size} px, "
          f"{args.video_frames}-frame MPEG-4 videos)")
    for name in ("r3d50", "i3d_r50"):
        rate = train_rate(name, device, args.batch, args.frames, args.size, args.steps)
        print(f"train {name}: {rate:.2f} clips/s on {device} (batch {args.batch}, {args.frames}x{args.size}x"
              f"{args.size}); decode/train ratio {decode / rate:.1f} (decoding processes needed ~ "
              f"{max(1.0, rate / decode):.1f})")


if __name__ == "__main__":
    main()
