import json
from pathlib import Path

import pytest

from configurator.options import MAX_OPTIONS_BYTES, OptionsError, parse_options
from configurator.styles import STYLE_NAMES
from geometry.errors import InputTooLargeError
from lasts.fitting import FitPreference

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_there_is_an_example_options_file_for_every_style_and_each_validates() -> None:
    files = sorted(EXAMPLES.glob("options-*.json"))
    styles = {parse_options(f.read_bytes(), source=f.name).style for f in files}
    assert styles == set(STYLE_NAMES)


def test_options_are_normalised() -> None:
    options = parse_options(
        {"style": "derby", "pieces": {"vamp": {"material": "full-grain-calf", "colour": "#AABBCC"}}}
    )
    assert options.pieces["vamp"].colour == "#aabbcc"
    assert options.fit_preference is FitPreference.REGULAR
    assert options.pairs == 1


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ('{"style": "brogue"}', "unknown style 'brogue'"),
        (
            '{"style": "derby", "pieces": {"vamp": {"material": "calf", "colour": "brown"}}}',
            "pieces.vamp.colour",
        ),
        ('{"style": "derby", "pieces": {"vamp": {"material": "../etc", "colour": "#000000"}}}', "material"),
        ('{"style": "derby", "colour": "#000000"}', "colour: Extra inputs are not permitted"),
        ('{"style": "derby", "pairs": 0}', "pairs"),
        ('{"style": "derby", "fit_preference": "tight"}', "fit_preference"),
        ('{"style": ', "not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
        ('{"style": "derby", "logo": ' + "[" * 5000 + "]" * 5000 + "}", "options.json is nested 5001 levels deep; "
         "at most 8 levels are read"),
        ('{"style": "derby", "logo": {"width_mm": NaN}}', "logo.width_mm in options.json is NaN: numbers must be "
         "finite"),
        ('{"style": "derby", "logo": {"width_mm": 1e999}}', "logo.width_mm in options.json is 1e999"),
        ('{"style": "derby", "logo": {"position": [0.5, Infinity]}}', "logo.position.1 in options.json is Infinity"),
        ('{"style": "derby", "logo": {"position": [0.5, 1e308]}}', "logo.position.1: Input should be less than or "
         "equal to 1"),
        ('{"style": "derby\u0000"}', "holds a NUL character"),
    ],
)  # fmt: skip
def test_bad_options_name_the_problem(raw: str, fragment: str) -> None:
    with pytest.raises(OptionsError) as caught:
        parse_options(raw, source="options.json")
    assert fragment in caught.value.message
    assert isinstance(caught.value, ValueError)


def test_numbers_that_are_not_finite_are_refused_in_a_dict_too() -> None:
    for logo in ({"width_mm": float("nan")}, {"position": [float("inf"), 0.5]}, {"position": [0.5, float("nan")]}):
        with pytest.raises(OptionsError, match="logo"):
            parse_options({"style": "derby", "logo": logo})


def test_options_text_over_its_limit_is_too_large() -> None:
    with pytest.raises(InputTooLargeError) as caught:
        parse_options('{"style": "derby", "note": "' + "x" * MAX_OPTIONS_BYTES + '"}', source="big.json")
    assert caught.value.http_status == 413 and "big.json is" in caught.value.message


def test_every_problem_is_listed() -> None:
    raw = json.dumps({"style": "nope", "pairs": -1})
    with pytest.raises(OptionsError) as caught:
        parse_options(raw)
    assert len(caught.value.details["problems"]) == 2


def test_piece_keys_are_the_styles_pieces_slots_or_components() -> None:
    options = parse_options({"style": "derby", "pieces": {
        "quarter_medial": {"material": "a", "colour": "#000000"}, "upper": {"material": "b", "colour": "#000000"},
        "lining": {"material": "c", "colour": "#000000"}}})  # fmt: skip
    assert set(options.pieces) == {"quarter_medial", "upper", "lining"}
    with pytest.raises(OptionsError) as caught:
        parse_options({"style": "derby", "pieces": {"medial_quarter": {"material": "a", "colour": "#000000"}}})
    message = caught.value.message
    assert (
        "pieces: " in message
        and "'medial_quarter' is not a piece, material slot or component of style derby" in message
    )
    assert "pieces vamp, quarter_medial, quarter_lateral, tongue; material slots upper, tongue" in message
    with pytest.raises(OptionsError, match="logo piece 'vamp_top'"):
        parse_options({"style": "derby", "logo": {"piece": "vamp_top"}})
