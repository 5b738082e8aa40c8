"""The app key acts only for labourers enrolled in the app (issue 13, item 5).

Every route the app key may call about a labourer — recommended posts, one pair's explanation,
the inbox, one push, recording an answer — is a 404 for a labourer not enrolled, exactly like an
id that does not exist, and works once the labourer is linked; unlinking stops it at once.
"""

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.audit.models import AuditEntry

Auth = Callable[..., dict[str, str]]
Body = Callable[..., dict[str, object]]


@pytest.fixture
def world(client: TestClient, auth: Auth, labourer_body: Body, post_body: Body) -> dict[str, Any]:
    """One labourer with one push of one post, made by staff; nobody enrolled."""
    staff = auth("staff")
    body = labourer_body()
    labourer = client.post("/v1/labourers", json=body, headers=staff).json()["id"]
    post = client.post("/v1/posts", json=post_body(), headers=auth()).json()["id"]
    pushed = client.post(
        "/v1/pushes",
        json={"post_ids": [post], "labourer_ids": [labourer], "channel": "app"},
        headers=staff,
    )
    assert pushed.status_code == 201, pushed.text
    push = pushed.json()["items"][0]["id"]
    return {"staff": staff, "app": auth("app"), "labourer": labourer, "post": post,
            "push": push, "body": body}  # fmt: skip


def _app_calls(client: TestClient, w: dict[str, Any]) -> dict[str, int]:
    """The status of every app call about the labourer (the answer recorded last: it writes)."""
    lid, app = w["labourer"], w["app"]
    return {
        "matches": client.get(f"/v1/labourers/{lid}/matches", headers=app).status_code,
        "explain": client.get(f"/v1/labourers/{lid}/matches/{w['post']}", headers=app).status_code,
        "inbox": client.get(f"/v1/labourers/{lid}/pushes", headers=app).status_code,
        "push": client.get(f"/v1/pushes/{w['push']}", headers=app).status_code,
        "answer": client.post(
            f"/v1/pushes/{w['push']}/events", json={"state": "viewed"}, headers=app
        ).status_code,
    }


def test_the_app_key_cannot_act_for_a_labourer_not_enrolled(
    client: TestClient, world: dict[str, Any]
) -> None:
    assert set(_app_calls(client, world).values()) == {404}
    unknown = client.get("/v1/labourers/999999/matches", headers=world["app"])
    not_enrolled = client.get(f"/v1/labourers/{world['labourer']}/matches", headers=world["app"])
    # The same answer for an id that does not exist: the app cannot probe who is registered.
    assert unknown.json()["detail"].replace("999999", "N") == not_enrolled.json()["detail"].replace(
        str(world["labourer"]), "N"
    )
    # Staff are not affected by enrolment.
    staff_inbox = client.get(f"/v1/labourers/{world['labourer']}/pushes", headers=world["staff"])
    assert staff_inbox.status_code == 200


def test_staff_link_then_unlink_stops_the_app_at_once(
    client: TestClient, world: dict[str, Any], session: Session
) -> None:
    lid = world["labourer"]
    linked = client.put(f"/v1/labourers/{lid}/app-link", headers=world["staff"])
    assert linked.status_code == 200 and linked.json()["linked"] is True
    since = linked.json()["linked_at"]
    again = client.put(f"/v1/labourers/{lid}/app-link", headers=world["staff"]).json()
    assert again["linked_at"] == since  # linking twice keeps the first day
    assert set(_app_calls(client, world).values()) == {200}
    detail = client.get(f"/v1/labourers/{lid}", headers=world["staff"]).json()
    assert detail["app_linked_at"] == since

    unlinked = client.delete(f"/v1/labourers/{lid}/app-link", headers=world["staff"])
    assert unlinked.status_code == 200 and unlinked.json() == {
        "labourer_id": lid, "linked": False, "linked_at": None
    }  # fmt: skip
    assert set(_app_calls(client, world).values()) == {404}
    actions = session.scalars(
        select(AuditEntry.action).where(AuditEntry.labourer_id == lid).order_by(AuditEntry.id)
    ).all()
    assert [a for a in actions if a.startswith("app_")] == ["app_link", "app_unlink"]


def test_the_app_may_unlink_its_own_labourer_only(
    client: TestClient, world: dict[str, Any]
) -> None:
    lid = world["labourer"]
    assert client.delete(f"/v1/labourers/{lid}/app-link", headers=world["app"]).status_code == 404
    client.put(f"/v1/labourers/{lid}/app-link", headers=world["staff"])
    assert client.delete(f"/v1/labourers/{lid}/app-link", headers=world["app"]).status_code == 200
    assert client.get(f"/v1/labourers/{lid}/pushes", headers=world["app"]).status_code == 404


def test_a_labourer_enrols_by_proving_id_number_and_phone(
    client: TestClient, world: dict[str, Any], session: Session
) -> None:
    id_number = str(world["body"]["id_number"])
    app = world["app"]
    wrong_phone = client.post(
        "/v1/app/enrolments", json={"id_number": id_number, "phone": "13900000000"}, headers=app
    )
    assert wrong_phone.status_code == 404
    assert set(_app_calls(client, world).values()) == {404}

    enrolled = client.post(
        "/v1/app/enrolments",
        json={"id_number": id_number.lower(), "phone": "138-0737-1234"},  # as people type them
        headers=app,
    )
    assert enrolled.status_code == 200, enrolled.text
    assert enrolled.json()["labourer_id"] == world["labourer"]
    assert enrolled.json()["linked"] is True
    assert set(_app_calls(client, world).values()) == {200}
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "app_link")).one()
    assert (
        entry.labourer_id == world["labourer"]
        and entry.request_id == enrolled.headers["x-request-id"]
    )


def test_enrolment_does_not_say_which_proof_failed(
    client: TestClient, world: dict[str, Any], new_id_number: Callable[..., str]
) -> None:
    app = world["app"]
    unknown_id = client.post(
        "/v1/app/enrolments", json={"id_number": new_id_number(), "phone": "13807371234"},
        headers=app,
    )  # fmt: skip
    wrong_phone = client.post(
        "/v1/app/enrolments",
        json={"id_number": world["body"]["id_number"], "phone": "13807370000"},
        headers=app,
    )
    assert unknown_id.status_code == wrong_phone.status_code == 404
    assert unknown_id.json()["detail"] == wrong_phone.json()["detail"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"id_number": "430981198506121230", "phone": "13807371234"}, "id_number"),  # check digit
        ({"id_number": "43098119850612123X", "phone": "12"}, "phone"),
        ({"id_number": "43098119850612123X"}, "phone"),
    ],
)
def test_enrolment_refuses_what_cannot_be_an_id_number_or_phone(
    client: TestClient, world: dict[str, Any], body: dict[str, str], field: str
) -> None:
    refused = client.post("/v1/app/enrolments", json=body, headers=world["app"])
    assert refused.status_code == 422
    assert any(e["field"].endswith(field) for e in refused.json()["errors"]), refused.json()


def test_only_the_app_key_enrols(client: TestClient, world: dict[str, Any]) -> None:
    body = {"id_number": world["body"]["id_number"], "phone": "13807371234"}
    assert client.post("/v1/app/enrolments", json=body, headers=world["staff"]).status_code == 403
