"""What a worker keeps of the keys it has authenticated, and the counters that say when to read
them again: any change to a key or an agency's suspension, made by hand in SQL included, counts
at the next request (auth.known_keys, migration 0018)."""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, text
from sqlalchemy.orm import Session
from tests.conftest import statements_with

from matching.auth.models import Role
from matching.changes import KEYS, WEIGHTS, current_seqs
from matching.kit.crypto import hash_api_key

Auth = Callable[..., dict[str, str]]


@pytest.fixture
def key_reads(connection: Connection) -> Iterator[list[str]]:
    """The statements that read the API keys table, as the test's requests send them."""
    with statements_with(connection, "FROM api_keys") as sent:
        yield sent


def _secret(headers: dict[str, str]) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


def test_a_key_is_read_once_while_no_key_changes(
    client: TestClient, auth: Auth, key_reads: list[str]
) -> None:
    admin = auth()
    assert client.get("/v1/posts", headers=admin).status_code == 200
    assert len(key_reads) == 1
    for _ in range(3):
        assert client.get("/v1/posts", headers=admin).status_code == 200
    assert len(key_reads) == 1  # kept: the counters alone were read
    minted = client.post("/v1/keys", json={"name": "x", "role": "app"}, headers=admin)
    assert minted.status_code == 201
    key_reads.clear()
    assert client.get("/v1/posts", headers=admin).status_code == 200
    assert key_reads == []  # a new key changes no kept one
    revoked = client.delete(f"/v1/keys/{minted.json()['id']}", headers=admin)
    assert revoked.status_code == 200, revoked.text
    key_reads.clear()
    assert client.get("/v1/posts", headers=admin).status_code == 200
    assert len(key_reads) == 1  # a key changed (another one): read again


@pytest.mark.parametrize(
    "by_hand",
    [
        "UPDATE api_keys SET revoked_at = created_at WHERE key_hash = :hash",
        "DELETE FROM api_keys WHERE key_hash = :hash",
    ],
    ids=["revoked", "deleted"],
)
def test_a_key_changed_by_hand_is_refused_at_the_next_request(
    client: TestClient, auth: Auth, session: Session, by_hand: str
) -> None:
    app_key = auth("app")
    assert client.get("/v1/posts", headers=app_key).status_code == 200
    # As an operator would in psql: no service code runs, the trigger moves the counter.
    session.execute(text(by_hand), {"hash": hash_api_key(_secret(app_key))})
    refused = client.get("/v1/posts", headers=app_key)
    assert refused.status_code == 401 and "revoked" in refused.json()["detail"]


def test_an_agency_suspended_by_hand_is_refused_and_restored(
    client: TestClient, auth: Auth, session: Session, make_agency: Callable[..., Any]
) -> None:
    agency = make_agency()
    key = auth(Role.agency, agency_id=agency.id)
    assert client.get("/v1/posts", headers=key).status_code == 200
    seqs = current_seqs(session)
    # Another column of the agency is no change to its keys: the counter stays.
    session.execute(text("UPDATE agencies SET webhook_failing_since = created_at WHERE id = :id"),
                    {"id": agency.id})  # fmt: skip
    assert current_seqs(session)[KEYS] == seqs[KEYS]
    session.execute(text("UPDATE agencies SET suspended_at = created_at WHERE id = :id"),
                    {"id": agency.id})  # fmt: skip
    suspended = client.get("/v1/posts", headers=key)
    assert suspended.status_code == 403 and "suspended" in suspended.json()["detail"]
    session.execute(text("UPDATE agencies SET suspended_at = NULL WHERE id = :id"),
                    {"id": agency.id})  # fmt: skip
    assert client.get("/v1/posts", headers=key).status_code == 200


def test_an_unknown_key_is_refused_every_time_and_not_kept(
    client: TestClient, key_reads: list[str]
) -> None:
    unknown = {"Authorization": "Bearer mk_not-a-key-at-all"}
    for _ in range(2):
        assert client.get("/v1/posts", headers=unknown).status_code == 401
    assert len(key_reads) == 2  # looked up each time: nothing was kept of it


def test_the_counters_move_on_every_change_to_keys_and_fits(session: Session) -> None:
    def seq(name: str) -> int:
        return current_seqs(session)[name]

    keys, weights = seq(KEYS), seq(WEIGHTS)
    session.execute(text(
        "INSERT INTO api_keys (name, prefix, key_hash, role, region_scopes, created_at) "
        "VALUES ('k', 'mk_x', 'h', 'app', '[]', CURRENT_TIMESTAMP)"
    ))  # fmt: skip
    # A new key changes no key a worker keeps (only keys found are kept): no move.
    assert seq(KEYS) == keys
    session.execute(text("UPDATE api_keys SET name = 'k2' WHERE key_hash = 'h'"))
    session.execute(text("DELETE FROM api_keys WHERE key_hash = 'h'"))
    assert (seq(KEYS), seq(WEIGHTS)) == (keys + 2, weights)
    session.execute(text(
        "INSERT INTO learned_weights (province, fitted_on, created_at, outcome, settings_weights,"
        " intercept, scale, pushes, applied, holdout_pushes) VALUES ('43', '2026-11-01',"
        " CURRENT_TIMESTAMP, 'too_few', '{}', 0, 1, 0, 0, 0)"
    ))  # fmt: skip
    session.execute(text("DELETE FROM learned_weights WHERE province = '43'"))
    assert (seq(KEYS), seq(WEIGHTS)) == (keys + 2, weights + 2)
