import pytest

from lasts.errors import LastError
from lasts.fitting import TARGET_KEYS, FitRules, StyleAllowances, fit_last, fit_targets
from lasts.scans import MeasuredFoot


@pytest.fixture(scope="module")
def find_values(find_foot: MeasuredFoot) -> dict:
    return find_foot.measurements.values()


@pytest.mark.parametrize("style", ["oxford", "derby", "penny_loafer", "low_top_sneaker", "chelsea_boot"])
def test_the_solved_last_measures_its_targets_on_the_find_foot(find_values: dict, style: str) -> None:
    targets, fit = fit_last(find_values, "left", style, face_count=30_000)
    assert fit.max_error_mm <= 0.1, fit.errors_mm
    # achieved carries the scan's own keys, measured on the last with the foot's definitions
    assert set(TARGET_KEYS) <= set(fit.achieved)
    assert fit.last.params.side == "left"
    assert fit.last.params.heel_height_mm == targets.heel_height_mm


def test_allowances_follow_style_toe_shape_fit_and_sock(find_values: dict) -> None:
    regular = fit_targets(find_values, "derby", "regular")
    roomy = fit_targets(find_values, "derby", "roomy")
    pointed = fit_targets(find_values, "derby", "regular", toe_shape="pointed")
    loafer = fit_targets(find_values, "penny_loafer", "regular")
    foot = find_values
    assert regular.values["foot_length_mm"] == pytest.approx(foot["foot_length_mm"] + 16.0)
    # ball girth at foot measure plus the 5 mm sock; instep two widths (12.7 mm) under, plus the sock
    assert regular.values["ball_girth_mm"] == pytest.approx(foot["ball_girth_mm"] + 5.0)
    assert regular.values["instep_girth_mm"] == pytest.approx(foot["instep_girth_mm"] - 12.7 + 5.0)
    assert roomy.values["ball_girth_mm"] == pytest.approx(regular.values["ball_girth_mm"] + 4.0)
    assert roomy.values["foot_length_mm"] == pytest.approx(regular.values["foot_length_mm"] + 3.0)
    assert pointed.values["foot_length_mm"] == pytest.approx(regular.values["foot_length_mm"] + 6.0)
    # a slip-on keeps more room where the foot gets in
    assert loafer.values["instep_girth_mm"] > regular.values["instep_girth_mm"]


def test_a_factory_overrides_the_rules(find_values: dict) -> None:
    rules = FitRules(styles={"derby": StyleAllowances(toe_allowance_mm=20.0)}, sock_allowance_mm=0.0)
    targets = fit_targets(find_values, "derby", rules=rules)
    assert targets.values["foot_length_mm"] == pytest.approx(find_values["foot_length_mm"] + 20.0)
    assert targets.values["ball_girth_mm"] == pytest.approx(find_values["ball_girth_mm"])


@pytest.mark.parametrize(
    ("changes", "names"),
    [
        ({"ball_girth_mm": 150.0}, ["ball girth 150.0", "foot length"]),
        ({"foot_length_mm": 900.0}, ["foot length 900.0", "human"]),
        ({"waist_girth_mm": None}, ["no waist girth"]),
        ({"heel_width_mm": -3.0}, ["heel_width_mm is -3.0"]),
    ],
)
def test_a_foot_outside_human_ranges_is_refused_by_name(find_values: dict, changes: dict, names: list) -> None:
    with pytest.raises(LastError) as caught:
        fit_targets({**find_values, **changes}, "derby")
    for name in names:
        assert name in str(caught.value)


def test_negative_and_absurd_allowances_are_refused(find_values: dict) -> None:
    short = FitRules(styles={"derby": StyleAllowances(toe_allowance_mm=-4.0)})
    with pytest.raises(LastError, match=r"toe allowance -4\.0 mm is negative"):
        fit_targets(find_values, "derby", rules=short)
    crushing = FitRules(styles={"derby": StyleAllowances(toe_allowance_mm=15.0, instep_girth_ease_mm=-40.0)})
    with pytest.raises(LastError, match=r"instep_girth allowance -35\.0 mm"):
        fit_targets(find_values, "derby", rules=crushing)
    with pytest.raises(LastError, match="unknown style 'clog'"):
        fit_targets(find_values, "clog")


def test_a_short_heel_target_above_the_long_one_is_lowered_with_a_note(find_values: dict) -> None:
    odd = {**find_values, "short_heel_girth_mm": find_values["long_heel_girth_mm"] + 10.0}
    targets = fit_targets(odd, "derby")
    assert targets.values["short_heel_girth_mm"] == pytest.approx(targets.values["long_heel_girth_mm"] - 2.0)
    assert targets.notes and "lowered" in targets.notes[0]
