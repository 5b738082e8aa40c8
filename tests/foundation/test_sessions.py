"""A request's session (database.open_session / end_session): a reader's is opened without
I/O, and ended on the event loop only when that sends nothing to the database; told not to
wait (database.not_waiting), it refuses every statement before sending it."""

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session, sessionmaker

from matching.auth.models import ApiKey, Role
from matching.database import (
    WouldWait,
    can_refuse,
    end_session,
    ends_without_io,
    make_engine,
    make_sessionmaker,
    may_wait,
    not_waiting,
    open_session,
)


@pytest.fixture
def factory(database_url: str, engine: Engine) -> Iterator[sessionmaker[Session]]:
    """Sessions on an engine of their own, not on the tests' rolled-back connection (`engine`
    migrates the schema)."""
    own = make_engine(database_url)
    yield make_sessionmaker(own)
    own.dispose()


def test_a_reader_connects_at_its_first_statement(factory: sessionmaker[Session]) -> None:
    reader = open_session(factory, write=False)
    assert not reader.in_transaction()
    assert ends_without_io(reader)
    reader.execute(select(1))
    postgresql = reader.get_bind().dialect.name == "postgresql"
    # On PostgreSQL its statements commit as they run; on SQLite it holds a read transaction.
    assert ends_without_io(reader) == postgresql
    end_session(reader)


def test_a_reader_with_something_to_flush_ends_in_the_thread_pool(
    factory: sessionmaker[Session],
) -> None:
    reader = open_session(factory, write=False)
    reader.add(ApiKey(name="pending", prefix="mk_pending", key_hash="h" * 64, role=Role.app))
    assert not ends_without_io(reader)
    end_session(reader, RuntimeError("the request failed"))  # rolled back: nothing written
    check = open_session(factory, write=False)
    assert check.scalar(select(ApiKey).where(ApiKey.name == "pending")) is None
    end_session(check)


def test_a_writer_always_ends_in_the_thread_pool(factory: sessionmaker[Session]) -> None:
    writer = open_session(factory, write=True)
    assert writer.in_transaction()
    assert not ends_without_io(writer)
    writer.execute(text("SELECT 1"))
    end_session(writer)


def test_a_session_told_not_to_wait_refuses_its_first_statement_before_connecting(
    factory: sessionmaker[Session],
) -> None:
    pool = factory.kw["bind"].pool
    reader = open_session(factory, write=False)
    assert can_refuse(reader)
    may_wait(reader)  # nothing refused outside not_waiting
    with pytest.raises(WouldWait), not_waiting(reader):
        reader.execute(select(1))
    assert not reader.in_transaction() and pool.checkedout() == 0  # nothing procured
    with pytest.raises(WouldWait), not_waiting(reader):
        may_wait(reader)
    assert reader.execute(select(1)).scalar() == 1  # told nothing, it reads as before
    end_session(reader)


def test_what_refused_work_added_is_let_go(factory: sessionmaker[Session]) -> None:
    reader = open_session(factory, write=False)

    def work() -> None:
        reader.add(ApiKey(name="tried", prefix="mk_tried", key_hash="t" * 64, role=Role.app))
        reader.scalar(select(ApiKey).where(ApiKey.name == "tried"))  # its autoflush refused

    with pytest.raises(WouldWait), not_waiting(reader):
        work()
    assert not reader.new  # whoever runs the work again adds it again
    end_session(reader)
    check = open_session(factory, write=False)
    assert check.scalar(select(ApiKey).where(ApiKey.name == "tried")) is None
    end_session(check)


def test_a_connected_session_told_not_to_wait_refuses_statements_too(
    factory: sessionmaker[Session],
) -> None:
    reader = open_session(factory, write=False)
    reader.execute(select(1))
    with pytest.raises(WouldWait), not_waiting(reader):
        reader.scalar(select(ApiKey).where(ApiKey.name == "anyone"))
    with pytest.raises(WouldWait), not_waiting(reader):
        reader.connection()
    end_session(reader)


def test_only_the_guarded_session_can_refuse(engine: Engine) -> None:
    plain = sessionmaker(bind=engine)()
    assert not can_refuse(plain)
    plain.close()
