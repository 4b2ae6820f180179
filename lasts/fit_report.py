"""The fit report: how the foot sits in its last, vertex by vertex and region by region.

Room at a foot vertex is its signed distance to the last's surface, positive where the foot lies inside
the last (space the upper will not press on) and negative where it pokes out (the last is smaller there,
so the upper compresses the foot: intended at the waist, instep and heel, where a fitting last is about
two widths narrower). Both are in the standing frame (heel at x = 0, sole on z = 0) in which foot and
last are measured, so no registration is needed.

A last shaped to the foot is also judged against its rule map (:mod:`lasts.rule_map`): the room each foot point
was meant to have. Its error is achieved − target (+ looser than the rule, − tighter); per region the report
gives the deepest room the rules ask for there, how far the last presses beyond it, and the error's mean and
95th percentile of its size, over the points the rules set (round and ahead of the toes the style's toe decides:
no target; nor on a cut scan's cap, which is not foot).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from xml.sax.saxutils import escape

import numpy as np

from geometry.arrays import FloatArray
from geometry.exchange.svg_colours import RED_WHITE_BLUE, ramp_hex, swatch_strip_svg
from geometry.meshes import face_normals, open3d_tensor
from lasts.rule_map import RuleMap

# Regions by position along the foot, fractions of the foot length (ball region around the MTP joints).
REGIONS: dict[str, tuple[float, float]] = {
    "heel": (0.0, 0.28),
    "instep": (0.28, 0.62),
    "ball": (0.62, 0.80),
    "toe": (0.80, 1.01),
}


@dataclass(frozen=True)
class FitLimits:
    """When a fit is risky (documented defaults, overridable per factory)."""

    # The shoe covers the foot up to its topline: the heel counter's height at the back, the throat ahead.
    heel_cover_height: float = 0.25  # fraction of the foot length, for the heel region
    cover_height: float = 0.40  # elsewhere
    min_toe_room_mm: float = 8.0  # less and the toes hit the shoe's end when walking
    max_compression_mm: float = 5.0  # deeper and the upper presses hard enough to hurt
    compression_quantile: float = 0.01  # a region's compression is its 1 % deepest point (not one vertex)
    # A shaped last may press this much deeper than its rule map asks before the report warns.
    rule_tolerance_mm: float = 1.5
    error_quantile: float = 0.95  # a region's room error is this quantile of its size


DEFAULT_FIT_LIMITS = FitLimits()


@dataclass(frozen=True)
class FitReport:
    room_mm: np.ndarray  # (n,) per foot vertex, + inside the last, - compressed
    toe_room_mm: float
    regions: dict[str, dict[str, float]]
    warnings: list[str] = field(default_factory=list)
    covered: np.ndarray | None = None  # (n,) bool: vertices the shoe covers (the regions count only these)
    target_room_mm: np.ndarray | None = None  # (n,) the rule map's room (NaN: no target), for a shaped last
    rule_map: RuleMap | None = None

    @property
    def error_mm(self) -> np.ndarray | None:
        """(n,) achieved − target room per foot vertex (+ looser, − tighter than the rule; NaN: no target)."""
        return None if self.target_room_mm is None else self.room_mm - self.target_room_mm

    def to_dict(self) -> dict[str, object]:
        data: dict[str, object] = {"toe_room_mm": round(self.toe_room_mm, 2), "regions": self.regions,
                                   "warnings": self.warnings}  # fmt: skip
        if self.rule_map is not None:
            data["rule_map"] = self.rule_map.to_dict()
        return data


def vertex_normals(vertices: np.ndarray, faces: np.ndarray) -> FloatArray:
    """(n, 3) outward unit normal of each vertex: its faces' normals weighted by their areas."""
    tri = vertices[faces]
    cross = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])  # twice the area times the normal
    summed = np.zeros_like(vertices, dtype=np.float64)
    for corner in range(3):
        np.add.at(summed, faces[:, corner], cross)
    length = np.linalg.norm(summed, axis=1, keepdims=True)
    normals: FloatArray = np.divide(summed, length, out=np.zeros_like(summed), where=length > 0)
    return normals


def cut_cap_faces(vertices: np.ndarray, faces: np.ndarray, band_mm: float = 1.5) -> np.ndarray:
    """(m,) bool: the faces of a scan's cap where it was cut flat at its top (facing up, all within ``band_mm`` of
    the top): where the scanner or ingest closed the cut, not foot."""
    up = face_normals(np.asarray(vertices, dtype=np.float64), np.asarray(faces))[:, 2] > 0.5
    cap: np.ndarray = up & (vertices[faces][:, :, 2].min(axis=1) > float(vertices[:, 2].max()) - band_mm)
    return cap


def _not_foot(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """(n,) bool: vertices only on the cut's cap (its rim is foot)."""
    on_foot = np.zeros(len(vertices), dtype=bool)
    on_foot[faces[~cut_cap_faces(vertices, faces)].ravel()] = True
    return ~on_foot


def signed_room_mm(foot_vertices: np.ndarray, last_vertices: np.ndarray, last_faces: np.ndarray) -> FloatArray:
    """Distance of each foot vertex to the last's surface, + inside the last, mm (open3d ray casting)."""
    import open3d as o3d  # imported when used: it costs a second to load
    scene = o3d.t.geometry.RaycastingScene()
    mesh = o3d.t.geometry.TriangleMesh(
        open3d_tensor(last_vertices.astype(np.float32), o3d.core.float32),
        open3d_tensor(last_faces.astype(np.int32), o3d.core.int32),
    )
    scene.add_triangles(mesh)
    query = open3d_tensor(foot_vertices.astype(np.float32), o3d.core.float32)
    room: FloatArray = -scene.compute_signed_distance(query).numpy().astype(np.float64)
    return room


def fit_report(
    foot_vertices: np.ndarray,
    foot_length_mm: float,
    last_vertices: np.ndarray,
    last_faces: np.ndarray,
    limits: FitLimits = DEFAULT_FIT_LIMITS,
    rule_map: RuleMap | None = None,
    foot_faces: np.ndarray | None = None,
) -> FitReport:
    """Room per foot vertex and per region; with a rule map (and the foot's faces, for its normals) also the room
    each vertex was meant to have and the error against it."""
    room = signed_room_mm(foot_vertices, last_vertices, last_faces)
    x = foot_vertices[:, 0] / foot_length_mm
    height = foot_vertices[:, 2] / foot_length_mm
    covered = height <= np.where(x < REGIONS["heel"][1], limits.heel_cover_height, limits.cover_height)
    target = None
    if rule_map is not None and foot_faces is not None:
        target = rule_map.target_room_mm(foot_vertices, vertex_normals(foot_vertices, foot_faces))
        target[_not_foot(foot_vertices, foot_faces)] = np.nan  # a cut scan's cap: no rule sets room there
    # Toe room: how far the last reaches past the longest toe, along the axis.
    toe_room = float(last_vertices[:, 0].max() - foot_vertices[:, 0].max())
    regions: dict[str, dict[str, float]] = {}
    warnings: list[str] = []
    for name, (start, stop) in REGIONS.items():
        inside = (x >= start) & (x < stop) & covered
        if not inside.any():
            continue
        values = room[inside]
        deepest = float(np.quantile(values, limits.compression_quantile))
        stats = {
            "mean_room_mm": round(float(values.mean()), 2),
            "min_room_mm": round(deepest, 2),
            "max_room_mm": round(float(values.max()), 2),
            "compressed_share": round(float((values < 0).mean()), 3),
        }
        if -deepest > limits.max_compression_mm:
            warnings.append(
                f"{name}: the last presses {-deepest:.1f} mm into the foot (limit {limits.max_compression_mm:.1f} mm)"
            )
        if target is not None and rule_map is not None:
            rule = rule_map.region_reduction_mm(start * foot_length_mm, stop * foot_length_mm)
            error = (values - target[inside])[np.isfinite(target[inside])]
            stats["rule_room_mm"] = round(rule, 2)
            stats["beyond_rule_mm"] = round(max(0.0, rule - deepest), 2)
            stats["judged_share"] = round(float(np.isfinite(target[inside]).mean()), 3)
            if len(error):
                stats["mean_error_mm"] = round(float(error.mean()), 2)
                stats["error_p95_mm"] = round(float(np.quantile(np.abs(error), limits.error_quantile)), 2)
            if rule - deepest > limits.rule_tolerance_mm:
                warnings.append(
                    f"{name}: the last presses {-deepest:.1f} mm into the foot, {rule - deepest:.1f} mm deeper "
                    f"than its rules ask ({rule:+.1f} mm)"
                )
        regions[name] = stats
    if toe_room < limits.min_toe_room_mm:
        warnings.append(
            f"toe room {toe_room:.1f} mm is under {limits.min_toe_room_mm:.1f} mm: the toes will hit the toe cap"
        )
    return FitReport(room, toe_room, regions, warnings, covered, target, rule_map if target is not None else None)


def _colour(room_mm: np.ndarray, span_mm: float = 6.0) -> list[str]:
    """Diverging colours: red where compressed, white at contact, blue where there is room."""
    return ramp_hex((np.asarray(room_mm, dtype=np.float64) / span_mm + 1.0) / 2.0, RED_WHITE_BLUE)


def heat_map_svg(
    foot_vertices: np.ndarray,
    foot_faces: np.ndarray,
    last_vertices: np.ndarray,
    last_faces: np.ndarray,
    report: FitReport,
    title: str,
    length_mm: float,
    limits: FitLimits = DEFAULT_FIT_LIMITS,
    max_faces: int = 12_000,
) -> str:
    """Top and side views of the foot coloured by room, the last's outline over them, and the region table; for a
    shaped last a second column coloured by the room's error against the rule map. The foot is simplified to about
    ``max_faces`` (vertex clustering) and drawn back to front."""
    import open3d as o3d  # imported when used: it costs a second to load

    from lasts.sheet import outline_by_slices

    if len(foot_faces) > max_faces:
        # Vertex clustering (a picture needs no quadric decimation's care, and is 50 times faster): the cell
        # side that leaves about max_faces faces, from the surface area.
        mesh = o3d.geometry.TriangleMesh(
            o3d.utility.Vector3dVector(foot_vertices), o3d.utility.Vector3iVector(foot_faces)
        )
        cell_mm = float(np.sqrt(2.0 * mesh.get_surface_area() / max_faces) * 1.1)
        simple = mesh.simplify_vertex_clustering(cell_mm)
        foot_vertices, foot_faces = np.asarray(simple.vertices), np.asarray(simple.triangles)
    room_mm = signed_room_mm(foot_vertices, last_vertices, last_faces)
    columns: list[tuple[str, np.ndarray]] = [("room", room_mm)]
    if report.rule_map is not None:
        target = report.rule_map.target_room_mm(foot_vertices, vertex_normals(foot_vertices, foot_faces))
        target[_not_foot(foot_vertices, foot_faces)] = np.nan
        columns.append(("error", room_mm - target))

    scale, margin = 2.0, 30.0
    lo = np.minimum(foot_vertices.min(axis=0), last_vertices.min(axis=0))
    hi = np.maximum(foot_vertices.max(axis=0), last_vertices.max(axis=0))
    view_w = (hi[0] - lo[0]) * scale
    top_h = (hi[1] - lo[1]) * scale
    side_h = (hi[2] - lo[2]) * scale
    width = margin * (2 + len(columns)) + view_w * len(columns) + 290
    height = margin * 5 + top_h + side_h
    side_top = margin * 3 + top_h
    centres = foot_vertices[foot_faces].mean(axis=1) / length_mm
    covered = centres[:, 2] <= np.where(
        centres[:, 0] < REGIONS["heel"][1], limits.heel_cover_height, limits.cover_height
    )
    tri = foot_vertices[foot_faces]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="sans-serif" font-size="12">',
        f'<rect width="{width:.0f}" height="{height:.0f}" fill="white"/>',
    ]
    for index, (kind, per_vertex) in enumerate(columns):
        left = margin + index * (view_w + margin)
        heading = "room" if kind == "room" else "room − the rule map's (error)"
        parts.append(f'<text x="{left:.0f}" y="{margin * 0.8:.0f}" font-size="15" font-weight="bold">'
                     f"{escape(title) if index == 0 else ''}{' — ' if index == 0 else ''}{heading}, top view</text>")
        parts.append(f'<text x="{left:.0f}" y="{side_top - margin * 0.4:.0f}" font-size="15" '
                     'font-weight="bold">side view</text>')  # fmt: skip
        parts += _coloured_views(tri, foot_faces, per_vertex, covered, last_vertices, outline_by_slices, left,
                                 margin, side_top, scale, lo, hi)  # fmt: skip
    table_x = margin * (1 + len(columns)) + view_w * len(columns)
    rows = [("toe room", f"{report.toe_room_mm:.1f} mm")]
    for name, stats in report.regions.items():
        rows.append((f"{name} mean / tightest", f"{stats['mean_room_mm']:+.1f} / {stats['min_room_mm']:+.1f} mm"))
        if "rule_room_mm" in stats:
            error = stats.get("error_p95_mm", 0.0)
            rows.append(("  rule / error p95", f"{stats['rule_room_mm']:+.1f} / {error:.1f} mm"))
    for i, (label, value) in enumerate(rows):
        y = margin * 1.5 + 20 * (i + 1)
        parts.append(f'<text x="{table_x:.0f}" y="{y:.0f}">{escape(label)}</text>')
        parts.append(f'<text x="{table_x + 170:.0f}" y="{y:.0f}">{escape(value)}</text>')
    legend_y = margin * 1.5 + 20 * (len(rows) + 2)
    strip = _colour(np.linspace(-6, 6, 13))
    parts.append(swatch_strip_svg(strip, table_x, legend_y, [(0, "-6 mm pressed"), (160, "+6 mm room")]))
    for i, warning in enumerate(report.warnings):
        parts.append(
            f'<text x="{table_x:.0f}" y="{legend_y + 50 + 16 * i:.0f}" fill="#b00" font-size="11">'
            f"{escape(warning)}</text>"
        )
    parts.append(
        f'<text x="{margin}" y="{height - margin * 0.6:.0f}" font-size="10">dashed: the last\'s outline; '
        "colour: room between foot and last (blue room, white contact, red pressed; grey above the shoe)"
        + ("; error: blue looser, red tighter than the rule map (grey: the style's toe decides)"
           if len(columns) > 1 else "")
        + "</text>"
    )  # fmt: skip
    parts.append("</svg>")
    return "\n".join(parts)


def _coloured_views(
    tri: np.ndarray, faces: np.ndarray, per_vertex: np.ndarray, covered: np.ndarray, last_vertices: np.ndarray,
    outline_by_slices: object, left: float, margin: float, side_top: float, scale: float, lo: np.ndarray,
    hi: np.ndarray,
) -> list[str]:  # fmt: skip
    """Top and side views of the foot's faces coloured by a per-vertex value (grey off the shoe or where it is
    NaN), and the last's outline dashed over them."""
    face_value = per_vertex[faces].mean(axis=1)
    shown = covered & np.isfinite(face_value)
    colours = [c if keep else "#d8d8d8" for c, keep in zip(_colour(np.nan_to_num(face_value)), shown, strict=True)]

    def to_top(p: np.ndarray) -> np.ndarray:
        return np.stack([left + (p[..., 0] - lo[0]) * scale, margin * 1.5 + (hi[1] - p[..., 1]) * scale], -1)

    def to_side(p: np.ndarray) -> np.ndarray:
        return np.stack([left + (p[..., 0] - lo[0]) * scale, side_top + (hi[2] - p[..., 2]) * scale], -1)

    parts = []
    for project, depth in ((to_top, tri[..., 2].mean(axis=1)), (to_side, -tri[..., 1].mean(axis=1))):
        order = np.argsort(depth)  # far first
        flat = project(tri[order])
        for pts, colour in zip(flat, (colours[i] for i in order), strict=True):
            d = " ".join(f"{a:.1f},{b:.1f}" for a, b in pts)
            parts.append(f'<polygon points="{d}" fill="{colour}" stroke="{colour}" stroke-width="0.3"/>')
    for project, axes in ((to_top, [0, 1]), (to_side, [0, 2])):
        outline = outline_by_slices(last_vertices[:, axes])  # type: ignore[operator]
        full = np.zeros((len(outline), 3))
        full[:, axes] = outline
        d = " ".join(f"{a:.1f},{b:.1f}" for a, b in project(full))
        parts.append(f'<polygon points="{d}" fill="none" stroke="#222" stroke-width="1.5" stroke-dasharray="5 3"/>')
    return parts
