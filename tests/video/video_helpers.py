"""A tiny UCF101 written with PyAV: moving shapes, 3 classes, in the official folder and split-file layout."""

from __future__ import annotations

from pathlib import Path

import numpy as np

CLASSES = ("MoveRight", "MoveDown", "Blink")
FRAMES, HEIGHT, WIDTH = 16, 40, 48


def shape_frames(label: int, variant: int, frames: int = FRAMES, height: int = HEIGHT,
                 width: int = WIDTH) -> np.ndarray:
    """uint8 (T, H, W, 3): a coloured square whose motion names the class; `variant` moves its start."""
    video = np.full((frames, height, width, 3), 30, np.uint8)
    colour = np.array([(220, 60, 60), (60, 220, 60), (60, 60, 220)][label], np.uint8)
    size = 10
    for t in range(frames):
        top, left = 4 + variant % 5, 4 + (3 * variant) % 7
        if label == 0:
            left += 2 * t
        elif label == 1:
            top += t
        elif t % 4 >= 2:  # Blink: visible half of the time
            continue
        video[t, top:top + size, left:left + size] = colour
    return video


def write_video(path: Path, frames: np.ndarray, fps: int = 25, codec: str = "mpeg4") -> None:
    """Encode uint8 (T, H, W, 3) RGB frames into `path` (UCF101 uses MPEG-4 part 2 in AVI)."""
    import av

    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height = frames.shape[2], frames.shape[1]
        stream.pix_fmt = "yuv420p"
        stream.options = {"qscale": "2"}
        for array in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(array, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)


def make_ucf101(root: Path, train_per_class: int = 4, test_per_class: int = 2) -> Path:
    """Write the fake dataset (split 1 only) and return its root."""
    lines = {"train": [], "test": []}
    for label, name in enumerate(CLASSES):
        for i in range(train_per_class + test_per_class):
            part = "train" if i < train_per_class else "test"
            rel = f"{name}/v_{name}_g{i + 1:02d}_c01.avi"
            write_video(root / "UCF-101" / rel, shape_frames(label, i))
            lines[part].append(f"{rel} {label + 1}" if part == "train" else rel)
    lists = root / "ucfTrainTestlist"
    lists.mkdir(parents=True, exist_ok=True)
    (lists / "classInd.txt").write_text("".join(f"{i + 1} {n}\n" for i, n in enumerate(CLASSES)))
    (lists / "trainlist01.txt").write_text("\n".join(lines["train"]) + "\n")
    (lists / "testlist01.txt").write_text("\n".join(lines["test"]) + "\n")
    return root
