import re

import pytest

from benchmarks.hostile import scaled_obj
from lasts.errors import AmbiguousUnitsError, ImplausibleFootSizeError, ScaleNeededError
from lasts.scans import ingest_scan
from lasts.units import ScaleHint, check_scan_extent, decide_units


@pytest.mark.parametrize(
    ("length", "unit"), [(0.265, "m"), (26.5, "cm"), (265.0, "mm"), (10.4, "in"), (7.5, "in"), (0.19, "m")]
)
def test_adult_feet_are_told_apart_in_every_unit(length: float, unit: str) -> None:
    decision = decide_units(length)
    assert decision.unit == unit and decision.detected


def test_a_childs_foot_in_millimetres_is_still_found() -> None:
    assert decide_units(120.0).unit == "mm"  # only mm makes 120 a possible foot


def test_ambiguous_and_impossible_sizes() -> None:
    with pytest.raises(AmbiguousUnitsError) as caught:
        decide_units(16.0)
    assert set(caught.value.details["candidates"]) == {"cm", "in"}
    with pytest.raises(ImplausibleFootSizeError):
        decide_units(5000.0)


def test_an_explicit_unit_is_checked_not_trusted() -> None:
    assert decide_units(265.0, "mm").detected is False
    with pytest.raises(ImplausibleFootSizeError, match="2650 mm"):
        decide_units(265.0, "cm")


@pytest.mark.parametrize("length", [float("nan"), float("inf"), -float("inf"), 0.0, -250.0, 1e308])
@pytest.mark.parametrize("requested", ["auto", "mm"])
def test_lengths_that_are_no_length_are_refused(length: float, requested: str) -> None:
    with pytest.raises(ImplausibleFootSizeError):
        decide_units(length, requested)  # type: ignore[arg-type]


@pytest.mark.parametrize("extent", [float("nan"), float("inf"), 0.0, 1e-300, 1e-5, 5e6, 1e300])
def test_scan_extents_no_unit_makes_a_foot_are_refused(extent: float) -> None:
    with pytest.raises(ImplausibleFootSizeError, match="scaled wrongly"):
        check_scan_extent(extent)


@pytest.mark.parametrize("extent", [0.3, 30.0, 11.0, 300.0, 900.0])  # m, cm, in, mm; a foot and its leg in mm
def test_scan_extents_of_a_foot_in_some_unit_pass(extent: float) -> None:
    check_scan_extent(extent)


# --- a scan of unknown scale (photogrammetry): the error asks for the scale or one known length ------------


def test_a_length_no_unit_makes_a_foot_asks_for_the_scale_or_a_known_length() -> None:
    with pytest.raises(ScaleNeededError, match="--known-length-mm") as caught:
        decide_units(1.3)  # 1.3 mm, 13 mm, 1300 mm, 33 mm: no foot
    assert caught.value.code == "scale_needed" and "--scale" in caught.value.message
    assert isinstance(caught.value, ImplausibleFootSizeError)  # callers catching the old error still do
    with pytest.raises(AmbiguousUnitsError, match="--known-length-mm"):
        decide_units(16.0)


def test_a_given_scale_or_known_length_is_taken_once_it_makes_a_foot() -> None:
    by_length = decide_units(1.3, hint=ScaleHint(known_length_mm=260.0))
    assert by_length.unit == "user" and not by_length.detected and by_length.mm_per_unit == pytest.approx(200.0)
    assert decide_units(1.3, hint=ScaleHint(mm_per_unit=200.0)).mm_per_unit == 200.0
    assert decide_units(0.26, "mm", hint=ScaleHint(mm_per_unit=1000.0)).mm_per_unit == 1000.0  # the scale wins
    with pytest.raises(ImplausibleFootSizeError, match="at 2 mm per file unit the foot would be 3 mm long"):
        decide_units(1.3, hint=ScaleHint(mm_per_unit=2.0))


@pytest.mark.parametrize(
    ("hint", "expected"),
    [({"mm_per_unit": 0.0}, "scale given is 0.0"), ({"known_length_mm": float("nan")}, "known foot length"),
     ({"mm_per_unit": 2.0, "known_length_mm": 260.0}, "not both")],
)  # fmt: skip
def test_a_scale_that_is_no_scale_is_refused(hint: dict[str, float], expected: str) -> None:
    with pytest.raises(ImplausibleFootSizeError, match=re.escape(expected)):
        ScaleHint(**hint)


def test_a_known_length_lets_any_extent_through_and_a_scale_is_checked() -> None:
    check_scan_extent(0.002, ScaleHint(known_length_mm=260.0))
    with pytest.raises(ImplausibleFootSizeError, match=re.escape("at 0.001 mm per unit")):
        check_scan_extent(300.0, ScaleHint(mm_per_unit=0.001))
    with pytest.raises(ImplausibleFootSizeError):
        check_scan_extent(float("inf"), ScaleHint(known_length_mm=260.0))


def test_an_unscaled_scan_asks_for_its_scale(find_template_bytes: bytes) -> None:
    unscaled = scaled_obj(find_template_bytes, 5.0)  # about 1.3 file units long: no unit makes it a foot
    with pytest.raises(ScaleNeededError, match="known-length-mm"):
        ingest_scan(unscaled, "photogrammetry.obj")
    # Answered: tests/web/test_scan_estimates.py (``cspms scan measure --known-length-mm``).
