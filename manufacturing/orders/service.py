"""Placing an order. Services never commit: the caller (request or CLI) commits, then the runs start."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from configurator.options import DesignOptions
from geometry.errors import ConflictError, InputError
from geometry.exchange.meshes import sniff_mesh_format
from lasts.side import Side
from manufacturing.artifacts import ArtifactStore
from manufacturing.db import repositories
from manufacturing.db.models import Design, FootScan, Order, Pair, PipelineRun
from manufacturing.pipeline.stages import ORDER_PIPELINE

# Serials avoid look-alike characters (0/O, 1/I) because people read them off labels.
_SERIAL_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
MAX_PAIRS_PER_ORDER = 20  # as DesignOptions.pairs allows


@dataclass(frozen=True)
class PlacedOrder:
    order_id: int
    order_number: str
    design_id: int
    foot_scan_id: int
    pair_serials: tuple[str, ...]
    run_ids: tuple[int, ...]
    stages: tuple[str, ...]


def new_serial(prefix: str = "CS") -> str:
    token = "".join(secrets.choice(_SERIAL_ALPHABET) for _ in range(8))
    return f"{prefix}{datetime.now(UTC):%y}-{token}"


def place_order(
    session: Session,
    store: ArtifactStore,
    *,
    customer_email: str,
    scan_filename: str,
    scan_bytes: bytes,
    options: DesignOptions,
    customer_name: str = "",
    scan_side: Side | None = None,
) -> PlacedOrder:
    """Store the scan, the design snapshot, the order, its pairs and one queued pipeline run per pair.
    ``scan_side``: the side the customer confirmed (the pipeline measures the scan as that foot)."""
    sniff_mesh_format(scan_bytes, scan_filename)  # reject non-scan files now, before anything is stored
    customer = repositories.get_or_create_customer(session, customer_email, customer_name)
    blob = store.put_bytes(scan_bytes)
    upload = repositories.add_artifact(
        session,
        blob,
        kind="scan.upload",
        filename=scan_filename,
        media_type="application/octet-stream",
        input_key=f"scan:{blob.sha256}",
        stage="upload",
        stage_version=1,
    )
    scan = FootScan(
        customer=customer,
        original_filename=scan_filename,
        sha256=blob.sha256,
        size_bytes=blob.size_bytes,
        upload_artifact=upload,
        summary={},
        confirmed_side=None if scan_side is None else scan_side.value,
    )
    design = Design(
        design_key=str(uuid.uuid4()),
        revision=1,
        customer_id=customer.id,
        foot_scan=scan,
        style=options.style,
        options=options.model_dump(mode="json"),
    )
    session.add_all([scan, design])
    return _order_pairs(session, customer.id, design, scan, options.pairs)


def place_order_for_design(session: Session, design: Design, pairs: int | None = None) -> PlacedOrder:
    """An order of a saved design revision (the configurator's, or a re-order) for its own customer: the
    design's scan is measured and fitted again by the pipeline, which reuses the stored stage outputs."""
    scan = design.foot_scan
    if scan is None:
        raise ConflictError(
            f"design {design.id} has no foot scan (it was made from a last's parameters); order it with a scan",
            design_id=design.id,
        )
    count = pairs if pairs is not None else int(design.options.get("pairs", 1))
    if not 1 <= count <= MAX_PAIRS_PER_ORDER:
        raise InputError(f"an order holds 1 to {MAX_PAIRS_PER_ORDER} pairs, not {count}", pairs=count)
    return _order_pairs(session, design.customer_id, design, scan, count)


def _order_pairs(session: Session, customer_id: int, design: Design, scan: FootScan, pairs: int) -> PlacedOrder:
    order = Order(number=f"O{datetime.now(UTC):%y%m%d}-{secrets.token_hex(3).upper()}", customer_id=customer_id)
    session.add(order)
    runs = []
    serials = []
    for _ in range(pairs):
        pair = Pair(serial=new_serial(), order=order, design=design)
        run = PipelineRun(pair=pair, stages=list(ORDER_PIPELINE))
        session.add_all([pair, run])
        runs.append(run)
        serials.append(pair.serial)
    session.flush()
    return PlacedOrder(
        order_id=order.id,
        order_number=order.number,
        design_id=design.id,
        foot_scan_id=scan.id,
        pair_serials=tuple(serials),
        run_ids=tuple(run.id for run in runs),
        stages=ORDER_PIPELINE,
    )
