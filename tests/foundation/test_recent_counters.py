"""A worker's readers use the change counters it read a moment ago (changes.RecentCounters):
one statement fewer a request, at the price of seeing changes made elsewhere (another worker,
a job, psql) up to `change_counters_max_age_seconds` late; the worker's own writes are seen
at once."""

from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, text
from sqlalchemy.orm import Session
from tests.conftest import Ticking, statements_with

from matching.changes import POSTS, RecentCounters
from matching.kit.crypto import hash_api_key

Auth = Callable[..., dict[str, str]]


def test_counters_are_kept_for_their_max_age_then_read_again() -> None:
    clock = Ticking()
    recent = RecentCounters(0.5, clock=clock)
    assert recent.recent() is None
    began = recent.reading()
    clock.at += 0.25  # the statement's own time counts toward the age
    recent.read({POSTS: 4}, began)
    assert recent.recent() == {POSTS: 4}
    clock.at += 0.25
    assert recent.recent() == {POSTS: 4}
    clock.at += 0.125
    assert recent.recent() is None


def test_a_commit_of_the_worker_forgets_them_and_a_reading_begun_before_it_is_not_kept() -> None:
    recent = RecentCounters(60, clock=Ticking())
    recent.read({POSTS: 1}, recent.reading())
    recent.forget()
    assert recent.recent() is None
    began = recent.reading()  # a reader starts reading the counters …
    recent.forget()  # … a writer of this worker commits meanwhile …
    recent.read({POSTS: 1}, began)  # … so what the reader saw may be from before the commit
    assert recent.recent() is None
    recent.read({POSTS: 2}, recent.reading())
    assert recent.recent() == {POSTS: 2}


def test_a_max_age_of_zero_keeps_nothing() -> None:
    recent = RecentCounters(0, clock=Ticking())
    recent.read({POSTS: 1}, recent.reading())
    assert recent.recent() is None


@pytest.fixture
def clock(app: FastAPI) -> Ticking:
    """The app's workers keep the counters for a minute of this clock."""
    fake = Ticking()
    app.state.recent_counters = RecentCounters(60, clock=fake)
    return fake


@pytest.fixture
def counter_reads(connection: Connection) -> Iterator[list[str]]:
    """The statements that read the change counters, as the test's requests send them."""
    with statements_with(connection, "FROM change_counters") as sent:
        yield sent


def test_readers_read_the_counters_once_in_their_max_age(
    client: TestClient, auth: Auth, clock: Ticking, counter_reads: list[str]
) -> None:
    admin = auth()
    for _ in range(4):
        assert client.get("/v1/posts", headers=admin).status_code == 200
    assert len(counter_reads) == 1
    clock.at += 61
    assert client.get("/v1/posts", headers=admin).status_code == 200
    assert len(counter_reads) == 2


def test_a_key_revoked_elsewhere_is_refused_once_the_counters_are_older_than_their_max_age(
    client: TestClient, auth: Auth, clock: Ticking, session: Session
) -> None:
    admin = auth()
    assert client.get("/v1/posts", headers=admin).status_code == 200
    secret = admin["Authorization"].removeprefix("Bearer ")
    session.execute(  # by hand, as another worker or psql would
        text("UPDATE api_keys SET revoked_at = CURRENT_TIMESTAMP WHERE key_hash = :h"),
        {"h": hash_api_key(secret)},
    )
    session.flush()
    assert client.get("/v1/posts", headers=admin).status_code == 200  # up to a minute late
    clock.at += 61
    refused = client.get("/v1/posts", headers=admin)
    assert refused.status_code == 401, refused.text


def test_a_key_revoked_through_this_worker_is_refused_at_the_next_request(
    client: TestClient, auth: Auth, clock: Ticking, counter_reads: list[str]
) -> None:
    admin = auth()
    minted = client.post("/v1/keys", json={"name": "clerk", "role": "admin"}, headers=admin)
    assert minted.status_code == 201, minted.text
    clerk = {"Authorization": f"Bearer {minted.json()['key']}"}
    assert client.get("/v1/posts", headers=clerk).status_code == 200
    assert client.get("/v1/posts", headers=clerk).status_code == 200  # kept, counters recent
    revoked = client.delete(f"/v1/keys/{minted.json()['id']}", headers=admin)
    assert revoked.status_code == 200, revoked.text
    counter_reads.clear()
    assert client.get("/v1/posts", headers=clerk).status_code == 401
    assert counter_reads  # the commit made the next reader read the counters


def test_writers_always_read_the_counters(
    client: TestClient, auth: Auth, clock: Ticking, counter_reads: list[str]
) -> None:
    admin = auth()
    assert client.get("/v1/posts", headers=admin).status_code == 200
    counter_reads.clear()
    created = client.post("/v1/keys", json={"name": "x", "role": "app"}, headers=admin)
    assert created.status_code == 201, created.text
    assert counter_reads  # a writer's key check reads them afresh
