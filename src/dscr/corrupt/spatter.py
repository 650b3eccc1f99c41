"""Spatter of ImageNet-C: water drops (Canny edges, distance transform, embossing) or mud.

The reference draws a normal liquid layer, smooths it in float64 and, for water, builds the mask with
OpenCV on 8-bit images (Canny, distanceTransform, blur, equalizeHist, filter2D). Here:

- the liquid layer is smoothed in float32 with a worst-case error bound; the few pixels whose 8-bit level
  or threshold decision the bound leaves open are recomputed in float64, so the levels equal float64's;
- Canny: 3x3 Sobel with replicated borders, L1 magnitude, OpenCV's 15-bit fixed-point angle sectors,
  non-maximum suppression against a zero border, hysteresis over 8-connected candidates; in int16;
- distanceTransform(DIST_L2, 5): OpenCV's two raster passes of the 5x5 chamfer mask with the 16-bit
  fixed-point costs of OpenCV up to 4.x (1, 1.4, 2.1969 -> 65536, 91750, 143976 / 65536), vectorised
  over the batch row by row. OpenCV 5 runs the same passes in float32; the two differ by less than
  1e-5 times the distance;
- blur, equalizeHist, filter2D: exact integer sums with OpenCV's default BORDER_REFLECT_101, rounded or
  truncated where OpenCV saturates to 8 bits or the script casts to uint8.

So every intermediate image of the water mask equals OpenCV's bit for bit (given the same distance
transform). The pixel-wise stages run on runs of about 2**18 pixels (see `_batches`).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from . import ops

# OpenCV's Canny: tan(22.5 deg) in 15-bit fixed point.
_TG22 = 13573
# OpenCV's chamfer costs for DIST_L2 / mask 5, cvRound(metric * 2**16): 1, 1.4 and 2.1969.
_FIX_SHIFT = 16
_HV, _DIAG, _KNIGHT = 65536, 91750, 143976
# OpenCV's border value and ceiling (unsigned 32-bit): a pixel with no zero pixel in its image keeps it.
_DIST_MAX = 2 ** 32 - 1 - _KNIGHT
# The float32 just below 0.8f: F.threshold keeps values above it, i.e. m >= 0.8f.
_FLOAT32_BELOW_0_8 = float(torch.nextafter(torch.tensor(0.8), torch.tensor(0.0)))


def _pad1(x: torch.Tensor, mode: str) -> torch.Tensor:
    """Pad the last two dims by one pixel, ``nearest`` (BORDER_REPLICATE) or ``reflect101``; any dtype."""
    for dim in (-2, -1):
        n = x.shape[dim]
        inner = 1 if mode == "reflect101" and n > 1 else 0  # a single row reflects onto itself
        first, last = x.narrow(dim, inner, 1), x.narrow(dim, n - 1 - inner, 1)
        x = torch.cat([first, x, last], dim)
    return x


def _sobel(img: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """cv2.Sobel dx and dy (ksize 3, BORDER_REPLICATE) of an integer tensor (..., H, W), as separable sums."""
    p = _pad1(img, "nearest")
    diff = p[..., 2:] - p[..., :-2]  # [-1, 0, 1] along x, on every padded row
    gx = (diff[..., :-2, :] + diff[..., 2:, :]).add_(diff[..., 1:-1, :]).add_(diff[..., 1:-1, :])
    smooth = (p[..., :-2] + p[..., 2:]).add_(p[..., 1:-1]).add_(p[..., 1:-1])  # [1, 2, 1] along x
    return gx, smooth[..., 2:, :] - smooth[..., :-2, :]


def canny(img8: torch.Tensor, low: float, high: float) -> torch.Tensor:
    """cv2.Canny(img, low, high) with aperture 3 and L1 gradient, on integer-valued (N, 1, H, W) tensors.

    Args:
        img8: values in 0..255 (any dtype).
        low, high: hysteresis thresholds; OpenCV floors them (and swaps them if low > high).

    Returns:
        bool (N, 1, H, W) edge map.
    """
    # |gx| + |gy| <= 2040: thresholds outside [-1, 2041] act like the nearest end and keep int16 exact.
    low, high = (max(-1, min(2041, math.floor(t))) for t in sorted((low, high)))
    gx, gy = _sobel(img8.to(torch.int16))
    ax, ay = gx.abs(), gy.abs()
    mag = ax + ay
    # Comparisons are worked out as sign bits of int16 differences (|a - b| < 2**15 here): on CPU a
    # bool-valued comparison costs several int16 subtractions. ``a > b`` is the sign of b - a, ``a >= b``
    # that of b - (a + 1), and ANDing differences ANDs their signs. Masks are -1 (true) or 0 in int16.
    # OpenCV's sectors in 15-bit fixed point: |dy| * 2**15 < |dx| * TG22 is horizontal, |dy| * 2**15 >
    # |dx| * (TG22 + 2**16) vertical (tan 67.5), the rest diagonal. The products need int32.
    ax32, ay15 = ax.int(), ay.int().mul_(32768)
    below22 = (ax32 * -_TG22).add_(ay15)         # < 0: horizontal
    above67 = ax32.mul_(65536).sub_(below22)     # |dx| * (TG22 + 2**16) - |dy| * 2**15 < 0: vertical
    horizontal = below22.bitwise_right_shift_(31).short()
    vertical = above67.bitwise_right_shift_(31).short()
    m = F.pad(mag, (1, 1, 1, 1))  # neighbours outside the image have magnitude 0
    mag1 = mag + 1

    def beats(before: torch.Tensor, after: torch.Tensor, tie_after: bool) -> torch.Tensor:
        """Sign mask of mag > before and mag > after (mag >= after with ``tie_after``)."""
        return (before - mag).bitwise_and_(after - (mag1 if tie_after else mag))

    # A maximum beats the previous neighbour along the gradient and at least ties the next one (strictly
    # beats both on diagonals); the diagonal runs down-right when dx and dy have the same sign.
    local_max = beats(m[..., 1:-1, :-2], m[..., 1:-1, 2:], True).bitwise_and_(horizontal)
    local_max.bitwise_or_(beats(m[..., :-2, 1:-1], m[..., 2:, 1:-1], True).bitwise_and_(vertical))
    opposite = (gx ^ gy).bitwise_right_shift_(15)  # OpenCV: s = (dx ^ dy) < 0 ? -1 : 1
    diagonal = beats(m[..., :-2, 2:], m[..., 2:, :-2], False).bitwise_and_(opposite)
    diagonal.bitwise_or_(beats(m[..., :-2, :-2], m[..., 2:, 2:], False).bitwise_and_(opposite.bitwise_not_()))
    local_max.bitwise_or_(diagonal.bitwise_and_(horizontal.bitwise_or_(vertical).bitwise_not_()))
    candidate = local_max.bitwise_and_(low - mag)
    strong = (high - mag).bitwise_and_(candidate).bitwise_right_shift_(15).bool()
    return _hysteresis(candidate.bitwise_right_shift_(15).bool(), strong)


def _hysteresis(candidate: torch.Tensor, strong: torch.Tensor) -> torch.Tensor:
    """Candidates 8-connected (through candidates) to a strong pixel; bool (N, 1, H, W).

    Grows the strong pixels by 3x3 dilations; after the first round only the images that still changed.
    """
    edges, front, cand, index = strong, strong, candidate, None
    while True:
        grown = cand & _dilate3(front)
        changed = (grown ^ front).flatten(1).view(torch.uint8).amax(1)  # any(1), 20x cheaper on CPU
        if index is None:
            edges = grown
        else:
            edges.index_copy_(0, index, grown)
        if not bool(changed.any()):
            return edges
        keep = changed.nonzero().squeeze(1)
        index = keep if index is None else index[keep]
        front, cand = grown[keep], cand[keep]


def _dilate3(mask: torch.Tensor) -> torch.Tensor:
    """3x3 binary dilation of a bool (N, 1, H, W) mask (separable OR of shifted copies)."""
    p = F.pad(mask, (1, 1, 1, 1))
    rows = p[..., :-2, :] | p[..., 1:-1, :] | p[..., 2:, :]
    return rows[..., :-2] | rows[..., 1:-1] | rows[..., 2:]


def chamfer_distance_fixed(nonzero: torch.Tensor, limit: int = _DIST_MAX) -> torch.Tensor:
    """OpenCV's DIST_L2 / mask 5 distance to the nearest zero pixel in 16-bit fixed point, capped at ``limit``.

    The forward pass takes every row, top to bottom, from the two rows above (moves (1, 0), (1, +-1),
    (1, +-2), (2, +-1)) and then from its left neighbour; the backward pass mirrors it. Each row step
    works on the whole batch at once; the in-row propagation d[j] = min(d[j], d[j-1] + 1) is the running
    minimum cummin(d - j) + j. Integer costs make the result independent of the evaluation order, and
    capping every value at ``limit`` only changes values above it (paths only grow).

    Args:
        nonzero: bool (N, 1, H, W), False where the distance is zero.
        limit: cap in fixed point; the default is OpenCV's own ceiling (reached where an image has no zero).

    Returns:
        int32 (int64 when the values need it) tensor (N, 1, H, W): distance * 2**16, capped at ``limit``.
    """
    n, c, h, w = nonzero.shape
    fits32 = limit + (max(h, w) + 2) * _KNIGHT < 2 ** 31
    dtype = torch.int32 if fits32 else torch.int64
    # Rows first, so that a row step reads and writes one contiguous (N*C, W) block; a 0/1 factor zeroes
    # the zero pixels (cheaper than masked_fill_ on CPU).
    keep = nonzero.reshape(n * c, h, w).transpose(0, 1).to(dtype, memory_format=torch.contiguous_format)
    buf = torch.full((h + 4, n * c, w + 4), limit, dtype=dtype, device=nonzero.device)
    ramp = torch.arange(w, dtype=dtype, device=nonzero.device) * _HV

    def from_rows(near: torch.Tensor, far: torch.Tensor) -> torch.Tensor:
        """min over the mask's moves from the adjacent row ``near`` and the row beyond it ``far``."""
        best = torch.minimum(near[:, 1:-3], near[:, 3:-1]).add_(_DIAG)
        torch.minimum(best, near[:, 2:-2] + _HV, out=best)
        knight = torch.minimum(near[:, :-4], near[:, 4:])
        torch.minimum(knight, torch.minimum(far[:, 1:-3], far[:, 3:-1]), out=knight)
        return torch.minimum(best, knight.add_(_KNIGHT), out=best)

    for r in range(2, h + 2):  # forward: rows above, then left to right
        d = from_rows(buf[r - 1], buf[r - 2]).mul_(keep[r - 2]).sub_(ramp)
        buf[r, :, 2:-2] = torch.cummin(d, dim=1).values.add_(ramp).clamp_(max=limit)
    buf[:, :, 2:-2] = buf[:, :, 2:-2].flip(2)  # the backward pass runs right to left: flip the columns once
    for r in range(h + 1, 1, -1):  # backward: rows below, then (flipped) left to right
        d = torch.minimum(from_rows(buf[r + 1], buf[r + 2]), buf[r, :, 2:-2]).sub_(ramp)
        buf[r, :, 2:-2] = torch.cummin(d, dim=1).values.add_(ramp)
    out = buf[2:-2, :, 2:-2].flip(2).transpose(0, 1)
    return out.reshape(n, c, h, w)


def distance_to_zero(nonzero: torch.Tensor, cap: float | None = None) -> torch.Tensor:
    """cv2.distanceTransform(mask, DIST_L2, 5) (OpenCV's 16-bit fixed point), optionally truncated at ``cap``.

    Args:
        nonzero: bool (N, 1, H, W), False where the distance is zero.
        cap: if given, the result is min(distance, cap) (cv2.threshold THRESH_TRUNC), computed exactly
            (in int32, where the uncapped transform needs int64).

    Returns:
        float32 (N, 1, H, W) distances.
    """
    limit = _DIST_MAX if cap is None else min(_DIST_MAX, math.ceil(cap * (1 << _FIX_SHIFT)))
    d = chamfer_distance_fixed(nonzero, limit).float() * (1.0 / (1 << _FIX_SHIFT))
    return d if cap is None else d.clamp_(max=cap)


def _box_sum3(x: torch.Tensor) -> torch.Tensor:
    """Sum over each 3x3 neighbourhood with BORDER_REFLECT_101 (cv2.blur's default), exact for integers."""
    p = _pad1(x, "reflect101")
    rows = (p[..., :-2, :] + p[..., 1:-1, :]).add_(p[..., 2:, :])
    return (rows[..., :-2] + rows[..., 1:-1]).add_(rows[..., 2:])


def equalize_hist(img8: torch.Tensor) -> torch.Tensor:
    """cv2.equalizeHist per image on integer-valued (N, 1, H, W) tensors; returns levels in img8's dtype."""
    n = img8.shape[0]
    # One histogram for the whole batch: bin = image * 256 + level (int32 indices: half the traffic).
    offsets = torch.arange(0, n * 256, 256, dtype=torch.int32, device=img8.device).unsqueeze(1)
    bins = (img8.reshape(n, -1).to(torch.int32) + offsets).view(-1)
    hist = torch.bincount(bins, minlength=n * 256).view(n, 256)
    total = img8[0].numel()
    first = (hist > 0).long().argmax(dim=1, keepdim=True)
    first_count = hist.gather(1, first)
    # OpenCV: lut[i] = round(sum(hist[first+1 .. i]) * (255.f / (total - hist[first]))) in float32.
    cum = (hist.cumsum(1) - first_count).float()
    scale = 255.0 / (total - first_count).clamp_min(1).float()
    lut = torch.round(cum * scale).clamp_(0, 255)
    lut = torch.where(first_count == total, first.float().expand_as(lut), lut)  # a constant image stays as is
    return lut.to(img8.dtype).view(-1).index_select(0, bins).view(img8.shape)


def _batches(t: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """Split a batch into runs of about 2**18 pixels for the pixel-wise stages (Canny, texture, blending).

    Their temporaries then stay in cache and in the allocator's free lists; whole-batch temporaries are
    page-faulted afresh on every call, which costs as much as their arithmetic. The distance transform
    runs on the whole batch: it steps row by row, at a mostly fixed cost per step.
    """
    return t.split(max(1, (1 << 18) // (t.shape[-2] * t.shape[-1])))


def _texture(dist: torch.Tensor) -> torch.Tensor:
    """The water texture (float32 levels 0..255) from the fixed-point distances to the edges, capped at 20."""
    # blur(3x3) and the script's uint8 cast. In fixed point the blurred value is floor(sum of 9 distances
    # / (9 * 2**16)); the sum stays below 2**24, where float32's correctly rounded division floors to the
    # same integer (checked over the whole range).
    dist = equalize_hist(_box_sum3(dist).float().div_(9 << _FIX_SHIFT).floor_().short())
    # filter2D(dist, CV_8U, emboss [[-2, -1, 0], [-1, 1, 1], [0, 1, 2]]) saturates to 0..255.
    p = _pad1(dist, "reflect101")
    emboss = p[..., 2:, 2:] - p[..., :-2, :-2]
    emboss.add_(emboss).add_(p[..., 1:-1, 1:-1]).add_(p[..., 1:-1, 2:]).sub_(p[..., 1:-1, :-2])
    emboss.add_(p[..., 2:, 1:-1]).sub_(p[..., :-2, 1:-1]).clamp_(0, 255)
    # blur(3x3) of a uint8 image rounds the mean (a ninth is never exactly half-way).
    return _box_sum3(emboss).add_(4).float().div_(9).floor_()


def _liquid_layer(z: torch.Tensor, loc: float, scale: float, sigma: float) -> tuple[torch.Tensor, float]:
    """The reference's liquid layer gaussian(loc + scale * z, sigma) and a bound on its error.

    The reference smooths in float64; float32 is 3x cheaper. Each output of the two float32 passes sums
    at most K nonzero products (K = kernel taps; the zeros of the banded matrices add exactly) of weights
    summing to 1, so its error is below (K + 1) * u * max|z| per pass (u = 2**-24); with the affine step
    and a factor 2 to spare, that is the bound. Decisions closer than it to a threshold are redone in
    float64 (see `_exact_liquid`). Where float32 products may run at lower precision (TF32, bfloat16:
    torch.set_float32_matmul_precision), the layer is smoothed in float64 instead.
    """
    exact_float32 = torch.get_float32_matmul_precision() == "highest"
    dtype, unit = (torch.float32, 2.0 ** -24) if exact_float32 else (torch.float64, 2.0 ** -53)
    taps = 2 * int(4.0 * float(sigma) + 0.5) + 1  # ops.gaussian_kernel1d's length
    liquid = ops.gaussian_blur(z.to(dtype), sigma).mul_(scale).add_(loc)
    z_max = max(-float(z.min()), float(z.max()))
    bound = 2.0 * ((2 * taps + 4) * abs(scale) * z_max + 4.0 * (abs(loc) + 1.0)) * unit
    return liquid, bound


def _exact_liquid(z: torch.Tensor, pixels: torch.Tensor, loc: float, scale: float, sigma: float) -> torch.Tensor:
    """The liquid layer in float64 at ``pixels`` (flat indices into z), from each pixel's kernel window.

    The window rows and columns are clamped, which is the 'nearest' border of the reference's smoothing.
    """
    h, w = z.shape[-2:]
    kernel = ops.gaussian_kernel1d(sigma).to(z.device)
    offsets = torch.arange(kernel.numel(), device=z.device) - (kernel.numel() - 1) // 2
    image, row, col = pixels // (h * w), pixels // w % h, pixels % w
    rows = (row[:, None] + offsets).clamp_(0, h - 1)[:, :, None]
    cols = (col[:, None] + offsets).clamp_(0, w - 1)[:, None, :]
    window = z.reshape(-1, h, w)[image[:, None, None], rows, cols].double()
    return torch.einsum("a,pab,b->p", kernel, window, kernel) * scale + loc


def _where_true(mask: torch.Tensor) -> torch.Tensor:
    """Flat indices of the True values of a bool (N, ...) mask that is mostly False (as nonzero(), which on
    CPU costs more than the arithmetic around it: only the images with a True value are searched)."""
    rows = mask.flatten(1)
    hit = rows.view(torch.uint8).amax(1).nonzero().squeeze(1)
    found = rows.index_select(0, hit).nonzero()
    return hit[found[:, 0]] * rows.shape[1] + found[:, 1]


def _wet(z: torch.Tensor, loc: float, scale: float, sigma: float, threshold: float) -> torch.Tensor:
    """Mud: float 1 where the liquid layer is above the threshold, else 0."""
    liquid, bound = _liquid_layer(z, loc, scale, sigma)
    above = liquid.sub_(threshold)
    unsure = _where_true(above.abs() <= bound)
    wet = above.sign_().clamp_(min=0).float()  # 1 above the threshold, else 0
    wet.view(-1)[unsure] = (_exact_liquid(z, unsure, loc, scale, sigma) > threshold).float()
    return wet


def _liquid8(z: torch.Tensor, loc: float, scale: float, sigma: float, threshold: float) -> torch.Tensor:
    """Water: the script's uint8(255 * liquid) where liquid >= threshold, else 0, as float32 levels.

    Saturates at 255 where numpy's cast would wrap. Decided in float32, then redone in float64 wherever
    float32 could have decided otherwise (near a threshold or an integer level).
    """
    liquid, bound = _liquid_layer(z, loc, scale, sigma)
    levels, dry = liquid.mul_(255), 255 * threshold
    liquid8 = F.threshold(levels, dry, 0.0).floor_().clamp_(0, 255).float()
    margin = 255 * bound + 1e-3  # also covers the float32 rounding of 255 * liquid and of the threshold
    # Unsure: within the margin of the threshold, or of an integer level where the level counts (levels
    # well below the threshold are moved to -0.5, half-way between integers).
    counted = F.threshold(levels, dry - margin, -0.5)
    gap = (counted - counted.round()).abs_()
    unsure = _where_true(torch.minimum(gap, levels.sub_(dry).abs_(), out=gap) <= margin)
    exact = _exact_liquid(z, unsure, loc, scale, sigma)
    liquid8.view(-1)[unsure] = ((exact * 255).floor_().clamp_(0, 255) * (exact >= threshold)).float()
    return liquid8


def spatter(x: torch.Tensor, generator: torch.Generator, loc: float, scale: float, sigma: float,
            threshold: float, intensity: float, mud: bool) -> torch.Tensor:
    """Water drops (mud=False) or mud splashes (mud=True) on the image.

    Args:
        x: float images (N, 3, H, W) in [0, 1].
        generator: randomness source.
        loc, scale: normal noise of the liquid layer.
        sigma: Gaussian smoothing of the liquid layer.
        threshold: liquid below it is dry.
        intensity: water: opacity of the drops; mud: smoothing of the mud mask.
        mud: which of the two looks.

    Returns:
        Corrupted float images.
    """
    n, _, h, w = x.shape
    # float32 draws: torch's float64 normals cost 6x more on CPU.
    z = ops.normal((n, 1, h, w), generator, x.device, dtype=torch.float32)
    out = torch.empty_like(x)
    if mud:
        colour = torch.tensor([63.0, 42.0, 20.0], device=x.device).view(1, 3, 1, 1) / 255.0
        wet = _wet(z, loc, scale, sigma, threshold)
        for xs, ws, outs in zip(_batches(x), _batches(wet), _batches(out)):
            m = ops.gaussian_blur(ws, intensity)
            m = F.threshold(m, _FLOAT32_BELOW_0_8, 0.0)  # the reference's m[m < 0.8] = 0 (float32)
            torch.mul(xs, 1 - m, out=outs).add_(colour * m).clamp_(0, 1)
        return out
    liquid8 = _liquid8(z, loc, scale, sigma, threshold)
    edges = torch.cat([canny(part, 50, 150) for part in _batches(liquid8)])
    # distanceTransform(255 - edges), truncated at 20: one pass over the whole batch, as it goes row by row.
    dist = chamfer_distance_fixed(~edges, limit=20 << _FIX_SHIFT)
    colour = torch.tensor([175.0, 238.0, 238.0], device=x.device).view(1, 3, 1, 1) / 255.0
    for xs, ls, ds, outs in zip(_batches(x), _batches(liquid8), _batches(dist), _batches(out)):
        m = ls * _texture(ds)
        m.div_(m.amax(dim=(2, 3), keepdim=True).clamp_min(1e-12)).mul_(intensity)
        torch.mul(m, colour, out=outs).add_(xs).clamp_(0, 1)
    return out
