"""kill -9 of the service while it delivers a notice loses nothing: the outbox row was
committed with the push, the dead worker's lease runs out, and the restarted service sends the
notice again under the same webhook-id (at least once; the receiver de-duplicates by id)."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook
from tests.conftest import TEST_DATA_KEY, TEST_HASH_KEY, TEST_NOW
from tests.webhooks.conftest import Receiver

from matching.agencies.models import Agency
from matching.auth import service as keys
from matching.auth.models import Role
from matching.database import make_engine, make_sessionmaker, session_scope
from matching.pushes.models import Push
from matching.settings import Settings
from matching.webhooks.models import WebhookMessage


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Service:
    """`matching serve` in a process of its own, on the test's database."""

    def __init__(self, url: str) -> None:
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
        self.process = subprocess.Popen(
            [sys.executable, "-m", "matching.cli", "serve", "--port", str(self.port)],
            env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
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

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


@pytest.fixture
def service(fresh_settings: Settings) -> Iterator[tuple[Service, Any, dict[str, dict[str, str]]]]:
    """A migrated database with an agency and a key per role, and the service on it."""
    engine = make_engine(fresh_settings.database_url)
    sessions = make_sessionmaker(engine)
    secrets: dict[str, str] = {}
    for session in session_scope(sessions):
        agency = Agency(name="湖州市就业服务中心", province_code="33")
        session.add(agency)
        session.flush()
        for role, extra in ((Role.admin, {}), (Role.staff, {"region_scopes": ["430981"]}),
                            (Role.agency, {"agency_id": agency.id})):  # fmt: skip
            _, secrets[role.value] = keys.create_key(session, name=role.value, role=role, **extra)
        secrets["agency_id"] = str(agency.id)
    headers = {r: {"Authorization": f"Bearer {s}"} for r, s in secrets.items()}
    headers["agency_id"] = {"id": secrets["agency_id"]}
    running = Service(fresh_settings.database_url)
    try:
        yield running, sessions, headers
    finally:
        running.stop()
        engine.dispose()


def test_kill_9_during_delivery_loses_nothing(
    service: tuple[Service, Any, dict[str, dict[str, str]]],
    receiver: Receiver,
    labourer_body: Any,
    post_body: Any,
    tmp_path: Path,
) -> None:
    running, sessions, headers = service
    agency_id = headers["agency_id"]["id"]
    running.start(headers["admin"])
    http = httpx.Client(base_url=running.base, timeout=30)
    http.patch(f"/v1/agencies/{agency_id}", json={"callback_url": receiver.url},
               headers=headers["agency"]).raise_for_status()  # fmt: skip
    secret = http.post(f"/v1/agencies/{agency_id}/webhook-secret", json={},
                       headers=headers["agency"]).json()["secret"]  # fmt: skip
    receiver.delays = [30.0]  # the first delivery hangs: the service dies while it waits
    post = http.post("/v1/posts", json=post_body(), headers=headers["agency"]).json()
    labourer = http.post("/v1/labourers", json=labourer_body(), headers=headers["staff"]).json()
    pushed = http.post(
        "/v1/pushes",
        headers=headers["staff"],
        json={"post_ids": [post["id"]], "labourer_ids": [labourer["id"]], "channel": "app"},
    )
    assert pushed.status_code == 201, pushed.text
    [first] = receiver.wait_for(1)  # the notice is on its way, unanswered
    running.kill()

    with sessions() as session:
        message = session.scalars(select(WebhookMessage)).one()
        assert message.state == "pending" and message.attempts == 0  # nothing recorded
        assert session.scalar(select(Push.id)) == pushed.json()["items"][0]["id"]

    running.start(headers["admin"])
    second = receiver.wait_for(2)[1]
    assert second.headers["webhook-id"] == first.headers["webhook-id"]
    assert second.body == first.body
    Webhook(secret).verify(second.body, second.headers)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with sessions() as session:
            message = session.scalars(select(WebhookMessage)).one()
        if message.state == "delivered":
            break
        time.sleep(0.1)
    assert message.state == "delivered" and message.attempts == 1
    assert len(receiver.received) == 2  # at least once, and no more than the one lost answer
