import csv
import itertools
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from geometry.errors import InputError
from lasts.errors import SizeError
from lasts.sizes import (
    HOUSE_WIDTH_REFERENCE,
    SIZE_SYSTEMS,
    SYSTEMS,
    StockSize,
    ball_girth_for_width,
    conversion_table,
    conversion_table_markdown,
    convert_size,
    foot_length_mm,
    format_size,
    length_per_size_mm,
    mondopoint_width_mm,
    nearest_stock_size,
    reference_ball_girth_mm,
    size_for_foot_length,
    size_step_mm,
    width_for_ball_girth,
    width_table_markdown,
)
from tests.conftest import REPO_ROOT, shared_file

LETTERED = [name for name in SIZE_SYSTEMS if SYSTEMS[name].fittings is not None]
PAIRS = list(itertools.permutations(SIZE_SYSTEMS, 2))


def stock_sizes(system: str, low_mm: float = 200.0, high_mm: float = 320.0) -> np.ndarray:
    """Every stock size of ``system`` for adult feet from ``low_mm`` to ``high_mm``."""
    step = SYSTEMS[system].step
    return np.arange(size_for_foot_length(low_mm, system), size_for_foot_length(high_mm, system) + step / 2, step)


def test_the_systems_are_the_data() -> None:
    assert SIZE_SYSTEMS == ("eu", "uk", "us_men", "us_women", "mondopoint", "cn", "jp")
    for name, system in SYSTEMS.items():
        assert system.name == name
        assert [foot_length_mm(s, name) for s in system.size_range] == pytest.approx([90.0, 480.0])


@pytest.mark.parametrize(("system", "size"), [("eu", 42), ("uk", 8), ("us_men", 9), ("us_women", 10)])
def test_chart_anchors_eu42_uk8_us9_fit_a_265mm_foot(system: str, size: float) -> None:
    assert foot_length_mm(size, system) == pytest.approx(265.0, abs=1.0)
    assert convert_size(42, "eu", system) == size
    assert convert_size(size, system, "eu") == 42


def test_formulas() -> None:
    assert foot_length_mm(42, "eu") == pytest.approx(42 * 20 / 3 - 15)
    assert foot_length_mm(8, "uk") == pytest.approx(33 * 25.4 / 3 - 15)
    assert foot_length_mm(8, "us_men") == foot_length_mm(7, "uk")
    assert foot_length_mm(8, "us_women") == foot_length_mm(6, "uk")
    assert foot_length_mm(265, "mondopoint") == foot_length_mm(265, "cn") == foot_length_mm(26.5, "jp") == 265.0
    assert size_for_foot_length(265.0, "eu", round_to_step=False) == pytest.approx(42.0)


def test_steps_per_stock_size_and_per_whole_size() -> None:
    assert size_step_mm("eu") == pytest.approx(10 / 3)
    assert size_step_mm("uk") == size_step_mm("us_women") == pytest.approx(25.4 / 6)
    assert size_step_mm("mondopoint") == size_step_mm("cn") == size_step_mm("jp") == 5.0
    assert length_per_size_mm("eu") == pytest.approx(6.667, abs=1e-3)
    assert length_per_size_mm("uk") == length_per_size_mm("us_men") == pytest.approx(8.467, abs=1e-3)
    assert length_per_size_mm("jp") == 10.0


@pytest.mark.parametrize("system", SIZE_SYSTEMS)
def test_a_foot_gets_the_shortest_stock_size_not_shorter_than_itself(system: str) -> None:
    for length in np.arange(200.0, 320.0, 0.1):
        stock = size_for_foot_length(length, system)
        made_for = foot_length_mm(stock, system)
        assert 0.0 <= made_for - length + 1e-9 < size_step_mm(system), (length, stock)
        assert round(stock / SYSTEMS[system].step, 9).is_integer()


def test_rounding_up_at_the_boundary() -> None:
    assert size_for_foot_length(265.0, "eu") == 42.0  # exactly EU 42: no float noise pushes it up
    assert size_for_foot_length(265.01, "eu") == 42.5
    assert size_for_foot_length(264.0, "eu") == 42.0
    assert size_for_foot_length(foot_length_mm(8, "uk"), "uk") == 8.0
    assert size_for_foot_length(265.0, "uk") == 8.5  # UK 8 is 0.6 mm short of a 265 mm foot
    assert size_for_foot_length(261.0, "mondopoint") == 265.0
    assert size_for_foot_length(261.0, "jp") == 26.5


@pytest.mark.parametrize(("from_system", "to_system"), PAIRS)
def test_conversions_give_the_nearest_stock_size(from_system: str, to_system: str) -> None:
    for size in stock_sizes(from_system):
        converted = convert_size(size, from_system, to_system)
        gap = foot_length_mm(converted, to_system) - foot_length_mm(size, from_system)
        assert -size_step_mm(to_system) / 2 - 1e-9 < gap <= size_step_mm(to_system) / 2 + 1e-9


@pytest.mark.parametrize(("from_system", "to_system"), PAIRS)
def test_round_trips_of_every_stock_size(from_system: str, to_system: str) -> None:
    """Unrounded: always exact. Rounded: exact when the other system's steps are no coarser; else one step at most."""
    coarser = size_step_mm(to_system) > size_step_mm(from_system) + 1e-9
    for size in stock_sizes(from_system):
        there = convert_size(size, from_system, to_system, round_to_step=False)
        assert convert_size(there, to_system, from_system, round_to_step=False) == pytest.approx(size, abs=1e-9)
        back = convert_size(convert_size(size, from_system, to_system), to_system, from_system)
        if coarser:
            assert abs(back - size) <= SYSTEMS[from_system].step + 1e-9
        else:
            assert back == size


def test_eu_uk_us_mondopoint_round_trips_through_the_finer_system() -> None:
    for uk in stock_sizes("uk"):
        assert convert_size(convert_size(uk, "uk", "eu"), "eu", "uk") == uk
        assert convert_size(convert_size(uk, "uk", "us_men"), "us_men", "uk") == uk
        assert convert_size(convert_size(uk, "uk", "us_women"), "us_women", "uk") == uk
    for mondopoint in stock_sizes("mondopoint"):
        for other in ("eu", "uk", "us_men", "cn", "jp"):
            assert convert_size(convert_size(mondopoint, "mondopoint", other), other, "mondopoint") == mondopoint


@given(
    length=st.floats(min_value=90.0, max_value=480.0, allow_nan=False),
    from_system=st.sampled_from(SIZE_SYSTEMS),
    to_system=st.sampled_from(SIZE_SYSTEMS),
)
def test_round_trips_property(length: float, from_system: str, to_system: str) -> None:
    size = size_for_foot_length(length, from_system, round_to_step=False)
    assert foot_length_mm(size, from_system) == pytest.approx(length, abs=1e-9)
    there = convert_size(size, from_system, to_system, round_to_step=False)
    assert convert_size(there, to_system, from_system, round_to_step=False) == pytest.approx(size, abs=1e-9)
    stock = size_for_foot_length(min(length, 470.0), from_system)
    if size_step_mm(to_system) <= size_step_mm(from_system) + 1e-9:
        assert convert_size(convert_size(stock, from_system, to_system), to_system, from_system) == stock


def test_conversion_table_rows() -> None:
    rows = conversion_table(["eu", "uk", "jp"], [265.0, 258.0])
    assert rows == [
        {"foot_length_mm": 265.0, "eu": 42.0, "uk": 8.0, "jp": 26.5},
        {"foot_length_mm": 258.0, "eu": 41.0, "uk": 7.0, "jp": 26.0},
    ]


def test_format_size() -> None:
    assert [format_size(s) for s in (42.0, 8.5, 26.5, 265.0, -0.0, -12.5)] == ["42", "8.5", "26.5", "265", "0", "-12.5"]


def test_reference_ball_girth_is_094_of_foot_length_at_uk8_and_grades_635mm_per_size() -> None:
    uk8 = foot_length_mm(8, "uk")
    assert reference_ball_girth_mm(uk8) == pytest.approx(0.94 * uk8)
    assert reference_ball_girth_mm(foot_length_mm(9, "uk")) - reference_ball_girth_mm(uk8) == pytest.approx(6.35)
    assert HOUSE_WIDTH_REFERENCE.girth_per_foot_length == pytest.approx(0.75)
    ratios = [reference_ball_girth_mm(length) / length for length in (220.0, 260.0, 300.0)]
    assert ratios == sorted(ratios, reverse=True)  # big feet are relatively narrower


def test_reference_ball_girth_matches_ansur_ii() -> None:
    """Men's girth at UK 8 within 1 mm of the reference; the whole cohort grades about 0.75 mm per mm."""
    with shared_file("anthropometry/ansur2_foot_extract.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    length = np.array([float(r["footlength"]) for r in rows])
    girth = np.array([float(r["balloffootcircumference"]) for r in rows])
    men = np.array([r["sex"] == "M" for r in rows])
    slope, intercept = np.polyfit(length[men], girth[men], 1)
    uk8 = foot_length_mm(8, "uk")
    assert slope * uk8 + intercept == pytest.approx(reference_ball_girth_mm(uk8), abs=1.0)
    cohort_slope, _ = np.polyfit(length, girth, 1)
    assert cohort_slope == pytest.approx(HOUSE_WIDTH_REFERENCE.girth_per_foot_length, abs=0.05)


@pytest.mark.parametrize(("system", "medium"), [("eu", "F"), ("uk", "F"), ("us_men", "D"), ("us_women", "B")])
def test_the_reference_girth_is_the_medium_width(system: str, medium: str) -> None:
    for length in (230.0, 265.0, 300.0):
        assert width_for_ball_girth(reference_ball_girth_mm(length), length, system) == medium
        assert SYSTEMS[system].fittings.medium == medium  # type: ignore[union-attr]


@pytest.mark.parametrize("system", LETTERED)
def test_width_letters_are_monotone_in_girth_and_reach_every_letter(system: str) -> None:
    letters = SYSTEMS[system].fittings.letters  # type: ignore[union-attr]
    for length in (230.0, 265.0, 300.0):
        chosen = [width_for_ball_girth(g, length, system) for g in np.arange(150.0, 350.0, 0.25)]
        indices = [letters.index(letter) for letter in chosen]
        assert indices == sorted(indices)
        assert set(chosen) == set(letters)
        for letter in letters:
            girth = ball_girth_for_width(letter, length, system)
            assert width_for_ball_girth(girth, length, system) == letter


def test_width_letters_are_a_quarter_inch_of_girth_apart() -> None:
    assert ball_girth_for_width("G", 265.0, "uk") - ball_girth_for_width("F", 265.0, "uk") == pytest.approx(6.35)
    assert ball_girth_for_width("4E", 265.0, "us_men") - ball_girth_for_width("B", 265.0, "us_men") == pytest.approx(
        6 * 6.35
    )
    assert ball_girth_for_width("2e", 265.0, "us_women") == ball_girth_for_width("2E", 265.0, "us_women")


def test_a_tie_between_stocked_letters_goes_wider() -> None:
    # US men stock no C: one fitting below D is as near B as D.
    girth = reference_ball_girth_mm(265.0) - 6.35
    assert width_for_ball_girth(girth, 265.0, "us_men") == "D"


def test_mondopoint_width_is_the_ball_width_to_the_mm() -> None:
    assert mondopoint_width_mm(95.87) == 96.0
    assert mondopoint_width_mm(100.5) == 101.0


def test_nearest_stock_size_for_a_foot() -> None:
    stock = nearest_stock_size(256.8, 241.7, "uk")
    assert (stock.size, stock.width) == (7.5, "E")
    assert stock.stock_foot_length_mm == pytest.approx(foot_length_mm(7.5, "uk"), abs=0.01)
    assert stock.length_difference_mm == pytest.approx(stock.stock_foot_length_mm - 256.8, abs=0.01)
    assert stock.ball_girth_difference_mm == pytest.approx(stock.stock_ball_girth_mm - 241.7, abs=0.01)  # type: ignore[operator]
    assert stock.label == "UK 7.5 E"
    assert stock.to_dict()["label"] == "UK 7.5 E"


@pytest.mark.parametrize("system", SIZE_SYSTEMS)
def test_nearest_stock_size_is_never_shorter_and_has_the_nearest_stocked_girth(system: str) -> None:
    for length, girth in itertools.product((225.0, 251.3, 266.6, 290.0), (215.0, 240.0, 255.0, 270.0)):
        stock = nearest_stock_size(length, girth, system, ball_width_mm=99.6)
        assert isinstance(stock, StockSize)
        assert 0.0 <= stock.length_difference_mm < size_step_mm(system)
        assert stock.size == size_for_foot_length(length, system)
        fittings = SYSTEMS[system].fittings
        if fittings is None:
            assert (stock.width, stock.stock_ball_girth_mm, stock.ball_girth_difference_mm) == ("100", None, None)
            continue
        stock_length = foot_length_mm(stock.size, system)
        stocked = [ball_girth_for_width(letter, stock_length, system) - girth for letter in fittings.letters]
        assert abs(stock.ball_girth_difference_mm) <= min(map(abs, stocked)) + 0.01  # type: ignore[arg-type]


def test_a_girth_beyond_the_widest_letter_gets_the_widest_and_shows_the_difference() -> None:
    stock = nearest_stock_size(265.0, 320.0, "uk")
    assert stock.width == "H"
    assert stock.ball_girth_difference_mm < -50  # type: ignore[operator]


@pytest.mark.parametrize(
    ("call", "named"),
    [
        (lambda: foot_length_mm(42, "fr"), ["'fr'", "eu, uk, us_men, us_women, mondopoint, cn, jp"]),
        (lambda: convert_size(42, "eu", "martian"), ["'martian'", "eu, uk"]),
        (lambda: foot_length_mm(math.nan, "eu"), ["EU size nan"]),
        (lambda: foot_length_mm(math.inf, "uk"), ["UK size inf"]),
        (lambda: foot_length_mm("forty", "eu"), ["'forty'"]),  # type: ignore[arg-type]
        (lambda: foot_length_mm(99, "eu"), ["EU size 99", "EU 15.75 to 74.25", "90–480 mm"]),
        (lambda: convert_size(-20, "uk", "eu"), ["UK size -20", "-12.6 to 33.46"]),
        (lambda: size_for_foot_length(600, "eu"), ["600 mm", "90–480 mm"]),
        (lambda: size_for_foot_length(45.0, "mondopoint"), ["45 mm", "90–480 mm"]),
        (lambda: nearest_stock_size(265.0, -5.0, "uk"), ["ball girth -5 mm", "greater than 0"]),
        (lambda: nearest_stock_size(265.0, 240.0, "jp", ball_width_mm=0.0), ["ball width 0 mm"]),
        (lambda: width_for_ball_girth(240.0, 265.0, "cn"), ["CN has no width letters", "eu, uk, us_men, us_women"]),
        (lambda: ball_girth_for_width("Z", 265.0, "uk"), ["'Z'", "A, B, C, D, E, F, G, H"]),
        (lambda: reference_ball_girth_mm(math.nan), ["foot length nan"]),
    ],
)
def test_bad_input_raises_size_error_naming_the_value(call, named: list[str]) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SizeError) as raised:
        call()
    for text in named:
        assert text in str(raised.value)
    assert raised.value.code == "size_error"
    assert isinstance(raised.value, InputError)
    assert isinstance(raised.value, ValueError)


def test_docs_embed_the_generated_tables() -> None:
    docs = (REPO_ROOT / "docs" / "sizes.md").read_text()
    assert conversion_table_markdown() in docs
    assert width_table_markdown() in docs
