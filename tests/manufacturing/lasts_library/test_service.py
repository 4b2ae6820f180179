"""The base-last library on a real database (SQLite and PostgreSQL): a scanned last stored by name with its file as
a blob, listed after the parametric default, handed to a fit of its style; names, styles and non-lasts refused."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from lasts.base_lasts import BaseLast, NotALastError, import_base_last
from lasts.export import last_mesh_bytes
from lasts.model import LastParameters, build_last
from lasts.pose import pose_last
from manufacturing.artifacts import ArtifactStore
from manufacturing.artifacts.orphans import named_blobs
from manufacturing.db.migrate import upgrade
from manufacturing.db.models import BaseLastRecord
from manufacturing.db.session import make_engine, make_session_factory, session_scope
from manufacturing.lasts_library import service
from manufacturing.lasts_library.errors import (
    BaseLastExistsError,
    BaseLastNameError,
    BaseLastNotFoundError,
    BaseLastStyleError,
)
from manufacturing.settings import Settings
from tests.lasts.last_samples import FIND_LIKE


@pytest.fixture(scope="module")
def house_last() -> tuple[bytes, BaseLast]:
    """A posed right last as a shop would scan it (a coarse STL), imported once."""
    posed = pose_last(build_last(FIND_LIKE.with_values(side="right", toe_shape="square"), 20_000))
    data = last_mesh_bytes(posed.vertices, posed.faces, "stl", "house")
    return data, import_base_last(data, "house-oxford.stl", "oxford")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def sessions(request: pytest.FixtureRequest, settings: Settings) -> Iterator[sessionmaker[Session]]:
    url = request.getfixturevalue("postgres_url") if request.param == "postgres" else settings.resolved_database_url
    upgrade(url)
    engine = make_engine(url)
    yield make_session_factory(engine)
    engine.dispose()


def test_a_base_last_is_stored_listed_and_handed_to_a_fit_of_its_style(
    sessions: sessionmaker[Session], tmp_path: Path, house_last: tuple[bytes, BaseLast]
) -> None:
    data, imported = house_last
    store = ArtifactStore(tmp_path / "artifacts")
    with session_scope(sessions) as session:
        added = service.store_base_last(session, store, imported, data, "house-oxford.stl", "  House  oxford ")
    entry = added.entry
    assert entry.name == "House oxford" and entry.style == "oxford" and not entry.default
    assert entry.stick_length_mm == pytest.approx(FIND_LIKE.stick_length_mm, abs=1.0)
    assert entry.toe_shape == "square" and entry.scanned_side == "right" and entry.units == "mm"
    assert entry.deviation_p95_mm is not None and entry.deviation_p95_mm <= 0.5
    assert entry.source_sha256 is not None and store.read_bytes(entry.source_sha256) == data  # the scan, kept
    with session_scope(sessions) as session:
        row = session.query(BaseLastRecord).one()
        assert named_blobs(session, {row.source_sha256}) == {row.source_sha256}  # never swept as an orphan
        assert row.landmarks["heel_height_mm"] == pytest.approx(25.0, abs=2.0)
        listed = service.list_base_lasts(session)
        assert [e.name for e in listed] == [service.PARAMETRIC_DEFAULT, "House oxford"]
        assert listed[0].default and listed[0].stick_length_mm is None
        params = service.base_last_params(session, "House oxford", "oxford")
        assert isinstance(params, LastParameters) and params == imported.params  # the shape field included
        assert service.base_last_params(session, None, "derby") is None
        assert service.base_last_params(session, "parametric (default)", "derby") is None
        with pytest.raises(BaseLastStyleError, match="stored for the oxford style"):
            service.base_last_params(session, "House oxford", "derby")
        with pytest.raises(BaseLastNotFoundError, match="'House oxford'"):
            service.base_last_params(session, "House derby", "derby")
        with pytest.raises(BaseLastExistsError):
            service.store_base_last(session, store, imported, data, "again.stl", "House oxford")


def test_names_styles_and_shapes_that_are_no_last_are_refused_before_anything_is_stored(
    settings: Settings, tmp_path: Path, find_template_bytes: bytes
) -> None:
    upgrade(settings.resolved_database_url)
    engine = make_engine(settings.resolved_database_url)
    sessions = make_session_factory(engine)
    store = ArtifactStore(tmp_path / "artifacts")
    try:
        with session_scope(sessions) as session:
            for name in ("", "parametric", "Parametric (default)", "x" * 101):
                with pytest.raises(BaseLastNameError):
                    service.add_base_last(session, store, find_template_bytes, "foot.obj", name)
            with pytest.raises(BaseLastStyleError, match="unknown style 'clog'"):
                service.add_base_last(session, store, find_template_bytes, "foot.obj", "Foot", style="clog")
            with pytest.raises(NotALastError, match="no flat bottom"):
                service.add_base_last(session, store, find_template_bytes, "foot.obj", "Foot", style="derby")
            assert service.list_base_lasts(session) == [service.PARAMETRIC_ENTRY]
        assert not (tmp_path / "artifacts" / "sha256").exists()  # nothing was kept of the refused file
    finally:
        engine.dispose()
