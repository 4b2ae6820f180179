"""QC metrics, pure over finished inspections (docs/qc.md):

- **first-pass yield**: pairs that passed every checkpoint they were inspected at on the first attempt, over
  pairs inspected; also per checkpoint (first attempts passed / first attempts);
- **rework rate**: failed inspections (each sends a pair back to rework) over finished inspections;
- **defect Pareto**: defect codes by how many failed items raised them, most first, with each one's share
  and the cumulative share (the few codes that make most of the defects come first).

``qc_report`` is the shell: it loads the inspections and calls ``compute_metrics``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from manufacturing.qc import repository
from manufacturing.qc.templates import DEFECT_CODES


@dataclass(frozen=True)
class InspectionRecord:
    pair_id: int
    checkpoint: str
    attempt: int
    passed: bool
    defect_codes: Sequence[str]  # one per failed item (repeats count)


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None


def compute_metrics(records: Iterable[InspectionRecord]) -> dict[str, Any]:
    records = list(records)
    pairs: dict[int, bool] = {}
    first: dict[str, list[bool]] = {}
    for r in records:
        pairs[r.pair_id] = pairs.get(r.pair_id, True) and r.passed and r.attempt == 1
        if r.attempt == 1:
            first.setdefault(r.checkpoint, []).append(r.passed)
    failed = sum(1 for r in records if not r.passed)
    counts = Counter(code for r in records for code in r.defect_codes)
    total = sum(counts.values())
    pareto, cumulative = [], 0
    for code, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        cumulative += n
        description = DEFECT_CODES[code].description if code in DEFECT_CODES else ""
        pareto.append({"code": code, "description": description, "count": n, "share": round(n / total, 4),
                       "cumulative_share": round(cumulative / total, 4)})  # fmt: skip
    return {
        "inspections": len(records),
        "pairs_inspected": len(pairs),
        "first_pass_yield": _ratio(sum(pairs.values()), len(pairs)),
        "first_pass_yield_by_checkpoint": {c: _ratio(sum(v), len(v)) for c, v in sorted(first.items())},
        "failed_inspections": failed,
        "rework_rate": _ratio(failed, len(records)),
        "defects": total,
        "defect_pareto": pareto,
    }


def qc_report(session: Session) -> dict[str, Any]:
    """The metrics over every finished inspection in the database."""
    records = [
        InspectionRecord(
            row.pair_id,
            row.checkpoint,
            row.attempt,
            bool(row.passed),
            [r.defect_code for r in row.results if r.defect_code and not r.passed],
        )
        for row in repository.completed_inspections(session)
    ]
    return compute_metrics(records)
