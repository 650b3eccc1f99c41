"""ImageNet-C-bar (Mintun et al., arXiv:2102.11273): ten procedural corruptions, batched.

Each function draws its per-image parameters as the reference ``Transform.sample_parameters`` does and
evaluates the reference's per-pixel kernel on whole (N, H, W) grids at once. Images are handled on the
reference's [0, 255] scale and truncated to uint8 as it does (``np.clip(...).astype(np.uint8)``). The
reference's per-severity level (``float_parameter(level, max) = level * max / 10``) is the ``level``
keyword here; the levels per severity are the table in facebookresearch/augmentation-corruption
``imagenet_c_bar/imagenet_c_bar.csv``.
"""

from __future__ import annotations

import math

import torch

from . import ops


def _grid(n: int, h: int, w: int, device) -> tuple[torch.Tensor, torch.Tensor]:
    """Pixel row and column coordinates, (1, H, W) each, float64."""
    ys = torch.arange(h, device=device, dtype=torch.float64).view(1, h, 1).expand(1, h, w)
    xs = torch.arange(w, device=device, dtype=torch.float64).view(1, 1, w).expand(1, h, w)
    return ys, xs


def _col(t: torch.Tensor) -> torch.Tensor:
    """(N,) per-image parameter -> (N, 1, 1) for broadcasting over (N, H, W)."""
    return t.view(-1, 1, 1)


def _finish(image255: torch.Tensor) -> torch.Tensor:
    return image255.clamp(0, 255) / 255.0


def single_frequency_greyscale(x: torch.Tensor, generator: torch.Generator, level: float) -> torch.Tensor:
    """A full-image grey sinusoid sin(x * f0 + y * f1 + phase) of amplitude level * 196 / 10."""
    n, _, h, w = x.shape
    magnitude = ops.uniform((n,), generator, x.device, -math.pi, math.pi, torch.float64)
    other = (ops.uniform((n,), generator, x.device, dtype=torch.float64) * 2 - 1) * magnitude.abs()
    swap = ops.uniform((n,), generator, x.device) < 0.5
    f0, f1 = torch.where(swap, other, magnitude), torch.where(swap, magnitude, other)
    phase = ops.uniform((n,), generator, x.device, 0, 2 * math.pi, torch.float64)
    ys, xs = _grid(n, h, w, x.device)
    wave = torch.sin(xs * _col(f0) + ys * _col(f1) + _col(phase)).float()
    return _finish(x * 255 + level * 196 / 10 * wave[:, None])


def cocentric_sine_waves(x: torch.Tensor, generator: torch.Generator, level: float) -> torch.Tensor:
    """Rings around a random centre, wobbling with the angle; amplitude level * 128 / 10."""
    n, _, h, w = x.shape
    size = h
    x0 = ops.uniform((n,), generator, x.device, 0, size, torch.float64)
    y0 = ops.uniform((n,), generator, x.device, 0, size, torch.float64)
    freq = ops.uniform((n,), generator, x.device, 0, 10, torch.float64)
    amplitude = ops.uniform((n,), generator, x.device, 0, size / 10, torch.float64)
    ring = ops.uniform((n,), generator, x.device, 0, size / 10, torch.float64).clamp_min(1e-9)
    ys, xs = _grid(n, h, w, x.device)
    dx, dy = xs - _col(x0), ys - _col(y0)
    angle = torch.atan2(dx, dy) * _col(freq)
    dist = torch.remainder(torch.sqrt(dx ** 2 + dy ** 2) + torch.sin(angle) * _col(amplitude), _col(ring))
    noise = (dist / _col(ring) - 0.5).float()
    return _finish(x * 255 + level * 128 / 10 * noise[:, None])


def plasma_noise(x: torch.Tensor, generator: torch.Generator, level: float) -> torch.Tensor:
    """Iterated trigonometric 'plasma' colours blended in with weight level * 64 / 10 / 255."""
    n, _, h, w = x.shape
    time = _col(ops.uniform((n,), generator, x.device, 0, 6 * math.pi, torch.float64))
    iterations = _col(ops.randint(4, 7, (n,), generator, x.device))
    sharp = _col(ops.uniform((n,), generator, x.device, 0.5, 1.0, torch.float64))
    scale = _col(ops.uniform((n,), generator, x.device, 0.075, 0.2, torch.float64) * h)
    ys, xs = _grid(n, h, w, x.device)
    px, py = xs / scale, ys / scale
    i0 = torch.ones_like(time)
    i1 = torch.ones_like(time)
    i2 = torch.ones_like(time)
    for step in range(6):
        active = step < iterations
        r0 = torch.cos(py * i0 + time / i1) / i2  # the reference's fourth factor stays 0
        r1 = torch.sin(px * i0 + time / i1) / i2
        r0, r1 = r0 - 0.3 * r1, r1 + 0.3 * r0
        px = torch.where(active, px + r0, px)
        py = torch.where(active, py + r1, py)
        i0 = torch.where(active, i0 * 1.93, i0)
        i1 = torch.where(active, i1 * 1.15, i1)
        i2 = torch.where(active, i2 * (2.25 - sharp), i2)
    colour = torch.stack([torch.sin(px - time), torch.sin((px + py + torch.sin(time)) * 0.5),
                          torch.sin(py + time)], dim=1).float()
    intensity = level * 64 / 10
    return _finish((1 - intensity / 255) * x * 255 + intensity * colour)


def _caustic_pattern(n: int, h: int, w: int, time: torch.Tensor, size: torch.Tensor, device) -> torch.Tensor:
    ys, xs = _grid(n, h, w, device)
    p0 = torch.remainder(ys / _col(size), 1.0) * 6.28318530718 - 250
    p1 = torch.remainder(xs / _col(size), 1.0) * 6.28318530718 - 250
    i0, i1 = p0, p1
    c = torch.ones_like(p0)
    inten = 0.005
    for k in range(5):
        t = _col(time) * (1.0 - 3.5 / (k + 1))
        i0, i1 = p0 + torch.cos(t - i0) + torch.sin(t + i1), p1 + torch.sin(t - i1) + torch.cos(t + i0)
        length = torch.sqrt((p0 / (torch.sin(i0 + t) / inten)) ** 2 + (p1 / (torch.cos(i1 + t) / inten)) ** 2)
        c = c + 1.0 / length
    c = 1.17 - (c / 5.0) ** 1.4
    return (c.abs() ** 8.0).clamp(0, 1)


def caustic_refraction(x: torch.Tensor, generator: torch.Generator, level: float) -> torch.Tensor:
    """Refraction through a caustic 'water surface' (lens strength and lighting grow with the level)."""
    n, _, h, w = x.shape
    time = ops.uniform((n,), generator, x.device, 0.5, 2.0, torch.float64)
    size = ops.uniform((n,), generator, x.device, 0.75, 1.25, torch.float64) * h
    eta, lens_scale, lighting = 4.0, level * 0.5 * h / 10, level * 2.0 / 10
    caustics = ops.gaussian_blur(_caustic_pattern(n, h, w, time, size, x.device), 1.0, mode="reflect")
    # neighbours in the reference's (row, column) offsets: "north" (0,-1), "south" (0,1), "west" (-1,0), "east" (1,0)
    north, south = ops.shift_zero(caustics, 0, -1), ops.shift_zero(caustics, 0, 1)
    west, east = ops.shift_zero(caustics, -1, 0), ops.shift_zero(caustics, 1, 0)
    a, b = east - west, south - north
    norm = torch.sqrt(a ** 2 + b ** 2 + 1)
    na, nb, nc = a / norm, b / norm, 1 / norm
    # refract (0, 0, 1) through the normal: cos(out) * normal + sin(out) * (normal x spectator)
    out_angle = torch.asin(torch.sin(torch.acos(nc)) / eta)
    planar = torch.sqrt(a ** 2 + b ** 2).clamp_min(1e-12)
    sx, sy = -b / planar, a / planar
    ox, oy = -nc * sy, nc * sx
    ry = torch.cos(out_angle) * na + torch.sin(out_angle) * ox
    rx = torch.cos(out_angle) * nb + torch.sin(out_angle) * oy
    straight = nc >= 1.0 - 1e-3
    ry = torch.where(straight, torch.zeros_like(ry), torch.round(ry * lens_scale * 1000) / 1000)
    rx = torch.where(straight, torch.zeros_like(rx), torch.round(rx * lens_scale * 1000) / 1000)
    ys, xs = _grid(n, h, w, x.device)
    sampled = ops.sample_bilinear_zero(x, (ys + ry).float(), (xs + rx).float())
    light = ((north - south) * lighting + (east - west) * lighting).float()
    out = (sampled + light[:, None]).clamp(0, 1)
    return torch.floor(out * 255) / 255.0


def checkerboard_cutout(x: torch.Tensor, generator: torch.Generator, level: float) -> torch.Tensor:
    """A rotated checkerboard whose white cells are each greyed out with probability level / 10."""
    n, _, h, w = x.shape
    angle = _col(ops.uniform((n,), generator, x.device, 0, 2 * math.pi, torch.float64))
    scale = ops.uniform((n,), generator, x.device, 0.1, 0.25, torch.float64).mul(h).clamp_min(1)
    cells = torch.floor(4 * h / scale).long()  # the reference's grid side int(4 * size // scale)
    side = int(cells.max())
    grid = ops.uniform((n, side, side), generator, x.device) < level / 10
    ys, xs = _grid(n, h, w, x.device)
    nx = (torch.cos(angle) * ys + torch.sin(angle) * xs) / _col(scale)
    ny = (-torch.sin(angle) * ys + torch.cos(angle) * xs) / _col(scale)
    parity = torch.remainder(nx, 2).long() != torch.remainder(ny, 2).long()
    ix = torch.remainder(torch.trunc(nx).long(), _col(cells))  # python indexing wraps negatives
    iy = torch.remainder(torch.trunc(ny).long(), _col(cells))
    cut = grid.reshape(n, -1).gather(1, (ix * side + iy).reshape(n, -1)).reshape(n, h, w)
    keep = (parity | ~cut)[:, None]
    return torch.where(keep, x, torch.full_like(x, 128 / 255.0))


def _ray_lengths(n: int, rays: torch.Tensor, radius: torch.Tensor, generator, device, floor: bool) -> torch.Tensor:
    lengths = radius.view(-1, 1) * (1 + 0.25 * ops.normal((n, 200), generator, device, dtype=torch.float64))
    return lengths.clamp_min(1.0) if floor else lengths


def _sparkle_weight(ys, xs, cy, cx, lengths, rays, amount):
    """The reference's ray kernel: f in [0, 1] per pixel for one star per image."""
    dy, dx = ys - _col(cy), xs - _col(cx)
    dist2 = dy ** 2 + dx ** 2
    d = (torch.atan2(dx, dy) + math.pi) / (2 * math.pi) * _col(rays.double())
    i = torch.floor(d).long()
    f = d - i
    n = lengths.shape[0]
    first = lengths.gather(1, torch.remainder(i, _col(rays)).reshape(n, -1)).reshape(i.shape)
    second = lengths.gather(1, torch.remainder(i + 1, _col(rays)).reshape(n, -1)).reshape(i.shape)
    length = first + f * (second - first)
    g = (length ** 2 / (dist2 + 1e-4)) ** ((100 - _col(amount)) / 50.0)
    return ((1 - (f - 0.5) ** 2) * g).clamp(0, 1)


def sparkles(x: torch.Tensor, generator: torch.Generator, level: float) -> torch.Tensor:
    """Five white star bursts of radius level / 100 of the image size."""
    n, _, h, w = x.shape
    ys, xs = _grid(n, h, w, x.device)
    out = x.double() * 255
    radius = torch.full((n,), level * 0.1 / 10 * h, dtype=torch.float64, device=x.device)
    centres = ops.uniform((n, 5, 2), generator, x.device, 0, h, torch.float64)
    rays = ops.randint(50, 200, (n, 5), generator, x.device)
    amount = torch.full((n,), 50.0, dtype=torch.float64, device=x.device)
    for k in range(5):
        lengths = _ray_lengths(n, rays[:, k], radius, generator, x.device, floor=True)
        f = _sparkle_weight(ys, xs, centres[:, k, 0], centres[:, k, 1], lengths, rays[:, k], amount)
        out = out + f[:, None] * (255 - out)
    return _finish(out.float())


def inverse_sparkles(x: torch.Tensor, generator: torch.Generator, level: float) -> torch.Tensor:
    """White everywhere except a star-shaped window onto the image that shrinks with the level."""
    n, _, h, w = x.shape
    ys, xs = _grid(n, h, w, x.device)
    centre = ops.uniform((n, 2), generator, x.device, 0.25, 0.75, torch.float64) * h
    radius = torch.full((n,), 0.25 * h, dtype=torch.float64, device=x.device)
    amount = torch.full((n,), 100 - level * 65 / 10, dtype=torch.float64, device=x.device)
    rays = ops.randint(50, 200, (n,), generator, x.device)
    lengths = _ray_lengths(n, rays, radius, generator, x.device, floor=False)
    f = _sparkle_weight(ys, xs, centre[:, 0], centre[:, 1], lengths, rays, amount)
    return _finish((255 + f[:, None] * (x.double() * 255 - 255)).float())


def _perlin_turbulence(py: torch.Tensor, px: torch.Tensor, perm: torch.Tensor, grad: torch.Tensor,
                       octaves: float) -> torch.Tensor:
    """Classic 2-D gradient noise (256-entry lattice) summed as |noise(f p)| / f for f = 1, 2, 4, ... <= octaves."""
    n = perm.shape[0]
    total = torch.zeros_like(px)
    f = 1.0
    while f <= octaves:
        tx, ty = py * f + 4096, px * f + 4096  # the reference's noise(x=row, y=column) with N = 16 * 256
        bx0 = torch.remainder(torch.trunc(tx).long(), 256)
        by0 = torch.remainder(torch.trunc(ty).long(), 256)
        bx1, by1 = torch.remainder(bx0 + 1, 256), torch.remainder(by0 + 1, 256)
        rx0, ry0 = torch.remainder(tx, 1.0), torch.remainder(ty, 1.0)
        rx1, ry1 = rx0 - 1, ry0 - 1

        def lookup(table, index):
            return table.gather(1, index.reshape(n, -1)).reshape(index.shape)

        i, j = lookup(perm, bx0), lookup(perm, bx1)
        b00, b10, b01, b11 = lookup(perm, i + by0), lookup(perm, j + by0), lookup(perm, i + by1), lookup(perm, j + by1)

        def dot(b, rx, ry):
            return rx * lookup(grad[..., 0], b) + ry * lookup(grad[..., 1], b)

        sx, sy = rx0 ** 2 * (3 - 2 * rx0), ry0 ** 2 * (3 - 2 * ry0)
        u, v = dot(b00, rx0, ry0), dot(b10, rx1, ry0)
        a = u + sx * (v - u)
        u, v = dot(b01, rx0, ry1), dot(b11, rx1, ry1)
        b = u + sx * (v - u)
        total = total + (1.5 * (a + sy * (b - a))).abs() / f
        f *= 2
    return total


def perlin_noise(x: torch.Tensor, generator: torch.Generator, level: float) -> torch.Tensor:
    """Perlin turbulence (16 octaves' worth of frequencies) blended in with weight level * 0.5 / 10.

    The lattice permutation is a uniform random permutation; the reference builds it with a swap loop
    that is very close to uniform. Gradients are random lattice directions as in the reference.
    """
    n, _, h, w = x.shape
    # tables of 2 * 256 + 2 entries: the 256 drawn ones, repeated, then the first two again
    perm = torch.argsort(ops.uniform((n, 256), generator, x.device), dim=1)
    perm = torch.cat([perm, perm, perm[:, :2]], dim=1)
    raw = (ops.randint(0, 2 ** 31, (n, 256, 2), generator, x.device) % 512 - 256).double() / 256
    grad = raw / raw.norm(dim=-1, keepdim=True).clamp_min(1e-12)
    grad = torch.cat([grad, grad, grad[:, :2]], dim=1)
    ys, xs = _grid(n, h, w, x.device)
    scale = 32 * h / 224
    turbulence = _perlin_turbulence((ys / scale).expand(n, h, w), (xs / scale).expand(n, h, w), perm, grad, 16.0)
    noise = (0.5 * turbulence + 0.5).clamp(0, 1).float()
    alpha = level * 0.5 / 10
    return _finish((1 - alpha) * x * 255 + 255 * alpha * noise[:, None])


def _spectral_noise(n: int, size: int, power: torch.Tensor, generator, device) -> torch.Tensor:
    """Real noise with amplitude spectrum ``power`` and random phases (the reference's construction)."""
    phases = ops.uniform((n, size, size // 2), generator, device, 0, 2 * math.pi, torch.float64)
    if size % 2 == 0:
        phases = torch.cat([phases, phases.flip(-1, -2)], dim=2)
    else:
        centre = ops.uniform((n, size // 2, 1), generator, device, 0, 2 * math.pi, torch.float64)
        centre = torch.cat([centre, torch.zeros(n, 1, 1, dtype=torch.float64, device=device), centre.flip(1)], dim=1)
        phases = torch.cat([phases, centre, phases.flip(-1, -2)], dim=2)
    spectrum = power * torch.polar(torch.ones_like(phases), phases)
    spectrum = torch.roll(spectrum, (size // 2, size // 2), dims=(1, 2))
    noise = torch.fft.ifft2(spectrum).real
    return noise / noise.std(dim=(1, 2), keepdim=True, unbiased=False)


def _radius_map(size: int, device) -> torch.Tensor:
    ys, xs = _grid(1, size, size, device)
    return torch.sqrt((xs - size / 2) ** 2 + (ys - size / 2) ** 2)


def blue_noise_sample(x: torch.Tensor, generator: torch.Generator, level: float) -> torch.Tensor:
    """Black out the pixels where blue noise (power rising with frequency) is below level * 3 / 10 - 2.5."""
    n, _, h, w = x.shape
    noise = _spectral_noise(n, h, _radius_map(h, x.device), generator, x.device)
    mask = (noise > level * 3 / 10 - 2.5).float()
    return x * mask[:, None]


def brownish_noise(x: torch.Tensor, generator: torch.Generator, level: float) -> torch.Tensor:
    """Add per-channel brown-ish noise (power 1 / (r^2 + 1)) of std level * 64 / 10."""
    n, _, h, w = x.shape
    power = 1 / (_radius_map(h, x.device) ** 2 + 1)
    noise = torch.stack([_spectral_noise(n, h, power, generator, x.device) for _ in range(3)], dim=1).float()
    return _finish(x * 255 + level * 64 / 10 * noise)
