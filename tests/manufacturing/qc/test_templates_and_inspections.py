"""Templates and the pure judging of an inspection against its template copy."""

import pytest

from manufacturing.qc.errors import InspectionError
from manufacturing.qc.inspections import evaluate
from manufacturing.qc.templates import DEFAULT_TEMPLATES, DEFECT_CODES, Checkpoint, ItemKind, QcTemplate

ROUTING = ["cutting", "skiving", "closing_machine", "lasting", "sole_attaching", "finishing", "qc_final", "packing"]
GOOD_FINAL = {"length_vs_last_mm": 0.4, "length_difference_mm": 0.5, "heel_height_difference_mm": 0.2,
              "colour_delta_e": 1.1}  # fmt: skip
CLEAN = {"no_glue_marks": True, "sole_bond_closed": True, "finish_clean": True}


def test_every_checkpoint_has_a_valid_template_that_round_trips() -> None:
    assert set(DEFAULT_TEMPLATES) == set(Checkpoint)
    for template in DEFAULT_TEMPLATES.values():
        again = QcTemplate.from_json(template.to_json())
        assert again == template and again.sha256() == template.sha256()
        assert all(i.defect_code in DEFECT_CODES for i in template.items)
        assert all(i.unit for i in template.items if i.kind == ItemKind.MEASURED)
    final = DEFAULT_TEMPLATES[Checkpoint.FINAL].item("length_vs_last_mm")
    assert (final.lower, final.upper, final.unit) == (-1.0, 1.0, "mm")


def test_a_good_pair_passes_and_limits_are_inclusive() -> None:
    template = DEFAULT_TEMPLATES[Checkpoint.FINAL]
    outcome = evaluate(template, {**GOOD_FINAL, "length_vs_last_mm": -1.0}, CLEAN, routing_codes=ROUTING)
    assert outcome.passed and outcome.defect_codes == () and outcome.rework_to is None


def test_a_failure_names_its_defects_and_the_earliest_operation_to_rework() -> None:
    template = DEFAULT_TEMPLATES[Checkpoint.FINAL]
    outcome = evaluate(template, {**GOOD_FINAL, "length_vs_last_mm": 1.3, "colour_delta_e": 2.5},
                       {**CLEAN, "no_glue_marks": False}, {"no_glue_marks": 1}, ROUTING)  # fmt: skip
    assert not outcome.passed
    assert outcome.defect_codes == ("LEN", "COL", "GLUE")
    assert outcome.rework_to == "lasting"  # before finishing: redoing lasting redoes what follows
    glue = evaluate(template, GOOD_FINAL, {**CLEAN, "no_glue_marks": False}, {"no_glue_marks": 2}, ROUTING)
    assert glue.rework_to == "finishing" and glue.defect_codes == ("GLUE",)


def test_closing_resolves_to_the_routings_closing() -> None:
    template = DEFAULT_TEMPLATES[Checkpoint.CLOSING]
    values = {"stitch_density_per_cm": 2.0, "quarter_height_difference_mm": 0.5, "colour_delta_e": 0.5}
    hand = ["cutting", "skiving", "closing_hand", "qc_upper", "lasting"]
    outcome = evaluate(template, values, {"no_skipped_stitches": True}, routing_codes=hand)
    assert outcome.rework_to == "closing_hand" and outcome.defect_codes == ("STI-DENS",)


def test_incomplete_or_unknown_input_is_refused() -> None:
    template = DEFAULT_TEMPLATES[Checkpoint.FINAL]
    with pytest.raises(InspectionError, match="length_difference_mm"):
        evaluate(template, {"length_vs_last_mm": 0.0}, CLEAN)
    with pytest.raises(InspectionError, match="photo is required"):
        evaluate(template, GOOD_FINAL, {**CLEAN, "finish_clean": False})
    with pytest.raises(InspectionError, match="not in template"):
        evaluate(template, {**GOOD_FINAL, "stitch_density_per_cm": 4.0}, CLEAN)
