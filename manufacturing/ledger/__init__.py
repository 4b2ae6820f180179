"""Traceability: an append-only, hash-chained ledger per pair, daily Merkle roots, verification, the
DPP-style export and the label's QR code (docs/tracking.md)."""
