"""SQLAlchemy 2.0 models: what the pipeline and the shop floor store.

Tables change only through Alembic migrations (manufacturing/db/migrations); a test checks that the
models and the migrations agree.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from manufacturing.clock import utc_now
from manufacturing.states import DEFAULT_MAX_ATTEMPTS, ContainerKind, CuttingJobState, RunState, StageState

# Named constraints so Alembic can alter them on SQLite and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every database (SQLite returns naive values: mark them UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar = {dict[str, Any]: JSON, list[Any]: JSON}


def _enum(cls: type[enum.Enum]) -> Enum:
    # Store values as plain strings (no native PG enum types to migrate).
    return Enum(cls, native_enum=False, length=32, values_callable=lambda e: [m.value for m in e])


class Customer(Base):
    __tablename__ = "customer"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)

    scans: Mapped[list[FootScan]] = relationship(back_populates="customer")


class UserAccount(Base):
    """Someone who signs in: a customer (linked to their ``Customer`` record), staff, a pattern maker or an
    administrator. ``token_version`` goes up on logout and password change, which ends every session."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(32))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"), unique=True)
    token_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)
    disabled_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # When the holder proved the address by the e-mailed link (None: not yet; docs/auth.md "Claiming records").
    email_verified_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class LoginAttempt(Base):
    """One login try, kept for the rate limit (manufacturing/accounts/rate_limit.py) and pruned after a day."""

    __tablename__ = "login_attempt"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    client: Mapped[str] = mapped_column(String(64), index=True)
    succeeded: Mapped[bool] = mapped_column(Boolean)
    attempted_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class FootScan(Base):
    """An uploaded foot scan; its bytes live in the artifact store (``upload_artifact``)."""

    __tablename__ = "foot_scan"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    original_filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    upload_artifact_id: Mapped[int] = mapped_column(ForeignKey("artifact.id"))
    # Filled by the scan stage: what the file is, and the measured foot (mm, in the measuring frame).
    summary: Mapped[dict[str, Any]] = mapped_column(default=dict)
    side: Mapped[str | None] = mapped_column(String(8))
    units_detected: Mapped[str | None] = mapped_column(String(4))
    measurements: Mapped[dict[str, Any] | None] = mapped_column()
    # ... what of the foot the scan holds (lasts.coverage.ScanCoverage) and how its side was settled
    # (lasts.side_claims.SideDecision), as the stage's record says.
    coverage: Mapped[dict[str, Any] | None] = mapped_column()
    side_decision: Mapped[dict[str, Any] | None] = mapped_column()
    # How the scan is read (the stage reads it so again): the side the customer confirmed, or which foot of a
    # two-foot file this row is; None: the side its shape shows, checked against its file name.
    confirmed_side: Mapped[str | None] = mapped_column(String(8))
    # A foot made from typed measurements (lasts.typed_foot.TypedFoot.to_dict), not scanned; None for a scan.
    typed: Mapped[dict[str, Any] | None] = mapped_column()
    # The other foot of a two-foot file, stored as its own scan.
    other_foot_id: Mapped[int | None] = mapped_column(ForeignKey("foot_scan.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)

    customer: Mapped[Customer] = relationship(back_populates="scans")
    upload_artifact: Mapped[Artifact] = relationship(foreign_keys=[upload_artifact_id])


class Design(Base):
    """One immutable revision of a customer's design: style + options snapshot.

    Revisions of the same design share ``design_key``; editing creates revision n + 1.
    """

    __tablename__ = "design"
    __table_args__ = (UniqueConstraint("design_key", "revision", name="uq_design_key_revision"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    design_key: Mapped[str] = mapped_column(String(36), index=True)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    foot_scan_id: Mapped[int | None] = mapped_column(ForeignKey("foot_scan.id"))
    style: Mapped[str] = mapped_column(String(64))
    options: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)

    foot_scan: Mapped[FootScan | None] = relationship()


class Order(Base):
    __tablename__ = "customer_order"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)

    pairs: Mapped[list[Pair]] = relationship(back_populates="order", order_by="Pair.id")


class Pair(Base):
    """One custom pair of shoes, identified on the shop floor by its serial."""

    __tablename__ = "pair"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    serial: Mapped[str] = mapped_column(String(32), unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("customer_order.id"), index=True)
    design_id: Mapped[int] = mapped_column(ForeignKey("design.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)

    order: Mapped[Order] = relationship(back_populates="pairs")
    design: Mapped[Design] = relationship()


class Artifact(Base):
    """A stored blob and where it came from.

    ``input_key`` names what the producing stage read (``scan:<sha256>``, ``design:<id>``), so the same
    input and stage version map to one artifact: a rerun finds it and does nothing.
    """

    __tablename__ = "artifact"
    __table_args__ = (UniqueConstraint("input_key", "stage", "stage_version", "kind", name="uq_artifact_output"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(128))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    storage_key: Mapped[str] = mapped_column(String(200))
    input_key: Mapped[str] = mapped_column(String(200))
    stage: Mapped[str] = mapped_column(String(64))  # "upload" for user files
    stage_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)


class PipelineRun(Base):
    """One pass of the pipeline over a pair's design; its state is derived from its stage runs."""

    __tablename__ = "pipeline_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pair_id: Mapped[int] = mapped_column(ForeignKey("pair.id"), index=True)
    stages: Mapped[list[Any]] = mapped_column()  # planned stage names, in order
    state: Mapped[RunState] = mapped_column(_enum(RunState), default=RunState.QUEUED)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_message: Mapped[str | None] = mapped_column(Text)

    pair: Mapped[Pair] = relationship()
    stage_runs: Mapped[list[StageRun]] = relationship(
        back_populates="pipeline_run", order_by="StageRun.id", cascade="all, delete-orphan"
    )


class StageRun(Base):
    __tablename__ = "stage_run"
    __table_args__ = (UniqueConstraint("pipeline_run_id", "stage", name="uq_stage_run_stage"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pipeline_run_id: Mapped[int] = mapped_column(ForeignKey("pipeline_run.id"), index=True)
    stage: Mapped[str] = mapped_column(String(64))
    stage_version: Mapped[int] = mapped_column(Integer)
    state: Mapped[StageState] = mapped_column(_enum(StageState))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    duration_ms: Mapped[float | None] = mapped_column()
    artifact_ids: Mapped[list[Any]] = mapped_column(default=list)
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_message: Mapped[str | None] = mapped_column(Text)
    error_details: Mapped[dict[str, Any] | None] = mapped_column()

    pipeline_run: Mapped[PipelineRun] = relationship(back_populates="stage_runs")


class CuttingJob(Base):
    """A nest on one hide or roll, to be cut by one machine at a time (docs/cutting.md).

    ``state``, ``machine_id``, ``lease_expires_at`` and ``attempts`` are the facts the pure core
    (manufacturing/cutting/jobs.py) decides from; a held job whose lease ran out counts as queued. ``version``
    grows with every change: updates are compare-and-set on it, so two machines cannot both win a job.
    """

    __tablename__ = "cutting_job"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_key: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 of material, container, placements
    material: Mapped[str] = mapped_column(String(64))
    container_kind: Mapped[ContainerKind] = mapped_column(_enum(ContainerKind))
    container_ref: Mapped[str] = mapped_column(String(100))  # the hide's or roll's id
    layout: Mapped[dict[str, Any]] = mapped_column()  # {"kerf_mm", "placements": [{piece_id, pair_id, ...}]}
    placed_area_mm2: Mapped[float] = mapped_column(Float)
    consumed_area_mm2: Mapped[float] = mapped_column(Float)
    utilisation: Mapped[float] = mapped_column(Float)  # placed / consumed
    dxf_artifact_id: Mapped[int] = mapped_column(ForeignKey("artifact.id"))
    plt_artifact_id: Mapped[int] = mapped_column(ForeignKey("artifact.id"))
    state: Mapped[CuttingJobState] = mapped_column(_enum(CuttingJobState), default=CuttingJobState.QUEUED, index=True)
    machine_id: Mapped[str | None] = mapped_column(String(64))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=DEFAULT_MAX_ATTEMPTS)
    failure_reason: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    dxf_artifact: Mapped[Artifact] = relationship(foreign_keys=[dxf_artifact_id])
    plt_artifact: Mapped[Artifact] = relationship(foreign_keys=[plt_artifact_id])


class TrackingEvent(Base):
    """Something that happened to a pair at a station, as a reader or a machine reported it.

    ``event_id`` is the reporter's id for the event (a UUID): storing is idempotent by it, so a resent
    message adds nothing. Events may arrive out of order: ``occurred_at`` (the reporter's clock) orders a
    pair's history, ``received_at`` is when we stored it.
    """

    __tablename__ = "tracking_event"
    __table_args__ = (Index("ix_tracking_event_pair_occurred", "pair_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[str] = mapped_column(String(64), unique=True)
    pair_id: Mapped[int] = mapped_column(ForeignKey("pair.id"))
    station: Mapped[str] = mapped_column(String(64))  # work centre: cutting, closing, lasting, ...
    operation: Mapped[str] = mapped_column(String(64))  # the routing operation the event belongs to
    event_type: Mapped[str] = mapped_column(String(32))  # pieces_cut, started, finished, scanned, ...
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime())
    received_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)
    source: Mapped[str] = mapped_column(String(64))  # reader, terminal or machine id
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)


class WorkCentre(Base):
    """A place where one kind of operation is done (docs/planning.md): ``stations`` pairs at a time, at
    ``speed`` × the standard time, by operators holding ``skills``, during ``shifts``."""

    __tablename__ = "work_centre"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)  # routing.WorkCentreKind
    stations: Mapped[int] = mapped_column(Integer, default=1)
    speed: Mapped[float] = mapped_column(Float, default=1.0)
    skills: Mapped[list[Any]] = mapped_column(default=list)  # routing.Skill values
    shifts: Mapped[list[Any]] = mapped_column(default=list)  # [{"name", "start", "end", "weekdays"}]


class Worker(Base):
    """A person on the shop floor, the skills they hold and their shift."""

    __tablename__ = "worker"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    skills: Mapped[list[Any]] = mapped_column(default=list)
    shift: Mapped[str] = mapped_column(String(32))


class WorkOrder(Base):
    """One pair's production, released with its own copy of the routing and the BOM (``snapshot_sha256``
    their fingerprint): later template changes never reach released work. Its state is derived from the
    pair's tracking events (manufacturing/planning/work_orders.py), never stored."""

    __tablename__ = "work_order"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pair_id: Mapped[int] = mapped_column(ForeignKey("pair.id"), unique=True)
    routing: Mapped[dict[str, Any]] = mapped_column()
    bom: Mapped[dict[str, Any]] = mapped_column()
    snapshot_sha256: Mapped[str] = mapped_column(String(64))
    routing_version: Mapped[int] = mapped_column(Integer)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime())
    weight: Mapped[int] = mapped_column(Integer, default=1)  # priority in the weighted tardiness
    released_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)

    pair: Mapped[Pair] = relationship()
    operations: Mapped[list[WorkOrderOperation]] = relationship(
        back_populates="work_order", order_by="WorkOrderOperation.seq", cascade="all, delete-orphan"
    )


class WorkOrderOperation(Base):
    """One operation of a released work order (copied from its routing snapshot) and where and when the
    latest schedule plans it."""

    __tablename__ = "work_order_operation"
    __table_args__ = (UniqueConstraint("work_order_id", "seq", name="uq_work_order_operation_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_order.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    skill: Mapped[str] = mapped_column(String(32))
    standard_minutes: Mapped[float] = mapped_column(Float)
    planned_centre: Mapped[str | None] = mapped_column(String(64))
    planned_start: Mapped[datetime | None] = mapped_column(UtcDateTime())
    planned_end: Mapped[datetime | None] = mapped_column(UtcDateTime())

    work_order: Mapped[WorkOrder] = relationship(back_populates="operations")


class LedgerEntry(Base):
    """One link of a pair's traceability chain (docs/tracking.md): ``body`` is the canonical JSON that was
    hashed (it names the pair, ``seq``, ``prev_hash`` and the fact), ``entry_hash`` its sha256. Append-only:
    rows are never updated; any edit, insertion or deletion breaks the chain, the head or a day's Merkle root."""

    __tablename__ = "ledger_entry"
    __table_args__ = (UniqueConstraint("pair_id", "seq", name="uq_ledger_entry_pair_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pair_id: Mapped[int] = mapped_column(ForeignKey("pair.id"))
    seq: Mapped[int] = mapped_column(Integer)  # 1, 2, ... per pair
    day: Mapped[str] = mapped_column(String(10), index=True)  # UTC date it was appended (its Merkle day)
    kind: Mapped[str] = mapped_column(String(32))  # event, material_lot, ...
    event_id: Mapped[str | None] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)  # canonical JSON, exactly as hashed
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)


class LedgerHead(Base):
    """The latest link of each pair's chain: what makes deleting or appending at the end detectable."""

    __tablename__ = "ledger_head"

    pair_id: Mapped[int] = mapped_column(ForeignKey("pair.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    entry_hash: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)


class MerkleRoot(Base):
    """The Merkle root of every ledger entry appended on one UTC day (leaves in (pair, seq) order), sealed once."""

    __tablename__ = "merkle_root"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[str] = mapped_column(String(10), unique=True)
    root: Mapped[str] = mapped_column(String(64))
    leaves: Mapped[int] = mapped_column(Integer)
    sealed_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)


class DurationStat(Base):
    """A robust running model of how long an operation takes at a work centre (``kind`` work) or waits
    before it (``kind`` wait): the latest ``samples`` (minutes), their median and MAD."""

    __tablename__ = "duration_stat"
    __table_args__ = (UniqueConstraint("work_centre", "operation", "kind", name="uq_duration_stat_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    work_centre: Mapped[str] = mapped_column(String(64))
    operation: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(8))
    count: Mapped[int] = mapped_column(Integer, default=0)  # every observation ever, not just the window
    median_minutes: Mapped[float] = mapped_column(Float)
    mad_minutes: Mapped[float] = mapped_column(Float)
    samples: Mapped[list[Any]] = mapped_column(default=list)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)


class QcInspection(Base):
    """One inspection of a pair at a QC checkpoint (docs/qc.md). ``template`` is the copy of the checklist it
    was started with (``template_sha256`` its fingerprint): later template edits never change how it is
    judged. ``passed`` is null while open; a failure names ``rework_to`` and needs a new inspection
    (``attempt`` + 1)."""

    __tablename__ = "qc_inspection"
    __table_args__ = (UniqueConstraint("pair_id", "checkpoint", "attempt", name="uq_qc_inspection_attempt"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pair_id: Mapped[int] = mapped_column(ForeignKey("pair.id"), index=True)
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_order.id"))
    checkpoint: Mapped[str] = mapped_column(String(32))
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    operation: Mapped[str] = mapped_column(String(64))  # the routing QC point, or the operation inspected after
    template_code: Mapped[str] = mapped_column(String(64))
    template_version: Mapped[int] = mapped_column(Integer)
    template: Mapped[dict[str, Any]] = mapped_column()
    template_sha256: Mapped[str] = mapped_column(String(64))
    inspector: Mapped[str | None] = mapped_column(String(64))
    passed: Mapped[bool | None] = mapped_column()
    defect_codes: Mapped[list[Any]] = mapped_column(default=list)
    rework_to: Mapped[str | None] = mapped_column(String(64))
    event_id: Mapped[str | None] = mapped_column(String(64))  # the work-order event it recorded
    started_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    results: Mapped[list[QcInspectionResult]] = relationship(
        back_populates="inspection", order_by="QcInspectionResult.id", cascade="all, delete-orphan"
    )


class QcInspectionResult(Base):
    """One item of a finished inspection: the value (measured items), pass or fail, the defect code raised
    and the photos (artifact ids, content-addressed)."""

    __tablename__ = "qc_inspection_result"
    __table_args__ = (UniqueConstraint("inspection_id", "item_code", name="uq_qc_inspection_result_item"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("qc_inspection.id"), index=True)
    item_code: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[float | None] = mapped_column(Float)
    passed: Mapped[bool] = mapped_column()
    defect_code: Mapped[str | None] = mapped_column(String(32))
    photo_artifact_ids: Mapped[list[Any]] = mapped_column(default=list)
    note: Mapped[str] = mapped_column(Text, default="")

    inspection: Mapped[QcInspection] = relationship(back_populates="results")


class FitFeedback(Base):
    """A customer's answers about a delivered pair (docs/feedback.md): per region (toe, ball, instep, heel)
    tight / right / loose with optional text. One per pair."""

    __tablename__ = "fit_feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pair_id: Mapped[int] = mapped_column(ForeignKey("pair.id"), unique=True)
    style: Mapped[str] = mapped_column(String(64), index=True)
    design_key: Mapped[str] = mapped_column(String(36))
    answers: Mapped[dict[str, Any]] = mapped_column()  # {region: {"answer", "detail", "text"}}
    comment: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)


class LastRevision(Base):
    """One revision of a design's last (``last_key`` = the design key): revision 1 is the fitted last, each
    later one the previous changed by fit feedback (``changes``, mm per measurement), solved and measured.
    The newest revision is the last re-orders use."""

    __tablename__ = "last_revision"
    __table_args__ = (UniqueConstraint("last_key", "revision", name="uq_last_revision_key_revision"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_key: Mapped[str] = mapped_column(String(64), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    style: Mapped[str] = mapped_column(String(64))
    side: Mapped[str] = mapped_column(String(8))
    parameters: Mapped[dict[str, Any]] = mapped_column()
    measured: Mapped[dict[str, Any]] = mapped_column()
    changes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    max_error_mm: Mapped[float] = mapped_column(Float, default=0.0)
    source: Mapped[str] = mapped_column(String(16))  # fitted | feedback
    pair_id: Mapped[int | None] = mapped_column(ForeignKey("pair.id"))
    feedback_id: Mapped[int | None] = mapped_column(ForeignKey("fit_feedback.id"))
    artifact_id: Mapped[int] = mapped_column(ForeignKey("artifact.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)


class PurchaseOrder(Base):
    """An order placed with one supplier (docs/inventory.md). Its state (open, partly received, received,
    cancelled) is derived from its lines' receipts and ``cancelled_at``, never stored."""

    __tablename__ = "purchase_order"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)  # PO-000001
    supplier: Mapped[str] = mapped_column(String(200), index=True)
    placed_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)
    expected_at: Mapped[datetime] = mapped_column(UtcDateTime())  # placed + the longest line lead time
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    note: Mapped[str] = mapped_column(Text, default="")

    lines: Mapped[list[PurchaseOrderLine]] = relationship(
        back_populates="purchase_order", order_by="PurchaseOrderLine.id", cascade="all, delete-orphan"
    )


class PurchaseOrderLine(Base):
    """One material of a purchase order, in the material's catalogue unit."""

    __tablename__ = "purchase_order_line"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    purchase_order_id: Mapped[int] = mapped_column(ForeignKey("purchase_order.id"), index=True)
    material_id: Mapped[str] = mapped_column(String(64), index=True)
    quantity: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(8))
    unit_cost_eur: Mapped[float] = mapped_column(Float)

    purchase_order: Mapped[PurchaseOrder] = relationship(back_populates="lines")


class StockLot(Base):
    """A quantity of one material received together: the supplier's batch, its hide grade (hides), its cost.
    How much of it is on hand, reserved or free is derived from its ``stock_movement`` rows, never stored."""

    __tablename__ = "stock_lot"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    material_id: Mapped[str] = mapped_column(String(64), index=True)
    supplier: Mapped[str] = mapped_column(String(200))
    batch: Mapped[str] = mapped_column(String(100))
    grade: Mapped[str | None] = mapped_column(String(1))  # SATRA hide grade as received (A best … F)
    unit: Mapped[str] = mapped_column(String(8))
    unit_cost_eur: Mapped[float | None] = mapped_column(Float)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())
    purchase_order_line_id: Mapped[int | None] = mapped_column(ForeignKey("purchase_order_line.id"), index=True)
    note: Mapped[str] = mapped_column(Text, default="")


class StockMovement(Base):
    """One append-only stock fact on a lot (docs/inventory.md): receive, reserve, unreserve, consume (from a
    work order's reservation), consume_unreserved, adjust (signed). Quantities are in the lot's unit."""

    __tablename__ = "stock_movement"
    __table_args__ = (Index("ix_stock_movement_material_occurred", "material_id", "occurred_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("stock_lot.id"), index=True)
    material_id: Mapped[str] = mapped_column(String(64))  # the lot's material (denormalised for the queries)
    kind: Mapped[str] = mapped_column(String(24))
    quantity: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(8))
    work_order_id: Mapped[int | None] = mapped_column(ForeignKey("work_order.id"), index=True)
    cutting_job_id: Mapped[int | None] = mapped_column(ForeignKey("cutting_job.id"), index=True)
    demand_material_id: Mapped[str | None] = mapped_column(String(64))  # the BOM line's material it serves
    variance: Mapped[float | None] = mapped_column(Float)  # consumption: nest − BOM estimate, in ``unit``
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime())
    note: Mapped[str] = mapped_column(Text, default="")


# Progress reads find a pair's newest event through this (is its stored summary behind?), one index probe.
Index("ix_tracking_event_pair_id_id", TrackingEvent.pair_id, TrackingEvent.id)


class PairProgress(Base):
    """A pair's progress as its tracking events add up (manufacturing/tracking/summary.py): its work order's
    derived state, each operation's, the counts and its newest event, so reads need no replay. Derived, never
    the record: ingest keeps it in the same transaction, and a read that finds it missing, of an older
    ``version`` or behind the events (``last_event_id``) recomputes it from ``tracking_event``."""

    __tablename__ = "pair_progress"

    pair_id: Mapped[int] = mapped_column(ForeignKey("pair.id"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)  # the summary's format: another one is recomputed
    work_order_id: Mapped[int | None] = mapped_column(Integer)  # the work order it was derived for
    state: Mapped[str] = mapped_column(String(32), index=True)  # states.WorkOrderState, or not_released
    current_operation: Mapped[str | None] = mapped_column(String(64))  # the first operation not done
    done_fraction: Mapped[float | None] = mapped_column(Float)
    material_reserved: Mapped[bool] = mapped_column(Boolean)
    operations: Mapped[list[Any]] = mapped_column()  # [{seq, code, state, passes, station, started_at}]
    shortages: Mapped[list[Any]] = mapped_column()  # why it awaits material: Shortage dicts
    event_count: Mapped[int] = mapped_column(Integer)
    last_event_id: Mapped[int] = mapped_column(Integer)  # the newest tracking_event.id counted (0: none)
    last_event_at: Mapped[datetime | None] = mapped_column(UtcDateTime())  # the latest occurred_at
    last_seen: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # station, operation, event_type, occurred_at
    invalid_count: Mapped[int] = mapped_column(Integer)
    invalid_events: Mapped[list[Any]] = mapped_column()  # the newest few: {event_id, event_type, operation, reason}
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class LedgerSeal(Base):
    """An interval seal of the ledger (docs/tracking.md): the Merkle root over every entry recorded since the
    previous seal, chained to it by ``prev_hash``, and published, signed, outside the database."""

    __tablename__ = "ledger_seal"

    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)  # 1, 2, ...
    prev_hash: Mapped[str] = mapped_column(String(64))
    root: Mapped[str] = mapped_column(String(64))
    leaves: Mapped[int] = mapped_column(Integer)
    pairs: Mapped[int] = mapped_column(Integer)
    seal_hash: Mapped[str] = mapped_column(String(64))
    sealed_at: Mapped[datetime] = mapped_column(UtcDateTime())


class LedgerSealSpan(Base):
    """The entries ``first_seq``..``last_seq`` of one pair that one seal covers, with their hashes as sealed
    (concatenated hex, 64 characters each): what lets verification name the entry that changed."""

    __tablename__ = "ledger_seal_span"
    __table_args__ = (UniqueConstraint("pair_id", "first_seq", name="uq_ledger_seal_span_pair_first"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seal_number: Mapped[int] = mapped_column(ForeignKey("ledger_seal.number"), index=True)
    pair_id: Mapped[int] = mapped_column(ForeignKey("pair.id"))
    first_seq: Mapped[int] = mapped_column(Integer)
    last_seq: Mapped[int] = mapped_column(Integer)
    hashes: Mapped[str] = mapped_column(Text)


class IdentityProof(Base):
    """A proof of who someone is (manufacturing/accounts/identity.py): an e-mailed verification link for an
    account (``account_id``), or a claim code printed for a customer staff recorded (``customer_id``). Only the
    SHA-256 of the secret is stored; each works once (``used_at``), until ``expires_at``."""

    __tablename__ = "identity_proof"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # identity.ProofKind
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class BaseLastRecord(Base):
    """A shop's own last, scanned and imported as a base last (lasts/base_lasts.py, manufacturing/lasts_library):
    our parametric last's parameters with the shape field that makes it the scanned last (a right last), what was
    detected on the scan, and how closely the rebuilt last matches it. The scan's file is a blob
    (``source_sha256``). Without one, a style's base is the parametric last."""

    __tablename__ = "base_last"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    style: Mapped[str | None] = mapped_column(String(64), index=True)  # None: a base for any style
    source_sha256: Mapped[str] = mapped_column(String(64), index=True)
    source_filename: Mapped[str] = mapped_column(String(255))
    source_format: Mapped[str] = mapped_column(String(8))
    units: Mapped[str] = mapped_column(String(4))  # the file's: mm, cm, m, in
    scanned_side: Mapped[str] = mapped_column(String(8))
    parameters: Mapped[dict[str, Any]] = mapped_column()  # LastParameters.to_dict(), the shape field included
    landmarks: Mapped[dict[str, Any]] = mapped_column()  # BaseLastLandmarks.to_dict()
    measured: Mapped[dict[str, Any]] = mapped_column()  # measure_last of the rebuilt last, mm
    deviation_p95_mm: Mapped[float] = mapped_column(Float)  # rebuilt vs scanned surface, both ways
    deviation_max_mm: Mapped[float] = mapped_column(Float)
    deviation_max_off_feather_mm: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utc_now)
