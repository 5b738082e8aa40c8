"""The push ledger: pushes once per pair and month, outcome timelines, hires and the inbox."""

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matching.clock import FixedClock
from matching.employment.models import Employment
from matching.pushes.models import Push, PushEvent

Headers = Callable[..., dict[str, str]]
NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # 10:00 in China


@pytest.fixture(autouse=True)
def _clock(test_clock: FixedClock) -> None:
    test_clock.set(NOW)


@pytest.fixture
def staff(auth: Headers) -> dict[str, str]:
    return auth("staff", regions=["430981"])


def _labourer(client: TestClient, headers: dict[str, str], body: dict[str, Any]) -> int:
    response = client.post("/v1/labourers", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _post(client: TestClient, headers: dict[str, str], body: dict[str, Any]) -> int:
    response = client.post("/v1/posts", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _push(
    client: TestClient, headers: dict[str, str], posts: list[int], labourers: list[int]
) -> Any:
    body = {"post_ids": posts, "labourer_ids": labourers, "channel": "wechat"}
    return client.post("/v1/pushes", json=body, headers=headers)


def _event(
    client: TestClient, headers: dict[str, str], push_id: int, state: str, **extra: Any
) -> Any:
    return client.post(
        f"/v1/pushes/{push_id}/events", json={"state": state, **extra}, headers=headers
    )


@pytest.fixture
def world(
    client: TestClient, staff: dict[str, str], auth: Headers,
    labourer_body: Callable[..., dict[str, Any]],
    post_body: Callable[..., dict[str, Any]],
) -> dict[str, list[int]]:  # fmt: skip
    labourers = [
        _labourer(client, staff, labourer_body(status_effective_from="2026-01-01"))
        for _ in range(3)
    ]
    posts = [_post(client, auth(), post_body(openings=2)) for _ in range(2)]
    return {"labourers": labourers, "posts": posts}


def test_one_post_to_many_labourers_keeps_score_and_reasons(
    client: TestClient, staff: dict[str, str], world: dict[str, list[int]], session: Session
) -> None:
    response = _push(client, staff, world["posts"][:1], world["labourers"])
    assert response.status_code == 201, response.text
    result = response.json()
    assert (result["created"], result["existing"]) == (3, 0)
    item = result["items"][0]
    assert item["month"] == "2026-11"
    assert item["pushed_on"] == "2026-11-20"
    assert item["state"] == "pushed"
    assert 0 < item["score"] <= 1
    assert item["reasons"], "the reasons at push time are kept"
    assert set(item["breakdown"]) >= {"location", "skills"}
    assert item["attribution_until"] == "2027-01-19"  # 60 days


def test_a_pair_is_pushed_at_most_once_a_month(
    client: TestClient, staff: dict[str, str], world: dict[str, list[int]], session: Session
) -> None:
    first = _push(client, staff, world["posts"], world["labourers"][:1]).json()
    again = _push(client, staff, world["posts"], world["labourers"][:1])
    assert again.status_code == 201
    assert again.json()["created"] == 0
    assert [i["id"] for i in again.json()["items"]] == [i["id"] for i in first["items"]]
    count = session.scalar(
        select(func.count()).select_from(Push).where(Push.labourer_id == world["labourers"][0])
    )
    assert count == 2


def test_next_month_the_pair_may_be_pushed_again(
    test_clock: FixedClock, client: TestClient, staff: dict[str, str], world: dict[str, list[int]]
) -> None:
    first = _push(client, staff, world["posts"][:1], world["labourers"][:1]).json()["items"][0]
    test_clock.set(NOW + timedelta(days=15))
    second = _push(client, staff, world["posts"][:1], world["labourers"][:1]).json()["items"][0]
    assert second["month"] == "2026-12"
    assert second["id"] != first["id"]


def test_many_to_many_is_refused(
    client: TestClient, staff: dict[str, str], world: dict[str, list[int]]
) -> None:
    response = _push(client, staff, world["posts"], world["labourers"])
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "one post to many labourers" in response.text


@pytest.mark.parametrize(
    ("case", "status"),
    [("missing_post", 404), ("missing_labourer", 404), ("withdrawn_post", 409),
     ("out_of_scope", 403)],
)  # fmt: skip
def test_a_refused_push_writes_nothing(
    case: str,
    status: int,
    client: TestClient,
    staff: dict[str, str],
    auth: Headers,
    world: dict[str, list[int]],
    labourer_body: Callable[..., dict[str, Any]],
    session: Session,
) -> None:
    posts, labourers = list(world["posts"][:1]), list(world["labourers"])
    if case == "missing_post":
        posts = [posts[0], 999_999]
        labourers = labourers[:1]
    elif case == "missing_labourer":
        labourers.append(999_999)
    elif case == "withdrawn_post":
        assert client.post(f"/v1/posts/{posts[0]}/withdraw", headers=auth()).status_code == 200
    else:
        other = _labourer(client, auth("admin"), labourer_body(hukou_region="430902"))
        labourers.append(other)
    response = _push(client, staff, posts, labourers)
    assert response.status_code == status, response.text
    assert session.scalar(select(func.count()).select_from(Push)) == 0


def test_outcome_chain_and_illegal_transitions(
    client: TestClient, staff: dict[str, str], world: dict[str, list[int]]
) -> None:
    push_id = _push(client, staff, world["posts"][:1], world["labourers"][:1]).json()["items"][0][
        "id"
    ]
    for state in ("delivered", "viewed", "applied"):
        response = _event(client, staff, push_id, state)
        assert response.status_code == 200, response.text
        assert response.json()["state"] == state
    back = _event(client, staff, push_id, "viewed")
    assert back.status_code == 409
    problem = back.json()
    assert problem["current_state"] == "applied"
    assert "'applied'" in problem["detail"]
    assert set(problem["allowed"]) == {"interviewed", "hired", "declined", "rejected"}
    assert _event(client, staff, push_id, "no_response").status_code == 409
    assert _event(client, staff, push_id, "rejected").status_code == 200
    final = _event(client, staff, push_id, "interviewed")
    assert final.status_code == 409
    assert final.json()["allowed"] == []
    timeline = client.get(f"/v1/pushes/{push_id}", headers=staff).json()["events"]
    assert [e["state"] for e in timeline] == ["delivered", "viewed", "applied", "rejected"]
    assert all(e["occurred_at"] and e["recorded_at"] for e in timeline)


def test_repeating_the_current_state_writes_nothing(
    client: TestClient, staff: dict[str, str], world: dict[str, list[int]], session: Session
) -> None:
    push_id = _push(client, staff, world["posts"][:1], world["labourers"][:1]).json()["items"][0][
        "id"
    ]
    assert _event(client, staff, push_id, "viewed").status_code == 200
    assert _event(client, staff, push_id, "viewed").status_code == 200
    events = session.scalar(
        select(func.count()).select_from(PushEvent).where(PushEvent.push_id == push_id)
    )
    assert events == 1


def test_event_times_are_checked(
    client: TestClient, staff: dict[str, str], world: dict[str, list[int]]
) -> None:
    push_id = _push(client, staff, world["posts"][:1], world["labourers"][:1]).json()["items"][0][
        "id"
    ]
    future = (NOW + timedelta(hours=1)).isoformat()
    response = _event(client, staff, push_id, "viewed", occurred_at=future)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "body.occurred_at"
    before_push = (NOW - timedelta(days=1)).isoformat()
    assert _event(client, staff, push_id, "viewed", occurred_at=before_push).status_code == 422
    naive = _event(client, staff, push_id, "viewed", occurred_at="2026-11-20T09:00:00")
    assert naive.status_code == 422
    assert _event(client, staff, push_id, "pushed").status_code == 422
    wrong = _event(client, staff, push_id, "viewed", hire={"monthly_wage": 3000})
    assert wrong.status_code == 422


def test_the_app_records_view_apply_decline_only(
    client: TestClient, staff: dict[str, str], auth: Headers, world: dict[str, list[int]]
) -> None:
    app_key = auth("app")
    push_id = _push(client, staff, world["posts"][:1], world["labourers"][:1]).json()["items"][0][
        "id"
    ]
    client.put(f"/v1/labourers/{world['labourers'][0]}/app-link", headers=staff)
    assert _event(client, app_key, push_id, "viewed").status_code == 200
    assert _event(client, app_key, push_id, "applied").status_code == 200
    refused = _event(client, app_key, push_id, "interviewed")
    assert refused.status_code == 403
    assert _event(client, app_key, push_id, "hired").status_code == 403
    assert _event(client, auth("agency"), push_id, "viewed").status_code == 403


def test_the_inbox_lists_a_labourers_pushes_with_the_post(
    client: TestClient, staff: dict[str, str], auth: Headers, world: dict[str, list[int]]
) -> None:
    labourer = world["labourers"][0]
    _push(client, staff, world["posts"], [labourer])
    client.put(f"/v1/labourers/{labourer}/app-link", headers=staff)
    inbox = client.get(f"/v1/labourers/{labourer}/pushes", headers=auth("app"))
    assert inbox.status_code == 200, inbox.text
    items = inbox.json()["items"]
    assert [i["post_id"] for i in items] == sorted(world["posts"], reverse=True)
    assert items[0]["post"]["title"] == "电焊工"
    assert client.get("/v1/labourers/999999/pushes", headers=auth("app")).status_code == 404


def test_listing_filters_and_scope(
    client: TestClient, staff: dict[str, str], auth: Headers, world: dict[str, list[int]]
) -> None:
    _push(client, staff, world["posts"][:1], world["labourers"])
    listed = client.get(
        "/v1/pushes", params={"month": "2026-11", "region": "430981"}, headers=staff
    )
    assert listed.status_code == 200
    assert len(listed.json()["items"]) == 3
    by_post = client.get("/v1/pushes", params={"post_id": world["posts"][1]}, headers=staff)
    assert by_post.json()["items"] == []
    elsewhere = auth("staff", regions=["430902"])
    assert client.get("/v1/pushes", headers=elsewhere).json()["items"] == []
    assert (
        client.get("/v1/pushes", params={"region": "430981"}, headers=elsewhere).status_code == 403
    )
    assert client.get("/v1/pushes", params={"month": "2026-13"}, headers=staff).status_code == 422
    page = client.get("/v1/pushes", params={"limit": 2}, headers=staff).json()
    rest = client.get("/v1/pushes", params={"cursor": page["next_cursor"]}, headers=staff).json()
    assert len(page["items"]) + len(rest["items"]) == 3


def test_a_hire_takes_an_opening_records_the_job_and_sets_the_status(
    client: TestClient, staff: dict[str, str], world: dict[str, list[int]], session: Session
) -> None:
    post = world["posts"][0]  # 2 openings, in 东莞 (another province)
    items = _push(client, staff, [post], world["labourers"]).json()["items"]
    first = _event(client, staff, items[0]["id"], "hired", hire={"monthly_wage": 5200})
    assert first.status_code == 200, first.text
    assert first.json()["hired_on"] == "2026-11-20"
    job = session.scalars(select(Employment).where(Employment.push_id == items[0]["id"])).one()
    assert (job.monthly_wage, job.start_date, job.in_organisation) == (
        5200,
        date(2026, 11, 20),
        True,
    )
    status = client.get(
        f"/v1/labourers/{items[0]['labourer_id']}/status",
        params={"as_of": "2026-11-20"},
        headers=staff,
    ).json()
    assert status["status"] == "employed_out_province"
    assert client.get(f"/v1/posts/{post}", headers=staff).json()["openings_left"] == 1
    assert _event(client, staff, items[1]["id"], "hired").status_code == 200
    filled = client.get(f"/v1/posts/{post}", headers=staff).json()
    assert (filled["openings_left"], filled["status"]) == (0, "filled")
    third = _event(client, staff, items[2]["id"], "hired")
    assert third.status_code == 409
    assert "no opening left" in third.json()["detail"]
    # Nothing of the refused hire stayed: the push is where it was, no job was written.
    assert client.get(f"/v1/pushes/{items[2]['id']}", headers=staff).json()["state"] == "pushed"
    assert session.scalar(select(func.count()).select_from(Employment)) == 2


def test_publishers_read_outcome_counts_without_personal_data(
    client: TestClient,
    staff: dict[str, str],
    auth: Headers,
    make_agency: Callable[..., Any],
    world: dict[str, list[int]],
    post_body: Callable[..., dict[str, Any]],
) -> None:
    agency = make_agency()
    agency_key = auth("agency", agency_id=agency.id)
    post = _post(client, agency_key, post_body(external_id="A-1", openings=3))
    items = _push(client, staff, [post], world["labourers"]).json()["items"]
    _event(client, staff, items[0]["id"], "viewed")
    _event(client, staff, items[0]["id"], "hired")
    _event(client, staff, items[1]["id"], "declined")
    counts = client.get(f"/v1/posts/{post}/outcomes", headers=agency_key)
    assert counts.status_code == 200, counts.text
    body = counts.json()
    assert body["pushes"] == 3
    assert body["reached"]["viewed"] == 1
    assert body["reached"]["hired"] == body["hires"] == 1
    assert body["ended"]["declined"] == 1
    assert "labourer" not in counts.text
    listed = client.get("/v1/reports/agency-posts", headers=agency_key).json()["items"]
    assert [p["post_id"] for p in listed] == [post]
    other = auth("agency")
    assert client.get(f"/v1/posts/{post}/outcomes", headers=other).status_code == 404
    assert (
        client.get(
            "/v1/reports/agency-posts", params={"agency_id": agency.id}, headers=other
        ).status_code
        == 403
    )
    assert client.get("/v1/reports/agency-posts", headers=auth("admin")).status_code == 422
