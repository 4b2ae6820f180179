"""The design service: a design on a pair of lasts to its pieces, BOM and quote (the one way every caller
makes them), and a design stored, described and previewed, here or in a geometry pool."""

from functools import partial

import pytest

from configurator.options import parse_options
from geometry.errors import NotFoundError
from lasts.side import Side
from manufacturing.db.migrate import upgrade
from manufacturing.db.session import session_scope
from manufacturing.designs.service import (
    NewDesign,
    create_design,
    describe_design,
    design_on_lasts,
    design_preview,
    get_design,
    price_design,
)
from manufacturing.geometry_pool import GeometryPool, PoolLimits
from manufacturing.pipeline.resources import build_resources
from manufacturing.settings import Settings
from tests.lasts.last_samples import FIND_LIKE

DERBY = parse_options({"style": "derby", "pieces": {"vamp": {"material": "full-grain-cowhide-a", "colour": "#5a3a22"}}})
RIGHT = FIND_LIKE.with_values(side=Side.RIGHT)


def test_a_design_on_one_last_gives_both_shoes_pieces_its_bom_and_its_quote() -> None:
    made = design_on_lasts(DERBY, {Side.RIGHT: RIGHT})
    assert made.size_eu == 41.0  # 272.8 mm stick length ÷ 6.67 mm Paris points
    assert made.lasts.left.params.side is Side.LEFT and made.pieces.mirrored
    assert {p.pattern.size for p in made.pieces.right.pieces} == {"EU41"}
    assert made.bom.style == "derby" and made.bom.size_eu == 41.0
    vamp_line = next(line for line in made.bom.lines if line.material_id == "full-grain-cowhide-a")
    # Both shoes' vamps are cut from the chosen leather.
    assert {name.split()[0] for name in vamp_line.pieces} == {"left", "right"}
    assert made.quote.price_eur > made.quote.cost_eur > made.bom.materials_eur > 0
    # The designs API's quote record is this pair's, with the lead time added.
    priced = price_design(DERBY, RIGHT, None)
    assert priced["bom"] == made.bom.to_dict() and priced["quote"] == made.quote.to_dict()
    assert priced["eta"]["materials_lead_time_days"] > 0


def test_a_size_and_a_label_are_the_callers_to_give() -> None:
    made = design_on_lasts(DERBY, {Side.RIGHT: RIGHT}, size_eu=43.0, size_label="custom")
    assert made.size_eu == 43.0 and made.bom.size_eu == 43.0
    assert {p.pattern.size for p in made.pieces.left.pieces} == {"custom"}


def test_a_design_is_stored_described_and_only_its_customer_sees_it(settings: Settings) -> None:
    resources = build_resources(settings)
    upgrade(settings.resolved_database_url)
    try:
        new = NewDesign(options={"style": "derby"}, last=RIGHT.to_dict())
        with session_scope(resources.sessions) as session:
            design = create_design(session, resources.store, new, "walker@example.com")
            described = describe_design(session, resources.store, design)
            design_id, customer_id = design.id, design.customer_id
        assert described.size_eu == 41.0 and described.last["source"] == "parameters"
        assert described.last["side"] == "right" and described.quote["per_pair"]["price_eur"] > 0
        with session_scope(resources.sessions) as session:
            assert get_design(session, design_id, partial(int.__eq__, customer_id)).id == design_id
            with pytest.raises(NotFoundError):
                get_design(session, design_id, lambda _: False)
    finally:
        resources.engine.dispose()


def test_a_design_made_in_a_geometry_pool_is_the_design_made_here(settings: Settings) -> None:
    # What crosses to the pool's process and back (the choices, the last, the records) pickles, and the work
    # there is the same work: the same stored last and quote, the same preview.
    resources = build_resources(settings)
    upgrade(settings.resolved_database_url)
    pool = GeometryPool(PoolLimits(workers=1, timeout_s=60.0, queue=0))
    new = NewDesign(options=DERBY.model_dump(mode="json"), last=RIGHT.to_dict())
    try:
        stored = []
        for where in (None, pool):
            with session_scope(resources.sessions) as session:
                design = create_design(session, resources.store, new, "walker@example.com", pool=where)
                described = describe_design(session, resources.store, design)
                preview = design_preview(session, resources.store, design.id, pool=where)
                stored.append((described.last, described.quote, described.bom, described.size_eu, preview.sha256))
        assert stored[0] == stored[1]
    finally:
        pool.shutdown()
        resources.engine.dispose()
