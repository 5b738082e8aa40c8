"""Engine, sessions and the declarative base shared by every feature's models."""

import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import DateTime, Engine, MetaData, Table, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.types import TypeDecorator

from matching import clock

# Stable constraint names, so migrations can drop and alter them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


SQLITE_BEGIN_OPTION = "matching_sqlite_begin"
READ_ONLY = "matching_read_only"  # session.info: a reader's transaction (session_scope)
_AUTOCOMMIT = "matching_autocommit"  # session.info: a reader's statements commit as they run
_ZERO = timedelta(0)


class UTCDateTime(TypeDecorator[datetime]):
    """A time-zone-aware timestamp, stored in UTC; SQLite's naive values come back as UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        """Refuse naive datetimes; store UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use a time-zone-aware value")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        """Return aware UTC values on every backend."""
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() == _ZERO:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base with the naming convention and aware timestamps."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}


def utcnow() -> datetime:
    """The current time, aware, in UTC, from the service's one clock (model defaults use it)."""
    return clock.now()


def id_chunks(ids: list[int] | None, size: int = 20_000) -> Iterator[list[int] | None]:
    """`ids` in slices of `size` for `IN (...)` lists; None (read every row) stays one None."""
    if ids is None:
        yield None
        return
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine; SQLite gets foreign keys, WAL and explicit transactions."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        # Sessions in UTC: timestamps come back in a fixed-offset zone, which converts cheaply
        # (a named server zone made every aware datetime cost ~70 µs to normalise).
        engine = create_engine(url, connect_args={"options": "-c timezone=UTC"}, **kwargs)
        _ping_when_idle(engine)
        return engine
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)
    _configure_sqlite(engine, in_memory=parsed.database in (None, "", ":memory:"))
    return engine


# A pooled connection idle this long is pinged before it is handed out (a database restarted or
# a connection dropped by a firewall meanwhile is then replaced, not failed on).
PING_AFTER_IDLE_S = 5.0
_IDLE_SINCE = "matching_idle_since"  # a pool entry's info: when it was last checked in


def _ping_when_idle(engine: Engine) -> None:
    """SQLAlchemy's pre-ping, but only for a connection that sat idle in the pool: a ping is a
    round trip, one of a match's three statements (issue 14), and a connection used a moment
    ago is alive. A connection that died since anyway fails its request; SQLAlchemy then sees
    the disconnect and replaces every connection of the pool."""

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: Any) -> None:
        idle_since = record.info.get(_IDLE_SINCE)
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_S:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:
            raise DisconnectionError("the pooled connection did not answer a ping") from exc
        if not alive:
            raise DisconnectionError("the pooled connection did not answer a ping")


def _configure_sqlite(engine: Engine, *, in_memory: bool) -> None:
    """Let SQLAlchemy, not pysqlite, own transactions (so SAVEPOINT works) and set pragmas."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        dbapi_connection.isolation_level = None  # pysqlite would otherwise BEGIN lazily
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        if not in_memory:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Writers ask for IMMEDIATE: they take the write lock up front and queue on busy_timeout,
        # instead of failing with "database is locked" when a read lock cannot be upgraded.
        mode = connection.get_execution_options().get(SQLITE_BEGIN_OPTION, "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


class WouldWait(BaseException):
    """A session told not to wait (`not_waiting`) was about to send a statement. A
    BaseException, as cancellation is: no `except Exception` on the way may take it for a
    failure of the work."""


class GuardedSession(Session):
    """A session that can be told to refuse every statement (`not_waiting`): work tried on the
    event loop stops before its first round trip, and goes to the thread pool instead
    (deps.without_waiting). Every statement, and every connection a session procures, asks
    `get_bind` first."""

    def get_bind(self, *args: Any, **kwargs: Any) -> Any:
        """The bind, unless statements are refused now (then WouldWait)."""
        if self.info.get(_NOT_WAITING):
            raise WouldWait
        return super().get_bind(*args, **kwargs)


_NOT_WAITING = "matching_not_waiting"  # session.info: statements refused (not_waiting)


@contextmanager
def not_waiting(session: Session) -> Iterator[None]:
    """While inside, the session's statements raise WouldWait (a GuardedSession's; only it
    can refuse them: check `can_refuse` first). What the refused work changed in the session
    is rolled back (a refused autoflush leaves it unusable otherwise): whoever runs the work
    again makes those changes again."""
    session.info[_NOT_WAITING] = True
    try:
        yield
    except WouldWait:
        session.info.pop(_NOT_WAITING, None)  # the rollback may send one
        if session.new or session.dirty or session.deleted or not session.is_active:
            session.rollback()
        raise
    finally:
        session.info.pop(_NOT_WAITING, None)


def can_refuse(session: Session) -> bool:
    """Whether `not_waiting` makes this session refuse its statements."""
    return isinstance(session, GuardedSession)


def may_wait(session: Session) -> None:
    """Raise WouldWait now if the session refuses statements: for work that takes a lock
    before its statements, which must not wait for that lock on the event loop either."""
    if session.info.get(_NOT_WAITING):
        raise WouldWait


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit."""
    return sessionmaker(bind=engine, class_=GuardedSession, expire_on_commit=False, autoflush=True)


_READER_BINDS: "WeakKeyDictionary[Engine, Engine]" = WeakKeyDictionary()


def _reader_bind(factory: sessionmaker[Session]) -> Engine | None:
    """A PostgreSQL engine's AUTOCOMMIT twin (the same pool), for readers: a reader sends no
    BEGIN and no COMMIT, two round trips of a match's eight (issue 14); under READ COMMITTED
    each statement saw its own snapshot anyway. A factory bound to a connection (the tests'
    transaction, rolled back after each test) keeps that connection's transaction as it is."""
    bind = factory.kw.get("bind")
    if not isinstance(bind, Engine) or bind.dialect.name != "postgresql":
        return None
    reader = _READER_BINDS.get(bind)
    if reader is None:
        reader = _READER_BINDS[bind] = bind.execution_options(isolation_level="AUTOCOMMIT")
    return reader


def open_session(factory: sessionmaker[Session], *, write: bool) -> Session:
    """A session for one transaction. A writer's begins here (IMMEDIATE on SQLite: it takes the
    write lock up front, and may wait for it); a reader's touches nothing until its first
    statement, so opening it costs no I/O and may happen on the event loop (and so may ending
    it, often: ends_without_io)."""
    if write:
        session = factory()
        session.info[READ_ONLY] = False
        try:
            session.connection(execution_options={SQLITE_BEGIN_OPTION: "IMMEDIATE"})
        except BaseException:
            session.close()
            raise
        return session
    reader = _reader_bind(factory)
    session = factory() if reader is None else factory(bind=reader)
    session.info[READ_ONLY] = True
    session.info[_AUTOCOMMIT] = reader is not None
    return session


def ends_without_io(session: Session) -> bool:
    """Whether ending this session sends nothing to the database: nothing is left to flush,
    and it never connected or runs in AUTOCOMMIT (a reader on PostgreSQL). A reader on SQLite
    that read ends a transaction of its own, which may have written (a look-up's audit entry)."""
    if session.new or session.dirty or session.deleted:
        return False
    return not session.in_transaction() or bool(session.info.get(_AUTOCOMMIT))


def end_session(session: Session, error: BaseException | None = None) -> None:
    """Commit the session's transaction, or roll it back after `error`; then close it."""
    try:
        if error is None:
            session.commit()
        else:
            session.rollback()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def session_scope(factory: sessionmaker[Session], *, write: bool = True) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any error."""
    session = open_session(factory, write=write)
    try:
        yield session
    except BaseException as error:
        end_session(session, error)
        raise
    end_session(session)


@contextmanager
def _copying(session: Session, statement: str) -> Iterator[Any]:
    """A `COPY … FROM STDIN` on PostgreSQL, in the session's transaction (psycopg's Copy)."""
    raw = session.connection().connection.driver_connection
    assert raw is not None
    with raw.cursor() as cursor, cursor.copy(statement) as copy:
        yield copy


def copy_lines(
    session: Session,
    statement: str,
    lines: Iterable[str],
    *,
    per_write: int = 50_000,
    sent: Callable[[int], None] = lambda n: None,
) -> None:
    """Run `COPY … FROM STDIN` fed with `lines` in COPY's text format (each ending in a
    newline; fields by `copy_field`), `per_write` at a time (`sent` hears each batch's size: a
    job's progress). One statement for a million rows, where an executemany parses, binds and
    executes each; formatting the lines ourselves costs less than adapting each value."""
    with _copying(session, statement) as copy:
        batch: list[str] = []
        for line in lines:
            batch.append(line)
            if len(batch) == per_write:
                copy.write("".join(batch))
                sent(len(batch))
                batch = []
        if batch:
            copy.write("".join(batch))
            sent(len(batch))


def copy_field(value: Any) -> str:
    """A value in COPY's text format: NULL as \\N; backslashes, tabs and line ends escaped
    (a JSON text may hold a backslash); dates and datetimes in ISO 8601."""
    if value is None:
        return "\\N"
    text = value.isoformat() if isinstance(value, datetime | date) else str(value)
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = (text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
                .replace("\r", "\\r"))  # fmt: skip
    return text


def copy_rows(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """COPY rows (dicts of the same columns) into a table on PostgreSQL, in the session's
    transaction. Each value goes through its column type's bind processing, then psycopg's
    adaptation, so it is stored exactly as an INSERT would store it."""
    if not rows:
        return
    dialect = session.get_bind().dialect
    keys = list(rows[0])
    processors = [table.c[key].type.dialect_impl(dialect).bind_processor(dialect) for key in keys]
    quote = dialect.identifier_preparer.quote
    statement = f"COPY {quote(table.name)} ({', '.join(map(quote, keys))}) FROM STDIN"
    with _copying(session, statement) as copy:
        for row in rows:
            copy.write_row(
                [
                    row[key] if process is None else process(row[key])
                    for key, process in zip(keys, processors, strict=True)
                ]
            )
