"""The audit log records reveals and every write to a labourer, naming fields and never their
values, and admin reads it filtered by key, labourer, action and day (issue 13, item 6)."""

import csv
import io
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.conftest import finished

from matching.clock import FixedClock

Auth = Callable[..., dict[str, str]]
Body = Callable[..., dict[str, object]]


def _audit(client: TestClient, admin: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    answer = client.get("/v1/audit", params=params, headers=admin)
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def _roster(id_number: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["姓名", "身份证号", "联系电话", "户籍地区划代码", "技能"])
    writer.writerow(["王五", id_number, "13907371111", "430981", "电焊"])
    return out.getvalue().encode("utf-8-sig")


def test_every_write_to_a_labourer_is_in_the_log_without_values(
    client: TestClient, auth: Auth, labourer_body: Body, post_body: Body
) -> None:
    admin, staff = auth(), auth("staff")
    body = labourer_body()
    created = client.post("/v1/labourers", json=body, headers=staff)
    lid = created.json()["id"]
    client.patch(
        f"/v1/labourers/{lid}", json={"phone": "13907372222", "wants_work": False}, headers=staff
    )
    client.post(
        f"/v1/labourers/{lid}/status",
        json={"status": "employed_local", "effective_from": "2026-11-02"},
        headers=staff,
    )
    client.get(f"/v1/labourers/{lid}?reveal=true", headers=staff)
    job = client.post(
        f"/v1/labourers/{lid}/employments",
        json={"employer": "沅江船厂", "start_date": "2026-11-03"},
        headers=staff,
    )
    assert job.status_code == 201, job.text

    entries = _audit(client, admin, labourer_id=lid)
    assert [e["action"] for e in reversed(entries)] == [
        "register", "update", "status", "reveal", "employment",
    ]  # fmt: skip
    by_action = {e["action"]: e for e in entries}
    assert {"name", "id_number", "phone"} <= set(by_action["register"]["fields"])
    assert by_action["update"]["fields"] == ["phone", "wants_work"]
    assert by_action["reveal"]["fields"] == ["birth_date", "id_number", "phone"]
    assert {e["request_id"] for e in entries} >= {created.headers["x-request-id"]}
    staff_key = entries[0]["key_id"]
    assert all(e["key_id"] == staff_key for e in entries)
    # Names of fields only: no value of the labourer's is anywhere in the log.
    text = json.dumps(entries, ensure_ascii=False)
    for value in (body["id_number"], "13807371234", "13907372222", body["name"], "沅江船厂"):
        assert str(value) not in text


def test_a_refused_write_leaves_no_entry(
    client: TestClient, auth: Auth, labourer_body: Body
) -> None:
    admin = auth()
    lid = client.post("/v1/labourers", json=labourer_body(), headers=admin).json()["id"]
    refused = client.patch(f"/v1/labourers/{lid}", json={"hukou_region": "999999"}, headers=admin)
    assert refused.status_code == 422
    assert [e["action"] for e in _audit(client, admin, labourer_id=lid)] == ["register"]


def test_a_roster_commit_writes_one_entry_per_labourer_and_a_dry_run_none(
    client: TestClient, auth: Auth, new_id_number: Callable[..., str]
) -> None:
    admin = auth()
    content = _roster(new_id_number())
    for dry_run in ("true", "false"):
        answer = finished(
            client,
            client.post(
                f"/v1/labourers/import?dry_run={dry_run}",
                files={"file": ("roster.csv", content)},
                headers=admin,
            ),
        )
        assert answer.status_code == 200, answer.text
    entries = _audit(client, admin, action="import")
    assert len(entries) == 1
    assert entries[0]["labourer_id"] is not None
    assert entries[0]["fields"] == ["hukou_region", "id_number", "name", "phone", "skills"]


def test_filters_by_key_action_and_china_day(
    client: TestClient, auth: Auth, labourer_body: Body, test_clock: FixedClock
) -> None:
    admin, one, two = auth(), auth("staff"), auth("staff")
    # 16:30 UTC on 30 November is 00:30 on 1 December in China: the entry is on 1 December.
    test_clock.set(datetime(2026, 11, 30, 15, 30, tzinfo=UTC))
    first = client.post("/v1/labourers", json=labourer_body(), headers=one).json()["id"]
    test_clock.set(datetime(2026, 11, 30, 16, 30, tzinfo=UTC))
    second = client.post("/v1/labourers", json=labourer_body(), headers=two).json()["id"]
    client.get(f"/v1/labourers/{second}?reveal=true", headers=two)

    assert [e["labourer_id"] for e in _audit(client, admin, day="2026-11-30")] == [first]
    assert [e["labourer_id"] for e in _audit(client, admin, day="2026-12-01")] == [second] * 2
    two_key = _audit(client, admin, labourer_id=second)[0]["key_id"]
    assert {e["labourer_id"] for e in _audit(client, admin, key_id=two_key)} == {second}
    reveals = _audit(client, admin, action="reveal")
    assert [(e["labourer_id"], e["key_id"]) for e in reveals] == [(second, two_key)]


def test_pages_newest_first(client: TestClient, auth: Auth, labourer_body: Body) -> None:
    admin = auth()
    ids = [
        client.post("/v1/labourers", json=labourer_body(), headers=admin).json()["id"]
        for _ in range(3)
    ]
    seen: list[int] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"action": "register", "limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = client.get("/v1/audit", params=params, headers=admin).json()
        seen += [e["labourer_id"] for e in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(ids))


@pytest.mark.parametrize(
    "params",
    [{"action": "delete"}, {"day": "2026-02-30"}, {"key_id": "0"}, {"cursor": "after:1"}],
)
def test_bad_filters_are_named(client: TestClient, auth: Auth, params: dict[str, str]) -> None:
    answer = client.get("/v1/audit", params=params, headers=auth())
    assert answer.status_code == 422
    (name,) = params
    assert any(e["field"].endswith(name) for e in answer.json()["errors"]), answer.json()


def test_only_admin_reads_the_log(client: TestClient, auth: Auth) -> None:
    for role in ("staff", "agency", "app"):
        assert client.get("/v1/audit", headers=auth(role)).status_code == 403


def test_a_hire_through_a_push_is_a_write_to_the_labourer(
    client: TestClient, auth: Auth, labourer_body: Body, post_body: Body
) -> None:
    admin, staff = auth(), auth("staff")
    lid = client.post("/v1/labourers", json=labourer_body(), headers=staff).json()["id"]
    post = client.post("/v1/posts", json=post_body(), headers=admin).json()["id"]
    pushed = client.post(
        "/v1/pushes",
        json={"post_ids": [post], "labourer_ids": [lid], "channel": "sms"},
        headers=staff,
    ).json()["items"][0]["id"]
    viewed = {"state": "viewed"}
    assert client.post(f"/v1/pushes/{pushed}/events", json=viewed, headers=staff).is_success
    assert [e["action"] for e in _audit(client, admin, labourer_id=lid)] == ["register"]
    hired = {"state": "hired", "hire": {"monthly_wage": 5200}}
    assert client.post(f"/v1/pushes/{pushed}/events", json=hired, headers=staff).is_success
    entries = _audit(client, admin, labourer_id=lid)
    assert [e["action"] for e in entries] == ["employment", "register"]
    assert entries[0]["fields"] == ["employment", "employment_status"]
