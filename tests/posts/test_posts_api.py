"""Publishing, changing, withdrawing, expiring and pushing in posts over HTTP."""

from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matching import clock
from matching.posts.models import Post

Auth = Callable[..., dict[str, str]]
Body = Callable[..., dict[str, object]]


def test_publish_normalises_and_flags(client: TestClient, auth: Auth, post_body: Body) -> None:
    response = client.post(
        "/v1/posts",
        json=post_body(
            sex_requirement="male", required_skills=[{"term": "叉车证"}, {"term": "xyzzy"}]
        ),
        headers=auth("agency"),
    )
    assert response.status_code == 201, response.text
    data = response.json()
    assert data["status"] == "open"
    assert data["openings_left"] == 5
    assert data["source"] == "agency"
    assert data["unresolved_skills"] == ["xyzzy"]
    assert data["required_skills"][0]["name"]
    assert any(f.startswith("sex_requirement") for f in data["flags"])
    assert data["workplace_region_name"].startswith("广东省")


def test_invalid_post_is_refused_whole(
    client: TestClient, auth: Auth, post_body: Body, session: Session
) -> None:
    before = session.scalar(select(func.count()).select_from(Post))
    response = client.post(
        "/v1/posts", json=post_body(wage_min=7000, wage_max=5000), headers=auth()
    )
    assert response.status_code == 422
    response = client.post("/v1/posts", json=post_body(workplace_region="000000"), headers=auth())
    assert response.json()["errors"][0]["field"] == "body.workplace_region"
    assert session.scalar(select(func.count()).select_from(Post)) == before


def test_agency_sees_only_its_own_posts(client: TestClient, auth: Auth, post_body: Body) -> None:
    mine, theirs = auth("agency"), auth("agency")
    post = client.post("/v1/posts", json=post_body(), headers=mine).json()
    assert client.get(f"/v1/posts/{post['id']}", headers=mine).status_code == 200
    assert client.get(f"/v1/posts/{post['id']}", headers=theirs).status_code == 404
    assert (
        client.patch(f"/v1/posts/{post['id']}", json={"openings": 9}, headers=theirs).status_code
        == 404
    )
    assert client.post(f"/v1/posts/{post['id']}/withdraw", headers=theirs).status_code == 404
    assert client.get("/v1/posts", headers=theirs).json()["items"] == []
    assert client.get(f"/v1/posts/{post['id']}", headers=auth("staff")).status_code == 200


def test_expiry_applies_by_itself(client: TestClient, auth: Auth, post_body: Body) -> None:
    headers = auth()
    yesterday = (clock.today() - timedelta(days=2)).isoformat()
    post = client.post(
        "/v1/posts",
        json=post_body(valid_from="2025-01-01", valid_until=yesterday),
        headers=headers,
    ).json()
    assert post["status"] == "expired"
    expired = client.get("/v1/posts?status=expired", headers=headers).json()["items"]
    assert post["id"] in {p["id"] for p in expired}
    open_ = client.get("/v1/posts?status=open", headers=headers).json()["items"]
    assert post["id"] not in {p["id"] for p in open_}


def test_withdraw_then_no_change(client: TestClient, auth: Auth, post_body: Body) -> None:
    headers = auth("agency")
    post = client.post("/v1/posts", json=post_body(), headers=headers).json()
    withdrawn = client.post(f"/v1/posts/{post['id']}/withdraw", headers=headers)
    assert withdrawn.json()["status"] == "withdrawn"
    again = client.patch(f"/v1/posts/{post['id']}", json={"title": "焊工"}, headers=headers)
    assert again.status_code == 409


def test_openings_cannot_drop_below_hires(
    client: TestClient, auth: Auth, post_body: Body, session: Session
) -> None:
    headers = auth()
    post = client.post("/v1/posts", json=post_body(openings=5), headers=headers).json()
    stored = session.get(Post, post["id"])
    assert stored is not None
    stored.openings_left = 2  # three hires made
    session.flush()
    refused = client.patch(f"/v1/posts/{post['id']}", json={"openings": 2}, headers=headers)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "body.openings"
    ok = client.patch(f"/v1/posts/{post['id']}", json={"openings": 3}, headers=headers).json()
    assert (ok["openings"], ok["openings_left"], ok["status"]) == (3, 0, "filled")


def _batch(post_body: Body, n: int, **overrides: object) -> list[dict[str, object]]:
    return [post_body(external_id=f"GD-{i}", title=f"普工{i}", **overrides) for i in range(n)]


def test_batch_upsert_reports_each_item(client: TestClient, auth: Auth, post_body: Body) -> None:
    headers = auth("agency")
    items = _batch(post_body, 3)
    first = client.post("/v1/posts/batch", json={"items": items}, headers=headers).json()
    assert first["counts"] == {"created": 3, "updated": 0, "unchanged": 0, "rejected": 0}
    items[1]["wage_max"] = 6500
    items.append({**post_body(external_id="BAD"), "openings": 0})
    items.append(post_body(title="no external id"))
    second = client.post("/v1/posts/batch", json={"items": items}, headers=headers).json()
    assert [r["result"] for r in second["items"]] == [
        "unchanged",
        "updated",
        "unchanged",
        "rejected",
        "rejected",
    ]
    assert second["items"][3]["errors"][0]["field"] == "body.items[3].openings"
    assert second["items"][4]["errors"][0]["field"] == "body.items[4].external_id"
    assert second["items"][1]["post_id"] == first["items"][1]["post_id"]
    listed = client.get("/v1/posts", headers=headers).json()["items"]
    assert len(listed) == 3


def test_idempotency_key_replays_and_refuses_other_body(
    client: TestClient, auth: Auth, post_body: Body, session: Session
) -> None:
    headers = {**auth("agency"), "Idempotency-Key": "push-2026-11-23-001"}
    body = {"items": _batch(post_body, 2)}
    first = client.post("/v1/posts/batch", json=body, headers=headers)
    count = session.scalar(select(func.count()).select_from(Post))
    replay = client.post("/v1/posts/batch", json=body, headers=headers)
    assert replay.json() == first.json()
    assert replay.headers.get("idempotent-replayed") == "true"
    assert session.scalar(select(func.count()).select_from(Post)) == count
    other = client.post("/v1/posts/batch", json={"items": _batch(post_body, 1)}, headers=headers)
    assert other.status_code == 422
    assert other.json()["errors"][0]["field"] == "header.Idempotency-Key"


def test_near_identical_posts_from_other_sources_are_reported(
    client: TestClient, auth: Auth, post_body: Body
) -> None:
    a = client.post(
        "/v1/posts", json=post_body(employer="东莞 某电子厂"), headers=auth("agency")
    ).json()
    b = client.post(
        "/v1/posts", json=post_body(employer="东莞某电子厂"), headers=auth("agency")
    ).json()
    # An agency reads only its own posts, so it is not told another agency's post ids.
    assert b["near_duplicates"] == []
    station = client.post("/v1/posts", json=post_body(employer="东莞某电子厂 "), headers=auth())
    assert station.json()["near_duplicates"] == [a["id"], b["id"]]  # admin reads every post
    groups = client.get("/v1/posts/duplicates", headers=auth()).json()
    assert any({a["id"], b["id"]} <= set(g["post_ids"]) for g in groups)


def test_a_vacancy_entered_twice_by_one_source_is_reported(
    client: TestClient, auth: Auth, post_body: Body
) -> None:
    """Two station clerks enter the same vacancy: the second is told of the first, and the
    duplicates list carries the pair as one source's; a withdrawn post is no longer one."""
    clerk_a, clerk_b = auth("staff"), auth("staff")
    local = {"workplace_region": "430981100"}
    first = client.post(
        "/v1/posts", json=post_body(employer="沅江某食品厂", **local), headers=clerk_a
    )
    second = client.post(
        "/v1/posts", json=post_body(employer="沅江 某食品厂", **local), headers=clerk_b
    )
    assert first.status_code == second.status_code == 201, second.text
    a, b = first.json()["id"], second.json()["id"]
    assert second.json()["near_duplicates"] == [a]
    groups = client.get("/v1/posts/duplicates", headers=clerk_a).json()
    pair = next(g for g in groups if set(g["post_ids"]) == {a, b})
    assert pair["same_source"] is True and pair["sources"] == ["station"]
    withdrawn = client.post(f"/v1/posts/{b}/withdraw", headers=clerk_b)
    assert withdrawn.status_code == 200, withdrawn.text
    groups = client.get("/v1/posts/duplicates", headers=clerk_a).json()
    assert not any(a in g["post_ids"] for g in groups)
    third = client.post(
        "/v1/posts", json=post_body(employer="沅江某食品厂", **local), headers=clerk_a
    )
    assert third.json()["near_duplicates"] == [a]


def test_batch_over_1000_items_is_refused(client: TestClient, auth: Auth, post_body: Body) -> None:
    items = [post_body(external_id=str(i)) for i in range(1001)]
    response = client.post("/v1/posts/batch", json={"items": items}, headers=auth("agency"))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.items"


def test_idempotency_keys_expire_after_the_retention(
    client: TestClient, auth: Auth, post_body: Body, session: Session
) -> None:
    from datetime import UTC, datetime

    from matching.posts.models import IdempotencyRecord

    headers = {**auth("agency"), "Idempotency-Key": "old-key"}
    client.post("/v1/posts/batch", json={"items": _batch(post_body, 1)}, headers=headers)
    record = session.scalars(select(IdempotencyRecord)).one()
    record.created_at = datetime(2020, 1, 1, tzinfo=UTC)
    session.flush()
    other = client.post("/v1/posts/batch", json={"items": _batch(post_body, 2)}, headers=headers)
    assert other.status_code == 200  # the old record was purged, the key is free again
