"""The bill of materials of one pair, from the design and its flattened pieces (pure: no I/O).

Every line says how it was computed, with its numbers (``BomLine.how``). The rules and their defaults
(``BomRules``) are documented with their sources in ``docs/bom.md``:

- **upper leather and textiles**, per material: the cut areas of both shoes' pieces (allowances included)
  ÷ nesting utilisation (the actual nest's when one is given, else the material's catalogue default)
  ÷ SATRA hide-grade yield (hides only);
- **linings**, derived from the outer pieces until the styles carry lining pieces: per lining part (vamp,
  quarter, tongue) the outer pieces' net area + their lasting edge × the lining's lasting margin, then as
  above;
- **reinforcements**: toe puff and heel counter sheets from the last's toe box and heel areas;
- **bottom units** by size (outsole, midsole, insole, insole board);
- **thread**: seam lengths × stitch rows (+ topline) × the stitch type's thread-per-seam ratio + waste;
- **eyelets** counted on the patterns, **laces** from the eyelet rows (criss-cross length + bow);
- **adhesives** from the lasting-margin area; **packaging**.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from configurator.options import DesignOptions, style_piece_keys
from configurator.pattern_making import FlatPiece, PairFlattening, StyleFlattening
from configurator.upper import BOTTOM, DART
from geometry.allowances import AllowanceWidths
from geometry.errors import InputError
from manufacturing.materials.catalogue import MM2_PER_UNIT, Catalogue, Material, default_catalogue

# Materials a piece falls back to when the design names none for it (nor for its material slot).
DEFAULT_SLOT_MATERIALS: Mapping[str, str] = {
    "upper": "full-grain-cowhide-b",
    "overlay": "full-grain-cowhide-b",
    "tongue": "full-grain-cowhide-c",
    "elastic": "elastic-goring",
}
# Per style: (outsole, midsole, lining, lace, box) when the design names none.
STYLE_DEFAULTS: Mapping[str, Mapping[str, str]] = {
    "oxford": {"outsole": "outsole-rubber-dress", "midsole": "midsole-pu", "lining": "lining-cowhide-b",
               "lace": "lace-waxed-cotton", "box": "box-shoe-kraft"},
    "derby": {"outsole": "outsole-rubber-dress", "midsole": "midsole-pu", "lining": "lining-cowhide-b",
              "lace": "lace-waxed-cotton", "box": "box-shoe-kraft"},
    "penny_loafer": {"outsole": "outsole-rubber-dress", "midsole": "midsole-eva", "lining": "lining-cowhide-b",
                     "lace": "lace-waxed-cotton", "box": "box-shoe-kraft"},
    "low_top_sneaker": {"outsole": "outsole-rubber-cupsole", "midsole": "midsole-eva",
                        "lining": "lining-textile-polyester", "lace": "lace-flat-polyester", "box": "box-shoe-kraft"},
    "chelsea_boot": {"outsole": "outsole-rubber-dress", "midsole": "midsole-pu", "lining": "lining-cowhide-b",
                     "lace": "lace-waxed-cotton", "box": "box-boot-kraft"},
}  # fmt: skip
# Lining parts: the outer piece kinds each lines (gussets are elastic and unlined).
LINING_PARTS: Mapping[str, frozenset[str]] = {
    "vamp lining": frozenset({"vamp", "toe_cap", "saddle"}),
    "quarter lining": frozenset({"quarter", "counter", "facing", "collar"}),
    "tongue lining": frozenset({"tongue"}),
}
PIECE_CATEGORIES = frozenset({"upper_leather", "textile"})
LINING_CATEGORIES = frozenset({"lining_leather", "textile", "upper_leather"})


@dataclass(frozen=True)
class BomRules:
    """The consumption rules' parameters (mm, fractions, g/m²); docs/bom.md gives each one's source."""

    lasting_mm: float = AllowanceWidths().lasting_mm  # the upper's lasting allowance (pattern default)
    lining_lasting_mm: float = 15.0  # the lining is lasted a little short of the upper
    toe_puff_from_s: float = 0.80  # the toe box: the upper ahead of this style coordinate
    counter_to_s: float = 0.20  # the heel counter: the upper behind it...
    counter_height_mm: float = 55.0  # ...and at most this high above the heel's feather line
    reinforcement_lasting_share: float = 0.15  # toe puff and counter are lasted under: +15 % area
    stitch_rows: Mapping[str, int] = field(default_factory=lambda: {"lapped": 2, "closed": 1, "topline": 1, "dart": 1})
    machine_thread_per_seam: float = 3.0  # lockstitch 301 on 2–3 mm leather plies: thread = 3 × seam
    hand_thread_per_seam: float = 4.0  # saddle stitch, two needles through 3–4 mm
    machine_thread_waste: float = 0.15
    hand_thread_waste: float = 0.25
    laced_gap_mm: float = 8.0  # between the two facings when laced
    lace_end_mm: float = 210.0  # per end, for the bow
    lasting_cement_g_m2: float = 150.0  # per coat, wet
    sole_adhesive_g_m2: float = 180.0  # per coat, wet
    adhesive_surfaces: int = 2  # upper margin and insole (lasting); roughed margin and sole (soling)
    adhesive_waste: float = 0.10
    tissue_sheets: int = 2


@dataclass(frozen=True)
class BomLine:
    """One line of the bill of materials, per pair. ``basis`` holds the figures ``how`` quotes."""

    group: str  # upper, lining, reinforcement, bottom, closing, lacing, adhesive, packaging
    item: str
    material_id: str
    quantity: float
    unit: str
    unit_cost_eur: float
    how: str
    pieces: tuple[str, ...] = ()
    basis: Mapping[str, Any] = field(default_factory=dict)

    @property
    def cost_eur(self) -> float:
        return self.quantity * self.unit_cost_eur

    def to_dict(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "item": self.item,
            "material_id": self.material_id,
            "quantity": round(self.quantity, 6),
            "unit": self.unit,
            "unit_cost_eur": self.unit_cost_eur,
            "cost_eur": round(self.cost_eur, 4),
            "how": self.how,
            **({"pieces": list(self.pieces)} if self.pieces else {}),
            **({"basis": dict(self.basis)} if self.basis else {}),
        }


@dataclass(frozen=True)
class Bom:
    """The bill of materials of one pair (``pairs`` identical pairs in the order)."""

    style: str
    size_eu: float
    pairs: int
    lines: tuple[BomLine, ...]
    figures: Mapping[str, float]  # counts and lengths the labour model reads (see ``standard_operations``)
    currency: str = "EUR"

    @property
    def materials_eur(self) -> float:
        return sum(line.cost_eur for line in self.lines)

    def lines_of(self, group: str) -> list[BomLine]:
        return [line for line in self.lines if line.group == group]

    def to_dict(self) -> dict[str, Any]:
        return {
            "style": self.style,
            "size_eu": self.size_eu,
            "pairs": self.pairs,
            "currency": self.currency,
            "lines": [line.to_dict() for line in self.lines],
            "figures": {k: round(v, 3) for k, v in self.figures.items()},
            "materials_eur_per_pair": round(self.materials_eur, 2),
            "materials_eur_order": round(self.materials_eur * self.pairs, 2),
        }


def _fmt(value: float, digits: int = 0) -> str:
    return f"{value:,.{digits}f}".replace(",", " ")


def _pct(value: float) -> str:
    return f"{100 * value:.1f} %"


def base_piece_name(name: str, style_names: Iterable[str]) -> str:
    """The style's piece a flattened piece comes from: ``vamp_medial`` → ``vamp`` when the pattern maker
    split ``vamp`` at the centre line (``quarter_medial`` stays itself: it is a piece of the style)."""
    names = set(style_names)
    while name not in names:
        for suffix in ("_medial", "_lateral"):
            if name.endswith(suffix):
                name = name.removesuffix(suffix)
                break
        else:
            return name
    return name


def piece_material_id(piece: FlatPiece, options: DesignOptions, style_names: Iterable[str]) -> tuple[str, str]:
    """(material id, where the choice came from) for a flattened piece: its own choice, its style piece's
    (split halves share it), its material slot's, else the slot default."""
    for key in dict.fromkeys((piece.spec.name, base_piece_name(piece.spec.name, style_names))):
        if key in options.pieces:
            return options.pieces[key].material, f"design: {key}"
    slot = piece.spec.material_slot
    if slot in options.pieces:
        return options.pieces[slot].material, f"design: slot {slot}"
    if slot not in DEFAULT_SLOT_MATERIALS:
        raise InputError(f"piece {piece.spec.name}: no material chosen and no default for slot {slot!r}")
    return DEFAULT_SLOT_MATERIALS[slot], f"default for slot {slot}"


def _checked(material: Material, categories: frozenset[str], what: str) -> Material:
    if material.category not in categories:
        raise InputError(
            f"{what}: material {material.id!r} is {material.category}, not one of {', '.join(sorted(categories))}",
            material=material.id,
        )
    return material


def _segment_lengths(piece: FlatPiece) -> tuple[np.ndarray, np.ndarray]:
    """(lengths mm, labels) of the piece's net outline segments, on the flat piece."""
    loop = piece.uv_mm[piece.patch.boundary]
    lengths = np.linalg.norm(np.roll(loop, -1, axis=0) - loop, axis=1)
    return lengths, np.asarray(piece.patch.segment_labels)


def _bottom_mm(piece: FlatPiece) -> float:
    lengths, labels = _segment_lengths(piece)
    return float(lengths[labels == BOTTOM].sum()) * piece.spec.quantity


def _area_line(
    group: str,
    item: str,
    material: Material,
    area_mm2: float,
    area_words: str,
    pieces: tuple[str, ...],
    catalogue: Catalogue,
    utilisation: Mapping[str, float],
) -> BomLine:
    """A hide or roll material's line: area ÷ nesting utilisation ÷ hide yield, in the material's unit."""
    if material.id in utilisation:
        used = float(utilisation[material.id])
        if not 0.0 < used <= 1.0:
            raise InputError(f"nest utilisation of {material.id} must be in (0, 1], got {used}")
        used_words = f"nesting utilisation {_pct(used)} (from the actual nest)"
        source = "nest"
    else:
        assert material.nesting_utilisation is not None
        used = material.nesting_utilisation
        used_words = f"nesting utilisation {_pct(used)} (catalogue default for this material; no nest given)"
        source = "default"
    hide_yield = catalogue.hide_yield(material)
    per_unit = MM2_PER_UNIT[material.unit]
    quantity = area_mm2 / used / hide_yield / per_unit
    yield_words = f" ÷ hide yield {_pct(hide_yield)} (grade {material.hide_grade}, SATRA)" if material.is_hide else ""
    how = (
        f"{area_words} = {area_mm2 / per_unit:.4f} {material.unit_label} ÷ {used_words}{yield_words} "
        f"= {quantity:.4f} {material.unit_label}"
    )
    basis = {"area_mm2": round(area_mm2, 1), "utilisation": used, "utilisation_source": source,
             "hide_yield": hide_yield}  # fmt: skip
    return BomLine(group, item, material.id, quantity, material.unit, material.unit_cost_eur, how, pieces, basis)


def _shoes(pair: PairFlattening) -> tuple[StyleFlattening, StyleFlattening]:
    return pair.left, pair.right


def _upper_lines(
    pair: PairFlattening, options: DesignOptions, catalogue: Catalogue, utilisation: Mapping[str, float]
) -> list[BomLine]:
    style_names, _ = style_piece_keys(options.style)  # the style's own pieces, before any split
    by_material: dict[str, list[tuple[str, float, str]]] = {}
    for shoe in _shoes(pair):
        for piece in shoe.pieces:
            material_id, source = piece_material_id(piece, options, style_names)
            area = float(piece.pattern.area_mm2) * piece.spec.quantity
            by_material.setdefault(material_id, []).append((f"{shoe.side} {piece.spec.name}", area, source))
    lines = []
    for material_id, pieces in by_material.items():
        material = _checked(catalogue.get(material_id), PIECE_CATEGORIES, f"piece {pieces[0][0]}")
        total = sum(area for _, area, _ in pieces)
        sources = sorted({source for _, _, source in pieces})
        words = (
            f"cut areas (allowances included) of {len(pieces)} pieces of both shoes "
            f"({', '.join(f'{name} {_fmt(area)} mm²' for name, area, _ in pieces)}; {'; '.join(sources)})"
        )
        item = "upper leather" if material.category == "upper_leather" else "upper textile"
        lines.append(_area_line("upper", f"{item}: {material.name}", material, total, words,
                                tuple(name for name, _, _ in pieces), catalogue, utilisation))  # fmt: skip
    return lines


def _choice(options: DesignOptions, key: str, style: str) -> tuple[str, str]:
    if key in options.pieces:
        return options.pieces[key].material, "design"
    return STYLE_DEFAULTS[style][key], "style default"


def _lining_lines(
    pair: PairFlattening, options: DesignOptions, catalogue: Catalogue, rules: BomRules,
    utilisation: Mapping[str, float],
) -> list[BomLine]:  # fmt: skip
    style = pair.right.style.name
    material_id, source = _choice(options, "lining", style)
    material = _checked(catalogue.get(material_id), LINING_CATEGORIES, "lining")
    lines = []
    for part, kinds in LINING_PARTS.items():
        pieces = [(shoe.side, p) for shoe in _shoes(pair) for p in shoe.pieces if p.spec.kind in kinds]
        if not pieces:
            continue
        net = sum(float(p.strain.area_2d_mm2) * p.spec.quantity for _, p in pieces)
        bottom = sum(_bottom_mm(p) for _, p in pieces)
        margin = bottom * rules.lining_lasting_mm
        names = tuple(f"{side} {p.spec.name}" for side, p in pieces)
        words = (
            f"derived from the outer pieces (no lining pieces in the style yet): net area of "
            f"{', '.join(names)} {_fmt(net)} mm² + lasting edge {_fmt(bottom)} mm × lining lasting margin "
            f"{rules.lining_lasting_mm:g} mm ({_fmt(margin)} mm²); lining material {source}"
        )
        lines.append(_area_line("lining", f"{part}: {material.name}", material, net + margin, words, names, catalogue,
                                utilisation))  # fmt: skip
    return lines


def _face_areas(piece: FlatPiece) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(area mm², mean s, mean z mm) per face of the piece's 3D patch."""
    v, f = piece.patch.vertices, piece.patch.faces
    area = 0.5 * np.linalg.norm(np.cross(v[f[:, 1]] - v[f[:, 0]], v[f[:, 2]] - v[f[:, 0]]), axis=1)
    return area, piece.patch.sg[f][:, :, 0].mean(axis=1), v[f][:, :, 2].mean(axis=1)


def _reinforcement_lines(pair: PairFlattening, catalogue: Catalogue, rules: BomRules,
                         utilisation: Mapping[str, float]) -> list[BomLine]:  # fmt: skip
    toe = heel = 0.0
    for shoe in _shoes(pair):
        faces = [_face_areas(p) for p in shoe.pieces]
        heel_z = [z[s <= rules.counter_to_s] for _, s, z in faces]
        floor = min((float(z.min()) for z in heel_z if len(z)), default=0.0)
        for area, s, z in faces:
            toe += float(area[s >= rules.toe_puff_from_s].sum())
            heel += float(area[(s <= rules.counter_to_s) & (z - floor <= rules.counter_height_mm)].sum())
    share = 1.0 + rules.reinforcement_lasting_share
    lines = []
    for item, material_id, area_mm2, where in (
        ("toe puff", "toe-puff-thermoplastic", toe, f"the upper ahead of s = {rules.toe_puff_from_s:g} (toe box)"),
        ("heel counter", "counter-tpu", heel,
         f"the upper behind s = {rules.counter_to_s:g} up to {rules.counter_height_mm:g} mm above the heel's lowest "
         "point"),
    ):  # fmt: skip
        material = catalogue.get(material_id)
        words = (f"3D area of {where}, both shoes, {_fmt(area_mm2)} mm² × {share:.2f} (lasted under: "
                 f"+{_pct(rules.reinforcement_lasting_share)})")  # fmt: skip
        lines.append(_area_line("reinforcement", f"{item}: {material.name}", material, area_mm2 * share, words, (),
                                catalogue, utilisation))  # fmt: skip
    return lines


def _sized(material: Material, size_eu: float, what: str) -> Material:
    if material.sizes_eu is not None and not material.sizes_eu[0] <= size_eu <= material.sizes_eu[1]:
        lo, hi = material.sizes_eu
        raise InputError(f"{what} {material.id} is stocked in EU {lo:g}–{hi:g}, not EU {size_eu:g}")
    return material


def _bottom_lines(options: DesignOptions, style: str, size_eu: float, catalogue: Catalogue) -> list[BomLine]:
    lines = []
    parts: list[tuple[str, str, str, frozenset[str]]] = []
    for key in ("outsole", "midsole"):
        material_id, source = _choice(options, key, style)
        parts.append((key, material_id, source, frozenset({key})))
    insole = "insole-memory-foam" if options.memory_foam else "insole-eva-footbed"
    parts.append(("insole", insole, "memory foam chosen" if options.memory_foam else "standard footbed",
                  frozenset({"insole"})))  # fmt: skip
    parts.append(("insole board", "insole-board-cellulose", "every lasted shoe", frozenset({"insole"})))
    for item, material_id, source, categories in parts:
        material = _sized(_checked(catalogue.get(material_id), categories, item), size_eu, item)
        stocked = f" (stocked EU {material.sizes_eu[0]:g}–{material.sizes_eu[1]:g})" if material.sizes_eu else ""
        how = f"1 pair of size EU {size_eu:g}{stocked}; {source}"
        lines.append(BomLine("bottom", f"{item} EU {size_eu:g}: {material.name}", material.id, 1.0, material.unit,
                             material.unit_cost_eur, how, basis={"size_eu": size_eu}))  # fmt: skip
    return lines


@dataclass(frozen=True)
class _Seams:
    lapped_mm: float
    closed_mm: float
    dart_mm: float
    topline_mm: float


def _seams(shoe: StyleFlattening) -> _Seams:
    """Seam lengths on the last (3D), each mating seam once, and the visible edges (topline)."""
    style = shoe.style
    lapped = closed = dart = topline = 0.0
    for piece in shoe.pieces:
        for seam in piece.seams:
            if piece.spec.name > seam.neighbour:
                continue  # its mate counts it
            lap = style.lap(piece.spec.name, seam.neighbour)
            if lap is not None and lap.closed:
                closed += seam.length_3d_mm
            else:
                lapped += seam.length_3d_mm
        lengths, labels = _segment_lengths(piece)
        dart += float(lengths[labels == DART].sum()) / 2.0  # two legs make one seam
        edge = (labels != BOTTOM) & (labels != DART) & ~np.char.startswith(labels.astype(str), "seam:")
        topline += float(lengths[edge].sum())
    return _Seams(lapped, closed, dart, topline)


def _thread_lines(pair: PairFlattening, options: DesignOptions, catalogue: Catalogue, rules: BomRules,
                  figures: dict[str, float]) -> list[BomLine]:  # fmt: skip
    seams = [_seams(shoe) for shoe in _shoes(pair)]
    rows = rules.stitch_rows
    lapped = sum(s.lapped_mm for s in seams)
    closed = sum(s.closed_mm for s in seams)
    dart = sum(s.dart_mm for s in seams)
    topline = sum(s.topline_mm for s in seams)
    machine_rows_mm = closed * rows["closed"] + dart * rows["dart"] + topline * rows["topline"]
    hand_rows_mm = lapped * rows["lapped"] if options.hand_stitching else 0.0
    if not options.hand_stitching:
        machine_rows_mm += lapped * rows["lapped"]
    figures.update(lapped_seam_mm=lapped, closed_seam_mm=closed, topline_mm=topline,
                   machine_stitch_mm=machine_rows_mm, hand_stitch_mm=hand_rows_mm)  # fmt: skip
    lines = []
    machine = catalogue.get("thread-bonded-nylon")
    length_m = machine_rows_mm / 1000.0 * rules.machine_thread_per_seam * (1.0 + rules.machine_thread_waste)
    lapped_words = "" if options.hand_stitching else f"lapped seams {_fmt(lapped)} mm × {rows['lapped']} rows + "
    how = (
        f"both shoes: {lapped_words}closed seams {_fmt(closed)} mm × {rows['closed']} + darts {_fmt(dart)} mm × "
        f"{rows['dart']} + topline {_fmt(topline)} mm × {rows['topline']} = {machine_rows_mm / 1000:.2f} m of "
        f"stitching × {rules.machine_thread_per_seam:g} (lockstitch thread per seam length) × "
        f"(1 + {_pct(rules.machine_thread_waste)} waste) = {length_m:.1f} m"
    )
    lines.append(BomLine("closing", f"closing thread: {machine.name}", machine.id, length_m, machine.unit,
                         machine.unit_cost_eur, how, basis={"stitch_mm": round(machine_rows_mm, 1)}))  # fmt: skip
    if options.hand_stitching:
        hand = catalogue.get("thread-waxed-linen")
        length_m = hand_rows_mm / 1000.0 * rules.hand_thread_per_seam * (1.0 + rules.hand_thread_waste)
        how = (
            f"hand stitching chosen: lapped seams of both shoes {_fmt(lapped)} mm × {rows['lapped']} rows = "
            f"{hand_rows_mm / 1000:.2f} m × {rules.hand_thread_per_seam:g} (saddle stitch, two needles) × "
            f"(1 + {_pct(rules.hand_thread_waste)} waste) = {length_m:.1f} m"
        )
        lines.append(BomLine("closing", f"hand-stitching thread: {hand.name}", hand.id, length_m, hand.unit,
                             hand.unit_cost_eur, how, basis={"stitch_mm": round(hand_rows_mm, 1)}))  # fmt: skip
    return lines


def _eyelet_rows(shoe: StyleFlattening) -> list[tuple[FlatPiece, np.ndarray]]:
    return [
        (p, np.array([(h.x_mm, h.y_mm) for h in p.pattern.drill_holes]))
        for p in shoe.pieces
        if p.spec.eyelets is not None and p.pattern.drill_holes
    ]


def _lacing_lines(pair: PairFlattening, style: str, options: DesignOptions, catalogue: Catalogue, rules: BomRules,
                  figures: dict[str, float]) -> list[BomLine]:  # fmt: skip
    rows = {shoe.side: _eyelet_rows(shoe) for shoe in _shoes(pair)}
    count = sum(len(holes) for shoe_rows in rows.values() for _, holes in shoe_rows)
    asked = sum(p.spec.eyelets.count for shoe_rows in rows.values() for p, _ in shoe_rows if p.spec.eyelets)
    figures["eyelets"] = float(count)
    if count == 0:
        return []
    eyelet = catalogue.get("eyelet-brass-4mm")
    short = f" ({asked} asked by the eyelet rows; the rest would cut the piece's edge)" if asked != count else ""
    lines = [BomLine("lacing", f"eyelets: {eyelet.name}", eyelet.id, float(count), eyelet.unit, eyelet.unit_cost_eur,
                     f"{count} eyelets drilled on the patterns of both shoes{short}")]  # fmt: skip
    needed = 0.0
    parts = []
    for side, shoe_rows in rows.items():
        pairs_n = min(len(holes) for _, holes in shoe_rows) if len(shoe_rows) >= 2 else len(shoe_rows[0][1]) // 2
        spacing = [float(np.linalg.norm(np.diff(holes, axis=0), axis=1).mean()) for _, holes in shoe_rows
                   if len(holes) >= 2]  # fmt: skip
        v = float(np.mean(spacing)) if spacing else 0.0
        row = shoe_rows[0][0].spec.eyelets
        assert row is not None
        h = 2.0 * row.inset_mm + rules.laced_gap_mm
        length = h + 2 * (pairs_n - 1) * math.hypot(h, v) + 2 * rules.lace_end_mm
        needed = max(needed, length)
        parts.append(f"{side}: {pairs_n} pairs of eyelets {v:.1f} mm apart, {h:.0f} mm across → {length:.0f} mm")
    lace_id, source = STYLE_DEFAULTS[style]["lace"], "style default"
    lace = catalogue.get(lace_id)
    fitting = [cm for cm in lace.lengths_cm if cm * 10 >= needed]
    stocked = min(fitting) if fitting else max(lace.lengths_cm)
    how = (
        f"criss-cross lacing: across + 2 × (pairs − 1) diagonals + 2 × {rules.lace_end_mm:g} mm for the bow; "
        f"{'; '.join(parts)}; the next stocked length is {stocked} cm"
        + ("" if fitting else " (shorter than needed: no longer lace stocked)")
        + f"; {source}"
    )
    lines.append(BomLine("lacing", f"laces {stocked} cm: {lace.name}", lace.id, 1.0, lace.unit, lace.unit_cost_eur,
                         how, basis={"needed_mm": round(needed, 1), "stocked_cm": stocked}))  # fmt: skip
    return lines


def _adhesive_lines(pair: PairFlattening, catalogue: Catalogue, rules: BomRules,
                    figures: dict[str, float]) -> list[BomLine]:  # fmt: skip
    bottom = sum(_bottom_mm(p) for shoe in _shoes(pair) for p in shoe.pieces)
    margin_m2 = bottom * rules.lasting_mm / 1e6
    figures["lasting_edge_mm"] = bottom
    lines = []
    for item, material_id, coverage in (
        ("lasting cement", "adhesive-lasting-neoprene", rules.lasting_cement_g_m2),
        ("sole adhesive", "adhesive-pu-sole", rules.sole_adhesive_g_m2),
    ):
        material = catalogue.get(material_id)
        grams = margin_m2 * rules.adhesive_surfaces * coverage * (1.0 + rules.adhesive_waste)
        how = (
            f"lasting-margin area of both shoes: lasting edge {_fmt(bottom)} mm × {rules.lasting_mm:g} mm = "
            f"{margin_m2:.4f} m² × {rules.adhesive_surfaces} surfaces × {coverage:g} g/m² per coat × "
            f"(1 + {_pct(rules.adhesive_waste)} waste) = {grams:.1f} g"
        )
        lines.append(BomLine("adhesive", f"{item}: {material.name}", material.id, grams, material.unit,
                             material.unit_cost_eur, how, basis={"margin_mm2": round(margin_m2 * 1e6, 1)}))  # fmt: skip
    return lines


def _packaging_lines(style: str, catalogue: Catalogue, rules: BomRules) -> list[BomLine]:
    lines = []
    for item, material_id, quantity, why in (
        ("box", STYLE_DEFAULTS[style]["box"], 1, "one box per pair (boot box for boots)"),
        ("tissue", "tissue-paper-sheet", rules.tissue_sheets, "one sheet round each shoe"),
        ("desiccant", "desiccant-sachet", 1, "one per box"),
    ):
        material = catalogue.get(material_id)
        lines.append(BomLine("packaging", f"{item}: {material.name}", material.id, float(quantity), material.unit,
                             material.unit_cost_eur, why))  # fmt: skip
    return lines


def build_bom(
    options: DesignOptions,
    pair: PairFlattening,
    size_eu: float,
    utilisation: Mapping[str, float] | None = None,
    catalogue: Catalogue | None = None,
    rules: BomRules | None = None,
) -> Bom:
    """The bill of materials of one pair of ``options`` from its flattened pieces ``pair``.

    ``utilisation`` : material id → the utilisation (0..1) of the actual nest that material's pieces were
    laid in; materials without one use their catalogue default. ``size_eu`` picks the bottom units.
    """
    style = pair.right.style.name
    if style != options.style:
        raise InputError(f"the pieces are of style {style}, the design is a {options.style}")
    catalogue = catalogue or default_catalogue()
    rules = rules or BomRules()
    utilisation = utilisation or {}
    figures: dict[str, float] = {
        "pieces_cut": float(sum(p.spec.quantity for shoe in _shoes(pair) for p in shoe.pieces)),
        "hand_stitching": float(options.hand_stitching),
        "logo": float(options.logo is not None),
    }
    lines = [
        *_upper_lines(pair, options, catalogue, utilisation),
        *_lining_lines(pair, options, catalogue, rules, utilisation),
        *_reinforcement_lines(pair, catalogue, rules, utilisation),
        *_bottom_lines(options, style, size_eu, catalogue),
        *_thread_lines(pair, options, catalogue, rules, figures),
        *_lacing_lines(pair, style, options, catalogue, rules, figures),
        *_adhesive_lines(pair, catalogue, rules, figures),
        *_packaging_lines(style, catalogue, rules),
    ]
    figures["lining_pieces_cut"] = float(sum(len(line.pieces) for line in lines if line.group == "lining"))
    return Bom(style, size_eu, options.pairs, tuple(lines), figures, catalogue.currency)
