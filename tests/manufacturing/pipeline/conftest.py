from collections.abc import Iterator

import pytest

from configurator.options import parse_options
from manufacturing.db.session import session_scope
from manufacturing.orders.service import PlacedOrder, place_order
from manufacturing.pipeline.resources import Resources, build_resources
from manufacturing.settings import Settings


@pytest.fixture
def resources(migrated_settings: Settings) -> Iterator[Resources]:
    built = build_resources(migrated_settings)
    yield built
    built.engine.dispose()


def place(resources: Resources, scan_bytes: bytes, filename: str = "find_template.obj", pairs: int = 1) -> PlacedOrder:
    with session_scope(resources.sessions) as session:
        return place_order(
            session,
            resources.store,
            customer_email="walker@example.com",
            scan_filename=filename,
            scan_bytes=scan_bytes,
            options=parse_options({"style": "derby", "pairs": pairs}),
        )
