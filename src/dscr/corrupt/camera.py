"""Camera motion rendered from one image and its depth map, as ImageNet-3DCC makes its xy / z motion blur and the
videos behind bit error and h265 (EPFL-VILAB/3DCommonCorruptions `create_3dcc/motion_video/create_motion.py`, with
`common.py` from sniklaus/3d-ken-burns: `process_load`, `process_shift`, `process_kenburns`, `render_pointcloud`,
`fill_disocclusion`).

The image becomes a point cloud (pinhole camera, focal 512 for a 512 px frame, depth rescaled so that the nearest
point sits at disparity 40, points on depth edges dropped where the Laplacian of the normalised disparity reaches
0.03); the camera then moves along a straight path in 60 steps and each view is rendered by z-buffered splatting
(the nearest point per pixel within one disparity unit wins, bilinear weights), disoccluded pixels are filled from
the farther side along 16 directions, and the frame is read with OpenCV's half-pixel `getRectSubPix`.

The reference frame is 512 px (`intWidth = min(1024 * ratio, 512)`); every pixel quantity (focal, path shifts, the
128 px border left out of the nearest-depth search) is scaled by width / 512 here, so that the same camera motion
relative to the frame is applied at any resolution. Not reproduced: the reference also inpaints disoccluded
background with 3d-ken-burns' pretrained `pointcloud-inpainting` network (weights downloaded at run time, not
available offline); those pixels are filled by the reference's `fill_disocclusion`, and what that leaves empty
(the strip the moving camera uncovers at the frame's edge) by extending the nearest rendered pixels
(`extend_edges`) instead of the network's hallucinated background.
"""

from __future__ import annotations

import functools
import math

import torch

REFERENCE_WIDTH = 512.0
FOCAL = 512.0  # at the reference width (1024 / 2)
BASELINE = 40.0
EDGE_LAPLACIAN = 0.03
DEPTH_SEARCH_BORDER = 128  # px at the reference width
STEPS = 60
_FAR = 1e6
_DIRECTIONS = ((-1, 1), (0, 1), (1, 1), (1, 0), (-1, 2), (1, 2), (2, 1), (2, -1),
               (-2, 3), (-1, 3), (1, 3), (2, 3), (3, 2), (3, 1), (3, -1), (3, -2))


def _laplacian(x: torch.Tensor) -> torch.Tensor:
    """3d-ken-burns' `spatial_filter(..., 'laplacian')`: its (asymmetric) 3x3 kernel, replicate padding."""
    kernel = torch.tensor([[0.0, -1.0, -1.0], [-1.0, 4.0, 0.0], [-1.0, 0.0, 0.0]], dtype=x.dtype, device=x.device)
    padded = torch.nn.functional.pad(x, (1, 1, 1, 1), mode="replicate")
    return torch.nn.functional.conv2d(padded, kernel[None, None])


def load_scene(depth: torch.Tensor, focal: float, border: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """`process_load` with a given depth: (points (N, 3, P) with edge points at depth 0, rescaled depth (N, 1, H, W),
    nearest depth (N,) inside the frame less `border` px)."""
    disparity = 1.0 / (depth.float() + 1e-7)
    disparity = disparity / disparity.amax(dim=(1, 2, 3), keepdim=True) * BASELINE
    scaled = focal * BASELINE / (disparity + 1e-7)
    valid = (_laplacian(disparity / disparity.amax(dim=(1, 2, 3), keepdim=True)).abs() < EDGE_LAPLACIAN).float()
    n, _, h, w = depth.shape
    inner = scaled[:, :, border:h - border, border:w - border] if min(h, w) > 2 * border else scaled
    nearest = inner.reshape(n, -1).amin(dim=1)
    return unproject(scaled * valid, focal).reshape(n, 3, -1), scaled, nearest


def unproject(z: torch.Tensor, focal: float) -> torch.Tensor:
    """`depth_to_points`: (N, 1, H, W) depths to (N, 3, H, W) camera coordinates, pixel centres at (i - (W-1)/2)."""
    h, w = z.shape[-2:]
    xs = (torch.arange(w, dtype=z.dtype, device=z.device) - (w - 1) / 2) / focal
    ys = (torch.arange(h, dtype=z.dtype, device=z.device) - (h - 1) / 2) / focal
    return torch.cat([z * xs[None, None, None, :], z * ys[None, None, :, None], z], dim=1)


def render(points: torch.Tensor, data: torch.Tensor, height: int, width: int,
           focal: float) -> tuple[torch.Tensor, torch.Tensor]:
    """`render_pointcloud`: project (N, 3, P) points onto the image plane, keep per pixel the points within one
    unit of the nearest (in 1e6 - focal * baseline / z), splat `data` (N, C, P) bilinearly.

    Returns:
        (rendered (N, C, H, W), splat weight per pixel (N, 1, H, W); 0 where nothing landed).
    """
    n, _, count = points.shape
    z = points[:, 2]
    ok = z >= 0.001
    zs = torch.where(ok, z, torch.ones_like(z))
    ox = points[:, 0] * focal / zs + width / 2 - 0.5
    oy = points[:, 1] * focal / zs + height / 2 - 0.5
    error = _FAR - focal * BASELINE / (zs + 1e-7)
    x0, y0 = torch.floor(ox), torch.floor(oy)
    fx, fy = ox - x0, oy - y0
    corners = ((0, 0, (1 - fx) * (1 - fy)), (1, 0, fx * (1 - fy)), (0, 1, (1 - fx) * fy), (1, 1, fx * fy))
    base = (torch.arange(n, device=points.device) * height * width)[:, None]

    def cell(dx: int, dy: int) -> tuple[torch.Tensor, torch.Tensor]:
        cx, cy = (x0 + dx).long(), (y0 + dy).long()
        inside = ok & (cx >= 0) & (cx < width) & (cy >= 0) & (cy < height)
        return base + cy.clamp(0, height - 1) * width + cx.clamp(0, width - 1), inside

    east, south = fx > 0.5, fy > 0.5  # the corner of largest weight; ties go north-west as the kernel's if-chain
    nearest_x, nearest_y = x0 + east.float(), y0 + south.float()
    inside = ok & (nearest_x >= 0) & (nearest_x < width) & (nearest_y >= 0) & (nearest_y < height)
    index = base + nearest_y.long().clamp(0, height - 1) * width + nearest_x.long().clamp(0, width - 1)
    zee = torch.full((n * height * width,), _FAR, device=points.device)
    zee.scatter_reduce_(0, index[inside], error[inside], reduce="amin")
    zee = _degrid(zee.view(n, height, width)).reshape(-1)
    channels = torch.cat([data.float(), torch.ones_like(data[:, :1]).float()], dim=1)  # (N, C + 1, P)
    out = torch.zeros(channels.shape[1], n * height * width, device=points.device)
    for dx, dy, weight in corners:
        index, inside = cell(dx, dy)
        take = inside & (error <= zee[index] + 1.0)
        out.index_add_(1, index[take], channels.permute(1, 0, 2)[:, take] * weight[take])
    out = out.view(-1, n, height, width).permute(1, 0, 2, 3)
    return out[:, :-1] / (out[:, -1:] + 1e-7), out[:, -1:]


def _degrid(zee: torch.Tensor) -> torch.Tensor:
    """`kernel_pointrender_updateDegrid`: a pixel deeper than both neighbours of an opposing pair (by 1 or more)
    takes their mean, closing the grid holes that splatting leaves behind nearer surfaces."""
    n, h, w = zee.shape
    total, count = torch.zeros_like(zee), torch.zeros_like(zee)
    pad = torch.nn.functional.pad(zee, (1, 1, 1, 1), value=float("nan"))
    for dx, dy in ((1, 0), (0, 1), (1, 1), (1, -1)):
        one = pad[:, 1 + dy:1 + dy + h, 1 + dx:1 + dx + w]
        two = pad[:, 1 - dy:1 - dy + h, 1 - dx:1 - dx + w]
        hit = (zee >= one + 1.0) & (zee >= two + 1.0)  # NaN outside the frame compares False
        total = total + torch.where(hit, one + two, torch.zeros_like(zee))
        count = count + 2 * hit
    return torch.where(count > 0, torch.minimum(zee, total / count.clamp_min(1)), zee)


def _c_round(x: torch.Tensor) -> torch.Tensor:
    return torch.where(x >= 0, torch.floor(x + 0.5), torch.ceil(x - 0.5))  # C's round: halves away from zero


@functools.lru_cache(maxsize=64)
def _steps(dx: float, dy: float, count: int) -> torch.Tensor:
    """(count, 2) integer (row, column) offsets of the kernel's walk: a float32 position advanced by the unit
    direction, rounded as C rounds (accumulated from 0 here, from the pixel there: the same away from exact ties)."""
    direction = torch.tensor([dy, dx], dtype=torch.float32)
    position = torch.zeros(2, dtype=torch.float32)
    out = []
    for _ in range(count):
        position = position + direction
        out.append(position.clone())
    return _c_round(torch.stack(out)).long()


def _first_covered(covered: torch.Tensor, b, y, x, steps: torch.Tensor, block: int = 16):
    """Walk every (b, y, x) along `steps` until a covered pixel or the frame's edge, `block` steps at a time:
    (row, column, whether a covered pixel inside the frame was reached)."""
    _, h, w = covered.shape
    row, col = y.clone(), x.clone()
    reached = torch.zeros_like(y, dtype=torch.bool)
    active = torch.arange(len(y), device=y.device)
    for start in range(0, len(steps), block):
        if not active.numel():
            break
        part = steps[start:start + block].to(y.device)
        ry, rx = y[active, None] + part[None, :, 0], x[active, None] + part[None, :, 1]
        inside = (ry >= 0) & (ry < h) & (rx >= 0) & (rx < w)
        hit = inside & covered[b[active, None], ry.clamp(0, h - 1), rx.clamp(0, w - 1)]
        stop = hit | ~inside
        done = stop.any(dim=1)
        first = stop.int().argmax(dim=1)[done]
        chosen = active[done]
        row[chosen], col[chosen] = ry[done, first], rx[done, first]
        reached[chosen] = hit[done, first]
        active = active[~done]
    return row, col, reached


def fill_disocclusion(image: torch.Tensor, depth: torch.Tensor) -> torch.Tensor:
    """`fill_disocclusion`: each pixel without depth takes the value of the nearest covered pixel found along one
    of 16 directions (walking both ways; the shortest gap wins, then its farther end). Pixels with no covered pixel
    on both sides of any direction (the strip a moving camera uncovers at the frame's edge, which the reference's
    inpainting network fills) are left empty here; `extend_edges` fills them."""
    n, c, h, w = image.shape
    covered = depth[:, 0] > 0
    b, y, x = (~covered).nonzero(as_tuple=True)
    if not b.numel():
        return image
    best = torch.full(b.shape, _FAR, device=image.device)
    fill_y, fill_x = y.clone(), x.clone()
    found = torch.zeros_like(b, dtype=torch.bool)
    for ux, uy in _DIRECTIONS:
        norm = math.sqrt(ux * ux + uy * uy)
        forward = _steps(float(torch.tensor(ux / norm, dtype=torch.float32)),
                         float(torch.tensor(uy / norm, dtype=torch.float32)), h + w)
        fy, fx, f_ok = _first_covered(covered, b, y, x, -forward)
        ty, tx, t_ok = fy.clone(), fx.clone(), torch.zeros_like(f_ok)
        if bool(f_ok.any()):  # the other way matters only where this one reached a covered pixel
            ty[f_ok], tx[f_ok], t_ok[f_ok] = _first_covered(covered, b[f_ok], y[f_ok], x[f_ok], forward)
        distance = torch.sqrt((tx - fx).float() ** 2 + (ty - fy).float() ** 2)
        better = f_ok & t_ok & (distance < best)
        farther = depth[b, 0, fy.clamp(0, h - 1), fx.clamp(0, w - 1)] < depth[b, 0, ty.clamp(0, h - 1),
                                                                             tx.clamp(0, w - 1)]
        fill_y = torch.where(better, torch.where(farther, ty, fy), fill_y)
        fill_x = torch.where(better, torch.where(farther, tx, fx), fill_x)
        best = torch.where(better, distance, best)
        found |= better
    out = image.clone()
    out[b[found], :, y[found], x[found]] = image[b[found], :, fill_y[found], fill_x[found]]
    return out


def _nearest_along(values: torch.Tensor, filled: torch.Tensor, dim: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Per pixel the values of the nearest filled pixel of its row (dim -1) or column (dim -2), the left / upper
    one on ties: (values, whether the line has a filled pixel)."""
    size = values.shape[dim]
    shape = [1] * values.dim()
    shape[dim] = size
    index = torch.arange(size, device=values.device).view(shape).expand_as(filled)
    before = torch.cummax(torch.where(filled, index, -1), dim=dim).values
    after = size - 1 - torch.cummax(torch.where(filled, size - 1 - index, -1).flip(dim), dim=dim).values.flip(dim)
    has_before, has_after = before >= 0, after < size
    take_after = has_after & (~has_before | (after - index < index - before))
    source = torch.where(take_after, after, before).clamp(0, size - 1)
    return torch.gather(values, dim, source.expand_as(values)), (has_before | has_after)


def extend_edges(image: torch.Tensor, empty: torch.Tensor) -> torch.Tensor:
    """Give each `empty` (N, 1, H, W) pixel the value of the nearest filled pixel of its row, else of its column:
    the stand-in for the reference's inpainting of what the moving camera uncovers at the frame's edge."""
    filled = ~empty
    for dim in (-1, -2):
        if bool(filled.all()):
            break
        values, found = _nearest_along(image, filled, dim)
        use = ~filled & found
        image = torch.where(use, values, image)
        filled = filled | use
    return image


def half_pixel_read(frame: torch.Tensor) -> torch.Tensor:
    """cv2.getRectSubPix of the whole uint8 frame about its centre: every pixel the rounded mean of its 2 x 2 block
    to the lower right (edge replicated), as OpenCV's 8-bit fixed point computes it."""
    f = torch.nn.functional.pad(frame.int(), (0, 1, 0, 1), mode="replicate")
    total = f[..., :-1, :-1] + f[..., :-1, 1:] + f[..., 1:, :-1] + f[..., 1:, 1:]
    return torch.div(total + 2, 4, rounding_mode="floor").to(torch.uint8)


def camera_frames(x: torch.Tensor, depth: torch.Tensor, shift: torch.Tensor, zoom: torch.Tensor,
                  count: int) -> list[torch.Tensor]:
    """The first `count` of the 60 frames of `process_kenburns` along a path to a view shifted by `shift`
    (N, 2) reference pixels (u, v) with a crop of `zoom` (N, 2) times the frame (1: no zoom).

    Args:
        x: float images (N, 3, H, W) in [0, 1].
        depth: (N, 1, H, W), larger is farther.

    Returns:
        uint8 frames (N, 3, H, W), one per step.
    """
    n, _, h, w = x.shape
    scale = w / REFERENCE_WIDTH
    focal = FOCAL * scale
    points, scaled, nearest = load_scene(depth, focal, int(round(DEPTH_SEARCH_BORDER * scale)))
    data = torch.cat([x.float(), scaled], dim=1).reshape(n, 4, -1)
    frames = []
    for t in [step / (STEPS - 1) for step in range(count)]:  # numpy.linspace(0, 1, 60)
        crop = (1 - t) + t * zoom[:, 0]  # crop width as a fraction of the frame (the larger crop is the frame)
        depth_to = nearest * crop
        offset = torch.stack([-t * shift[:, 0] * scale * depth_to / focal, -t * shift[:, 1] * scale * depth_to / focal,
                              depth_to - nearest], dim=1)
        moved = points + offset[:, :, None]
        image, weight = render(moved, data, h, w, focal)
        depth_seen = image[:, 3:4] * (weight > 0).float()
        filled = fill_disocclusion(image, depth_seen)
        filled = extend_edges(filled, (filled[:, 3:4] <= 0) & (depth_seen <= 0))
        frame = (filled[:, :3] * 255.0).clamp(0.0, 255.0).to(torch.uint8)  # numpy's astype(uint8) truncates
        frames.append(half_pixel_read(frame))
    return frames
