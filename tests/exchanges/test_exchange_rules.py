"""Who may do what with a list exchange, and the refusals that change nothing."""

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from matching.agencies.models import Agency

Headers = Callable[..., dict[str, str]]


@pytest.fixture
def sent(
    client: TestClient,
    auth: Headers,
    make_agency: Callable[..., Agency],
    labourer_body: Callable[..., dict[str, Any]],
) -> dict[str, Any]:
    """A list of 沅江市 sent to a Dongguan agency: two welders willing to go anywhere."""
    agency = make_agency(name="东莞合作机构", province_code="44")
    staff = auth("staff")
    for _ in range(2):
        body = labourer_body(relocation="anywhere", status_effective_from="2026-01-01")
        assert client.post("/v1/labourers", json=body, headers=staff).status_code == 201
    response = client.post("/v1/exchanges", json={"region": "430981", "agency_id": agency.id},
                           headers=staff)  # fmt: skip
    assert response.status_code == 201, response.text
    assert response.headers["Location"] == f"/v1/exchanges/{response.json()['id']}"
    return {"exchange": response.json(), "agency": agency, "staff": staff,
            "agency_key": auth("agency", agency_id=agency.id)}  # fmt: skip


def test_a_list_counts_only_who_would_go(
    client: TestClient,
    auth: Headers,
    make_agency: Callable[..., Agency],
    labourer_body: Callable[..., dict[str, Any]],
) -> None:
    """Nobody willing to leave the county: a 422 that says how many were seeking."""
    agency = make_agency(province_code="33")
    staff = auth("staff")
    body = labourer_body(relocation="county", status_effective_from="2026-01-01")
    client.post("/v1/labourers", json=body, headers=staff)
    refused = client.post("/v1/exchanges", json={"region": "430981", "agency_id": agency.id},
                          headers=staff)  # fmt: skip
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "body.region"
    assert "1 seeking" in refused.json()["detail"]
    assert client.get("/v1/exchanges", headers=staff).json() == []


def test_bad_requests_name_the_field(client: TestClient, auth: Headers) -> None:
    staff = auth("staff")
    for body, field in (
        ({"region": "430981", "agency_id": 999}, "body.agency_id"),
        ({"region": "430981"}, "body.agency_id"),
        ({"region": "430981", "agency_id": 1, "colour": "red"}, "body.colour"),
    ):
        response = client.post("/v1/exchanges", json=body, headers=staff)
        assert response.status_code == 422, response.text
        assert field in {e["field"] for e in response.json()["errors"]}
    other = client.post("/v1/exchanges", json={"region": "430902", "agency_id": 1},
                        headers=staff)  # fmt: skip
    assert other.status_code == 403  # 赫山区 is not this clerk's


def test_each_side_sees_its_own(
    client: TestClient, auth: Headers, make_agency: Callable[..., Agency], sent: dict[str, Any]
) -> None:
    exchange_id = sent["exchange"]["id"]
    stranger = auth("agency", agency_id=make_agency().id)
    assert client.get(f"/v1/exchanges/{exchange_id}", headers=stranger).status_code == 404
    assert client.get("/v1/exchanges", headers=stranger).json() == []
    far_clerk = auth("staff", regions=["430902"])
    assert client.get(f"/v1/exchanges/{exchange_id}", headers=far_clerk).status_code == 404
    mine = client.get("/v1/exchanges", headers=sent["agency_key"]).json()
    assert [e["id"] for e in mine] == [exchange_id]
    plan = client.post(f"/v1/exchanges/{exchange_id}/plan", json={}, headers=sent["agency_key"])
    assert plan.status_code == 403  # the origin plans, not the partner
    report = client.get(f"/v1/exchanges/{exchange_id}/report", headers=sent["agency_key"])
    assert report.json()["members"] is None and report.json()["totals"]["asked"] == 2


def test_the_steps_come_in_order(
    client: TestClient, sent: dict[str, Any], post_body: Callable[..., dict[str, Any]]
) -> None:
    exchange_id, staff = sent["exchange"]["id"], sent["staff"]
    early = client.post(f"/v1/exchanges/{exchange_id}/plan", json={}, headers=staff)
    assert early.status_code == 409 and "answers first" in early.json()["detail"]
    bad = client.post(f"/v1/exchanges/{exchange_id}/posts", json={"items": []},
                      headers=sent["agency_key"])  # fmt: skip
    assert bad.status_code == 422
    closed = client.post(f"/v1/exchanges/{exchange_id}/close", headers=staff)
    assert closed.status_code == 200 and closed.json()["state"] == "closed"
    assert client.post(f"/v1/exchanges/{exchange_id}/close", headers=staff).status_code == 409
    items = [post_body(external_id="late", exchange_line=1)]
    late = client.post(f"/v1/exchanges/{exchange_id}/posts", headers=sent["agency_key"],
                       json={"items": items})  # fmt: skip
    assert late.status_code == 409
    assert client.get(f"/v1/exchanges/{exchange_id}/report.xlsx", headers=staff).status_code == 200


def test_a_suspended_agency_gets_no_list(
    client: TestClient,
    auth: Headers,
    make_agency: Callable[..., Agency],
    labourer_body: Callable[..., dict[str, Any]],
) -> None:
    agency = make_agency(province_code="44")
    admin = auth("admin")
    client.post(f"/v1/agencies/{agency.id}/suspend", json={"reason": "核查"}, headers=admin)
    body = labourer_body(relocation="anywhere", status_effective_from="2026-01-01")
    client.post("/v1/labourers", json=body, headers=admin)
    refused = client.post("/v1/exchanges", json={"region": "430981", "agency_id": agency.id},
                          headers=auth("staff"))  # fmt: skip
    assert refused.status_code == 409


@pytest.mark.parametrize(
    ("skills", "preferred", "trade"),
    [
        (["S0112", "S0001"], [], "S0001"),  # a forklift licence, then welding: a welder
        (["S0112"], ["S0125"], "S0125"),  # a licence only: the occupation they want
        (["S0112"], [], "S0112"),  # the licence is all there is
        ([], [], None),  # 普工
    ],
)
def test_a_labourer_is_listed_under_a_trade_before_a_certificate(
    skills: list[str], preferred: list[str], trade: str | None
) -> None:
    from matching.exchanges.service import trade_of
    from matching.labourers.models import Labourer, LabourerSkill

    labourer = Labourer(skills=[LabourerSkill(skill_id=s) for s in skills],
                        preferred_occupations=preferred)  # fmt: skip
    assert trade_of(labourer) == trade


@pytest.mark.parametrize(("province", "listed"), [("43", True), ("44", False)])
def test_a_labourer_willing_to_go_within_the_province_is_listed_for_its_own_province_only(
    client: TestClient,
    auth: Headers,
    make_agency: Callable[..., Agency],
    labourer_body: Callable[..., dict[str, Any]],
    province: str,
    listed: bool,
) -> None:
    agency = make_agency(province_code=province)
    staff = auth("staff")
    body = labourer_body(relocation="province", status_effective_from="2026-01-01")
    assert client.post("/v1/labourers", json=body, headers=staff).status_code == 201
    sent = client.post("/v1/exchanges", json={"region": "430981", "agency_id": agency.id},
                       headers=staff)  # fmt: skip
    assert (sent.status_code == 201) is listed, sent.text
    if listed:
        assert sent.json()["seekers"] == 1
