"""Minting, listing and revoking API keys, over HTTP and from the command line."""

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from matching import cli, clock
from matching.auth.models import ApiKey
from matching.kit.crypto import hash_api_key
from matching.settings import Settings, get_settings


def test_key_is_shown_once_and_stored_only_as_hash(
    client: TestClient, auth: Callable[..., dict[str, str]], session: Session
) -> None:
    body = client.post(
        "/v1/keys",
        json={"name": "沅江市人社局 clerk", "role": "staff", "region_scopes": ["430981"]},
        headers=auth(),
    ).json()
    secret = body["key"]
    stored = session.scalar(select(ApiKey).where(ApiKey.id == body["id"]))
    assert stored is not None
    assert stored.key_hash == hash_api_key(secret)
    assert secret not in {stored.key_hash, stored.prefix, stored.name}
    listed = client.get("/v1/keys", headers=auth()).json()
    assert all("key" not in k for k in listed)
    assert body["region_scopes"] == ["430981"]


def test_region_scope_is_canonicalised_and_checked(
    client: TestClient, auth: Callable[..., dict[str, str]]
) -> None:
    ok = client.post(
        "/v1/keys",
        json={"name": "town", "role": "staff", "region_scopes": ["430900"]},
        headers=auth(),
    )
    assert ok.json()["region_scopes"] == ["4309"]
    bad = client.post(
        "/v1/keys",
        json={"name": "town", "role": "staff", "region_scopes": ["430981", "999999"]},
        headers=auth(),
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "body.region_scopes[1]"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"role": "agency"}, "agency_id"),
        ({"role": "agency", "agency_id": 424242}, "agency_id"),
        ({"role": "admin", "agency_id": 1}, "agency_id"),
        ({"role": "app", "region_scopes": ["43"]}, "region_scopes"),
    ],
)
def test_role_and_scope_must_fit(
    client: TestClient, auth: Callable[..., dict[str, str]], payload: dict[str, object], field: str
) -> None:
    response = client.post("/v1/keys", json={"name": "k", **payload}, headers=auth())
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == f"body.{field}"


def test_unknown_key_id_is_404(client: TestClient, auth: Callable[..., dict[str, str]]) -> None:
    assert client.get("/v1/keys/424242", headers=auth()).status_code == 404
    assert client.delete("/v1/keys/424242", headers=auth()).status_code == 404


def test_cli_create_list_revoke(
    tmp_path: Path,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("MATCHING_DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        assert cli.main(["db", "upgrade"]) == 0
        assert (
            cli.main(["keys", "create", "--name", "ops", "--role", "staff", "--region", "430981"])
            == 0
        )
        secret = capsys.readouterr().out.strip().splitlines()[-1]
        assert secret.startswith("mk_")
        assert cli.main(["keys", "list"]) == 0
        listing = capsys.readouterr().out
        assert "staff" in listing and "active" in listing and secret not in listing
        assert cli.main(["keys", "revoke", "1"]) == 0
        assert cli.main(["keys", "list"]) == 0
        assert "revoked" in capsys.readouterr().out
    finally:
        get_settings.cache_clear()


def _active_admins(session: Session) -> list[ApiKey]:
    return list(
        session.scalars(select(ApiKey).where(ApiKey.role == "admin", ApiKey.revoked_at.is_(None)))
    )


def test_a_key_revokes_itself_only_when_asked_to_confirm(
    client: TestClient, auth: Callable[..., dict[str, str]], session: Session
) -> None:
    other, mine = auth(), auth()  # two admins, so neither is the last
    me = client.get("/v1/keys", headers=mine).json()
    my_id = max(k["id"] for k in me)  # the newest key is the one just minted
    refused = client.delete(f"/v1/keys/{my_id}", headers=mine)
    assert refused.status_code == 409 and "confirm=true" in refused.json()["detail"]
    assert client.get("/v1/keys", headers=mine).status_code == 200  # still works
    done = client.delete(f"/v1/keys/{my_id}?confirm=true", headers=mine)
    assert done.status_code == 200 and done.json()["revoked_at"]
    assert client.get("/v1/keys", headers=mine).status_code == 401
    assert client.get("/v1/keys", headers=other).status_code == 200


def test_the_last_active_admin_key_stays(
    client: TestClient, auth: Callable[..., dict[str, str]], session: Session
) -> None:
    admin = auth()
    staff = client.post("/v1/keys", json={"name": "clerk", "role": "staff",
                                         "region_scopes": ["430981"]}, headers=admin)  # fmt: skip
    for key in _active_admins(session)[:-1]:  # revoke every admin key but the newest (ours)
        assert client.delete(f"/v1/keys/{key.id}", headers=admin).status_code == 200
    (last,) = _active_admins(session)
    refused = client.delete(f"/v1/keys/{last.id}?confirm=true", headers=admin)
    assert refused.status_code == 409 and "last active admin" in refused.json()["detail"]
    assert client.get("/v1/keys", headers=admin).status_code == 200
    # Other roles are revoked as before; and the command line can still revoke anything.
    assert client.delete(f"/v1/keys/{staff.json()['id']}", headers=admin).status_code == 200


def test_a_key_works_through_its_last_day_and_then_says_it_expired(
    client: TestClient, auth: Callable[..., dict[str, str]], test_clock: clock.FixedClock
) -> None:
    today = clock.today()
    minted = client.post("/v1/keys", json={"name": "临时 clerk", "role": "staff",
                                          "region_scopes": ["430981"],
                                          "expires_on": today.isoformat()},
                         headers=auth())  # fmt: skip
    assert minted.status_code == 201 and minted.json()["expires_on"] == today.isoformat()
    key = {"Authorization": f"Bearer {minted.json()['key']}"}
    assert client.get("/v1/posts", headers=key).status_code == 200
    test_clock.set(clock.china_midnight(today + timedelta(days=1)) + timedelta(minutes=1))
    expired = client.get("/v1/posts", headers=key)
    assert expired.status_code == 401 and f"expired on {today}" in expired.json()["detail"]


def test_an_expiry_in_the_past_is_refused(
    client: TestClient, auth: Callable[..., dict[str, str]]
) -> None:
    yesterday = clock.today() - timedelta(days=1)
    refused = client.post("/v1/keys", json={"name": "x", "role": "app",
                                           "expires_on": yesterday.isoformat()},
                          headers=auth())  # fmt: skip
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "body.expires_on"
