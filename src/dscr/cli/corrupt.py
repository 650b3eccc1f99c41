"""`dscr corrupt`: write a corruption suite to disk in its official layout.

CIFAR layout (cifar10-c, cifar100-c, fashion-mnist-c, and any suite fed with --images):
    DIR/<corruption>.npy  uint8 (N*S, H, W, C), severities 1..S stacked in order
    DIR/labels.npy        the labels repeated S times (when labels are known)
Image-folder layout (tinyimagenet-c, imagenet-c, ...): DIR/<corruption>/<severity>/<class>/<image>.png

Each output file is written to a temporary name and renamed when complete, and existing complete files are
skipped, so an interrupted run resumes where it stopped. DIR/dscr-corrupt.json records the suite and seed, so
that an evaluation can tell such a folder from the published files. Batches are seeded with
``dscr.corrupt.batch_generator(seed, corruption, severity, batch_index)``: evaluating on the fly with the
same seed, batch size and device kind gives the same images.
"""

from __future__ import annotations

from pathlib import Path


def add_parser(subparsers):
    p = subparsers.add_parser("corrupt", help="write a corruption suite (e.g. CIFAR-10-C) to disk",
                              description=__doc__.split("\n\n")[0])
    p.add_argument("--list", action="store_true", help="list the suites and their corruptions, then exit")
    p.add_argument("--suite", help="suite name, e.g. cifar10-c (`--list` shows them all)")
    p.add_argument("--out", help="output folder")
    p.add_argument("--images", default=None, help="uint8 N x H x W x 3 (or N x H x W) .npy to corrupt instead of "
                   "the suite's test set; written in the CIFAR layout")
    p.add_argument("--labels", default=None, help="labels .npy for --images (optional; one integer per image)")
    p.add_argument("--limit", type=int, default=0, help="only the first N test images (0: all)")
    p.add_argument("--corruptions", default=None, help="comma-separated subset (default: all of the suite)")
    p.add_argument("--root", default="data", help="dataset root (default: data; ucf101-c: data/UCF101)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--batch-size", type=int, default=1000)
    p.add_argument("--device", default="cpu", help="cpu, cuda, cuda:1, ...")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1: the engine runs many "
                   "small batched ops, which extra threads slow down on a busy machine; 0 keeps torch's default)")
    return p


def list_suites() -> str:
    """One line per suite: its dataset, severities and corruptions (those needing depth maps marked)."""
    from dscr import corrupt

    lines = []
    for name in corrupt.list_suites():
        suite = corrupt.get_suite(name)
        names = [c + (" (needs depth)" if suite.corruption(c).needs_depth else "") for c in suite.corruptions]
        lines.append(f"{name}: {suite.dataset}, severities {suite.severities[0]}-{suite.severities[-1]}, "
                     f"{len(names)} corruptions: {', '.join(names)}")
    return "\n".join(lines)


def _save_npy(path: Path, array) -> None:
    import numpy as np

    from dscr.engine.io import write_atomic

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as f:  # a file object: np.save would append .npy to the temp's name
            np.save(f, array)
    write_atomic(path, write)


def _complete_npy(path: Path, shape: tuple) -> bool:
    import numpy as np

    if not path.is_file():
        return False
    try:
        return tuple(np.load(path, mmap_mode="r").shape) == tuple(shape)
    except (ValueError, OSError, EOFError):
        return False


def _load_images(args):
    """(uint8 NHWC images, labels or None) from --images / --labels, validated."""
    import numpy as np

    from dscr.config import DscrError
    from dscr.engine.io import read_npy

    images = read_npy(args.images, "--images")
    if images.ndim == 3:
        images = images[..., None]
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[-1] not in (1, 3):
        raise DscrError(f"--images must be uint8 N x H x W x 3 (or x 1); got {images.dtype} {images.shape}")
    if len(images) == 0:
        raise DscrError(f"--images {args.images} holds 0 images")
    if not args.labels:
        return images, None
    labels = np.array(read_npy(args.labels, "--labels"))
    if labels.ndim != 1 or labels.dtype.kind not in "iu" or len(labels) != len(images):
        raise DscrError(f"--labels must hold one integer per image: {args.labels} is {labels.dtype} "
                        f"{labels.shape}, --images holds {len(images)} images")
    return images, labels


def _load_source(args, suite):
    """(images uint8 NHWC, labels or None, class names or None)."""
    if args.images:
        return (*_load_images(args), None)
    from tasks.classification.datasets import get_info, load_arrays

    info = get_info(suite.dataset)
    if info.kind == "array":
        images, labels = load_arrays(suite.dataset, args.root, "test")
        return images, labels, None
    return _load_folder(Path(args.root) / suite.dataset / "val", suite.image_size, args.limit)


def _load_folder(folder: Path, size: int | None, limit: int | None):
    """Read <folder>/<class>/* images, resized the way the reference scripts did (ImageNet: 256 then centre
    224; smaller suites: straight to size x size)."""
    import numpy as np
    from PIL import Image

    from dscr.config import DscrError

    if not folder.is_dir():
        raise DscrError(f"data missing: {folder} (expected <class>/<image> folders of the validation split)")
    classes = sorted(d.name for d in folder.iterdir() if d.is_dir())
    files = [(c, f) for i, c in enumerate(classes) for f in sorted((folder / c).iterdir()) if f.is_file()]
    if limit:
        files = files[:limit]
    images, labels = [], []
    for label, (cls, f) in enumerate(files):
        img = Image.open(f).convert("RGB")
        if size == 224:
            scale = 256 / min(img.size)
            img = img.resize((round(img.size[0] * scale), round(img.size[1] * scale)), Image.BILINEAR)
            left, top = (img.size[0] - 224) // 2, (img.size[1] - 224) // 2
            img = img.crop((left, top, left + 224, top + 224))
        elif size:
            img = img.resize((size, size), Image.BILINEAR)
        images.append(np.asarray(img))
        labels.append(classes.index(cls))
    if not images:
        raise DscrError(f"no images under {folder}")
    return np.stack(images), np.array(labels), [(c, f.stem) for c, f in files]


def _checked_request(args):
    """(suite, corruption names) of the request; one-line errors for anything that cannot be written."""
    from dscr import corrupt
    from dscr.config import DscrError
    from dscr.engine.distributed import resolve_device

    if not args.suite or not args.out:
        raise DscrError("--suite and --out are required (`dscr corrupt --list` shows the suites)")
    if args.batch_size < 1 or args.limit < 0:
        raise DscrError(f"--batch-size must be >= 1 and --limit >= 0 (0: all images); got {args.batch_size} "
                        f"and {args.limit}")
    suite = corrupt.get_suite(args.suite)
    names = suite.corruptions
    if args.corruptions:
        names = [n.strip() for n in args.corruptions.split(",") if n.strip()]
        for n in names:
            suite.corruption(n)  # raises with the allowed names
    resolve_device(args.device)
    return suite, names


def corrupt_array(suite, corruption: str, severity: int, images, seed: int, batch_size: int, device,
                  progress=None, out=None):
    """Corrupt uint8 NHWC ``images`` batch by batch into ``out`` (allocated when None); returns it."""
    import numpy as np
    import torch

    from dscr.corrupt import batch_generator

    out = np.empty(images.shape, dtype=np.uint8) if out is None else out
    for b, start in enumerate(range(0, len(images), batch_size)):
        chunk = torch.from_numpy(np.array(images[start:start + batch_size])).to(device)
        x = chunk.permute(0, 3, 1, 2).contiguous()
        generator = batch_generator(seed, corruption, severity, b, device=torch.device(device).type)
        y = suite.apply(corruption, x, severity, generator)
        out[start:start + len(chunk)] = y.permute(0, 2, 3, 1).cpu().numpy()
        if progress is not None:
            progress.update(len(chunk))
    return out


def run(args) -> int:
    import time

    import numpy as np
    import torch
    from tqdm import tqdm

    if args.list:
        print(list_suites())
        return 0
    suite, names = _checked_request(args)
    from dscr.engine.io import write_json_atomic
    from dscr.eval import WRITER_MARKER

    if args.threads > 0:
        torch.set_num_threads(args.threads)
    if suite.layout == "video":  # UCF101-C: corrupted copies of the test videos, written by the video task
        from tasks.video.corrupt_disk import write_ucf101_c

        count = write_ucf101_c(args.root if args.root != "data" else "data/UCF101", args.out, corruptions=names,
                               seed=args.seed, subset=args.limit, device=args.device, suite_name=suite.name)
        print(f"{suite.name}: {count} corrupted videos in {args.out}")
        return 0
    depth_only = [n for n in names if suite.corruption(n).needs_depth]
    if depth_only:
        print(f"{suite.name}: skipping {', '.join(depth_only)} (they need depth maps; use the Python API "
              f"suite.apply(..., depth=...) or the official pre-generated folders)")
        names = [n for n in names if n not in depth_only]
    images, labels, files = _load_source(args, suite)
    if args.limit:
        images = images[:args.limit]
        labels = labels[:args.limit] if labels is not None else None
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    severities = suite.severities
    folder_layout = suite.layout == "imagefolder" and files is not None
    t0 = time.perf_counter()
    total = len(names) * len(severities) * len(images)
    with tqdm(total=total, unit="img", desc=suite.name, disable=None) as bar:
        if labels is not None and not folder_layout:
            _save_npy(out / "labels.npy", np.tile(np.asarray(labels), len(severities)).astype(
                np.uint8 if np.max(labels) < 256 else np.int64))
        for name in names:
            target = out / f"{name}.npy"
            stacked_shape = (len(images) * len(severities),) + tuple(images.shape[1:])
            if not folder_layout and _complete_npy(target, stacked_shape):
                bar.update(len(images) * len(severities))
                continue
            stacked = None if folder_layout else np.empty(stacked_shape, dtype=np.uint8)
            for index, severity in enumerate(severities):
                severity_dir = suite.corruption(name).severity_dir(severity)
                if folder_layout:
                    if _folder_complete(out, name, severity_dir, files):
                        bar.update(len(images))
                        continue
                    part = corrupt_array(suite, name, severity, images, args.seed, args.batch_size, args.device, bar)
                    _write_folder(out, name, severity_dir, part, files)
                else:
                    rows = slice(index * len(images), (index + 1) * len(images))
                    corrupt_array(suite, name, severity, images, args.seed, args.batch_size, args.device, bar,
                                  out=stacked[rows])
            if not folder_layout:
                _save_npy(target, stacked)
    write_json_atomic(out / WRITER_MARKER, {"suite": suite.name, "seed": args.seed, "batch_size": args.batch_size,
                                            "limit": args.limit, "corruptions": names})
    elapsed = time.perf_counter() - t0
    print(f"{suite.name}: {len(names)} corruptions x {len(severities)} severities x {len(images)} images "
          f"-> {out} in {elapsed:.1f}s")
    return 0


def _folder_complete(out: Path, name: str, severity_dir: str, files) -> bool:
    return all((out / name / severity_dir / cls / f"{stem}.png").is_file() for cls, stem in files)


def _write_folder(out: Path, name: str, severity_dir: str, images, files) -> None:
    from PIL import Image

    from dscr.engine.io import write_atomic

    for img, (cls, stem) in zip(images, files):
        path = out / name / severity_dir / cls / f"{stem}.png"
        if path.is_file():
            continue
        picture = Image.fromarray(img.squeeze(-1) if img.shape[-1] == 1 else img)
        write_atomic(path, lambda tmp, picture=picture: picture.save(tmp, format="PNG"))
