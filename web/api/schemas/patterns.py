"""Pattern files per pair (the ``patterns.make`` stage's), and size runs of patterns for the pattern-maker."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from lasts.side import Side
from manufacturing.db.models import Artifact, Order, Pair
from manufacturing.patterns.size_run import KIND_PREFIX as SIZE_RUN_PREFIX
from manufacturing.patterns.size_run import MAX_SIZES
from web.api.schemas.common import Record

PATTERNS_PREFIX = "patterns."

# ---------------------------------------------------------------------------------------------- a pair's patterns


class PatternFileOut(Record):
    kind: str = Field(description="`patterns.left.dxf`, `patterns.right.plt`, `patterns.patterns.json`…")
    side: Side | None = Field(description="Null for files of the pair (the report).")
    format: str = Field(description="dxf, cutter.dxf, plt, svg, pdf, strain or report.")
    filename: str
    media_type: str
    size_bytes: int
    sha256: str
    url: str = Field(description="Download by kind (GET /api/orders/{order_number}/patterns/{kind}).")
    artifact_url: str

    @classmethod
    def of(cls, order: Order, pair: Pair, artifact: Artifact) -> PatternFileOut:
        short = artifact.kind.removeprefix(PATTERNS_PREFIX)
        parts = short.split(".")
        side = Side(parts[0]) if parts[0] in (Side.LEFT, Side.RIGHT) else None
        fmt = "strain" if ".strain." in f".{short}." else ("cutter.dxf" if short.endswith("cutter.dxf") else parts[-1])
        return cls(
            kind=artifact.kind, side=side, format="report" if short == "patterns.json" else fmt,
            filename=artifact.filename, media_type=artifact.media_type, size_bytes=artifact.size_bytes,
            sha256=artifact.sha256,
            url=f"/api/orders/{order.number}/patterns/{artifact.kind}?pair={pair.serial}",
            artifact_url=f"/api/artifacts/{artifact.id}/content",
        )  # fmt: skip


class PairPatternsOut(Record):
    serial: str
    design_id: int
    run_id: int | None = Field(description="The latest run that makes the patterns; null when none plans to.")
    state: str = Field(description="That run's `patterns.make` stage state, `pending` or `not_planned`.")
    files: list[PatternFileOut] = Field(description="Empty until the stage has succeeded (or reused files).")


class OrderPatternsOut(Record):
    order_number: str
    pairs: list[PairPatternsOut]


# ---------------------------------------------------------------------------------------------- size runs


class SizeRunIn(BaseModel):
    sizes: str = Field(min_length=1, max_length=200, description=f"`38-46` (every stock step) or `40,41,42.5`; at "
                       f"most {MAX_SIZES} sizes.", examples=["40-42"])  # fmt: skip
    system: str = Field("eu", max_length=16, description="Size system: eu, uk, us_men, us_women, mondopoint, cn, jp.")
    side: str = Field("right", description="The foot: left or right.")
    pair: str | None = Field(None, max_length=32, description="Pair serial; the order's first pair by default.")


class SizeRunFileOut(Record):
    kind: str
    format: str = Field(description="dxf, cutter.dxf, plt, svg, pdf or report.json.")
    filename: str
    media_type: str
    size_bytes: int
    sha256: str
    url: str

    @classmethod
    def of(cls, artifact: Artifact) -> SizeRunFileOut:
        return cls(kind=artifact.kind, format=artifact.kind.removeprefix(SIZE_RUN_PREFIX), filename=artifact.filename,
                   media_type=artifact.media_type, size_bytes=artifact.size_bytes, sha256=artifact.sha256,
                   url=f"/api/artifacts/{artifact.id}/content")  # fmt: skip


class GradedLastOut(Record):
    """A size's last solved against its graded targets (mm)."""

    size: float
    label: str
    targets: dict[str, float]
    achieved: dict[str, float]
    max_error_mm: float
    within_tolerance: bool
    seconds: float


class SizePieceOut(Record):
    piece: str
    kind: str
    within_budget: bool = Field(description="Its flattening strain is within the piece's budget.")
    area_change_mean_pct: float
    edge_strain_p99_pct: float
    flipped_faces: int
    cut_area_mm2: float


class RunSizeOut(Record):
    size: float
    label: str = Field(description="As the files name it: `41` (EU), `UK-8`.")
    last: GradedLastOut
    over_budget_changes: list[str] = Field(description="What was done to pieces over their strain budget.")
    pieces: list[SizePieceOut]


class LastSourceOut(Record):
    source: Literal["revision", "fitted"] = Field(description="A revision from fit feedback, or the fitted last.")
    revision: int | None
    artifact_id: int


class SizeRunReportOut(Record):
    """The run's report (its ``report.json``)."""

    style: str
    side: Side
    system: str
    sizes: list[RunSizeOut]
    sample_size: str
    pieces_per_size: int
    all_lasts_within_tolerance: bool
    all_pieces_within_budget: bool
    files: list[str]
    last: LastSourceOut


class SizeRunOut(Record):
    order_number: str
    pair_serial: str
    style: str
    sizes: list[float]
    system: str
    side: Side
    input_key: str
    files: list[SizeRunFileOut]
    report: SizeRunReportOut
    first: bool = Field(description="False: the run was made before and read back.")
