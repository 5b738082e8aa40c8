"""Employment and "311" service records."""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from matching.clock import FixedClock

Headers = Callable[..., dict[str, str]]


@pytest.fixture(autouse=True)
def _today(test_clock: FixedClock) -> None:
    test_clock.set(datetime(2026, 11, 20, 2, tzinfo=UTC))


@pytest.fixture
def labourer(
    client: TestClient, auth: Headers, labourer_body: Callable[..., dict[str, Any]]
) -> int:
    body = labourer_body(status_effective_from="2026-01-01")
    return int(client.post("/v1/labourers", json=body, headers=auth("admin")).json()["id"])


def _status(client: TestClient, headers: dict[str, str], labourer: int, day: str) -> str:
    response = client.get(
        f"/v1/labourers/{labourer}/status", params={"as_of": day}, headers=headers
    )
    return str(response.json()["status"])


def test_a_job_sets_the_status_from_its_start_and_ending_it_sets_unemployed(
    client: TestClient, auth: Headers, labourer: int
) -> None:
    staff = auth("staff")
    body = {"employer": "沅江市某合作社", "start_date": "2026-03-01", "monthly_wage": 2800,
            "workplace_region": "430981100"}  # fmt: skip
    created = client.post(f"/v1/labourers/{labourer}/employments", json=body, headers=staff)
    assert created.status_code == 201, created.text
    job = created.json()
    assert job["from_push"] is False
    assert _status(client, staff, labourer, "2026-02-28") == "unemployed"
    assert _status(client, staff, labourer, "2026-03-01") == "employed_local"
    ended = client.post(
        f"/v1/employments/{job['id']}/end", json={"end_date": "2026-09-30"}, headers=staff
    )
    assert ended.status_code == 200, ended.text
    assert _status(client, staff, labourer, "2026-09-30") == "unemployed"
    again = client.post(
        f"/v1/employments/{job['id']}/end", json={"end_date": "2026-10-30"}, headers=staff
    )
    assert again.status_code == 409
    listed = client.get(f"/v1/labourers/{labourer}/employments", headers=staff).json()
    assert [j["end_date"] for j in listed] == ["2026-09-30"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"employer": "x", "start_date": "2026-03-01", "end_date": "2026-02-01"}, "body"),
        ({"start_date": "2026-03-01"}, "body"),
        ({"employer": "x", "start_date": "2027-03-01"}, "body.start_date"),
        ({"employer": "x", "start_date": "2026-03-01", "workplace_region": "99"},
         "body.workplace_region"),
        ({"employer": "x", "start_date": "2026-03-01", "monthly_wage": -1}, "body.monthly_wage"),
    ],
)  # fmt: skip
def test_bad_jobs_are_refused_naming_the_field(
    client: TestClient, auth: Headers, labourer: int, body: dict[str, Any], field: str
) -> None:
    response = client.post(
        f"/v1/labourers/{labourer}/employments", json=body, headers=auth("staff")
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == field
    assert client.get(f"/v1/labourers/{labourer}/employments", headers=auth("staff")).json() == []


def test_self_employment_and_public_welfare_statuses(
    client: TestClient, auth: Headers, labourer: int
) -> None:
    staff = auth("staff")
    body = {"employer": "个体养殖", "start_date": "2026-04-01", "in_organisation": False}
    assert (
        client.post(f"/v1/labourers/{labourer}/employments", json=body, headers=staff).status_code
        == 201
    )
    assert _status(client, staff, labourer, "2026-04-01") == "self_employed"
    body = {"employer": "村委会", "start_date": "2026-05-01", "public_welfare": True}
    assert (
        client.post(f"/v1/labourers/{labourer}/employments", json=body, headers=staff).status_code
        == 201
    )
    assert _status(client, staff, labourer, "2026-05-01") == "public_welfare"


def test_a_job_on_a_post_takes_an_opening(
    client: TestClient, auth: Headers, labourer: int, post_body: Callable[..., dict[str, Any]]
) -> None:
    staff = auth("staff")
    post = client.post("/v1/posts", json=post_body(openings=1), headers=auth()).json()["id"]
    body = {"post_id": post, "start_date": "2026-11-01"}
    created = client.post(f"/v1/labourers/{labourer}/employments", json=body, headers=staff)
    assert created.status_code == 201, created.text
    assert created.json()["employer"] == "东莞市某电子厂"
    assert client.get(f"/v1/posts/{post}", headers=staff).json()["status"] == "filled"
    again = client.post(f"/v1/labourers/{labourer}/employments", json=body, headers=staff)
    assert again.status_code == 409


def test_service_records(client: TestClient, auth: Headers, labourer: int) -> None:
    staff = auth("staff")
    for kind in ("guidance", "training_info"):
        response = client.post(
            f"/v1/labourers/{labourer}/services", json={"kind": kind}, headers=staff
        )
        assert response.status_code == 201, response.text
        assert response.json()["provided_on"] == "2026-11-20"
    future = {"kind": "guidance", "provided_on": "2026-12-01"}
    assert (
        client.post(f"/v1/labourers/{labourer}/services", json=future, headers=staff).status_code
        == 422
    )
    bad = client.post(f"/v1/labourers/{labourer}/services", json={"kind": "haircut"}, headers=staff)
    assert bad.status_code == 422
    listed = client.get(f"/v1/labourers/{labourer}/services", headers=staff).json()
    assert sorted(r["kind"] for r in listed) == ["guidance", "training_info"]
    elsewhere = auth("staff", regions=["430902"])
    assert client.get(f"/v1/labourers/{labourer}/services", headers=elsewhere).status_code == 403
