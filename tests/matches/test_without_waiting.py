"""A match tried on the event loop (deps.without_waiting): served there when it needs no
statement, and from its first statement on served again, whole, from the thread pool — the
same answer either way, and never a wait on the event loop for a lock a catch-up holds."""

import asyncio
import threading
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from matching.database import WouldWait, not_waiting
from matching.matches import service
from matching.matches.matcher import Matcher
from matching.settings import Settings

Auth = Callable[..., dict[str, str]]
Body = Callable[..., dict[str, object]]


def _on_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


@pytest.fixture
def tries(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Where each run of a match's work went: True on the event loop, False in the pool."""
    where: list[bool] = []
    real = service.matches_for_labourer

    def recording(*args: Any, **kwargs: Any) -> Any:
        where.append(_on_event_loop())
        return real(*args, **kwargs)

    monkeypatch.setattr(service, "matches_for_labourer", recording)
    return where


def _created(response: Any) -> int:
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def test_a_match_with_everything_at_hand_is_served_on_the_event_loop(
    client: TestClient, auth: Auth, labourer_body: Body, post_body: Body, tries: list[bool]
) -> None:
    admin = auth()
    posts = [
        _created(client.post("/v1/posts", json=post_body(wage_min=wage), headers=admin))
        for wage in (4500, 5200)
    ]
    labourer = _created(client.post("/v1/labourers", json=labourer_body(), headers=admin))
    url = f"/v1/labourers/{labourer}/matches"
    # A post's candidates build the labourer index (a worker builds it as it starts).
    assert client.get(f"/v1/posts/{posts[0]}/candidates", headers=admin).status_code == 200

    first = client.get(url, headers=admin)
    # The labourer's answers are read at their first match: tried, stopped, served in the pool.
    assert tries == [True, False]
    tries.clear()
    again = client.get(url, headers=admin)
    assert tries == [True]  # nothing to read: served on the event loop
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    assert len(again.json()["items"]) == 2

    # A new post moves the posts' counter: the index catches up, in the pool, and shows it.
    _created(client.post("/v1/posts", json=post_body(wage_min=6000), headers=admin))
    tries.clear()
    caught_up = client.get(url, headers=admin)
    assert tries == [True, False]
    assert len(caught_up.json()["items"]) == 3


def test_errors_of_a_match_tried_on_the_event_loop_are_the_same_problems(
    client: TestClient, auth: Auth, labourer_body: Body, post_body: Body, tries: list[bool]
) -> None:
    admin = auth()
    labourer = _created(client.post("/v1/labourers", json=labourer_body(), headers=admin))
    post = _created(client.post("/v1/posts", json=post_body(), headers=admin))
    assert client.get(f"/v1/posts/{post}/candidates", headers=admin).status_code == 200
    client.get(f"/v1/labourers/{labourer}/matches", headers=admin)
    tries.clear()
    missing = client.get("/v1/labourers/999999/matches", headers=admin)
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert tries == [True]  # the index said so: no statement, no hop
    outside = client.get(f"/v1/labourers/{labourer}/matches", headers=auth("staff", regions=["44"]))
    assert outside.status_code == 403


def test_a_catch_up_is_not_waited_for_on_the_event_loop(
    settings: Settings, session: Session
) -> None:
    """Another thread holding the index's lock (a rebuild takes seconds): a request that must
    catch up stops at once rather than wait for it where every other request waits too."""
    matcher = Matcher(settings)
    today = date(2026, 11, 23)
    snap = matcher.post_snapshot(session, today)
    outcome: list[BaseException | None] = []

    def catch_up() -> None:
        try:
            with not_waiting(session):
                matcher.post_snapshot(session, today, snap.seq + 1)
        except BaseException as error:
            outcome.append(error)
        else:
            outcome.append(None)

    with matcher.posts.lock:  # a catch-up in progress elsewhere
        trying = threading.Thread(target=catch_up)
        trying.start()
        trying.join(timeout=10)
        assert not trying.is_alive(), "the catch-up waited for the lock"
    assert len(outcome) == 1 and isinstance(outcome[0], WouldWait)
    assert matcher.post_snapshot(session, today) is snap  # nothing changed meanwhile
