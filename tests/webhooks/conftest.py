"""A real HTTP receiver on loopback, and a service of its own whose outbox a Deliverer sends."""

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient

from matching.app import create_app
from matching.auth import service as keys
from matching.auth.models import Role
from matching.database import session_scope
from matching.settings import Settings
from matching.webhooks.delivery import Deliverer, DeliveryPolicy


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


@dataclass
class Partner:
    """A service with a committed database, an agency that listens, and its keys."""

    client: TestClient
    admin: dict[str, str]
    staff: dict[str, str]
    agency: dict[str, str]
    agency_id: int
    secret: str
    deliverer: Callable[..., Deliverer]


@pytest.fixture
def partner(fresh_settings: Settings, receiver: Receiver, test_clock: Any) -> Iterator[Partner]:
    """The agency listens at the receiver with a fresh secret; `deliverer(**policy)` sends."""
    app = create_app(fresh_settings)
    secrets: dict[str, str] = {}
    for session in session_scope(app.state.sessionmaker):
        from matching.agencies.models import Agency

        agency = Agency(name="东莞市人力资源服务中心", province_code="44")
        session.add(agency)
        session.flush()
        agency_id = agency.id
        for role, extra in ((Role.admin, {}), (Role.staff, {"region_scopes": ["430981"]}),
                            (Role.agency, {"agency_id": agency_id})):  # fmt: skip
            _, secrets[role.value] = keys.create_key(
                session, name=f"webhooks {role.value}", role=role, **extra
            )
    headers = {r: {"Authorization": f"Bearer {s}"} for r, s in secrets.items()}

    def deliverer(**policy: Any) -> Deliverer:
        options = {"public_only": False, "first_retry_s": 0.05, **policy}
        return Deliverer(app.state.sessionmaker, app.state.personal.cipher,
                         DeliveryPolicy(**options), seed=7)  # fmt: skip

    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            url = f"/v1/agencies/{agency_id}"
            patched = client.patch(url, json={"callback_url": receiver.url},
                                   headers=headers["agency"])  # fmt: skip
            assert patched.status_code == 200, patched.text
            issued = client.post(f"{url}/webhook-secret", json={}, headers=headers["agency"])
            assert issued.status_code == 201, issued.text
            yield Partner(client, headers["admin"], headers["staff"], headers["agency"],
                          agency_id, issued.json()["secret"], deliverer)  # fmt: skip
    finally:
        app.state.engine.dispose()
