"""The ledger: every single-field edit, insertion and deletion of a chain is detected (pure, and in the
database for a sample of each kind), Merkle proofs check out, the DPP export and the QR code."""

import json
from datetime import timedelta

from lxml import etree
from sqlalchemy import delete

from benchmarks.tracking import sample_chain, tamper_campaign
from manufacturing.boards.passport import export_dpp
from manufacturing.db.models import LedgerEntry, LedgerHead, TrackingEvent
from manufacturing.db.session import session_scope
from manufacturing.ledger.ledger import merkle_proof, merkle_root, verify_proof
from manufacturing.ledger.qr import label_qr_svg
from manufacturing.ledger.service import seal_days, verify_pair
from manufacturing.tracking.events import parse_events
from manufacturing.tracking.ingest import ingest_committed
from tests.manufacturing.tracking.shop import T0, Shop, full_run


def test_every_single_mutation_is_detected() -> None:
    links, facts = sample_chain(events=12)
    report = tamper_campaign(links, facts)
    assert report["rate"] == 1.0 and report["mutations"] > 400
    assert report["insert"]["mutations"] == 13 and report["delete"]["mutations"] == 12


def test_merkle_proofs_for_every_leaf_and_size() -> None:
    for n in range(1, 12):
        leaves = [f"{k:064x}" for k in range(n)]
        root = merkle_root(leaves)
        for k in range(n):
            assert verify_proof(leaves[k], merkle_proof(leaves, k), root)
            assert not verify_proof(f"{n + 1:064x}", merkle_proof(leaves, k), root)


def _stored(shop: Shop) -> None:
    ingest_committed(shop.sessions, parse_events(full_run(shop.serials[0])), now=T0 + timedelta(hours=3))


def test_tampering_in_the_database_is_caught(shop: Shop) -> None:
    _stored(shop)
    serial = shop.serials[0]
    tamperings = [
        lambda s: s.execute(delete(LedgerEntry).where(LedgerEntry.seq == 18)),  # the last entry
        lambda s: s.execute(delete(LedgerEntry).where(LedgerEntry.seq == 5)),
        lambda s: s.execute(LedgerEntry.__table__.update().where(LedgerEntry.seq == 2).values(kind="material_lot")),
        lambda s: s.execute(
            TrackingEvent.__table__.update()
            .where(TrackingEvent.event_type == "qc_passed")
            .values(event_type="qc_failed")
        ),
        lambda s: s.execute(delete(TrackingEvent).where(TrackingEvent.operation == "packing")),
        lambda s: s.execute(LedgerHead.__table__.update().values(seq=17)),
    ]
    for tamper in tamperings:
        with session_scope(shop.sessions) as session:
            assert verify_pair(session, serial).ok
            nested = session.begin_nested()
            tamper(session)
            assert not verify_pair(session, serial).ok
            nested.rollback()


def test_dpp_export_and_label_qr(shop: Shop) -> None:
    _stored(shop)
    with session_scope(shop.sessions) as session:
        seal_days(session, now=T0 + timedelta(days=1))
        dpp = export_dpp(session, shop.serials[0], "http://shop.example/")
    assert dpp["ledger"]["verified"] and dpp["ledger"]["entries"] == 19  # 18 readings + the kit reserved at release
    assert dpp["materials"]["lots"] == [
        {
            "lot": "LOT-CALF-0042",
            "material": "calf-black",
            "issued_at": (T0 + timedelta(minutes=0.5)).isoformat(),
            "station": "STORES",
        }
    ]
    qc = [s for s in dpp["process"] if "qc" in s]
    assert qc and qc[0]["qc"]["result"] == "pass" and qc[0]["worker"] == "W-7"
    anchor = dpp["ledger"]["anchors"][0]
    assert verify_proof(anchor["entry_hash"], anchor["proof"], anchor["merkle_root"])
    assert dpp["provenance_url"] == f"http://shop.example/pairs/{shop.serials[0]}/provenance"
    json.dumps(dpp)
    svg = etree.fromstring(label_qr_svg(dpp["provenance_url"]).encode())
    assert svg.tag.endswith("svg")
