"""The rework list on SQLite and PostgreSQL: a pair is on it while its latest inspection at a checkpoint failed,
with what failed and where it goes back to; a new inspection there takes it off."""

from manufacturing.db.session import session_scope
from manufacturing.qc import service
from manufacturing.qc.rework import rework_list
from manufacturing.qc.templates import Checkpoint
from tests.manufacturing.qc.shop import Shop

GOOD_FINAL = {"length_vs_last_mm": 0.4, "length_difference_mm": 0.5, "heel_height_difference_mm": 0.2,
              "colour_delta_e": 1.1}  # fmt: skip
CLEAN = {"no_glue_marks": True, "sole_bond_closed": True, "finish_clean": True}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def inspect(shop: Shop, pair: int, checkpoint: Checkpoint, measured: dict, checks: dict, photos=None) -> None:
    with session_scope(shop.sessions) as session:
        started = service.start_inspection(session, pair, checkpoint, now=shop.at())
        service.record_inspection(session, shop.store, started.inspection.id, measured, checks, photos, now=shop.at())


def listed(shop: Shop) -> list[tuple[str, str, int, str | None, list[str]]]:
    with session_scope(shop.sessions) as session:
        return [(r["pair_serial"], r["checkpoint"], r["attempt"], r["rework_to"], r["defect_codes"])
                for r in rework_list(session)]  # fmt: skip


def test_pairs_stay_on_the_rework_list_until_a_new_inspection(shop: Shop) -> None:
    first, second = shop.pair_ids[0], shop.pair_ids[1]
    shop.run_through(first, until="qc_final")
    shop.run_through(second, until="skiving")
    assert listed(shop) == []
    inspect(shop, first, Checkpoint.FINAL, {**GOOD_FINAL, "colour_delta_e": 3.5}, CLEAN)
    inspect(shop, second, Checkpoint.CUTTING, {"piece_outline_deviation_mm": 0.2},
            {"piece_count_complete": True, "no_hide_defects_visible": False, "stretch_direction_ok": True},
            {"no_hide_defects_visible": [PNG]})  # fmt: skip
    assert listed(shop) == [("CS26-QC0", "final", 1, "finishing", ["COL"]),
                            ("CS26-QC1", "cutting", 1, "cutting", ["CUT-HIDE"])]  # fmt: skip
    with session_scope(shop.sessions) as session:
        states = {r["pair_serial"]: (r["work_order_state"], r["rework_operation_state"]) for r in rework_list(session)}
    assert states["CS26-QC0"] == ("rework", "rework")
    shop.run_through(first, until="qc_final")  # finishing again
    inspect(shop, first, Checkpoint.FINAL, GOOD_FINAL, CLEAN)
    assert listed(shop) == [("CS26-QC1", "cutting", 1, "cutting", ["CUT-HIDE"])]
