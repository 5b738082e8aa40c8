"""kill -9 of the service while it delivers a notice loses nothing: the outbox row was
committed with the push, the dead worker's lease runs out, and the restarted service sends the
notice again under the same webhook-id (at least once; the receiver de-duplicates by id)."""

import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook
from tests.conftest import Receiver, Service

from matching.pushes.models import Push
from matching.webhooks.models import WebhookMessage


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
