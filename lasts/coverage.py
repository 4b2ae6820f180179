"""How much of the foot a scan holds: where it is cut, whether its sole was flattened on the scanner's glass,
and the holes it has near the landmarks. Read by whoever completes or judges the measurements
(``lasts.completion``, ``lasts.plausibility``) and written into the measurement record.

Real scanners deliver feet cut flat 60-120 mm above the floor (a cap, or an open rim), soles pressed flat on
a glass plate, and holes where the scanner did not see (between the toes, at the toe tips, under the arch).
None of this is an error: the record says it, and the measurements it touches are flagged.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np

from geometry.meshes import face_normals, triangle_areas
from lasts.surface import FootSurface, boundary_loops


class ScanTop(StrEnum):
    """How the scan ends at the top."""

    CAP = "cap"  # closed by a cap (flat or not) where it was cut
    OPEN_RIM = "open_rim"  # open: the surface stops at a rim
    LEG_CUT = "leg_cut"  # the scan reached up the leg; ingest cut it above the ankle


class FootEnd(StrEnum):
    """Where on the foot a hole of the scan lies."""

    TOE = "toe"  # the front 15 % of the foot length
    HEEL = "heel"  # the rear 15 %, below a quarter of the length (the pternion's region)
    SOLE = "sole"  # the underside elsewhere (below 0.05 L)
    UPPER = "upper"  # anywhere else


@dataclass(frozen=True)
class ScanHole:
    """An opening of the scan's surface that ingest did not fill (its rim longer than the filling limit):
    its rim's centre (mm, measuring frame), the rim's length (mm) and where on the foot it is."""

    centre_mm: tuple[float, float, float]
    rim_length_mm: float
    where: FootEnd
    # How far the rim reaches towards its end (x, mm): its front at the toe, its back at the heel.
    reach_x_mm: float = float("nan")
    # Closed by ingest's hole filling (a flat patch: a toe tip or heel lost in it is not restored), or bridged
    # by a point cloud's reconstructed surface; else left open.
    filled: bool = False
    bridged: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"centre_mm": [round(c, 1) for c in self.centre_mm], "rim_length_mm": round(self.rim_length_mm, 1),
                "where": self.where.value, "filled": self.filled, "bridged": self.bridged}  # fmt: skip


@dataclass(frozen=True)
class ScanCoverage:
    """What of the foot the scan holds (mm, measuring frame).

    - ``cut_height_mm``: height up to which horizontal sections are whole (below the scan's cap or rim, or
      ingest's own cut of the leg); ``top``: how the scan ends there.
    - ``flattened_sole``: the sole rests on a plane over ``flattened_sole_area_mm2`` (faces within 3 mm of
      the floor, facing down within 15 degrees: a smoothed noisy scan still shows it): pressed on glass.
    - ``holes``: the scan's openings (filled by ingest when small); ``hole_near_toe`` / ``hole_near_heel``: one
      at an end, where the toe tip or the pternion may be lost (the foot would measure short).
    - ``not_reached``: measurements the scan does not reach (None in the record, before any estimate);
      ``unreliable``: measured, but on a part of the scan that is missing or deformed (a hole at the end the
      length is taken from; the arch of a flattened sole), with ``notes`` saying why in plain words.
    """

    cut_height_mm: float
    top: ScanTop
    flattened_sole: bool = False
    flattened_sole_area_mm2: float = 0.0
    holes: tuple[ScanHole, ...] = ()
    not_reached: tuple[str, ...] = ()
    unreliable: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def hole_near_toe(self) -> bool:
        return any(hole.where is FootEnd.TOE for hole in self.holes)

    @property
    def hole_near_heel(self) -> bool:
        return any(hole.where is FootEnd.HEEL for hole in self.holes)

    @property
    def partial(self) -> bool:
        """Part of the foot the measurements need is missing: a girth not reached (the ankle girth aside:
        most scans stop below it), or a hole at an end."""
        return any(key != "ankle_girth_mm" for key in self.not_reached) or bool(self.unreliable)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["top"] = self.top.value
        data["cut_height_mm"] = round(self.cut_height_mm, 1)
        data["flattened_sole_area_mm2"] = round(self.flattened_sole_area_mm2)
        data["holes"] = [hole.to_dict() for hole in self.holes]
        data.update(hole_near_toe=self.hole_near_toe, hole_near_heel=self.hole_near_heel, partial=self.partial)
        for key in ("not_reached", "unreliable", "notes"):
            data[key] = list(data[key])
        return data


# A sole flattened on glass rests on the floor over at least this share of L² (about 3,800 mm² on a 275 mm
# foot; dupontgu's scan: 16,500 mm², 5,300 with 1 mm noise smoothed; the FIND foot standing free: 1,600).
_FLATTENED_SOLE_SHARE = 0.05
_FLAT_WITHIN_MM = 3.0
_FLAT_WITHIN_DEG = 15.0


def flattened_sole_area_mm2(surface: FootSurface) -> float:
    """Area (mm²) of the sole lying flat on the floor: faces within 3 mm of it, facing down within 15 degrees."""
    v, f = surface.vertices, surface.faces
    down = face_normals(v, f)[:, 2] <= -np.cos(np.radians(_FLAT_WITHIN_DEG))
    on_floor = v[f][:, :, 2].max(axis=1) <= float(v[:, 2].min()) + _FLAT_WITHIN_MM
    return float(triangle_areas(v, f)[down & on_floor].sum())


def is_flattened(area_mm2: float, foot_length_mm: float) -> bool:
    return area_mm2 >= _FLATTENED_SOLE_SHARE * foot_length_mm**2


def scan_openings(framed_vertices: np.ndarray, faces: np.ndarray) -> list[np.ndarray]:
    """The rims (each (k, 3), mm, measuring frame) of a mesh's openings, taken before its small holes are
    filled: a filled hole at the toe tip still lost the tip."""
    return [framed_vertices[loop] for loop in boundary_loops(faces)]


def scan_holes(
    openings: list[np.ndarray], surface: FootSurface, foot_length_mm: float, top_mm: float
) -> tuple[ScanHole, ...]:
    """The scan's openings (``scan_openings``) other than its top rim (a rim all within 5 mm under the top is
    where it was cut; one above it went with the leg), each placed on the foot by its rim, and said filled when
    the surface measured no longer has it open."""
    v = surface.vertices
    length = foot_length_mm
    x_min, x_max = float(v[:, 0].min()), float(v[:, 0].max())
    still_open = [v[loop].mean(axis=0) for loop in surface.boundary_loops]
    holes = []
    for rim in openings:
        if float(rim[:, 2].min()) >= top_mm - 5.0:
            continue  # the cut at the top, or above it
        rim_length = float(np.linalg.norm(np.diff(np.vstack([rim, rim[:1]]), axis=0), axis=1).sum())
        centre = rim.mean(axis=0)
        reach = float(centre[0])
        if float(rim[:, 0].max()) >= x_max - 0.15 * length:
            where, reach = FootEnd.TOE, float(rim[:, 0].max())
        elif float(rim[:, 0].min()) <= x_min + 0.15 * length and float(rim[:, 2].min()) < 0.25 * length:
            where, reach = FootEnd.HEEL, float(rim[:, 0].min())
        elif float(centre[2]) < 0.05 * length:
            where = FootEnd.SOLE
        else:
            where = FootEnd.UPPER
        filled = not any(float(np.linalg.norm(centre - other)) < 1.0 for other in still_open)
        holes.append(ScanHole((float(centre[0]), float(centre[1]), float(centre[2])), rim_length, where, reach,
                              filled=filled))  # fmt: skip
    return tuple(holes)
