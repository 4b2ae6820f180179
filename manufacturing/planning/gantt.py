"""A schedule as an SVG Gantt chart: one row per work centre, one bar per operation (coloured by pair, late
pairs outlined red), the time axis in working hours."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from xml.sax.saxutils import escape

from geometry.exchange.svg_colours import golden_hue
from manufacturing.planning.scheduling import Schedule

ROW_PX = 22
LABEL_PX = 130
WIDTH_PX = 1400
TOP_PX = 40


def gantt_svg(
    schedule: Schedule,
    centres: Sequence[str],
    due: Mapping[int, int] | None = None,
    title: str = "",
) -> str:
    """The SVG text. ``centres`` orders the rows; ``due`` (pair → due minute) marks late pairs' bars."""
    start = min((p.start for p in schedule.placements), default=0)
    end = max((p.end for p in schedule.placements), default=start + 60)
    span = max(1, end - start)
    scale = (WIDTH_PX - LABEL_PX - 20) / span
    finish = schedule.pair_finish()
    late = {pid for pid, at in finish.items() if due is not None and at > due.get(pid, at)}
    height = TOP_PX + ROW_PX * len(centres) + 30
    row = {c: k for k, c in enumerate(centres)}
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH_PX}" height="{height}" '
        f'viewBox="0 0 {WIDTH_PX} {height}" font-family="sans-serif" font-size="11">',
        f'<rect width="{WIDTH_PX}" height="{height}" fill="white"/>',
        f'<text x="8" y="16" font-size="13">{escape(title or schedule.method)} — weighted tardiness '
        f"{schedule.weighted_tardiness}, makespan {schedule.makespan} min, {len(late)} late pairs (red outline)</text>",
    ]
    step = 60 * max(1, round(span / 60 / 20))  # about 20 gridlines, on whole hours
    for minute in range(start - start % 60, end + 1, step):
        x = LABEL_PX + (minute - start) * scale
        if x < LABEL_PX:
            continue
        out.append(f'<line x1="{x:.1f}" y1="{TOP_PX - 6}" x2="{x:.1f}" y2="{height - 24}" stroke="#ddd"/>')
        out.append(f'<text x="{x:.1f}" y="{height - 10}" text-anchor="middle">{minute / 60:.0f} h</text>')
    for c, k in row.items():
        y = TOP_PX + k * ROW_PX
        out.append(f'<text x="8" y="{y + 15}">{escape(c)}</text>')
        out.append(f'<line x1="{LABEL_PX}" y1="{y + ROW_PX}" x2="{WIDTH_PX - 20}" y2="{y + ROW_PX}" stroke="#eee"/>')
    for p in schedule.placements:
        if p.centre not in row:
            continue
        x = LABEL_PX + (p.start - start) * scale
        w = max(0.8, (p.end - p.start) * scale)
        y = TOP_PX + row[p.centre] * ROW_PX + 3
        stroke = ' stroke="#d00" stroke-width="1.2"' if p.pair_id in late else ' stroke="#555" stroke-width="0.3"'
        out.append(
            f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{ROW_PX - 6}" fill="{golden_hue(p.pair_id)}"{stroke}>'
            f"<title>pair {p.pair_id} op {p.seq}: {p.start}–{p.end} min</title></rect>"
        )
    out.append("</svg>")
    return "\n".join(out) + "\n"
