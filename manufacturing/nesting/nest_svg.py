"""SVG drawings of nesting layouts, for looking at them (mm in, SVG user units = mm)."""

from __future__ import annotations

from xml.sax.saxutils import escape

from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from geometry.exchange.svg_colours import LAYOUT_COLOURS, TAB10, cycled
from manufacturing.nesting.model import HideLayout, StripLayout

# Hide zones by grade, dark = worse (0 is a defect); a grade not listed here is olive.
_GRADE_FILL = {0: "#222222", 1: TAB10["red"], 2: TAB10["orange"], 3: "#ffd700"}


def _path(geometry: BaseGeometry) -> str:
    polygons = geometry.geoms if isinstance(geometry, MultiPolygon) else [geometry]
    out = []
    for polygon in polygons:
        if not isinstance(polygon, Polygon):
            continue
        for ring in (polygon.exterior, *polygon.interiors):
            points = " L".join(f"{x:.3f},{y:.3f}" for x, y in ring.coords)
            out.append(f"M{points} Z")
    return " ".join(out)


def _svg(width: float, height: float, body: list[str], title: str) -> str:
    pad = 0.02 * max(width, height)
    # y up in the layout, y down in SVG: flip the whole drawing.
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{-pad:.3f} {-pad:.3f} {width + 2 * pad:.3f} '
        f'{height + 2 * pad:.3f}" width="1200" height="{1200 * (height + 2 * pad) / (width + 2 * pad):.0f}">\n'
        f"<title>{escape(title)}</title>\n"
        f'<g transform="translate(0,{height:.3f}) scale(1,-1)" fill-rule="evenodd">\n'
        + "\n".join(body)
        + "\n</g>\n</svg>\n"
    )


def strip_layout_svg(layout: StripLayout) -> str:
    """The strip (grey) and every placed item, coloured by item id."""
    height, length = layout.instance.strip_height_mm, layout.length_mm
    stroke = 0.002 * max(height, length)
    ids = sorted({item.id for item in layout.instance.items})
    body = [
        f'<rect x="0" y="0" width="{length:.3f}" height="{height:.3f}" fill="#dddddd" stroke="black" '
        f'stroke-width="{stroke:.4f}"/>'
    ]
    for placement, shape in zip(layout.placements, layout.polygons(), strict=True):
        colour = cycled(LAYOUT_COLOURS, ids.index(placement.item_id))
        body.append(
            f'<path d="{_path(shape)}" fill="{colour}" fill-opacity="0.8" stroke="black" '
            f'stroke-width="{stroke:.4f}"><title>{escape(placement.item_id)}</title></path>'
        )
    title = f"{layout.instance.name}: length {length:.3f}, density {layout.density:.2%}"
    return _svg(length, height, body, title)


def hide_layout_svg(layout: HideLayout, hide_id: str) -> str:
    """One hide: outline (tan), holes (white), graded zones (dark = worse), and the pieces on it."""
    hide = layout.instance.hide(hide_id)
    minx, miny, maxx, maxy = hide.outline.bounds
    stroke = 0.0015 * max(maxx - minx, maxy - miny)
    ids = sorted(p.id for p in layout.instance.pieces)
    body = [
        f'<g transform="translate({-minx:.3f},{-miny:.3f})">',
        f'<path d="{_path(hide.outline)}" fill="#e8d2a6" stroke="black" stroke-width="{stroke:.3f}"/>',
    ]
    for zone in sorted(hide.zones, key=lambda z: -z.quality):
        colour = _GRADE_FILL.get(zone.quality, TAB10["olive"])
        body.append(
            f'<path d="{_path(zone.polygon)}" fill="{colour}" fill-opacity="0.45" stroke="none">'
            f"<title>grade {zone.quality}</title></path>"
        )
    for placement in layout.placements:
        if placement.hide_id != hide_id:
            continue
        colour = cycled(LAYOUT_COLOURS, ids.index(placement.piece_id))
        body.append(
            f'<path d="{_path(layout.polygon(placement))}" fill="{colour}" fill-opacity="0.75" '
            f'stroke="black" stroke-width="{stroke:.3f}"><title>{escape(placement.piece_id)}</title></path>'
        )
    body.append("</g>")
    on_hide = sum(layout.instance.piece(p.piece_id).area_mm2 for p in layout.placements if p.hide_id == hide_id)
    title = f"{layout.instance.name} {hide_id}: {on_hide / hide.usable_area_mm2:.2%} of the usable hide"
    return _svg(maxx - minx, maxy - miny, body, title)
