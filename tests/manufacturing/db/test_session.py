from pathlib import Path

import pytest

from manufacturing.db.migrate import upgrade
from manufacturing.db.models import Customer
from manufacturing.db.session import make_engine, make_session_factory, run_after_commit, session_scope


@pytest.fixture
def sessions(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    upgrade(url)
    engine = make_engine(url)
    yield make_session_factory(engine)
    engine.dispose()


def test_after_commit_actions_run_once_the_data_is_committed(sessions) -> None:
    seen: list[int] = []
    with session_scope(sessions) as session:
        customer = Customer(email="a@example.com")
        session.add(customer)
        session.flush()

        def check_committed() -> None:
            with session_scope(sessions) as other:
                seen.append(other.get(Customer, customer.id).id)

        run_after_commit(session, check_committed)
        assert seen == []
    assert seen == [customer.id]


def test_after_commit_actions_are_dropped_on_rollback(sessions) -> None:
    seen: list[str] = []
    with pytest.raises(RuntimeError), session_scope(sessions) as session:
        session.add(Customer(email="b@example.com"))
        run_after_commit(session, lambda: seen.append("enqueued"))
        raise RuntimeError("request failed")
    with session_scope(sessions) as session:
        session.add(Customer(email="c@example.com"))
    assert seen == []
