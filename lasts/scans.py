"""Foot scans: what an uploaded scan file is (format, counts, extent), before any clean-up."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from typing import Any

from geometry.exchange.meshes import read_mesh


@dataclass(frozen=True)
class ScanSummary:
    """Facts about a scan file, in the file's own units (not yet converted to mm).

    bbox_min, bbox_max : (3,) corners of the axis-aligned bounding box
    """

    filename: str
    format: str
    kind: str  # "mesh" or "point_cloud"
    size_bytes: int
    sha256: str
    vertex_count: int
    face_count: int
    bbox_min: tuple[float, float, float]
    bbox_max: tuple[float, float, float]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def describe_scan(data: bytes, filename: str) -> ScanSummary:
    """Read a scan file and summarise it; raises ``InputError`` subclasses for unreadable files."""
    mesh = read_mesh(data, filename)
    lower = mesh.vertices.min(axis=0)
    upper = mesh.vertices.max(axis=0)
    return ScanSummary(
        filename=filename,
        format=mesh.format,
        kind="point_cloud" if mesh.is_point_cloud else "mesh",
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        vertex_count=len(mesh.vertices),
        face_count=len(mesh.faces),
        bbox_min=(float(lower[0]), float(lower[1]), float(lower[2])),
        bbox_max=(float(upper[0]), float(upper[1]), float(upper[2])),
    )
