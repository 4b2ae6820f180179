import pytest

from lasts.errors import AmbiguousUnitsError, ImplausibleFootSizeError
from lasts.units import check_scan_extent, decide_units


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
