"""First-pass yield, rework rate and the defect Pareto on a small history."""

import pytest

from manufacturing.qc.metrics import InspectionRecord, compute_metrics


def test_metrics_on_a_small_history() -> None:
    records = [
        InspectionRecord(1, "final", 1, True, []),
        InspectionRecord(2, "final", 1, False, ["GLUE", "COL"]),
        InspectionRecord(2, "final", 2, True, []),
        InspectionRecord(3, "lasting", 1, False, ["GLUE"]),
        InspectionRecord(3, "lasting", 2, False, ["LEN", "GLUE"]),
        InspectionRecord(3, "lasting", 3, True, []),
        InspectionRecord(3, "final", 1, True, []),
        InspectionRecord(4, "lasting", 1, True, []),
    ]
    m = compute_metrics(records)
    assert m["pairs_inspected"] == 4 and m["inspections"] == 8
    assert m["first_pass_yield"] == pytest.approx(2 / 4)  # pairs 1 and 4
    assert m["first_pass_yield_by_checkpoint"] == {"final": 0.6667, "lasting": 0.5}
    assert m["rework_rate"] == pytest.approx(3 / 8)
    pareto = m["defect_pareto"]
    assert [(p["code"], p["count"]) for p in pareto] == [("GLUE", 3), ("COL", 1), ("LEN", 1)]
    assert pareto[0]["share"] == pytest.approx(0.6) and pareto[-1]["cumulative_share"] == pytest.approx(1.0)


def test_no_inspections_give_no_rates() -> None:
    m = compute_metrics([])
    assert m["first_pass_yield"] is None and m["rework_rate"] is None and m["defect_pareto"] == []
