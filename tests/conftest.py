"""Shared fixtures: a migrated database (SQLite or PostgreSQL), per-test rollback, API clients.

MATCHING_TEST_DATABASE picks the backend: `sqlite` (default) or a PostgreSQL server URL whose
user may create databases; each test session migrates a database of its own and drops it after.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from alembic import command
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from matching import clock
from matching.agencies.models import Agency
from matching.app import create_app, job_runner
from matching.auth import service as keys
from matching.auth.models import Role
from matching.compute import DaskEngine
from matching.database import GuardedSession, make_engine, make_sessionmaker, session_scope
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
        # Tests write through their own session too, then ask the app at once; what a worker's
        # readers may see late has its own tests (tests/foundation/test_recent_counters.py).
        change_counters_max_age_seconds=0,
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
        if conn.dialect.name == "postgresql":
            # The outer transaction never commits: the triggers deferred to a commit (answer
            # stamps, migration 0019) fire at each statement instead, as the test's "commits"
            # would have fired them. Their deferral has its own tests (tests/matches/
            # test_kept_answers.py).
            conn.exec_driver_sql("SET CONSTRAINTS ALL IMMEDIATE")
        try:
            yield conn
        finally:
            outer.rollback()


@pytest.fixture
def session_factory(connection: Connection) -> sessionmaker[Session]:
    """Sessions whose commits are savepoints inside the test's transaction."""
    return sessionmaker(
        bind=connection,
        class_=GuardedSession,  # as the app's: a match may be tried without a statement
        join_transaction_mode="create_savepoint",
        expire_on_commit=False,
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
    # Jobs run inline: a runner thread would share the test's one connection.
    state = application.state
    state.jobs = job_runner(
        session_factory, state.matcher, state.personal, lambda: state.settings, inline=True
    )
    return application


class Ticking:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.at = 1000.0

    def __call__(self) -> float:
        return self.at


@contextmanager
def statements_with(connection: Connection, fragment: str) -> Iterator[list[str]]:
    """The statements sent on the test's connection (the app's requests included) that
    contain `fragment`, e.g. "FROM api_keys"."""
    sent: list[str] = []

    def _seen(_c: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if fragment in statement:
            sent.append(statement)

    event.listen(connection, "before_cursor_execute", _seen)
    try:
        yield sent
    finally:
        event.remove(connection, "before_cursor_execute", _seen)


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
def dask_engine() -> Iterator[DaskEngine]:
    """A Dask LocalCluster of two worker processes on loopback, started by the service's own
    engine (as a large plan starts it); its scheduler's address is `engine.client.scheduler
    .address`, for a test that connects to it as to an existing cluster."""
    engine = DaskEngine(workers=2)
    try:
        yield engine
    finally:
        engine.close()


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


# --- A webhook receiver on loopback, and the service as a process of its own ----------------


@dataclass
class Received:
    """One request the receiver got."""

    headers: dict[str, str]
    body: bytes

    @property
    def notice(self) -> dict[str, Any]:
        return dict(json.loads(self.body))


@dataclass
class Receiver:
    """Records every request; answers each with the next of `answers` (then 200), after the
    next of `delays` seconds (then at once)."""

    url: str
    received: list[Received] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)
    delays: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def wait_for(self, count: int, timeout: float = 20.0) -> list[Received]:
        """Block until `count` requests have come (or fail)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.02)
        raise AssertionError(f"expected {count} deliveries, got {len(self.received)}")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A webhook receiver on a free loopback port."""
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            with state.lock:
                state.received.append(
                    Received({k.lower(): v for k, v in self.headers.items()}, body)
                )
                status = state.answers.pop(0) if state.answers else 200
                delay = state.delays.pop(0) if state.delays else 0.0
            time.sleep(delay)
            try:
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()
            except OSError:  # the sender is gone (killed while waiting): nothing to answer
                pass

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/matching"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Service:
    """`matching serve` in a process of its own, on the test's database."""

    def __init__(self, url: str, log: Path) -> None:
        self.log = log  # the service's output, to read when a test fails
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "MATCHING_ENVIRONMENT": "test",
            "MATCHING_DATABASE_URL": url,
            "MATCHING_DATA_KEY": TEST_DATA_KEY,
            "MATCHING_HASH_KEY": TEST_HASH_KEY,
            "MATCHING_LOG_LEVEL": "WARNING",
            "MATCHING_WARM_INDEXES": "false",
            "MATCHING_WEBHOOK_POLL_SECONDS": "0.1",
            "MATCHING_WEBHOOK_LEASE_SECONDS": "2",
            "MATCHING_WEBHOOK_FIRST_RETRY_SECONDS": "0.2",
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, admin: dict[str, str]) -> None:
        """Start, wait until it answers, and set its clock to the test's instant."""
        self.output = self.log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "matching.cli", "serve", "--port", str(self.port)],
            env=self.env, stdout=self.output, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            raise RuntimeError("the service did not start")
        moved = httpx.put(f"{self.base}/v1/clock", json={"now": TEST_NOW.isoformat()},
                          headers=admin)  # fmt: skip
        assert moved.status_code == 200, moved.text

    def kill(self) -> None:
        """kill -9: no shutdown, no cleanup."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self.output.close()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.output.close()


@pytest.fixture
def service(
    fresh_settings: Settings, tmp_path: Path
) -> Iterator[tuple[Service, Any, dict[str, dict[str, str]]]]:
    """A migrated database with an agency and a key per role, and the service on it."""
    engine = make_engine(fresh_settings.database_url)
    sessions = make_sessionmaker(engine)
    secrets: dict[str, str] = {}
    for session in session_scope(sessions):
        agency = Agency(name="东莞市人力资源服务中心", province_code="44")
        session.add(agency)
        session.flush()
        for role, extra in ((Role.admin, {}), (Role.staff, {"region_scopes": ["430981"]}),
                            (Role.agency, {"agency_id": agency.id})):  # fmt: skip
            _, secrets[role.value] = keys.create_key(session, name=role.value, role=role, **extra)
        secrets["agency_id"] = str(agency.id)
    headers = {r: {"Authorization": f"Bearer {s}"} for r, s in secrets.items()}
    headers["agency_id"] = {"id": secrets["agency_id"]}
    running = Service(fresh_settings.database_url, tmp_path / "service.log")
    try:
        yield running, sessions, headers
    finally:
        running.stop()
        engine.dispose()


@dataclass
class FailedJob:
    """A job that did not succeed, read like the response its request once gave: the status
    and body of the problem that failed it."""

    job: dict[str, Any]

    @property
    def status_code(self) -> int:
        return int((self.job.get("error") or {}).get("status", 500))

    @property
    def text(self) -> str:
        return json.dumps(self.job, ensure_ascii=False)

    def json(self) -> Any:
        return self.job.get("error")


def finished(client: Any, response: Any, params: dict[str, Any] | None = None) -> Any:
    """Follow a job's `202 Accepted` to its end (docs/jobs.md), with the request's own key:
    the GET of its result (a plan, an import's report) when it succeeded, else the problem
    that failed it (`FailedJob`). A request refused before any job was queued (a 4xx) comes
    back as it is."""
    if response.status_code != 202:
        return response
    headers = {"Authorization": response.request.headers["Authorization"]}
    assert response.headers["Location"] == f"/v1/jobs/{response.json()['id']}"
    job = client.get(response.headers["Location"], params={"wait": 30}, headers=headers).json()
    if job["state"] != "succeeded":
        return FailedJob(job)
    return client.get(job["links"]["result"], params=params, headers=headers)
