"""A DPP-style (EU Digital Product Passport) JSON export of one pair: identity, materials and their lots, each
process step with station, worker, time and QC result, and the ledger's proof (head hash, sealed day roots,
verification), so a third party can check the record against the published roots."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.orm import Session

from manufacturing.clock import utc_now
from manufacturing.db import repositories
from manufacturing.ledger import repository
from manufacturing.ledger.ledger import merkle_proof
from manufacturing.ledger.qr import provenance_url
from manufacturing.ledger.service import verify_pair
from manufacturing.tracking import repository as tracking_repository

DPP_SCHEMA = "cspms-dpp/1"


def export_dpp(session: Session, serial: str, base_url: str) -> dict[str, Any]:
    pair = repositories.get_pair_by_serial(session, serial)
    links = repository.chain(session, pair.id)
    work_order = tracking_repository.work_order_of_pair(session, pair.id)
    bom = work_order.bom if work_order else {}
    steps, lots = [], []
    for link in links:
        fact = json.loads(link.body).get("fact", {})
        if fact.get("event_type") == "material_issued":
            lots.append({"lot": fact["payload"].get("lot"), "material": fact["payload"].get("material"),
                         "issued_at": fact["occurred_at"], "station": fact["station"]})  # fmt: skip
            continue
        step = {"seq": link.seq, "operation": fact.get("operation"), "event": fact.get("event_type"),
                "station": fact.get("station"), "worker": fact.get("worker"), "at": fact.get("occurred_at"),
                "entry_hash": link.entry_hash}  # fmt: skip
        if fact.get("event_type") in ("qc_passed", "qc_failed"):
            step["qc"] = {"result": "pass" if fact["event_type"] == "qc_passed" else "fail",
                          "defects": fact.get("payload", {}).get("defects", [])}  # fmt: skip
        steps.append(step)
    sealed = repository.sealed_days(session, sorted({k.day for k in links}))
    anchors = []
    for day, (root, leaves) in sorted(sealed.items()):
        day_leaves = repository.day_leaves(session, day)
        last = max((k for k in links if k.day == day), key=lambda k: k.seq)
        anchors.append({"day": day, "merkle_root": root, "leaves": leaves, "entry_hash": last.entry_hash,
                        "proof": merkle_proof(day_leaves, day_leaves.index(last.entry_hash))
                        if last.entry_hash in day_leaves else None})  # fmt: skip
    verification = verify_pair(session, serial)
    return {
        "schema": DPP_SCHEMA, "generated_at": utc_now().isoformat(),
        "product": {"serial": serial, "order_id": pair.order_id, "style": pair.design.style,
                    "options": pair.design.options, "created_at": pair.created_at.isoformat()},
        "materials": {"bill_of_materials": bom, "lots": lots},
        "process": steps,
        "ledger": {"entries": len(links), "head_hash": verification.head_hash, "verified": verification.ok,
                   "problems": [p.message for p in verification.problems], "anchors": anchors,
                   "hash": "sha256 over canonical JSON, chained by prev; RFC 6962 Merkle roots per UTC day"},
        "provenance_url": provenance_url(base_url, serial),
    }  # fmt: skip
