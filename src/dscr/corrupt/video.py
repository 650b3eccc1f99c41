"""UCF101-C: the 16 video corruptions of the paper (Schiappa et al., CVPR 2023, used by Wu et al., ICLR 2025).

A clip is a uint8 tensor (N, C, T, H, W). Three kinds of corruption:

- frame-wise (noises, blurs, compression): the image engine runs on every frame, reshaped to (N*T, C, H, W),
  with fresh randomness per frame (the reference corrupts frame by frame through PIL);
- camera (translate, rotate, static_rotate): one geometric warp per clip or per frame, nearest sampling,
  zero fill;
- temporal (sampling, reverse_sampling, jumble, box_jumble, freeze): an index map over the time axis
  (`frame_order`). The reference applies it to the whole decoded video and then subsamples the clip's
  frames uniformly from the result; `apply` treats the given time axis as that video and resamples the
  reordered sequence back to its length, so applying it to a full video and then sampling a clip gives
  what the UCF101 loader gives when it composes the same map with its clip sampling (`tasks/video/data.py`).

Severities: the paper reports 4, the public code defines 5. The tables below hold all five published values;
the registered suite uses the first four (`SEVERITIES`), the paper's count. Deviations from the public code,
all deliberate: every clip is corrupted (the public loader corrupts a clip with probability 0.75); a temporal
map that leaves fewer frames than asked repeats frames instead of appending black ones; freeze keeps at least
one frame (the public code samples zero frames, and fails, for short clips at severity 3); a jumble or box
jumble whose random draw is the identity swaps its first two items, and box jumble uses segments of at most
half the sequence, so that a short video is still reordered.
"""

from __future__ import annotations

import math

import torch

from . import ops
from .registry import Corruption, Suite, register_suite
from .suites import FUNCTIONS
from .tables import per_severity, rows

SOURCE = "Maddy12/ActionRecognitionRobustnessEval core/video_perturb.py (VideoPerturbation)"
SEVERITIES = 4            # the paper's UCF101-C severities; the published tables have 5
REFERENCE_SIZE = 224      # pixel constants (translate) are given for 224 px frames and scale with the frame

# Published constants, one kwargs dict per severity 1-5, in the keyword names of the functions used here.
TABLE = {
    "motion_blur": rows(("radius", "sigma"), [(10, 3), (15, 5), (15, 8), (15, 12), (20, 15)]),
    "compression": per_severity(quality=(25, 18, 15, 10, 7)),
    "defocus_blur": rows(("radius", "alias_blur"), [(3, 0.1), (4, 0.5), (6, 0.5), (8, 0.5), (10, 0.5)]),
    "gaussian_noise": per_severity(sigma=(0.08, 0.12, 0.18, 0.26, 0.38)),
    "shot_noise": per_severity(photons=(250, 100, 50, 30, 15)),
    "impulse_noise": per_severity(amount=(0.03, 0.06, 0.09, 0.17, 0.27)),
    # np.arange(1, stop, step) as the reference writes it (the zoom factor 1 is part of the mean).
    "zoom_blur": per_severity(zooms=tuple(tuple(1 + i * step for i in range(math.ceil((stop - 1) / step - 1e-9)))
                                          for stop, step in [(1.11, 0.01), (1.16, 0.01), (1.21, 0.02),
                                                             (1.26, 0.02), (1.31, 0.03)])),
    # random.randint(-6s-1, 6s+1) degrees, drawn per frame.
    "rotate": per_severity(max_degrees=(7, 13, 19, 25, 31)),
    # one angle per severity for every frame (the published list has a sixth value, 180).
    "static_rotate": per_severity(degrees=(7.5, 15, 30, 45, 90)),
    "speckle_noise": per_severity(sigma=(0.15, 0.2, 0.25, 0.3, 0.35)),
    # keep every `rate`-th frame (x[:, ::rate]).
    "sampling": per_severity(rate=(2, 4, 8, 16, 32)),
    "reverse_sampling": per_severity(rate=(2, 4, 8, 16, 32)),
    # shuffle frames inside consecutive segments of 64 // 2**s frames.
    "jumble": per_severity(segment=(32, 16, 8, 4, 2)),
    # shuffle the order of consecutive segments of (s + 1)**2 frames.
    "box_jumble": per_severity(segment=(4, 9, 16, 25, 36)),
    # hold k = int(max(fraction * T, at_least)) randomly chosen frames until the next chosen one.
    "freeze": rows(("fraction", "at_least"), [(0.4, 0), (0.2, 0), (0.1, 0), (0.05, 2), (0.0, 1)]),
    # crop offset randint(0, 8s) rows and columns at 224 px, one offset per clip (here 1..8s, see translate).
    "translate": per_severity(max_shift=(8, 16, 24, 32, 40)),
}

# The order of the reference's `mapping`, which the paper's list follows.
NAMES = ("motion_blur", "compression", "defocus_blur", "gaussian_noise", "shot_noise", "impulse_noise",
         "zoom_blur", "rotate", "static_rotate", "speckle_noise", "sampling", "reverse_sampling", "jumble",
         "box_jumble", "freeze", "translate")
TEMPORAL = ("sampling", "reverse_sampling", "jumble", "box_jumble", "freeze")
# UCF101-C name -> the image engine's function name.
FRAME_WISE = {"motion_blur": "motion_blur", "compression": "jpeg_compression", "defocus_blur": "defocus_blur",
              "gaussian_noise": "gaussian_noise", "shot_noise": "shot_noise", "impulse_noise": "impulse_noise",
              "zoom_blur": "zoom_blur", "speckle_noise": "speckle_noise"}


# ------------------------------------------------------------------------------------------- temporal maps
def _sampling(length: int, generator: torch.Generator, rate: int) -> torch.Tensor:
    del generator
    return torch.arange(0, length, rate)


def _reverse_sampling(length: int, generator: torch.Generator, rate: int) -> torch.Tensor:
    return _sampling(length, generator, rate).flip(0)


def _not_identity(order: torch.Tensor) -> torch.Tensor:
    # A random shuffle that happens to change nothing would leave the clip clean: swap its first two items.
    if len(order) >= 2 and torch.equal(order, torch.arange(len(order))):
        order = order.clone()
        order[[0, 1]] = order[[1, 0]]
    return order


def _jumble(length: int, generator: torch.Generator, segment: int) -> torch.Tensor:
    parts = [start + torch.randperm(min(segment, length - start), generator=generator)
             for start in range(0, length, segment)]
    return _not_identity(torch.cat(parts))


def _box_jumble(length: int, generator: torch.Generator, segment: int) -> torch.Tensor:
    # at least two segments, so that a sequence shorter than two segments is still reordered
    blocks = torch.arange(length).split(min(segment, max(1, math.ceil(length / 2))))
    order = _not_identity(torch.randperm(len(blocks), generator=generator))
    return torch.cat([blocks[i] for i in order.tolist()])


def _freeze(length: int, generator: torch.Generator, fraction: float, at_least: int) -> torch.Tensor:
    count = min(max(int(max(fraction * length, at_least)), 1), length)
    kept = torch.randperm(length, generator=generator)[:count].sort().values
    # each kept frame is shown until the next kept one; frames before the first kept one are dropped
    holds = torch.diff(kept, append=torch.tensor([length]))
    return kept.repeat_interleave(holds)


_TEMPORAL_MAPS = {"sampling": _sampling, "reverse_sampling": _reverse_sampling, "jumble": _jumble,
                  "box_jumble": _box_jumble, "freeze": _freeze}


def resample_indices(length: int, count: int, offset: float = 0.5) -> torch.Tensor:
    """`count` indices spread uniformly over `length` items: the frame at `offset` inside each of `count`
    equal segments (0.5: the segment centres; a sequence shorter than `count` repeats items).

    Args:
        length: number of items to choose from (>= 1).
        count: number of indices to return.
        offset: position inside each segment, in [0, 1).

    Returns:
        int64 tensor of `count` indices in [0, length).
    """
    positions = (torch.arange(count, dtype=torch.float64) + offset) * (length / count)
    return positions.floor().long().clamp(0, length - 1)


def frame_order(name: str, length: int, severity: int, generator: torch.Generator) -> torch.Tensor:
    """The time-axis index map of temporal corruption `name` on a sequence of `length` frames.

    Args:
        name: one of `TEMPORAL`.
        length: frames in the sequence (a whole video, or a clip treated as one).
        severity: 1-based severity.
        generator: CPU generator for the random maps (jumble, box_jumble, freeze).

    Returns:
        int64 tensor of `length` source-frame indices: the corrupted sequence, resampled uniformly back to
        `length` frames when the map shortened it (sampling, freeze).
    """
    params = TABLE[name][severity - 1]
    sequence = _TEMPORAL_MAPS[name](length, generator, **params)
    return sequence[resample_indices(len(sequence), length)]


# ------------------------------------------------------------------------------------------- camera warps
def rotate_frames(frames: torch.Tensor, degrees: torch.Tensor) -> torch.Tensor:
    """Rotate every frame counter-clockwise about its centre (PIL `Image.rotate`: nearest, zero fill).

    Args:
        frames: (M, C, H, W) tensor of any dtype.
        degrees: (M,) angles in degrees.

    Returns:
        Rotated frames, same shape and dtype.
    """
    m, _, h, w = frames.shape
    theta = torch.deg2rad(degrees.to(frames.device, torch.float64)).view(m, 1, 1)
    ys = torch.arange(h, device=frames.device, dtype=torch.float64).view(1, h, 1) + 0.5 - h / 2
    xs = torch.arange(w, device=frames.device, dtype=torch.float64).view(1, 1, w) + 0.5 - w / 2
    # inverse map: the source of output pixel (x, y) under a visual counter-clockwise turn (y points down)
    src_x = (torch.cos(theta) * xs - torch.sin(theta) * ys + w / 2).floor().long()
    src_y = (torch.sin(theta) * xs + torch.cos(theta) * ys + h / 2).floor().long()
    inside = (src_x >= 0) & (src_x < w) & (src_y >= 0) & (src_y < h)
    out = ops.gather_pixels(frames, src_y.clamp(0, h - 1), src_x.clamp(0, w - 1))
    return out * inside.unsqueeze(1).to(frames.dtype)


def _frames(clips: torch.Tensor) -> torch.Tensor:
    n, c, t, h, w = clips.shape
    return clips.transpose(1, 2).reshape(n * t, c, h, w)


def _clips(frames: torch.Tensor, n: int) -> torch.Tensor:
    _, c, h, w = frames.shape
    return frames.reshape(n, -1, c, h, w).transpose(1, 2).contiguous()


def rotate(clips: torch.Tensor, generator: torch.Generator, max_degrees: int) -> torch.Tensor:
    """Every frame turned by its own integer angle drawn uniformly from [-max_degrees, max_degrees]."""
    n, _, t = clips.shape[:3]
    degrees = ops.randint(-max_degrees, max_degrees + 1, (n * t,), generator, clips.device)
    return _clips(rotate_frames(_frames(clips), degrees), n)


def static_rotate(clips: torch.Tensor, generator: torch.Generator, degrees: float) -> torch.Tensor:
    """Every frame of every clip turned by the same angle."""
    del generator
    n, _, t = clips.shape[:3]
    angles = torch.full((n * t,), float(degrees), device=clips.device)
    return _clips(rotate_frames(_frames(clips), angles), n)


def translate(clips: torch.Tensor, generator: torch.Generator, max_shift: int) -> torch.Tensor:
    """Move the crop window of each clip down-right by a random offset, the same for all its frames; the
    uncovered border is black. Offsets are 1..max_shift pixels at 224 px per axis, scaled to the frame (the
    reference draws 0..max_shift-1, where (0, 0) leaves a clip clean)."""
    n, _, _, h, w = clips.shape
    draws = ops.uniform((n, 2), generator, "cpu").tolist()
    out = torch.zeros_like(clips)
    for i, (uy, ux) in enumerate(draws):
        dy = min(h - 1, 1 + int(uy * max_shift * h / REFERENCE_SIZE))
        dx = min(w - 1, 1 + int(ux * max_shift * w / REFERENCE_SIZE))
        out[i, :, :, :h - dy, :w - dx] = clips[i, :, :, dy:, dx:]
    return out


def temporal(name: str):
    """The clip function of temporal corruption `name`: one random map per clip, drawn from the generator."""

    def corrupt(clips: torch.Tensor, generator: torch.Generator, severity: int) -> torch.Tensor:
        cpu = generator if generator.device.type == "cpu" else torch.Generator().manual_seed(
            int(torch.randint(0, 2 ** 62, (1,), generator=generator, device=generator.device)))
        orders = torch.stack([frame_order(name, clips.shape[2], severity, cpu) for _ in range(clips.shape[0])])
        index = orders.to(clips.device).view(clips.shape[0], 1, -1, 1, 1).expand(-1, clips.shape[1], -1,
                                                                                 *clips.shape[3:])
        return clips.gather(2, index)

    corrupt.__name__ = name
    return corrupt


# ------------------------------------------------------------------------------------------- the suite
class ClipCorruption(Corruption):
    """A corruption that acts on whole uint8 clips (N, C, T, H, W) rather than on float frames."""


class VideoSuite(Suite):
    """A suite whose `apply` takes uint8 clips (N, C, T, H, W)."""

    def apply(self, corruption: str, x: torch.Tensor, severity: int,
              generator: torch.Generator | None = None) -> torch.Tensor:
        """Corrupt a batch of clips.

        Args:
            corruption: a name from `self.corruptions`.
            x: uint8 tensor (N, C, T, H, W), C = 3, on any device.
            severity: 1-based severity (1..4).
            generator: source of all randomness (on x's device or CPU); None means a CPU generator seeded 0.

        Returns:
            uint8 tensor of x's shape on x's device.
        """
        from dscr.config import DscrError

        spec = self.corruption(corruption)
        if not 1 <= severity <= len(spec.params):
            raise DscrError(f"severity {severity} out of range for {self.name}/{corruption}; "
                            f"allowed: 1..{len(spec.params)}")
        if x.dtype != torch.uint8 or x.dim() != 5 or x.shape[1] != 3:
            raise DscrError(f"expected uint8 clips (N, 3, T, H, W), got {x.dtype} {tuple(x.shape)}")
        if generator is None:
            generator = torch.Generator().manual_seed(0)
        if isinstance(spec, ClipCorruption):
            params = {"severity": severity} if corruption in TEMPORAL else spec.params[severity - 1]
            return spec.fn(x, generator, **params)
        frames = super().apply(corruption, _frames(x), severity, generator)
        return _clips(frames, x.shape[0])


def _build_table() -> dict[str, Corruption]:
    table: dict[str, Corruption] = {}
    clip_fns = {"rotate": rotate, "static_rotate": static_rotate, "translate": translate,
                **{name: temporal(name) for name in TEMPORAL}}
    for name in NAMES:
        params = tuple(TABLE[name][:SEVERITIES])
        if name in FRAME_WISE:
            fn, rounding = FUNCTIONS[FRAME_WISE[name]]
            table[name] = Corruption(name, fn, params, rounding)
        else:
            table[name] = ClipCorruption(name, clip_fns[name], params, "round", rgb=True)
    return table


UCF101_C = register_suite(VideoSuite("ucf101-c", "ucf101", _build_table(), SOURCE, "video", REFERENCE_SIZE))
