"""Shared fixtures: a migrated database (SQLite or PostgreSQL), per-test rollback, API clients.

MATCHING_TEST_DATABASE picks the backend: `sqlite` (default) or a PostgreSQL server URL whose
user may create databases; each test session migrates a database of its own and drops it after.
"""

import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
import uvicorn
from alembic import command
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from matching import clock
from matching.agencies.models import Agency
from matching.app import create_app
from matching.auth import service as keys
from matching.auth.models import Role
from matching.database import make_engine, session_scope
from matching.demo import load_demo
from matching.migrations_state import alembic_config
from matching.settings import BulkLimits, RoleLimits, Settings

TEST_DATA_KEY = "test-data-key-0123456789abcdefghijklmnopqrstuvwxyz"
TEST_HASH_KEY = "test-hash-key-0123456789abcdefghijklmnopqrstuvwxyz"
NO_LIMITS = RoleLimits(admin=0, staff=0, agency=0, app=0)
NO_BULK_LIMITS = BulkLimits(admin=0, staff=0, agency=0, app=0)


def _test_now() -> datetime:
    """The instant every test starts at: MATCHING_TEST_NOW (ISO 8601, with an offset) or a
    fixed default. `scripts/test` also runs the date-sensitive tests at other instants (a
    month's first hour in China, New Year's Eve, 29 February), so only a test that sets the
    clock itself may assume a date."""
    raw = os.environ.get("MATCHING_TEST_NOW")
    return datetime.fromisoformat(raw) if raw else datetime(2026, 11, 20, 2, tzinfo=UTC)


TEST_NOW = _test_now()


@pytest.fixture(scope="session", autouse=True)
def session_clock() -> Iterator[clock.FixedClock]:
    """No test reads the machine's clock: the service's one clock is fixed for the session
    (session fixtures such as the live server's demo data included)."""
    with clock.fixed(TEST_NOW) as fixed:
        yield fixed


@pytest.fixture(autouse=True)
def test_clock(session_clock: clock.FixedClock) -> clock.FixedClock:
    """The service's clock, at TEST_NOW when each test starts; `.set()` / `.advance()` move it
    for the app, the model defaults and a live server alike."""
    clock.install(session_clock)
    session_clock.set(TEST_NOW)
    return session_clock


def _backend() -> str:
    return os.environ.get("MATCHING_TEST_DATABASE", "sqlite")


@contextmanager
def fresh_database(tmp_dir: Path) -> Iterator[str]:
    """Create an empty database on the chosen backend; drop it afterwards."""
    backend = _backend()
    if backend == "sqlite":
        yield f"sqlite:///{tmp_dir / 'test.db'}"
        return
    name = f"matching_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(backend, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(backend).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def settings_for(database_url: str) -> Settings:
    """Settings with real (non-placeholder) secrets for a test database."""
    return Settings(
        environment="test",
        database_url=database_url,
        data_key=TEST_DATA_KEY,
        hash_key=TEST_HASH_KEY,
        log_level="WARNING",
        max_body_bytes=2 * 1024 * 1024,
        warm_indexes=False,  # a background thread must not share the test's connection
        webhook_delivery=False,  # likewise; the webhook tests run a Deliverer themselves
        # No request budgets: a test (and schemathesis) calls faster than any clerk; the limits
        # have their own tests (tests/foundation/test_rate_limits.py).
        rate_limits=NO_LIMITS,
        bulk_rate_limits=NO_BULK_LIMITS,
    )


def migrate(settings: Settings) -> None:
    """Build the schema the production way: by running the migrations."""
    command.upgrade(alembic_config(settings.migrations_dir, settings.database_url), "head")


@pytest.fixture
def fresh_settings(tmp_path: Path) -> Iterator[Settings]:
    """Settings for a database of this test's own, migrated and empty (the ids it hands out
    start at 1); dropped afterwards."""
    with fresh_database(tmp_path) as url:
        settings = settings_for(url)
        migrate(settings)
        yield settings


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh, empty database for this test session."""
    with fresh_database(tmp_path_factory.mktemp("db")) as url:
        yield url


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    """Test settings with real (non-placeholder) secrets."""
    return settings_for(database_url)


@pytest.fixture(scope="session")
def engine(settings: Settings) -> Iterator[Engine]:
    """The schema is built by the migrations, as in production."""
    migrate(settings)
    engine = make_engine(settings.database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    """A connection inside an outer transaction that is rolled back after the test."""
    with engine.connect() as conn:
        outer = conn.begin()
        try:
            yield conn
        finally:
            outer.rollback()


@pytest.fixture
def session_factory(connection: Connection) -> sessionmaker[Session]:
    """Sessions whose commits are savepoints inside the test's transaction."""
    return sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session for arranging and checking data directly."""
    with session_factory() as s:
        yield s


@pytest.fixture
def app(settings: Settings, session_factory: sessionmaker[Session]) -> FastAPI:
    """The real app, its request sessions bound to the test's rolled-back transaction."""
    application = create_app(settings)
    application.state.sessionmaker = session_factory
    return application


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """An HTTP client for the app, without a key."""
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def make_agency(session: Session) -> Callable[..., Agency]:
    """Create an agency."""

    def make(name: str | None = None, province_code: str = "44") -> Agency:
        agency = Agency(name=name or f"agency {uuid.uuid4().hex[:8]}", province_code=province_code)
        session.add(agency)
        session.flush()
        return agency

    return make


@pytest.fixture
def make_key(session: Session, make_agency: Callable[..., Agency]) -> Callable[..., str]:
    """Mint a key for a role and return its secret."""

    def make(
        role: Role | str = Role.admin,
        *,
        regions: list[str] | None = None,
        agency_id: int | None = None,
    ) -> str:
        role = Role(role)
        if role == Role.staff and regions is None:
            regions = ["430981"]
        if role == Role.agency and agency_id is None:
            agency_id = make_agency().id
        _, secret = keys.create_key(
            session, name=f"test {role}", role=role, region_scopes=regions, agency_id=agency_id
        )
        session.flush()
        return secret

    return make


@pytest.fixture
def auth(make_key: Callable[..., str]) -> Callable[..., dict[str, str]]:
    """Authorization headers for a role: `client.get(url, headers=auth("staff"))`."""

    def headers(role: Role | str = Role.admin, **kwargs: object) -> dict[str, str]:
        return {"Authorization": f"Bearer {make_key(role, **kwargs)}"}

    return headers


@pytest.fixture(scope="session")
def live_server(
    tmp_path_factory: pytest.TempPathFactory, session_clock: clock.FixedClock
) -> Iterator[tuple[str, str]]:
    """The service under uvicorn on a free loopback port, with its own committed database and
    the demo data (loaded at TEST_NOW, whatever the test before moved the clock to); yields the
    base URL and the demo admin key."""
    clock.install(session_clock)
    session_clock.set(TEST_NOW)
    with fresh_database(tmp_path_factory.mktemp("live")) as url:
        settings = settings_for(url)
        migrate(settings)
        app = create_app(settings)
        for s in session_scope(app.state.sessionmaker):
            _, admin_key = load_demo(s, settings)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("the live server did not start")
            time.sleep(0.05)
        try:
            yield f"http://127.0.0.1:{port}", admin_key
        finally:
            server.should_exit = True
            thread.join(timeout=10)
            app.state.engine.dispose()


@pytest.fixture(scope="session")
def project_root() -> Path:
    """The checkout's root directory."""
    return Path(__file__).resolve().parents[1]


def id_number(region: str = "430981", birth: str = "19850612", sequence: str = "123") -> str:
    """A well-formed synthetic ID number (GB 11643 check digit computed, no real person)."""
    from matching.kit.idnumber import id_check_digit

    first17 = f"{region}{birth}{sequence}"
    return first17 + id_check_digit(first17)


@pytest.fixture
def new_id_number() -> Callable[..., str]:
    """A fresh synthetic ID number each call (unique sequence)."""
    counter = iter(range(100, 1000))

    def make(region: str = "430981", birth: str = "19850612") -> str:
        return id_number(region, birth, f"{next(counter):03d}")

    return make


@pytest.fixture
def labourer_body(new_id_number: Callable[..., str]) -> Callable[..., dict[str, object]]:
    """A valid LabourerCreate body; keyword arguments override fields."""

    def make(**overrides: object) -> dict[str, object]:
        body: dict[str, object] = {
            "name": "李四",
            "id_number": new_id_number(),
            "phone": "13807371234",
            "hukou_region": "430981",
            "relocation": "anywhere",
            "expected_wage": 4000,
            "skills": [{"term": "电焊", "level": "junior"}],
        }
        body.update(overrides)
        return body

    return make


@pytest.fixture
def post_body() -> Callable[..., dict[str, object]]:
    """A valid PostCreate body; keyword arguments override fields."""

    def make(**overrides: object) -> dict[str, object]:
        body: dict[str, object] = {
            "employer": "东莞市某电子厂",
            "title": "电焊工",
            "post_type": "enterprise",
            "workplace_region": "441900",
            "openings": 5,
            "wage_min": 4500,
            "wage_max": 6000,
            "housing": True,
            "required_skills": [{"term": "电焊"}],
        }
        body.update(overrides)
        return body

    return make
