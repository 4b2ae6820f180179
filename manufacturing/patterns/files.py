"""The files of a pair's patterns, by file name: what the pattern-maker page offers and the cutters pull.

Per foot: the ASTM/AAMA DXF of the pieces (``geometry.exchange.astm_dxf``), a cutter DXF and an HPGL
``.plt`` of the pieces laid out in rows (``geometry.exchange.cutter``; the real nest comes from nesting),
an SVG preview, a tiled A4 PDF at 1:1, and one strain heat map per piece. For the pair: ``patterns.json``,
the strain and seam report of both shoes.
"""

from __future__ import annotations

import json
from typing import Any

from configurator.pattern_making import PairFlattening, StyleFlattening, pattern_set
from geometry.exchange.astm_dxf import write_astm_dxf
from geometry.exchange.cutter import cutter_paths, shelf_layout, write_cutter_dxf, write_hpgl
from geometry.exchange.pattern_pdf import pattern_pdf
from geometry.exchange.pattern_svg import pattern_svg
from geometry.flattening import face_area_change_pct, strain_heat_map_svg

PREVIEW_WIDTH_MM = 700.0  # rows of pieces in the previews and cutter files: a cutting table's width


def shoe_files(flat: StyleFlattening, size: str, stem: str) -> dict[str, bytes]:
    """One shoe's files (``stem`` names them, e.g. ``derby-41-left``)."""
    patterns = pattern_set(flat, size)
    laid_out = shelf_layout(patterns.pieces, PREVIEW_WIDTH_MM)
    paths = cutter_paths(laid_out)
    files = {
        f"{stem}.dxf": write_astm_dxf(patterns),
        f"{stem}.cutter.dxf": write_cutter_dxf(paths),
        f"{stem}.plt": write_hpgl(paths),
        f"{stem}.svg": pattern_svg(laid_out, f"{flat.style.title}, size {size}, {flat.side}").encode(),
        f"{stem}.pdf": pattern_pdf(laid_out, f"{flat.style.title} size {size} {flat.side}"),
    }
    for piece in flat.pieces:
        change = face_area_change_pct(piece.patch.vertices, piece.patch.faces, piece.uv_mm)
        svg = strain_heat_map_svg(
            piece.uv_mm, piece.patch.faces, change, f"{piece.spec.name} ({flat.side}): area change",
            boundary_loop=piece.patch.boundary,
        )  # fmt: skip
        files[f"{stem}.strain.{piece.spec.name}.svg"] = svg.encode()
    return files


def pair_files(pair: PairFlattening, size: str, stem: str) -> dict[str, bytes]:
    """Both shoes' files and ``<stem>.patterns.json`` (report of both; file list)."""
    files: dict[str, bytes] = {}
    for flat in (pair.left, pair.right):
        files |= shoe_files(flat, size, f"{stem}-{flat.side}")
    report: dict[str, Any] = {
        "style": pair.right.style.name,
        "size": size,
        "mirrored": pair.mirrored,
        "seconds": round(pair.seconds, 3),
        "left": pair.left.report(),
        "right": pair.right.report(),
        "files": sorted([*files, f"{stem}.patterns.json"]),
    }
    files[f"{stem}.patterns.json"] = (json.dumps(report, indent=2) + "\n").encode()
    return files
