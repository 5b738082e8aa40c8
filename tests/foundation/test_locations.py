"""A 201 that creates a record says where it is read (Location), a 202 that starts a job where
it is followed, and the document says so."""

from collections.abc import Callable

from fastapi import FastAPI
from fastapi.testclient import TestClient

from matching.openapi_document import CREATES_WITH_LOCATION, STARTS_JOB

Auth = Callable[..., dict[str, str]]
Body = Callable[..., dict[str, object]]


def test_each_created_record_is_read_at_its_location(
    client: TestClient, auth: Auth, labourer_body: Body, post_body: Body
) -> None:
    admin = auth()
    created = [
        client.post("/v1/labourers", json=labourer_body(), headers=admin),
        client.post("/v1/posts", json=post_body(), headers=admin),
        client.post("/v1/agencies", json={"name": "湖州市人社局", "province_code": "33"},
                    headers=admin),
        client.post("/v1/keys", json={"name": "station", "role": "staff",
                                      "region_scopes": ["430981"]}, headers=admin),
    ]  # fmt: skip
    for answer in created:
        assert answer.status_code == 201, answer.text
        location = answer.headers["location"]
        assert location.endswith(f"/{answer.json()['id']}")
        read = client.get(location, headers=admin)
        assert read.status_code == 200 and read.json()["id"] == answer.json()["id"]


def test_a_job_is_followed_at_its_location(client: TestClient, auth: Auth) -> None:
    admin = auth()
    answer = client.post("/v1/plans", json={"region": "430981"}, headers=admin)
    assert answer.status_code == 202, answer.text
    assert answer.headers["location"] == f"/v1/jobs/{answer.json()['id']}"
    job = client.get(answer.headers["location"], headers=admin).json()
    assert job["id"] == answer.json()["id"] and job["kind"] == "plan"
    assert job["links"]["result"].startswith("/v1/plans/")


def test_the_document_declares_location_on_those_201s(app: FastAPI) -> None:
    declared = {
        operation["operationId"]
        for operations in app.openapi()["paths"].values()
        for operation in operations.values()
        if "Location" in operation["responses"].get("201", {}).get("headers", {})
    }
    assert declared == CREATES_WITH_LOCATION
    starting = {
        operation["operationId"]
        for operations in app.openapi()["paths"].values()
        for operation in operations.values()
        if "Location" in operation["responses"].get("202", {}).get("headers", {})
    }
    assert starting == STARTS_JOB
