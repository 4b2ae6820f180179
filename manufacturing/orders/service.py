"""Placing an order. Services never commit: the caller (request or CLI) commits, then the runs start."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from configurator.options import DesignOptions
from geometry.exchange.meshes import sniff_mesh_format
from manufacturing.artifacts import ArtifactStore
from manufacturing.db import repositories
from manufacturing.db.models import Design, FootScan, Order, Pair, PipelineRun
from manufacturing.pipeline.stages import ORDER_PIPELINE

# Serials avoid look-alike characters (0/O, 1/I) because people read them off labels.
_SERIAL_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


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
) -> PlacedOrder:
    """Store the scan, the design snapshot, the order, its pairs and one queued pipeline run per pair."""
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
    )
    design = Design(
        design_key=str(uuid.uuid4()),
        revision=1,
        customer_id=customer.id,
        foot_scan=scan,
        style=options.style,
        options=options.model_dump(mode="json"),
    )
    order = Order(number=f"O{datetime.now(UTC):%y%m%d}-{secrets.token_hex(3).upper()}", customer_id=customer.id)
    session.add_all([scan, design, order])
    runs = []
    serials = []
    for _ in range(options.pairs):
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
