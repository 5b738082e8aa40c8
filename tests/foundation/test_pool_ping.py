"""A pooled PostgreSQL connection is pinged before use only after it sat idle
(database.PING_AFTER_IDLE_S): a ping is a round trip, and one used a moment ago is alive. One
that died while idle is replaced before it is handed out."""

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, text

from matching import database
from matching.database import make_engine


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite's connections are files: nothing to ping")
    engine = make_engine(database_url, pool_size=1, max_overflow=0)
    yield engine
    engine.dispose()


@pytest.fixture
def pings(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Each ping the pool sends, and whether the connection answered."""
    sent: list[bool] = []
    ping = engine.dialect.do_ping

    def counted(dbapi_connection: Any) -> bool:
        try:
            alive = ping(dbapi_connection)
        except Exception:
            sent.append(False)
            raise
        sent.append(alive)
        return alive

    monkeypatch.setattr(engine.dialect, "do_ping", counted)
    return sent


def _backend_pid(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(text("SELECT pg_backend_pid()")) or 0)


def test_a_connection_used_a_moment_ago_is_not_pinged(engine: Engine, pings: list[bool]) -> None:
    first = _backend_pid(engine)  # a new connection: nothing to ping
    assert [_backend_pid(engine) for _ in range(5)] == [first] * 5
    assert pings == []


def test_an_idle_connection_is_pinged(
    engine: Engine, pings: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _backend_pid(engine)
    monkeypatch.setattr(database, "PING_AFTER_IDLE_S", 0.0)
    assert _backend_pid(engine) == first
    assert pings == [True]


def test_a_connection_that_died_while_idle_is_replaced_before_use(
    engine: Engine, pings: list[bool], monkeypatch: pytest.MonkeyPatch, database_url: str
) -> None:
    first = _backend_pid(engine)
    killer = make_engine(database_url)
    with killer.connect() as conn:  # as a database restart or a firewall would
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
    killer.dispose()
    monkeypatch.setattr(database, "PING_AFTER_IDLE_S", 0.0)
    second = _backend_pid(engine)  # the request's statement runs on a new connection
    assert second != first
    assert pings == [False]
