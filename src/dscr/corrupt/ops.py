"""Batched image operations shared by the corruptions: padding, filtering, resampling, random draws.

Every function takes float tensors shaped (N, C, H, W) (or (N, H, W) where noted) on any device and
keeps them there. The border modes are named after the library whose behaviour they reproduce:

- ``nearest``     edge pixel repeated (scipy 'nearest', cv2 BORDER_REPLICATE)
- ``reflect``     mirrored with the edge pixel repeated, ``b a | a b`` (scipy 'reflect', cv2 BORDER_REFLECT)
- ``reflect101``  mirrored about the edge pixel, ``c b | a b c`` (cv2 default BORDER_REFLECT_101)
- ``wrap``        periodic
"""

from __future__ import annotations

import functools
import math
import warnings

import torch


# ----------------------------------------------------------------------------------------------- random draws
def uniform(shape, generator: torch.Generator, device, low: float = 0.0, high: float = 1.0,
            dtype=torch.float32) -> torch.Tensor:
    """Uniform samples in [low, high) drawn from ``generator`` and returned on ``device``."""
    u = torch.rand(*shape, generator=generator, device=generator.device, dtype=dtype)
    return u.mul_(high - low).add_(low).to(device)


def normal(shape, generator: torch.Generator, device, mean: float = 0.0, std: float = 1.0,
           dtype=torch.float32) -> torch.Tensor:
    """Normal samples drawn from ``generator`` and returned on ``device``."""
    z = torch.randn(*shape, generator=generator, device=generator.device, dtype=dtype)
    return z.mul_(std).add_(mean).to(device)


def randint(low: int, high: int, shape, generator: torch.Generator, device) -> torch.Tensor:
    """Integers in [low, high) drawn from ``generator`` and returned on ``device`` (int64)."""
    return torch.randint(low, high, tuple(shape), generator=generator, device=generator.device).to(device)


# ----------------------------------------------------------------------------------------------- padding
def border_index(index: torch.Tensor, n: int, mode: str) -> torch.Tensor:
    """Map integer indices (possibly out of [0, n)) into [0, n) following a border mode."""
    if mode == "nearest" or n == 1:
        return index.clamp(0, n - 1)
    if mode == "reflect":
        period = 2 * n
        i = torch.remainder(index, period)
        return torch.where(i >= n, period - 1 - i, i)
    if mode == "reflect101":
        period = 2 * n - 2
        i = torch.remainder(index, period)
        return torch.where(i >= n, period - i, i)
    if mode == "wrap":
        return torch.remainder(index, n)
    raise ValueError(f"unknown border mode {mode!r}")


# ----------------------------------------------------------------------------------------------- filtering
def gaussian_kernel1d(sigma: float, truncate: float = 4.0) -> torch.Tensor:
    """scipy.ndimage's Gaussian taps: radius int(truncate*sigma+0.5), normalised to sum 1 (float64)."""
    radius = int(truncate * float(sigma) + 0.5)
    t = torch.arange(-radius, radius + 1, dtype=torch.float64)
    k = torch.exp(-0.5 * (t / sigma) ** 2)
    return k / k.sum()


@functools.lru_cache(maxsize=256)
def _axis_operator_cached(n: int, kernel: tuple[float, ...], mode: str) -> torch.Tensor:
    r = (len(kernel) - 1) // 2
    op = torch.zeros(n, n, dtype=torch.float64)
    out = torch.arange(n)
    for t, weight in enumerate(kernel):
        src = border_index(out + t - r, n, mode)
        op.index_put_((out, src), torch.full((n,), float(weight), dtype=torch.float64), accumulate=True)
    return op


def axis_operator(n: int, kernel: torch.Tensor, mode: str) -> torch.Tensor:
    """The (n, n) matrix of a centred odd 1-D correlation with its border mode folded in.

    Filters are applied as matrix products: on CPU a BLAS product beats torch's single-channel
    convolution by an order of magnitude at these sizes, and it handles any border mode for free.
    """
    return _axis_operator_cached(n, tuple(kernel.double().tolist()), mode)


def correlate1d(x: torch.Tensor, kernel: torch.Tensor, dim: int, mode: str) -> torch.Tensor:
    """Correlate ``x`` with a centred odd 1-D kernel along dim -2 or -1, border ``mode``."""
    if dim in (-2, x.dim() - 2):
        return apply_rows(x, axis_operator(x.shape[-2], kernel, mode))
    return apply_cols(x, axis_operator(x.shape[-1], kernel, mode))


def apply_rows(x: torch.Tensor, op: torch.Tensor) -> torch.Tensor:
    """op @ x over the last two dims (op: (H_out, H))."""
    return torch.matmul(op.to(device=x.device, dtype=x.dtype), x)


def apply_cols(x: torch.Tensor, op: torch.Tensor) -> torch.Tensor:
    """x @ op.T over the last two dims (op: (W_out, W))."""
    return torch.matmul(x, op.to(device=x.device, dtype=x.dtype).T)


def separable_sum(x: torch.Tensor, row_ops: torch.Tensor, col_ops: torch.Tensor) -> torch.Tensor:
    """sum_i row_ops[i] @ x @ col_ops[i].T in two batched products.

    Args:
        x: (..., H, W).
        row_ops: (K, H_out, H); col_ops: (K, W_out, W).
    """
    k, h_out, h = row_ops.shape
    w_out = col_ops.shape[1]
    lead = x.shape[:-2]
    rows = row_ops.to(device=x.device, dtype=x.dtype)
    cols = col_ops.to(device=x.device, dtype=x.dtype)
    t = torch.matmul(x.reshape(-1, h, x.shape[-1]), cols.reshape(k * w_out, -1).T)  # (B, H, K*W_out)
    t = t.reshape(-1, h, k, w_out).permute(0, 2, 1, 3).reshape(-1, k * h, w_out)  # (B, K*H, W_out)
    out = torch.matmul(rows.permute(1, 0, 2).reshape(h_out, k * h), t)
    return out.reshape(*lead, h_out, w_out)


def gaussian_blur(x: torch.Tensor, sigma, mode: str = "nearest", truncate: float = 4.0) -> torch.Tensor:
    """skimage.filters.gaussian / scipy.ndimage.gaussian_filter over the last two dims.

    Args:
        x: float tensor (..., H, W).
        sigma: one value or (sigma_y, sigma_x); a zero sigma leaves that axis alone, as scipy does.
        mode: border mode (skimage's default is 'nearest').
        truncate: kernel radius in sigmas.

    Returns:
        The blurred tensor, same shape and dtype.
    """
    sy, sx = (sigma, sigma) if not isinstance(sigma, (tuple, list)) else sigma
    if sy > 1e-15:
        x = correlate1d(x, gaussian_kernel1d(sy, truncate), -2, mode)
    if sx > 1e-15:
        x = correlate1d(x, gaussian_kernel1d(sx, truncate), -1, mode)
    return x


@functools.lru_cache(maxsize=64)
def _filter2d_operators(h: int, w: int, kernel: tuple[tuple[float, ...], ...], mode: str):
    k = torch.tensor(kernel, dtype=torch.float64)
    u, s, vh = torch.linalg.svd(k)
    keep = s > s[0] * 1e-9
    rows = [axis_operator(h, u[:, i] * s[i], mode) for i in range(int(keep.sum()))]
    cols = [axis_operator(w, vh[i], mode) for i in range(int(keep.sum()))]
    return torch.stack(rows), torch.stack(cols)


def _trim_kernel(kernel: torch.Tensor) -> torch.Tensor:
    """Drop all-zero outer rings (keeps the kernel centred): a 17x17 disk of radius 1 is really 5x5."""
    while kernel.shape[0] > 1 and kernel.shape[1] > 1 and (
            kernel[0].abs().sum() + kernel[-1].abs().sum() + kernel[:, 0].abs().sum() + kernel[:, -1].abs().sum()) == 0:
        kernel = kernel[1:-1, 1:-1]
    return kernel


def filter2d(x: torch.Tensor, kernel: torch.Tensor, mode: str = "reflect101") -> torch.Tensor:
    """cv2.filter2D: correlation with a centred odd 2-D kernel on every channel, cv2's default border.

    The kernel is split by SVD into separable terms, each applied as two matrix products.
    """
    kernel = _trim_kernel(kernel.double())
    key = tuple(tuple(r) for r in kernel.tolist())
    rows, cols = _filter2d_operators(x.shape[-2], x.shape[-1], key, mode)
    return separable_sum(x, rows, cols)


def box_blur3(x: torch.Tensor) -> torch.Tensor:
    """cv2.blur(x, (3, 3)) with the default BORDER_REFLECT_101."""
    k = torch.full((3,), 1.0 / 3.0, dtype=torch.float64)
    return correlate1d(correlate1d(x, k, -2, "reflect101"), k, -1, "reflect101")


# ----------------------------------------------------------------------------------------------- resampling
def zoom_taps(size: int, zoom: float, trim: str = "center",
              keep: int | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Linear taps of the 'clipped zoom' of ImageNet-C along one axis of length ``size``.

    The reference crops the central ceil(size/zoom) pixels, zooms them with scipy.ndimage.zoom(order=1)
    (output length round(crop*zoom), corner-aligned coordinates) and keeps ``size`` pixels of the result,
    either centred (hendrycks) or from the start (imagecorruptions).

    Args:
        size: axis length.
        zoom: zoom factor (>= 1).
        trim: 'center' or 'start'.
        keep: output length (default ``size``); -1 keeps the whole zoomed crop (imagecorruptions' snow
            blurs that before cropping).

    Returns:
        (index0, index1, weight1) int64/int64/float64 tensors: out = (1-w)*x[i0] + w*x[i1].
    """
    crop = int(math.ceil(size / float(zoom)))
    top = (size - crop) // 2
    out_len = int(round(crop * zoom))
    start = (out_len - size) // 2 if trim == "center" else 0
    keep = size if keep is None else (out_len if keep == -1 else keep)
    o = torch.arange(start, start + keep, dtype=torch.float64)
    scale = (crop - 1) / (out_len - 1) if out_len > 1 else 0.0
    coord = o * scale
    i0 = coord.floor().clamp(0, crop - 1)
    w1 = coord - i0
    i1 = (i0 + 1).clamp(max=crop - 1)
    return (i0.long() + top), (i1.long() + top), w1


def _sparse_from_entries(rows: torch.Tensor, cols: torch.Tensor, values: torch.Tensor, size: int) -> torch.Tensor:
    # Indices are built in range here, so the (costly) invariant check is skipped explicitly.
    op = torch.sparse_coo_tensor(torch.stack([rows, cols]), values, (size, size), check_invariants=False)
    with warnings.catch_warnings():  # "sparse CSR support is in beta": the product used here is stable
        warnings.simplefilter("ignore", UserWarning)
        return op.coalesce().to_sparse_csr()


@functools.lru_cache(maxsize=64)
def zoom_blur_operator(h: int, w: int, zooms: tuple[float, ...], trim: str = "center",
                       device: str = "cpu") -> torch.Tensor:
    """Sparse (H*W, H*W) float32 matrix of the sum of the clipped zooms by every factor in ``zooms``.

    Each zoom touches 4 source pixels per output pixel, so the sum stays sparse; one sparse product then
    replaces 2 * len(zooms) interpolation passes.
    """
    pixel_rows, pixel_cols, values = [], [], []
    out_index = torch.arange(h * w).view(h, w)
    for z in zooms:
        ry0, ry1, wy = zoom_taps(h, z, trim)
        cx0, cx1, wx = zoom_taps(w, z, trim)
        for iy, fy in ((ry0, 1 - wy), (ry1, wy)):
            for ix, fx in ((cx0, 1 - wx), (cx1, wx)):
                pixel_rows.append(out_index.reshape(-1))
                pixel_cols.append((iy[:, None] * w + ix[None, :]).reshape(-1))
                values.append((fy[:, None] * fx[None, :]).reshape(-1))
    op = _sparse_from_entries(torch.cat(pixel_rows), torch.cat(pixel_cols), torch.cat(values).float(), h * w)
    return op.to(device)


def apply_pixel_operator(x: torch.Tensor, op: torch.Tensor) -> torch.Tensor:
    """Apply a sparse (H*W, H*W) operator to every channel of (N, C, H, W) images.

    The product runs in float64: the CPU kernel fuses multiply-adds over its vector lanes but not over the
    tail, so in float32 an image's result would depend on how many images share the batch (a one-level
    flip after rounding); in float64 that difference is far below float32's resolution.
    """
    n, c, h, w = x.shape
    flat = x.reshape(n * c, h * w).T.double()
    return (op.to(x.device, torch.float64) @ flat).T.reshape(n, c, h, w).to(x.dtype)


def clipped_zoom(x: torch.Tensor, zoom: float, trim: str = "center", whole: bool = False) -> torch.Tensor:
    """Zoom the centre of every image by ``zoom`` and keep the original size (ImageNet-C's clipped_zoom);
    ``whole`` keeps the entire zoomed crop (round(crop * zoom) pixels per axis) instead."""
    h, w = x.shape[-2:]
    keep = -1 if whole else None
    x = resample_axis(x, -2, zoom_taps(h, zoom, trim, keep))
    return resample_axis(x, -1, zoom_taps(w, zoom, trim, keep))


def resample_axis(x: torch.Tensor, dim: int, taps) -> torch.Tensor:
    """Apply linear taps from :func:`zoom_taps` along ``dim``: out = (1-w)*x[i0] + w*x[i1]."""
    i0, i1, w1 = (t.to(x.device) for t in taps)
    shape = [1] * x.dim()
    shape[dim] = -1
    w1 = w1.to(x.dtype).view(shape)
    return x.index_select(dim, i0) * (1 - w1) + x.index_select(dim, i1) * w1


def gather_pixels(img: torch.Tensor, iy: torch.Tensor, ix: torch.Tensor) -> torch.Tensor:
    """img (N, C, H, W); integer maps iy, ix (N, H', W') -> (N, C, H', W') with img[n, :, iy, ix]."""
    n, c, h, w = img.shape
    flat_index = (iy * w + ix).reshape(n, 1, -1).expand(n, c, -1)
    return img.reshape(n, c, h * w).gather(2, flat_index).reshape(n, c, *iy.shape[1:])


# Border modes grid_sample reproduces exactly (index-based neighbour mapping == its coordinate mapping):
# (padding_mode, align_corners). Pixel centres sit on integers with align_corners=True; with False the
# reflection happens at -0.5, which is scipy's symmetric 'reflect'.
_GRID_SAMPLE_MODES = {"reflect": ("reflection", False), "reflect101": ("reflection", True),
                      "nearest": ("border", True), "zero": ("zeros", True)}


def sample_bilinear(img: torch.Tensor, y: torch.Tensor, x: torch.Tensor, mode: str) -> torch.Tensor:
    """Bilinear sampling at float coordinates (pixel units, pixel centres on integers).

    Out-of-range neighbours follow the border ``mode`` (as scipy's map_coordinates(order=1), cv2.remap
    and skimage.transform.warp do; ``zero`` is a constant 0 border). Uses torch's grid_sample, which is
    an order of magnitude faster than gathering the four neighbours.

    Args:
        img: (N, C, H, W) float tensor.
        y, x: (N, H', W') coordinate maps (row, column).
        mode: reflect, reflect101, nearest or zero.

    Returns:
        (N, C, H', W') tensor.
    """
    import torch.nn.functional as F

    h, w = img.shape[-2:]
    padding, corners = _GRID_SAMPLE_MODES[mode]
    if corners:
        gx, gy = x * (2 / max(w - 1, 1)) - 1, y * (2 / max(h - 1, 1)) - 1
    else:
        gx, gy = (x + 0.5) * (2 / w) - 1, (y + 0.5) * (2 / h) - 1
    grid = torch.stack([gx, gy], dim=-1).to(img.dtype)
    return F.grid_sample(img, grid, mode="bilinear", padding_mode=padding, align_corners=corners)


def shift_zero(t: torch.Tensor, dy: int, dx: int) -> torch.Tensor:
    """t[..., y + dy, x + dx] with zeros outside, for |dy|, |dx| <= 1, over the last two dims."""
    h, w = t.shape[-2:]
    padded = torch.nn.functional.pad(t, (1, 1, 1, 1))
    return padded[..., 1 + dy:1 + dy + h, 1 + dx:1 + dx + w]


def sample_bilinear_zero(img: torch.Tensor, y: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Bilinear sampling with zeros outside the image (skimage.transform.warp with mode 'constant', and
    augmentation-corruption's ``bilinear_interpolation``). Shapes as :func:`sample_bilinear`."""
    return sample_bilinear(img, y, x, "zero")


# Elements per chunk of a padded batch in shift_sum: small enough that the gathers stay in cache (measured at
# 32 px: 128 single-channel images per chunk run 3x faster than 1000).
_SHIFT_CHUNK_ELEMENTS = 1_500_000


def shift_sum(x: torch.Tensor, dy: torch.Tensor, dx: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """Sum over taps t of weights[n, t] * x[n] shifted by (dy[n, t], dx[n, t]) with edge replication.

    Every image has its own shifts (motion blur draws an angle per image). The batch is padded by the largest
    shift with its edge pixels, so that a shift becomes a constant offset into the flattened padded image:
    one gather per tap serves the whole batch, whatever the mix of angles.

    Args:
        x: (N, C, H, W).
        dy, dx: (N, T) integer shifts per image and tap (content moves down/right for positive values).
        weights: (N, T) tap weights.

    Returns:
        (N, C, H, W) weighted sum.
    """
    n, c, h, w = x.shape
    live = (weights != 0).any(dim=0)
    dy, dx = dy[:, live].to(x.device), dx[:, live].to(x.device)
    weights = weights[:, live].to(device=x.device, dtype=x.dtype)
    r = int(torch.cat([dy.abs(), dx.abs()]).max()) if dy.numel() else 0
    padded_w = w + 2 * r
    ys = torch.arange(h, device=x.device).view(h, 1)
    xs = torch.arange(w, device=x.device).view(1, w)
    base = ((ys + r) * padded_w + xs + r).reshape(1, h * w)
    offsets = -dy * padded_w - dx  # (N, T)
    out = torch.empty(n, c, h * w, dtype=x.dtype, device=x.device)
    chunk = max(1, _SHIFT_CHUNK_ELEMENTS // (c * (h + 2 * r) * padded_w))
    for s in range(0, n, chunk):
        m = min(chunk, n - s)
        padded = torch.nn.functional.pad(x[s:s + m], (r, r, r, r), mode="replicate").reshape(m, c, -1)
        acc = torch.zeros(m, c, h * w, dtype=x.dtype, device=x.device)
        for t in range(offsets.shape[1]):
            index = (base + offsets[s:s + m, t:t + 1]).unsqueeze(1).expand(m, c, h * w)
            acc.addcmul_(padded.gather(2, index), weights[s:s + m, t].view(m, 1, 1))
        out[s:s + m] = acc
    return out.reshape(n, c, h, w)


# ----------------------------------------------------------------------------------------------- codecs
def jpeg_roundtrip(images: torch.Tensor, quality: int) -> torch.Tensor:
    """Encode and decode uint8 (N, C, H, W) images with libjpeg at ``quality`` (torchvision.io, bit-identical
    to PIL's save at the same quality; nvjpeg on CUDA tensors, which may differ by a level)."""
    from torchvision.io import decode_jpeg, encode_jpeg

    if len(images) == 0:
        return images
    encoded = encode_jpeg(list(images), quality=int(quality))
    device = images.device if images.device.type == "cuda" else "cpu"
    decoded = decode_jpeg([e.cpu() if device == "cpu" else e for e in encoded], device=device)
    return torch.stack(decoded).to(images.device)


# ----------------------------------------------------------------------------------------------- colour
def rgb_to_gray(x: torch.Tensor) -> torch.Tensor:
    """cv2.COLOR_RGB2GRAY weights (0.299, 0.587, 0.114); (N, 3, H, W) -> (N, 1, H, W)."""
    r, g, b = x[:, 0:1], x[:, 1:2], x[:, 2:3]
    return 0.299 * r + 0.587 * g + 0.114 * b
