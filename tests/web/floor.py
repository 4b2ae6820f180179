"""A shop floor driven over HTTP for the API and browser tests: real orders placed through ``POST /api/orders``
(the shared FIND foot), their pipelines run, then the floor's scan events sent to ``POST /api/tracking/events``
as readers and terminals send them. Works with the TestClient and with an ``httpx.Client`` on a live server."""

from __future__ import annotations

import json
import struct
import uuid
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx


@dataclass
class Floor:
    """Sends events as they happen: each one at the clock's time (events may not lie in the future)."""

    client: httpx.Client
    last: datetime | None = None
    sent: dict[str, int] = field(default_factory=dict)  # events per serial
    finishes: int = 0  # operations finished (or passed at a QC point) with a worker

    def at(self) -> str:
        now = datetime.now(UTC)
        if self.last is not None and now <= self.last:  # strictly after the previous one: the order is the fact
            now = self.last + timedelta(microseconds=1)
        self.last = now
        return now.isoformat()

    def event(self, serial: str, operation: str, event_type: str, station: str | None = None, **payload: Any) -> None:
        body = {
            "event_id": str(uuid.uuid4()), "pair_serial": serial, "station": station or operation,
            "operation": operation, "event_type": event_type, "occurred_at": self.at(), "reader_id": "terminal-1",
            "payload": payload,
        }  # fmt: skip
        response = self.client.post("/api/tracking/events", json=body)
        assert response.status_code == 202, response.text
        assert response.json()["stored"] == 1, response.text
        self.sent[serial] = self.sent.get(serial, 0) + 1
        if event_type in ("finished", "qc_passed") and payload.get("worker"):
            self.finishes += 1

    def operations(self, serial: str) -> list[dict[str, Any]]:
        progress = self.client.get(f"/api/pairs/{serial}/progress").json()
        assert progress["work_order"] is not None, f"{serial} has no work order"
        operations: list[dict[str, Any]] = progress["work_order"]["operations"]
        return operations

    def reserve(self, serial: str) -> None:
        self.event(serial, "work_order", "material_reserved", station="stores")

    def run_through(self, serial: str, until: str | None = None, worker: str = "W-7") -> None:
        """Reserve the material (once) and finish every open operation before ``until`` (QC points pass)."""
        progress = self.client.get(f"/api/pairs/{serial}/progress").json()["work_order"]
        if not progress["material_reserved"]:
            self.reserve(serial)
        for op in self.operations(serial):
            if op["code"] == until:
                return
            if op["state"] == "done":
                continue
            if op["code"].startswith("qc_"):
                self.event(serial, op["code"], "qc_passed", worker=worker)
                continue
            if op["state"] != "in_progress":
                self.event(serial, op["code"], "started", worker=worker)
            self.event(serial, op["code"], "finished", worker=worker)


def place_order(client: httpx.Client, scan: bytes, style: str = "derby", pairs: int = 1,
                email: str = "staff-test@example.com") -> dict[str, Any]:  # fmt: skip
    response = client.post(
        "/api/orders",
        files={"scan": ("find_template.obj", scan, "application/octet-stream")},
        data={"options": json.dumps({"style": style, "pairs": pairs}), "email": email},
    )
    assert response.status_code == 201, response.text
    placed: dict[str, Any] = response.json()
    return placed


# A final inspection that passes every item of the qc-final template.
FINAL_PASS = {
    "measurements": {"length_vs_last_mm": 0.4, "length_difference_mm": 0.3, "heel_height_difference_mm": 0.2,
                     "colour_delta_e": 0.8},
    "checks": {"no_glue_marks": True, "sole_bond_closed": True, "finish_clean": True},
}  # fmt: skip


def png(width: int = 4, height: int = 3) -> bytes:
    """A small grey PNG (what a QC terminal's camera would send, smaller)."""
    rows = b"".join(b"\x00" + bytes([128, 128, 128]) * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
