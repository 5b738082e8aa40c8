"""Merging two records of one person (issue 16, item 6): the survivor takes the duplicate's
status history, pushes, jobs and services and the identifiers it lacks; the duplicate is kept,
marked merged, and no longer counted, listed, matched or written to; refused across regions,
for two ID numbers, and twice."""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from matching.audit.models import AuditEntry
from matching.clock import FixedClock
from matching.labourers.models import Labourer

Auth = Callable[..., dict[str, str]]
Body = Callable[..., dict[str, Any]]
TOWN = "430981100"


@pytest.fixture
def pair(
    test_clock: FixedClock,
    client: TestClient,
    auth: Auth,
    labourer_body: Body,
    post_body: Body,
    session: Session,
) -> dict[str, Any]:
    """张春生 registered with his ID number, and again without it (phone and household only)."""
    test_clock.set(datetime(2026, 11, 20, 2, tzinfo=UTC))
    staff = auth("staff")
    survivor = labourer_body(name="张春生", hukou_region=TOWN, phone=None,
                             status_effective_from="2026-10-01")  # fmt: skip
    a = client.post("/v1/labourers", json=survivor, headers=staff).json()
    again = {"name": "张春生", "hukou_region": TOWN, "sex": "male", "birth_date": "1985-06-12",
             "phone": "13907379999", "household_id": "H-77",
             "status_effective_from": "2026-10-01"}  # fmt: skip
    b = client.post("/v1/labourers", json=again, headers=staff).json()
    assert "id" in a and "id" in b, (a, b)
    session.execute(  # registered in September, so October's report counts both
        update(Labourer)
        .where(Labourer.id.in_([a["id"], b["id"]]))
        .values(created_at=datetime(2026, 9, 1, tzinfo=UTC))
    )
    local = {"workplace_region": TOWN}
    posts = [client.post("/v1/posts", json=post_body(title=f"岗位{i}", **local), headers=staff)
             .json()["id"] for i in range(2)]  # fmt: skip
    for body in (
        {"post_ids": [posts[1]], "labourer_ids": [a["id"]], "channel": "app"},
        {"post_ids": posts, "labourer_ids": [b["id"]], "channel": "sms"},
    ):
        assert client.post("/v1/pushes", json=body, headers=staff).status_code == 201
    changed = client.post(
        f"/v1/labourers/{b['id']}/status",
        headers=staff,
        json={"status": "employed_local", "effective_from": "2026-11-05"},
    )
    job = client.post(
        f"/v1/labourers/{b['id']}/employments",
        headers=staff,
        json={"employer": "沅江某厂", "start_date": "2026-11-05"},
    )
    service = client.post(f"/v1/labourers/{b['id']}/services", headers=staff,
                          json={"kind": "guidance"})  # fmt: skip
    assert (changed.status_code, job.status_code, service.status_code) == (201, 201, 201)
    return {"a": a["id"], "b": b["id"], "posts": posts, "staff": staff}


def _merge(client: TestClient, headers: dict[str, str], survivor: int, duplicate: int) -> Any:
    return client.post(
        f"/v1/labourers/{survivor}/merge", json={"duplicate_id": duplicate}, headers=headers
    )


def test_the_duplicate_is_listed_then_merged_into_the_survivor(
    client: TestClient, pair: dict[str, Any], session: Session
) -> None:
    a, b, staff = pair["a"], pair["b"], pair["staff"]
    groups = client.get("/v1/labourers/duplicates", headers=staff).json()
    assert any({a, b} == {x["id"] for x in g["labourers"]} for g in groups)

    response = _merge(client, staff, a, b)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["merged_id"] == b
    assert body["moved"] == {"status_periods": 1, "pushes": 1, "employments": 1, "services": 1}
    # Both were registered on 1 October, and both were pushed post 2 this month: the
    # survivor's own stay the ones that count.
    assert body["left_on_merged"] == {"status_periods": 1, "pushes": 1}
    assert sorted(body["filled"]) == ["household_id", "phone"]
    survivor = body["survivor"]
    assert survivor["phone"] == "139****9999" and survivor["household_id"] == "H-77"
    assert survivor["employment_status"] == "employed_local"

    history = client.get(f"/v1/labourers/{a}/status/history", headers=staff).json()
    assert [p["effective_from"] for p in history] == ["2026-10-01", "2026-11-05"]
    pushed = client.get(f"/v1/labourers/{a}/pushes", headers=staff).json()["items"]
    assert sorted(p["post_id"] for p in pushed) == sorted(pair["posts"])
    assert len(client.get(f"/v1/labourers/{a}/employments", headers=staff).json()) == 1
    assert len(client.get(f"/v1/labourers/{a}/services", headers=staff).json()) == 1

    merged = client.get(f"/v1/labourers/{b}", headers=staff).json()
    assert merged["merged_into_id"] == a
    listed = client.get("/v1/labourers", params={"name": "张春生"}, headers=staff).json()
    assert [x["id"] for x in listed["items"]] == [a]
    groups = client.get("/v1/labourers/duplicates", headers=staff).json()
    assert not any(b in {x["id"] for x in g["labourers"]} for g in groups)
    actions = session.scalars(
        select(AuditEntry.labourer_id).where(AuditEntry.action == "merge")
    ).all()
    assert set(actions) == {a, b} and len(actions) == 2


def test_a_merged_record_takes_no_writes_and_is_not_counted(
    client: TestClient, pair: dict[str, Any]
) -> None:
    a, b, staff = pair["a"], pair["b"], pair["staff"]
    october = {"region": "430981", "month": "2026-10"}

    def u() -> int:
        report = client.get("/v1/reports/targets", params=october, headers=staff).json()
        return int(next(f for f in report["figures"] if f["key"] == "unemployed_willing")["value"])

    before = u()
    assert _merge(client, staff, a, b).status_code == 200
    assert u() == before - 1  # one person, counted once
    refused = [
        client.patch(f"/v1/labourers/{b}", json={"phone": "13907370000"}, headers=staff),
        client.post(f"/v1/labourers/{b}/status", headers=staff,
                    json={"status": "unemployed", "effective_from": "2026-11-19"}),
        client.post(f"/v1/labourers/{b}/services", json={"kind": "guidance"}, headers=staff),
        client.post("/v1/pushes", headers=staff,
                    json={"post_ids": pair["posts"][:1], "labourer_ids": [b], "channel": "app"}),
    ]  # fmt: skip
    for response in refused:
        assert response.status_code == 409, response.text
        assert f"merged into {a}" in response.json()["detail"]
    assert _merge(client, staff, a, b).status_code == 409  # already merged
    assert _merge(client, staff, b, a).status_code == 409


def test_merges_that_are_refused_change_nothing(
    client: TestClient, auth: Auth, pair: dict[str, Any], labourer_body: Body
) -> None:
    a, b, staff = pair["a"], pair["b"], pair["staff"]
    assert _merge(client, staff, a, a).status_code == 422
    outside = _merge(client, auth("staff", regions=["430903"]), a, b)
    assert outside.status_code == 403, outside.text
    other = client.post("/v1/labourers", json=labourer_body(name="张春生", hukou_region=TOWN),
                        headers=staff).json()  # fmt: skip
    two_people = _merge(client, staff, a, other["id"])
    assert two_people.status_code == 409 and "two people" in two_people.json()["detail"]
    missing = client.post(f"/v1/labourers/{a}/merge", json={"duplicate_id": "x"}, headers=staff)
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "body.duplicate_id"
    for labourer in (a, b):
        assert (
            client.get(f"/v1/labourers/{labourer}", headers=staff).json()["merged_into_id"] is None
        )
    history = client.get(f"/v1/labourers/{a}/status/history", headers=staff).json()
    assert len(history) == 1
