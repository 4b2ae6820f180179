"""The material catalogue: what a pair is made of, with its unit, cost, supplier and lead time.

The seed set (``catalogue.json`` beside this module; prices and their assumptions in ``docs/bom.md``) is
loaded once and validated strictly; a shop's own catalogue is a file of the same shape
(:func:`load_catalogue`). Hides carry a SATRA grade (A best … F worst) whose yield is the share of the
hide's area that can be cut (holes, scars, brands and the belly's poor zones are not).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

from geometry.errors import InputError

SEED_CATALOGUE = Path(__file__).with_name("catalogue.json")

Unit = Literal["m2", "dm2", "pair", "m", "piece", "g"]
UNITS: tuple[str, ...] = ("m2", "dm2", "pair", "m", "piece", "g")
UNIT_LABELS: Mapping[str, str] = {"m2": "m²", "dm2": "dm²", "pair": "pairs", "m": "m", "piece": "pieces", "g": "g"}
MM2_PER_UNIT: Mapping[str, float] = {"m2": 1e6, "dm2": 1e4}
CATEGORIES: tuple[str, ...] = (
    "upper_leather", "lining_leather", "textile", "outsole", "midsole", "insole", "reinforcement", "thread",
    "eyelet", "lace", "adhesive", "packaging",
)  # fmt: skip
# SATRA hide-grade yield factors: the share of a hide of that grade that can be cut (docs/domain).
SATRA_HIDE_YIELDS: Mapping[str, float] = {"A": 0.97, "B": 0.93, "C": 0.88, "D": 0.83, "E": 0.78, "F": 0.73}


class CatalogueError(InputError):
    """A catalogue file that does not validate, or a material id the catalogue does not hold."""

    code = "catalogue_error"


@dataclass(frozen=True)
class Material:
    """One stocked material. ``unit_cost_eur`` is per ``unit``; area materials (m², dm²) carry the share
    of a roll or hide a nest of our pieces typically uses (``nesting_utilisation``), hides their grade."""

    id: str
    name: str
    category: str
    unit: Unit
    unit_cost_eur: float
    supplier: str
    lead_time_days: int
    hide_grade: str | None = None
    nesting_utilisation: float | None = None
    sizes_eu: tuple[float, float] | None = None  # sole units, insoles: the stocked size run
    lengths_cm: tuple[int, ...] = ()  # laces: the stocked lengths
    pack_quantity: float | None = None  # sold in whole packs of this many units (a hide, a cone, a box)

    @property
    def is_area(self) -> bool:
        return self.unit in MM2_PER_UNIT

    @property
    def is_hide(self) -> bool:
        return self.hide_grade is not None

    @property
    def unit_label(self) -> str:
        return UNIT_LABELS[self.unit]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id, "name": self.name, "category": self.category, "unit": self.unit,
            "unit_cost_eur": self.unit_cost_eur, "supplier": self.supplier, "lead_time_days": self.lead_time_days,
        }  # fmt: skip
        if self.hide_grade is not None:
            out["hide_grade"] = self.hide_grade
        if self.nesting_utilisation is not None:
            out["nesting_utilisation"] = self.nesting_utilisation
        if self.sizes_eu is not None:
            out["sizes_eu"] = list(self.sizes_eu)
        if self.lengths_cm:
            out["lengths_cm"] = list(self.lengths_cm)
        if self.pack_quantity is not None:
            out["pack_quantity"] = self.pack_quantity
        return out


@dataclass(frozen=True)
class Catalogue:
    materials: Mapping[str, Material]
    hide_yields: Mapping[str, float]
    currency: str = "EUR"
    prices_as_of: str = ""

    def get(self, material_id: str) -> Material:
        try:
            return self.materials[material_id]
        except KeyError:
            raise CatalogueError(
                f"material {material_id!r} is not in the catalogue; known: {', '.join(sorted(self.materials))}",
                material=material_id,
            ) from None

    def hide_yield(self, material: Material) -> float:
        """The SATRA yield of the material's hide grade (1.0 for a roll or sheet material)."""
        return 1.0 if material.hide_grade is None else self.hide_yields[material.hide_grade]

    def of_category(self, *categories: str) -> list[Material]:
        return [m for m in self.materials.values() if m.category in categories]


def _material(raw: Any, hide_yields: Mapping[str, float], where: str) -> Material:
    if not isinstance(raw, dict):
        raise CatalogueError(f"{where}: a material is a JSON object")
    known = set(Material.__dataclass_fields__)
    extra = set(raw) - known
    if extra:
        raise CatalogueError(f"{where}: unknown fields {sorted(extra)}")
    missing = {"id", "name", "category", "unit", "unit_cost_eur", "supplier", "lead_time_days"} - set(raw)
    if missing:
        raise CatalogueError(f"{where}: missing fields {sorted(missing)}")
    where = f"{where} ({raw['id']})"
    if raw["unit"] not in UNITS:
        raise CatalogueError(f"{where}: unit {raw['unit']!r} is none of {', '.join(UNITS)}")
    if raw["category"] not in CATEGORIES:
        raise CatalogueError(f"{where}: category {raw['category']!r} is none of {', '.join(CATEGORIES)}")
    cost = raw["unit_cost_eur"]
    if not isinstance(cost, int | float) or not math.isfinite(cost) or cost < 0:
        raise CatalogueError(f"{where}: unit_cost_eur must be a number ≥ 0, got {cost!r}")
    if not isinstance(raw["lead_time_days"], int) or raw["lead_time_days"] < 0:
        raise CatalogueError(f"{where}: lead_time_days must be a whole number ≥ 0")
    grade = raw.get("hide_grade")
    if grade is not None and grade not in hide_yields:
        raise CatalogueError(f"{where}: hide grade {grade!r} is none of {', '.join(hide_yields)}")
    utilisation = raw.get("nesting_utilisation")
    is_area = raw["unit"] in MM2_PER_UNIT
    if is_area and utilisation is None:
        raise CatalogueError(f"{where}: an area material needs a default nesting_utilisation")
    if utilisation is not None and not (0.0 < utilisation <= 1.0):
        raise CatalogueError(f"{where}: nesting_utilisation must be in (0, 1], got {utilisation!r}")
    if grade is not None and not is_area:
        raise CatalogueError(f"{where}: a hide material is sold by area (m2 or dm2)")
    sizes = raw.get("sizes_eu")
    if sizes is not None and (len(sizes) != 2 or sizes[0] > sizes[1]):
        raise CatalogueError(f"{where}: sizes_eu is [smallest, largest]")
    pack = raw.get("pack_quantity")
    if pack is not None and (isinstance(pack, bool) or not isinstance(pack, int | float) or not pack > 0):
        raise CatalogueError(f"{where}: pack_quantity must be a number > 0, got {pack!r}")
    return Material(
        id=str(raw["id"]),
        name=str(raw["name"]),
        category=raw["category"],
        unit=raw["unit"],
        unit_cost_eur=float(cost),
        supplier=str(raw["supplier"]),
        lead_time_days=int(raw["lead_time_days"]),
        hide_grade=grade,
        nesting_utilisation=None if utilisation is None else float(utilisation),
        sizes_eu=None if sizes is None else (float(sizes[0]), float(sizes[1])),
        lengths_cm=tuple(int(v) for v in raw.get("lengths_cm", ())),
        pack_quantity=None if pack is None else float(pack),
    )


def catalogue_from_dict(data: Mapping[str, Any], source: str = "catalogue") -> Catalogue:
    """A validated catalogue; ``CatalogueError`` names the first problem."""
    yields = data.get("hide_grades", SATRA_HIDE_YIELDS)
    if not isinstance(yields, dict) or not all(0.0 < float(v) <= 1.0 for v in yields.values()):
        raise CatalogueError(f"{source}: hide_grades maps grade letters to yields in (0, 1]")
    raw_items = data.get("materials")
    if not isinstance(raw_items, list) or not raw_items:
        raise CatalogueError(f"{source}: 'materials' is a non-empty list")
    materials: dict[str, Material] = {}
    for i, raw in enumerate(raw_items):
        material = _material(raw, yields, f"{source}: material {i}")
        if material.id in materials:
            raise CatalogueError(f"{source}: material id {material.id!r} appears twice")
        materials[material.id] = material
    return Catalogue(materials, {k: float(v) for k, v in yields.items()}, data.get("currency", "EUR"),
                     data.get("prices_as_of", ""))  # fmt: skip


def load_catalogue(path: Path) -> Catalogue:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CatalogueError(f"{path.name} cannot be read as JSON: {exc}", path=str(path)) from None
    if not isinstance(data, dict):
        raise CatalogueError(f"{path.name} must be a JSON object", path=str(path))
    return catalogue_from_dict(data, path.name)


@cache
def default_catalogue() -> Catalogue:
    """The seed catalogue shipped with CSPMS (loaded once)."""
    return load_catalogue(SEED_CATALOGUE)


def catalogue_rows(catalogue: Catalogue, categories: Iterable[str] | None = None) -> list[dict[str, Any]]:
    wanted = None if categories is None else set(categories)
    return [m.to_dict() for m in catalogue.materials.values() if wanted is None or m.category in wanted]
