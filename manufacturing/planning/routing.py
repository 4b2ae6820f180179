"""Routing, pure: which operations a pair goes through, at which kind of work centre, with which skill, and
how long each takes (standard minutes per pair).

A routing is chosen from operation templates by the design: every pair is cut, skived, closed, lasted,
soled, finished, inspected and packed; hand stitching closes the upper by hand (a slower operation needing
the ``hand_closing`` skill) and adds an inspection of the upper before lasting; memory foam adds fitting
the foam insert; a logo adds printing or embossing on the flat piece before closing.

Standard times are formulas of the pair's geometry (piece count, seam length, eyelets; ``RoutingInputs``),
documented in docs/planning.md with where each figure comes from. They are assumptions until the shop
records its own: ``refined_minutes`` blends a standard time with observed times as history accrues.
"""

from __future__ import annotations

import enum
import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field

from configurator.styles import STYLE_NAMES
from manufacturing.planning.errors import RoutingError

ROUTING_VERSION = 1  # bump when a template or formula changes; released work keeps the version it was cut with
SHOES_PER_PAIR = 2


class WorkCentreKind(enum.StrEnum):
    """What a work centre does; an operation may run at any centre of its kind."""

    CUTTING = "cutting"
    SKIVING = "skiving"
    LOGO_PRINTING = "logo_printing"
    EMBOSSING = "embossing"
    MACHINE_CLOSING = "machine_closing"
    HAND_CLOSING = "hand_closing"
    LASTING = "lasting"
    SOLE_ATTACHING = "sole_attaching"
    INSERT_FITTING = "insert_fitting"
    FINISHING = "finishing"
    INSPECTION = "inspection"
    PACKING = "packing"


class Skill(enum.StrEnum):
    CUTTING = "cutting"
    SKIVING = "skiving"
    PRINTING = "printing"
    EMBOSSING = "embossing"
    MACHINE_CLOSING = "machine_closing"
    HAND_CLOSING = "hand_closing"
    LASTING = "lasting"
    SOLE_ATTACHING = "sole_attaching"
    INSERT_FITTING = "insert_fitting"
    FINISHING = "finishing"
    INSPECTION = "inspection"
    PACKING = "packing"


class LogoMethod(enum.StrEnum):
    PRINT = "print"
    EMBOSS = "emboss"
    DEBOSS = "deboss"


# How much harder lasting and finishing a style is than a derby (the reference): more upper to pull over the
# last (boots), a moccasin apron (loafer), a soft unstructured upper (sneaker). Assumptions, see the docs.
STYLE_FACTOR: dict[str, float] = {
    "derby": 1.0,
    "oxford": 1.1,
    "penny_loafer": 1.15,
    "low_top_sneaker": 0.85,
    "chelsea_boot": 1.25,
}


@dataclass(frozen=True)
class RoutingInputs:
    """What routing needs to know about one pair; geometry per shoe (a pair is two shoes).

    ``piece_count``: upper pieces of one shoe; ``seam_length_mm``: total stitched seam length of one shoe
    (3D, as the flattened pieces report it); ``eyelets``: eyelets of one shoe.
    """

    style: str
    piece_count: int
    seam_length_mm: float
    eyelets: int = 0
    hand_stitching: bool = False
    memory_foam: bool = False
    logo_method: str | None = None  # print | emboss | deboss | None

    def __post_init__(self) -> None:
        if self.style not in STYLE_NAMES:
            raise RoutingError(f"unknown style {self.style!r}; choose one of {', '.join(STYLE_NAMES)}")
        if self.piece_count < 1:
            raise RoutingError(f"a shoe has at least one piece, got {self.piece_count}", piece_count=self.piece_count)
        if not (math.isfinite(self.seam_length_mm) and self.seam_length_mm >= 0):
            raise RoutingError(f"seam length must be ≥ 0 mm, got {self.seam_length_mm}")
        if self.eyelets < 0:
            raise RoutingError(f"eyelets must be ≥ 0, got {self.eyelets}")
        if self.logo_method is not None and self.logo_method not in set(LogoMethod):
            raise RoutingError(f"unknown logo method {self.logo_method!r}; use print, emboss or deboss")


@dataclass(frozen=True)
class OperationTemplate:
    """One operation the routing may use, with its standard-time formula per pair:

    ``minutes = setup_min + 2 × (per_shoe_min + per_piece_min × pieces + per_seam_metre_min × seam_m
    + per_eyelet_min × eyelets) × style factor (when style_sensitive)``.
    """

    code: str
    name: str
    kind: WorkCentreKind
    skill: Skill
    setup_min: float = 0.0  # once per pair: fetch the kit, set the machine
    per_shoe_min: float = 0.0
    per_piece_min: float = 0.0
    per_seam_metre_min: float = 0.0
    per_eyelet_min: float = 0.0
    style_sensitive: bool = False
    needs_material: bool = False  # consumes BOM components: waits until they are reserved
    qc_point: bool = False
    rework_to: str | None = None  # a failed inspection sends the pair back to this operation
    source: str = ""

    def standard_minutes(self, inputs: RoutingInputs) -> float:
        per_shoe = (
            self.per_shoe_min
            + self.per_piece_min * inputs.piece_count
            + self.per_seam_metre_min * inputs.seam_length_mm / 1000.0
            + self.per_eyelet_min * inputs.eyelets
        )
        factor = STYLE_FACTOR.get(inputs.style, 1.0) if self.style_sensitive else 1.0
        return round(self.setup_min + SHOES_PER_PAIR * per_shoe * factor, 2)


_ASSUMED = "assumption (industry rule of thumb), to be refined from the shop's history"

TEMPLATES: dict[str, OperationTemplate] = {
    t.code: t
    for t in (
        OperationTemplate(
            "cutting", "Cut upper and lining pieces", WorkCentreKind.CUTTING, Skill.CUTTING,
            setup_min=2.0, per_piece_min=0.35, needs_material=True,
            source="CNC knife / clicking press: ~20 s per piece incl. pick-off; " + _ASSUMED,
        ),
        OperationTemplate(
            "skiving", "Skive edges", WorkCentreKind.SKIVING, Skill.SKIVING,
            setup_min=1.0, per_piece_min=0.25, source="bell-knife skiver, ~15 s per skived edge set; " + _ASSUMED,
        ),
        OperationTemplate(
            "logo_print", "Print the logo", WorkCentreKind.LOGO_PRINTING, Skill.PRINTING,
            setup_min=3.0, per_shoe_min=1.5, source="UV flatbed print on the cut piece incl. curing; " + _ASSUMED,
        ),
        OperationTemplate(
            "logo_emboss", "Emboss or deboss the logo", WorkCentreKind.EMBOSSING, Skill.EMBOSSING,
            setup_min=2.0, per_shoe_min=1.0, source="heated die press, dwell ~10 s plus handling; " + _ASSUMED,
        ),
        OperationTemplate(
            "closing_machine", "Close the upper by machine", WorkCentreKind.MACHINE_CLOSING, Skill.MACHINE_CLOSING,
            setup_min=3.0, per_piece_min=0.6, per_seam_metre_min=1.2, per_eyelet_min=0.08,
            source="post-bed machine: ~0.8 m/min effective sewing incl. turns, 35 s per piece to prepare and "
            "align, ~5 s per eyelet set; " + _ASSUMED,
        ),
        OperationTemplate(
            "closing_hand", "Close the upper by hand", WorkCentreKind.HAND_CLOSING, Skill.HAND_CLOSING,
            setup_min=5.0, per_piece_min=1.0, per_seam_metre_min=12.0, per_eyelet_min=0.08,
            source="hand saddle stitch, ~4 mm pitch at ~20 stitches/min ≈ 8 cm/min; " + _ASSUMED,
        ),
        OperationTemplate(
            "qc_upper", "Inspect the closed upper", WorkCentreKind.INSPECTION, Skill.INSPECTION,
            per_shoe_min=1.0, qc_point=True, rework_to="closing_hand",
            source="visual check of stitch pitch and seam allowance before lasting; " + _ASSUMED,
        ),
        OperationTemplate(
            "lasting", "Last the upper", WorkCentreKind.LASTING, Skill.LASTING,
            setup_min=2.0, per_shoe_min=4.0, style_sensitive=True,
            source="toe, side and heel lasting machines, ~4 min per shoe for a derby; " + _ASSUMED,
        ),
        OperationTemplate(
            "sole_attaching", "Cement and press the sole", WorkCentreKind.SOLE_ATTACHING, Skill.SOLE_ATTACHING,
            setup_min=2.0, per_shoe_min=4.0, needs_material=True,
            source="roughing, cementing, reactivation and press, dwell excluded; " + _ASSUMED,
        ),
        OperationTemplate(
            "insert_fitting", "Fit the memory-foam insert", WorkCentreKind.INSERT_FITTING, Skill.INSERT_FITTING,
            setup_min=1.0, per_shoe_min=1.5, needs_material=True,
            source="trim the foam to the insole, cement the sock liner; " + _ASSUMED,
        ),
        OperationTemplate(
            "finishing", "Finish (delast, clean, edge, polish)", WorkCentreKind.FINISHING, Skill.FINISHING,
            setup_min=1.0, per_shoe_min=2.5, per_piece_min=0.15, style_sensitive=True,
            source="delasting, thread trimming, edge ink and polish; " + _ASSUMED,
        ),
        OperationTemplate(
            "qc_final", "Final inspection", WorkCentreKind.INSPECTION, Skill.INSPECTION,
            setup_min=1.0, per_shoe_min=1.0, qc_point=True, rework_to="finishing",
            source="check against the QC template (fit, symmetry, finish); " + _ASSUMED,
        ),
        OperationTemplate(
            "packing", "Pack", WorkCentreKind.PACKING, Skill.PACKING,
            setup_min=2.0, needs_material=True, source="tissue, box, label; " + _ASSUMED,
        ),
    )
}  # fmt: skip


@dataclass(frozen=True)
class Operation:
    """One step of a pair's routing, with its standard time (minutes per pair)."""

    seq: int  # 10, 20, 30, ...: the order of the routing
    code: str
    name: str
    kind: WorkCentreKind
    skill: Skill
    standard_minutes: float
    needs_material: bool = False
    qc_point: bool = False
    rework_to: str | None = None


@dataclass(frozen=True)
class Routing:
    style: str
    version: int
    operations: tuple[Operation, ...]
    inputs: RoutingInputs | None = field(default=None, compare=False)

    @property
    def total_minutes(self) -> float:
        return round(sum(op.standard_minutes for op in self.operations), 2)

    def to_json(self) -> dict[str, object]:
        """A plain, JSON-ready copy: what a work order stores when it is released."""
        return {
            "style": self.style,
            "version": self.version,
            "inputs": asdict(self.inputs) if self.inputs is not None else None,
            "operations": [{**asdict(op), "kind": op.kind.value, "skill": op.skill.value} for op in self.operations],
        }

    @staticmethod
    def from_json(data: Mapping[str, object]) -> Routing:
        ops = data["operations"]
        assert isinstance(ops, list)
        return Routing(
            style=str(data["style"]),
            version=int(data["version"]),  # type: ignore[call-overload]
            operations=tuple(
                Operation(
                    seq=int(o["seq"]), code=o["code"], name=o["name"], kind=WorkCentreKind(o["kind"]),
                    skill=Skill(o["skill"]), standard_minutes=float(o["standard_minutes"]),
                    needs_material=bool(o.get("needs_material", False)), qc_point=bool(o.get("qc_point", False)),
                    rework_to=o.get("rework_to"),
                )
                for o in ops
            ),
        )  # fmt: skip


def routing_codes(inputs: RoutingInputs) -> list[str]:
    """The operation codes a pair with these options goes through, in order."""
    codes = ["cutting", "skiving"]
    if inputs.logo_method == LogoMethod.PRINT:
        codes.append("logo_print")
    elif inputs.logo_method in (LogoMethod.EMBOSS, LogoMethod.DEBOSS):
        codes.append("logo_emboss")
    codes += ["closing_hand", "qc_upper"] if inputs.hand_stitching else ["closing_machine"]
    codes += ["lasting", "sole_attaching"]
    if inputs.memory_foam:
        codes.append("insert_fitting")
    codes += ["finishing", "qc_final", "packing"]
    return codes


def route(inputs: RoutingInputs, templates: Mapping[str, OperationTemplate] = TEMPLATES) -> Routing:
    """The routing of one pair: operations in order (seq 10, 20, ...), each with its standard minutes."""
    operations = []
    for k, code in enumerate(routing_codes(inputs)):
        if code not in templates:
            raise RoutingError(f"no operation template {code!r}", code=code)
        t = templates[code]
        operations.append(
            Operation(
                seq=10 * (k + 1), code=t.code, name=t.name, kind=t.kind, skill=t.skill,
                standard_minutes=t.standard_minutes(inputs), needs_material=t.needs_material,
                qc_point=t.qc_point, rework_to=t.rework_to,
            )
        )  # fmt: skip
    return Routing(style=inputs.style, version=ROUTING_VERSION, operations=tuple(operations), inputs=inputs)


def refined_minutes(standard_minutes: float, observed_minutes: Sequence[float], prior_weight: float = 5.0) -> float:
    """The standard time moved toward the shop's own record: a shrinkage estimate that counts the standard as
    ``prior_weight`` observations, so a few odd timings barely move it and a long history dominates.
    Observations beyond 3× the median (a pair left on the bench over lunch) are ignored."""
    clean = sorted(m for m in observed_minutes if math.isfinite(m) and m > 0)
    if clean:
        median = clean[len(clean) // 2]
        clean = [m for m in clean if m <= 3.0 * median]
    return round((prior_weight * standard_minutes + sum(clean)) / (prior_weight + len(clean)), 2)


def canonical_sha256(data: object) -> str:
    """sha256 of the canonical JSON (sorted keys, no spaces): the identity of a snapshot."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()
