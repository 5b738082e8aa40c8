"""An agency keeps its own contact and callback address; an administrator may suspend it, and
then its keys are refused and its posts stop matching, until it is reinstated."""

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from tests.conftest import finished

from matching.agencies.models import Agency

Headers = Callable[..., dict[str, str]]


@pytest.fixture
def partner(make_agency: Callable[..., Agency], auth: Headers) -> dict[str, Any]:
    """A Dongguan agency and its key."""
    agency = make_agency(name="东莞市人力资源服务中心")
    return {"id": agency.id, "key": auth("agency", agency_id=agency.id)}


def test_an_agency_keeps_its_own_contact_and_callback(
    client: TestClient, partner: dict[str, Any]
) -> None:
    url = f"/v1/agencies/{partner['id']}"
    body = {
        "contact_name": "陈主任",
        "contact_phone": "0769 2283 1234",
        "contact_email": "hr@dg.example.cn",
        "callback_url": "https://hr.dg.example.cn/hook",
    }
    response = client.patch(url, json=body, headers=partner["key"])
    assert response.status_code == 200, response.text
    agency = response.json()
    assert agency["contact_phone"] == "0769-22831234"  # written one way
    assert agency["callback_url"] == "https://hr.dg.example.cn/hook"
    assert agency["updated_at"] is not None and agency["suspended"] is False
    cleared = client.patch(url, json={"callback_url": None}, headers=partner["key"]).json()
    assert cleared["callback_url"] is None
    assert cleared["contact_name"] == "陈主任"  # a field left out stays as it was
    assert client.get(url, headers=partner["key"]).json() == cleared


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"contact_phone": "12345"}, "body.contact_phone"),
        ({"contact_email": "not an address"}, "body.contact_email"),
        ({"callback_url": "ftp://x.example"}, "body.callback_url"),
        ({"name": "改名"}, "body.name"),  # the name and province are the administrators'
        ({"province_code": "45"}, "body.province_code"),
    ],
)
def test_a_bad_profile_change_names_the_field_and_changes_nothing(
    client: TestClient, partner: dict[str, Any], body: dict[str, str], field: str
) -> None:
    url = f"/v1/agencies/{partner['id']}"
    before = client.get(url, headers=partner["key"]).json()
    response = client.patch(url, json=body, headers=partner["key"])
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in {e["field"] for e in response.json()["errors"]}
    assert client.get(url, headers=partner["key"]).json() == before


def test_an_agency_cannot_touch_another(
    client: TestClient, partner: dict[str, Any], make_agency: Callable[..., Agency], auth: Headers
) -> None:
    other = make_agency(name="湖州市就业服务中心")
    response = client.patch(f"/v1/agencies/{other.id}", json={"contact_name": "x"},
                            headers=partner["key"])  # fmt: skip
    assert response.status_code == 404
    suspend = client.post(f"/v1/agencies/{other.id}/suspend", json={"reason": "x"},
                          headers=partner["key"])  # fmt: skip
    assert suspend.status_code == 403
    assert client.post(f"/v1/agencies/{other.id}/suspend", json={"reason": "x"},
                       headers=auth("staff")).status_code == 403  # fmt: skip


def test_a_suspended_agency_is_refused_and_its_posts_stop_matching(
    client: TestClient,
    session: Session,
    partner: dict[str, Any],
    auth: Headers,
    labourer_body: Callable[..., dict[str, Any]],
    post_body: Callable[..., dict[str, Any]],
) -> None:
    admin = auth("admin")
    seeker = labourer_body(status_effective_from="2026-01-01")  # in U: the plan must push
    labourer = client.post("/v1/labourers", json=seeker, headers=admin).json()["id"]
    posted = client.post("/v1/posts", json=post_body(), headers=partner["key"])
    assert posted.status_code == 201, posted.text
    post_id = posted.json()["id"]

    def matched() -> set[int]:
        items = client.get(f"/v1/labourers/{labourer}/matches", headers=admin).json()["items"]
        return {m["post"]["id"] for m in items}

    def planned() -> set[int]:
        plan = finished(client, client.post("/v1/plans", json={"region": "430981"}, headers=admin))
        assert plan.status_code == 200, plan.text
        return {p["post_id"] for lab in plan.json()["labourers"] for p in lab["posts"]}

    assert post_id in matched() and post_id in planned()
    url = f"/v1/agencies/{partner['id']}"
    suspended = client.post(f"{url}/suspend", json={"reason": "招聘信息不实，核查中"},
                            headers=admin)  # fmt: skip
    assert suspended.status_code == 200, suspended.text
    assert suspended.json()["suspended"] is True
    assert suspended.json()["suspended_reason"] == "招聘信息不实，核查中"
    refused = client.get("/v1/posts", headers=partner["key"])
    assert refused.status_code == 403
    assert "suspended" in refused.json()["detail"] and "暂停" in refused.json()["detail"]
    assert post_id not in matched() and post_id not in planned()
    push = client.post("/v1/pushes", headers=admin, json={
        "post_ids": [post_id], "labourer_ids": [labourer], "channel": "sms"})  # fmt: skip
    assert push.status_code == 409, push.text
    again = client.post(f"{url}/suspend", json={"reason": "again"}, headers=admin)
    assert again.status_code == 409

    reinstated = client.post(f"{url}/reinstate", headers=admin)
    assert reinstated.status_code == 200, reinstated.text
    assert reinstated.json()["suspended"] is False
    assert client.get("/v1/posts", headers=partner["key"]).status_code == 200
    assert post_id in matched()
    assert client.post(f"{url}/reinstate", headers=admin).status_code == 409
