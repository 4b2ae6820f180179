"""Pictures of a last with its foot (PNG, matplotlib): to look at a shaped last as a last maker would.

- :func:`last_and_foot_png`: the standing last from the side and from above, shaded (so that every bump, toe print
  or step of the surface shows) and coloured by the room it leaves the foot, with the foot's outline; drawn by a
  depth buffer of points sampled densely on the surfaces;
- :func:`sections_png`: cross-sections at the ball, the instep and the heel, the foot's section filled, the last's
  drawn over it (and the base last's dashed, for a shaped last), in the plane of the girth each is measured on.

Both take the standing last and the foot in the same measuring frame (mm) and return PNG bytes.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from geometry.arrays import FloatArray
from geometry.meshes import face_normals
from geometry.sections import mesh_plane_section, plane_basis
from lasts.fit_report import DEFAULT_FIT_LIMITS, REGIONS
from lasts.model import LastMesh

_LAST_RGB = np.array([0.72, 0.76, 0.82])
_FOOT_RGB = np.array([0.93, 0.62, 0.45])
_LIGHT = np.array([0.35, -0.45, 0.82])


@dataclass(frozen=True)
class _Camera:
    """An orthographic view: screen right, screen up and the direction toward the viewer (unit vectors)."""

    right: np.ndarray
    up: np.ndarray
    toward: np.ndarray

    @classmethod
    def named(cls, view: str, medial_sign: float) -> _Camera:
        if view == "top":
            return cls(np.array([1.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0]), np.array([0.0, 0.0, 1.0]))
        # The side view looks at the medial side, heel on the left.
        toward = np.array([0.0, medial_sign, 0.0])
        return cls(np.array([1.0, 0.0, 0.0]), np.array([0.0, 0.0, 1.0]), toward)


@dataclass(frozen=True)
class _Samples:
    """Points spread densely over a surface, each with its face's normal and a value interpolated from per-vertex
    values (or NaN)."""

    points: np.ndarray  # (k, 3)
    normals: np.ndarray  # (k, 3)
    values: np.ndarray  # (k,)


def _samples(
    vertices: np.ndarray, faces: np.ndarray, spacing_mm: float, per_vertex: np.ndarray | None = None
) -> _Samples:
    """Points spread over every triangle at about ``spacing_mm`` apart (each triangle as finely as its longest edge
    needs)."""
    tri = vertices[faces]
    longest = np.linalg.norm(tri - np.roll(tri, 1, axis=1), axis=-1).max(axis=1)
    steps = np.clip(np.ceil(longest / spacing_mm), 1, 64).astype(np.int64)
    normals_f = face_normals(vertices, faces)
    values_v = np.full(len(vertices), np.nan) if per_vertex is None else np.asarray(per_vertex, dtype=np.float64)
    points, normals, values = [], [], []
    for k in np.unique(steps):
        chosen = steps == k
        i, j = np.meshgrid(np.arange(k + 1), np.arange(k + 1), indexing="ij")
        keep = i + j <= k
        a, b = i[keep] / k, j[keep] / k
        weights = np.stack([1.0 - a - b, a, b], axis=-1)  # (s, 3) barycentric
        points.append(np.einsum("sc,fcd->fsd", weights, tri[chosen]).reshape(-1, 3))
        normals.append(np.repeat(normals_f[chosen], len(weights), axis=0))
        values.append(np.einsum("sc,fc->fs", weights, values_v[faces[chosen]]).reshape(-1))
    return _Samples(np.concatenate(points), np.concatenate(normals), np.concatenate(values))


def _room_rgb(room_mm: np.ndarray, span_mm: float = 4.0) -> FloatArray:
    """Diverging colours: red where the last lies inside the foot (presses), white at contact, blue where it
    leaves room."""
    t = np.clip(np.nan_to_num(room_mm) / span_mm, -1.0, 1.0)[:, None]
    red, white, blue = np.array([0.80, 0.15, 0.12]), np.array([0.97, 0.97, 0.97]), np.array([0.15, 0.35, 0.80])
    rgb: FloatArray = np.where(t < 0, white + (red - white) * -t, white + (blue - white) * t)
    return np.where(np.isnan(room_mm)[:, None], np.array([0.80, 0.80, 0.80]), rgb)


def _render(
    surfaces: Sequence[tuple[_Samples, np.ndarray | None]], camera: _Camera, px_per_mm: float,
    bounds: tuple[np.ndarray, np.ndarray],
) -> tuple[FloatArray, np.ndarray]:  # fmt: skip
    """RGB image (h, w, 3) of the sampled surfaces (each with one rgb (3,), or None: coloured by its room values)
    seen by the camera, the nearest at each pixel, shaded by its normal (Lambert, two-sided), white behind; and which
    surface shows at each pixel (h, w; -1 none)."""
    lo, hi = bounds
    corners = np.array([[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1]) for z in (lo[2], hi[2])])
    u_lo, u_hi = (corners @ camera.right).min(), (corners @ camera.right).max()
    v_lo, v_hi = (corners @ camera.up).min(), (corners @ camera.up).max()
    width, height = int(np.ceil((u_hi - u_lo) * px_per_mm)) + 1, int(np.ceil((v_hi - v_lo) * px_per_mm)) + 1
    pixel_all, depth_all, colour_all, owner_all = [], [], [], []
    light = _LIGHT / np.linalg.norm(_LIGHT)
    light = light[0] * camera.right + light[1] * camera.up + light[2] * camera.toward
    for index, (samples, rgb) in enumerate(surfaces):
        points = samples.points
        col = np.clip(((points @ camera.right) - u_lo) * px_per_mm, 0, width - 1).astype(np.int64)
        row = np.clip((v_hi - (points @ camera.up)) * px_per_mm, 0, height - 1).astype(np.int64)
        shade = 0.35 + 0.65 * np.abs(samples.normals @ light)
        base = _room_rgb(samples.values) if rgb is None else np.broadcast_to(rgb, (len(points), 3))
        pixel_all.append(row * width + col)
        depth_all.append(-(points @ camera.toward))  # nearer the viewer: smaller
        colour_all.append(shade[:, None] * base)
        owner_all.append(np.full(len(points), index))
    pixel, depth = np.concatenate(pixel_all), np.concatenate(depth_all)
    colour, owner = np.concatenate(colour_all), np.concatenate(owner_all)
    order = np.argsort(depth, kind="stable")
    shown, first = np.unique(pixel[order], return_index=True)
    image = np.ones((height * width, 3))
    image[shown] = colour[order][first]
    owners = np.full(height * width, -1)
    owners[shown] = owner[order][first]
    return image.reshape(height, width, 3), owners.reshape(height, width)


def last_and_foot_png(
    last: LastMesh, foot_vertices: np.ndarray, foot_faces: np.ndarray, title: str, px_per_mm: float = 2.5
) -> bytes:
    """Side (medial) and top views of the standing last, shaded (every bump, toe print or step of its surface
    shows), and coloured by the room it leaves the foot (the signed distance of its surface from the foot's, + off
    the foot), the foot's outline drawn over it; as PNG bytes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from lasts.shaping import FootQuery

    room = FootQuery(foot_vertices, foot_faces).closest(last.vertices)[2]
    # Above the shoe's top (the fit report's cover heights) the room is no fit's: drawn grey (NaN).
    length = float(np.ptp(foot_vertices[:, 0]))
    x, z = last.vertices[:, 0] / length, last.vertices[:, 2] / length
    limits = DEFAULT_FIT_LIMITS
    covered = z <= np.where(x < REGIONS["heel"][1], limits.heel_cover_height, limits.cover_height)
    room = np.where(covered, room, np.nan)
    spacing = 0.7 / px_per_mm
    last_samples = _samples(last.vertices, last.faces, spacing, room)
    foot_samples = _samples(foot_vertices, foot_faces, 1.5 * spacing)
    lo = np.minimum(last.vertices.min(axis=0), foot_vertices.min(axis=0)) - 2.0
    hi = np.maximum(last.vertices.max(axis=0), foot_vertices.max(axis=0)) + 2.0
    panels = []
    for view in ("side", "top"):
        camera = _Camera.named(view, last.params.medial_sign)
        shaded, _ = _render([(last_samples, _LAST_RGB)], camera, px_per_mm, (lo, hi))
        coloured, _ = _render([(last_samples, None)], camera, px_per_mm, (lo, hi))
        _, foot_mask = _render([(foot_samples, _FOOT_RGB)], camera, px_per_mm, (lo, hi))
        panels.append((view, shaded, coloured, foot_mask >= 0))
    heights = [p[1].shape[0] for p in panels]
    figure, axes = plt.subplots(2, 2, figsize=(15, 15 * sum(heights) / (2 * panels[0][1].shape[1]) + 1.6),
                                gridspec_kw={"height_ratios": heights})  # fmt: skip
    for (view, shaded, coloured, foot), row in zip(panels, axes, strict=True):
        seen = "medial side" if view == "side" else "from above"
        row[0].imshow(shaded, interpolation="antialiased")
        row[0].set_title(f"the last, {seen}")
        row[1].imshow(coloured, interpolation="antialiased")
        row[1].contour(foot.astype(float), levels=[0.5], colors="#6b3a1f", linewidths=0.9)
        row[1].set_title(f"room to the foot, {seen}: red presses, blue room (±4 mm), grey above the shoe")
        for axis in row:
            axis.set_axis_off()
    figure.suptitle(title, fontsize=14)
    figure.tight_layout()
    return _png(figure)


def _section_2d(vertices: np.ndarray, faces: np.ndarray, origin: np.ndarray, normal: np.ndarray) -> FloatArray:
    """(k, 2, 2) segments of the plane section in the plane's (across, up) coordinates, mm."""
    segments = mesh_plane_section(vertices, faces, origin, normal).reshape(-1, 3)
    across, up = _plane_axes(normal)
    flat: FloatArray = np.column_stack([(segments - origin) @ across, (segments - origin) @ up]).reshape(-1, 2, 2)
    return flat


def _plane_axes(normal: np.ndarray) -> tuple[FloatArray, FloatArray]:
    """In-plane axes: across (horizontal) and up (as near +z as the plane allows)."""
    n = np.asarray(normal, dtype=np.float64) / np.linalg.norm(normal)
    up = np.array([0.0, 0.0, 1.0]) - n[2] * n
    if np.linalg.norm(up) < 1e-6:
        return plane_basis(n)
    up /= np.linalg.norm(up)
    across: FloatArray = np.cross(up, n)
    return across, up


def sections_png(
    last: LastMesh,
    foot_vertices: np.ndarray,
    foot_faces: np.ndarray,
    planes: Sequence[tuple[str, np.ndarray, np.ndarray]],
    title: str,
    base: LastMesh | None = None,
) -> bytes:
    """Cross-sections (name, origin (3,), normal (3,)) of foot and last, side by side, as PNG bytes: the foot's
    section filled, the last's drawn over it (the base last's dashed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.collections import LineCollection

    figure, axes = plt.subplots(1, len(planes), figsize=(5.2 * len(planes), 5.6))
    for axis, (name, origin, normal) in zip(np.atleast_1d(axes), planes, strict=True):
        foot = _section_2d(foot_vertices, foot_faces, origin, normal)
        axis.add_collection(LineCollection(list(foot), colors="#c0603a", linewidths=2.2, label="foot"))
        if base is not None:
            old = _section_2d(base.vertices, base.faces, origin, normal)
            axis.add_collection(LineCollection(list(old), colors="#3060c0", linewidths=1.0, linestyles="dashed",
                                               label="base last"))  # fmt: skip
        shaped = _section_2d(last.vertices, last.faces, origin, normal)
        axis.add_collection(LineCollection(list(shaped), colors="#222222", linewidths=1.4, label="last"))
        everything = np.concatenate([foot.reshape(-1, 2), shaped.reshape(-1, 2)])
        lo, hi = everything.min(axis=0) - 5.0, everything.max(axis=0) + 5.0
        axis.set_xlim(lo[0], hi[0])
        axis.set_ylim(lo[1], hi[1])
        axis.set_aspect("equal")
        axis.grid(True, color="#ddd", linewidth=0.6)
        axis.set_title(name)
        axis.set_xlabel("mm across (medial to the left)" if last.params.medial_sign > 0 else "mm across")
        axis.legend(loc="upper right", fontsize=8)
    np.atleast_1d(axes)[0].set_ylabel("mm")
    figure.suptitle(title, fontsize=13)
    figure.tight_layout()
    return _png(figure)


def _png(figure: object) -> bytes:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90)  # type: ignore[attr-defined]
    plt.close(figure)  # type: ignore[arg-type]
    return buffer.getvalue()
