"""The BOM of real flattened pairs (the FIND-like last), checked against the pieces it claims."""

import time
from pathlib import Path

import pytest
from shapely.geometry import Polygon

from benchmarks.bom import line_consistency_pct
from configurator.options import parse_options
from configurator.pattern_making import PairFlattening, flatten_pair
from configurator.styles.library import STYLES
from geometry.errors import InputError
from lasts.model import build_last
from lasts.pose import pose_last
from manufacturing.bom.bom import BomRules, base_piece_name, build_bom
from manufacturing.bom.cost import QuoteRules, quote, standard_operations
from tests.lasts.last_samples import FIND_LIKE

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def _pair(style: str) -> PairFlattening:
    left = pose_last(build_last(FIND_LIKE.with_values(side="left"), 20_000))
    right = pose_last(build_last(FIND_LIKE.with_values(side="right"), 20_000))
    return flatten_pair(STYLES[style](), left, right, "41")


@pytest.fixture(scope="module")
def derby() -> PairFlattening:
    return _pair("derby")


@pytest.fixture(scope="module")
def sneaker() -> PairFlattening:
    return _pair("low_top_sneaker")


def _options(name: str):
    return parse_options((EXAMPLES / f"options-{name}.json").read_bytes())


def test_the_derby_bom_is_fast_and_every_line_says_how(derby: PairFlattening) -> None:
    options = _options("derby")
    build_bom(options, derby, 41.0)
    started = time.perf_counter()
    bom = build_bom(options, derby, 41.0)
    assert time.perf_counter() - started < 0.1
    groups = {line.group for line in bom.lines}
    assert groups == {"upper", "lining", "reinforcement", "bottom", "closing", "lacing", "adhesive", "packaging"}
    for line in bom.lines:
        assert line.quantity > 0 and line.how
        assert line.cost_eur == pytest.approx(line.quantity * line.unit_cost_eur)
    assert bom.materials_eur == pytest.approx(sum(line.cost_eur for line in bom.lines))


def test_leather_area_is_the_pieces_cut_area_over_utilisation_and_yield(derby: PairFlattening) -> None:
    bom = build_bom(_options("derby"), derby, 41.0)
    by_material = {line.material_id: line for line in bom.lines_of("upper")}
    # The design: vamp grade A (both halves of the split vamp), quarters grade B, tongue suede B.
    vamp = by_material["full-grain-cowhide-a"]
    assert sorted(vamp.pieces) == ["left vamp_lateral", "left vamp_medial", "right vamp_lateral", "right vamp_medial"]
    cut = sum(Polygon(p.pattern.cut_line[:, :2]).area for shoe in (derby.left, derby.right) for p in shoe.pieces
              if p.spec.name.startswith("vamp"))  # fmt: skip
    assert vamp.quantity == pytest.approx(cut / 0.74 / 0.97 / 1e6, rel=1e-3)
    assert "÷ nesting utilisation 74.0 %" in vamp.how and "hide yield 97.0 % (grade A, SATRA)" in vamp.how
    assert all(row["difference_pct"] < 2.0 for row in line_consistency_pct(bom, derby))
    # A pair's upper leather: about 1.5–2.5 ft² (0.14–0.23 m²) for a men's derby.
    leather = sum(line.quantity for line in bom.lines_of("upper") if line.unit == "m2")
    assert 0.14 < leather < 0.23


def test_an_actual_nest_replaces_the_default_utilisation(derby: PairFlattening) -> None:
    options = _options("derby")
    default = build_bom(options, derby, 41.0)
    nested = build_bom(options, derby, 41.0, utilisation={"full-grain-cowhide-b": 0.68})
    before = next(line for line in default.lines if line.material_id == "full-grain-cowhide-b")
    after = next(line for line in nested.lines if line.material_id == "full-grain-cowhide-b")
    assert after.quantity == pytest.approx(before.quantity * 0.74 / 0.68)
    assert "68.0 % (from the actual nest)" in after.how
    with pytest.raises(InputError, match="must be in"):
        build_bom(options, derby, 41.0, utilisation={"full-grain-cowhide-b": 1.4})


def test_lining_is_derived_from_the_outer_pieces_and_says_so(derby: PairFlattening) -> None:
    bom = build_bom(_options("derby"), derby, 41.0, rules=BomRules(lining_lasting_mm=0.0))
    lining = {line.item.split(":")[0]: line for line in bom.lines_of("lining")}
    assert set(lining) == {"vamp lining", "quarter lining", "tongue lining"}
    net = sum(p.strain.area_2d_mm2 for shoe in (derby.left, derby.right) for p in shoe.pieces
              if p.spec.kind == "quarter")  # fmt: skip
    assert lining["quarter lining"].basis["area_mm2"] == pytest.approx(net, abs=0.1)
    assert "derived from the outer pieces" in lining["quarter lining"].how


def test_eyelets_laces_thread_and_adhesive_come_from_the_patterns(derby: PairFlattening) -> None:
    bom = build_bom(_options("derby"), derby, 41.0)
    eyelets = next(line for line in bom.lines if line.material_id == "eyelet-brass-4mm")
    holes = sum(len(p.pattern.drill_holes) for shoe in (derby.left, derby.right) for p in shoe.pieces)
    assert eyelets.quantity == holes == 20
    lace = next(line for line in bom.lines if line.material_id == "lace-waxed-cotton")
    assert lace.basis["stocked_cm"] * 10 >= lace.basis["needed_mm"] > 500
    thread = next(line for line in bom.lines if line.material_id == "thread-bonded-nylon")
    assert 3.0 < thread.quantity < 20.0  # metres per pair
    lasting = next(line for line in bom.lines if line.material_id == "adhesive-lasting-neoprene")
    assert lasting.basis["margin_mm2"] == pytest.approx(bom.figures["lasting_edge_mm"] * 20.0, rel=1e-3)


def test_hand_stitching_and_memory_foam_change_the_lines(derby: PairFlattening) -> None:
    plain = parse_options({"style": "derby"})
    fancy = parse_options({"style": "derby", "hand_stitching": True, "memory_foam": True})
    plain_bom, fancy_bom = build_bom(plain, derby, 41.0), build_bom(fancy, derby, 41.0)
    assert "thread-waxed-linen" not in {line.material_id for line in plain_bom.lines}
    assert "thread-waxed-linen" in {line.material_id for line in fancy_bom.lines}
    assert "insole-memory-foam" in {line.material_id for line in fancy_bom.lines}
    assert quote(fancy_bom).price_eur > quote(plain_bom).price_eur


def test_defaults_fill_pieces_without_a_choice_and_say_so(derby: PairFlattening) -> None:
    bom = build_bom(parse_options({"style": "derby"}), derby, 41.0)
    upper = next(line for line in bom.lines if line.material_id == "full-grain-cowhide-b")
    assert "default for slot upper" in upper.how


def test_bad_inputs_are_named(derby: PairFlattening, sneaker: PairFlattening) -> None:
    with pytest.raises(InputError, match="'full-grain-calf' is not in the catalogue"):
        build_bom(
            parse_options({"style": "derby", "pieces": {"vamp": {"material": "full-grain-calf", "colour": "#000000"}}}),
            derby,
            41.0,
        )
    with pytest.raises(InputError, match="is outsole, not one of"):
        build_bom(
            parse_options(
                {"style": "derby", "pieces": {"vamp": {"material": "outsole-eva-light", "colour": "#000000"}}}
            ),
            derby,
            41.0,
        )
    with pytest.raises(InputError, match="stocked in EU 35–48, not EU 50"):
        build_bom(_options("derby"), derby, 50.0)
    with pytest.raises(InputError, match="style low_top_sneaker"):
        build_bom(_options("derby"), sneaker, 41.0)


def test_the_sneaker_mixes_leather_and_textile_and_split_pieces_keep_their_choice(sneaker: PairFlattening) -> None:
    bom = build_bom(_options("low-top-sneaker"), sneaker, 41.0)
    units = {line.material_id: line for line in bom.lines_of("upper")}
    assert units["canvas-cotton"].basis["hide_yield"] == 1.0
    assert any(name.endswith("mudguard_medial") for name in units["full-grain-cowhide-b"].pieces)
    assert base_piece_name("mudguard_medial", ["mudguard", "vamp"]) == "mudguard"
    assert base_piece_name("quarter_medial", ["quarter_medial"]) == "quarter_medial"


def test_quote_is_materials_plus_labour_plus_overhead_over_margin(derby: PairFlattening) -> None:
    bom = build_bom(_options("derby"), derby, 41.0)
    priced = quote(bom, rules=QuoteRules(overhead_pct=20.0, margin_pct=50.0, round_to_eur=0.0))
    cost = (bom.materials_eur + priced.labour_eur) * 1.2
    assert priced.cost_eur == pytest.approx(cost)
    assert priced.price_eur == pytest.approx(cost * 2.0, abs=0.01)
    assert {op.name for op in standard_operations(bom)} >= {"cutting", "closing", "lasting", "sole attaching"}
    # A routing plugs in as (operation, minutes, station rate EUR/h).
    routed = quote(bom, [("cutting", 12.0, 30.0), ("closing", 30.0, 24.0)])
    assert routed.labour_eur == pytest.approx(6.0 + 12.0)
    with pytest.raises(InputError):
        quote(bom, [("cutting", -1.0, 30.0)])
