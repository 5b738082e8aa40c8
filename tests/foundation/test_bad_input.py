"""Bad input that reached the database (and answered 500 on PostgreSQL) is a 422 naming the field,
and changes nothing: integers past a 32-bit column, loose cursors, null in a PATCH of a field the
record cannot be without, NUL characters, months and dates outside the calendar or the plausible."""

import base64
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

Headers = Callable[..., dict[str, str]]


def _cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.fixture
def world(
    client: TestClient,
    auth: Headers,
    labourer_body: Callable[..., dict[str, object]],
    post_body: Callable[..., dict[str, object]],
) -> dict[str, Any]:
    admin = auth("admin")
    labourer = client.post("/v1/labourers", json=labourer_body(), headers=admin)
    post = client.post("/v1/posts", json=post_body(), headers=admin)
    assert labourer.status_code == 201 and post.status_code == 201, (labourer.text, post.text)
    return {"admin": admin, "labourer": labourer.json()["id"], "post": post.json()["id"]}


def _refused(response: Any, field: str) -> dict[str, Any]:
    assert response.status_code == 422, response.text
    problem: dict[str, Any] = response.json()
    assert field in [e["field"] for e in problem["errors"]], problem
    return problem


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/v1/posts?min_wage=2147483648", "query.min_wage"),
        *(
            (f"{path}cursor={_cursor(text)}", "query.cursor")
            for path in (
                "/v1/labourers?",
                "/v1/posts?",
                "/v1/pushes?",
                "/v1/reports/agency-posts?agency_id=1&",
            )
            for text in ("after:2147483648", "after:-5", "after: 3", "after:1_0", "after:007")
        ),
        ("/v1/reports/targets?region=43&month=0001-01", "query.month"),
        ("/v1/pushes?month=0001-01", "query.month"),
        ("/v1/plans?month=1999-12", "query.month"),
        ("/v1/labourers?region=43%00", "query.region"),
        ("/v1/posts?q%00=1", "query.q\\u0000"),
    ],
)
def test_a_bad_query_is_a_422_naming_it(
    client: TestClient, world: dict[str, Any], path: str, field: str
) -> None:
    _refused(client.get(path, headers=world["admin"]), field)


def test_a_cursor_the_list_gave_still_works(
    client: TestClient, world: dict[str, Any], post_body: Callable[..., dict[str, object]]
) -> None:
    admin = world["admin"]
    second = client.post("/v1/posts", json=post_body(title="叉车司机"), headers=admin).json()["id"]
    first = client.get("/v1/posts?limit=1", headers=admin).json()
    assert first["next_cursor"], first  # two posts, one a page
    rest = client.get(f"/v1/posts?limit=1&cursor={first['next_cursor']}", headers=admin)
    assert rest.status_code == 200, rest.text
    seen = {first["items"][0]["id"], rest.json()["items"][0]["id"]}
    assert seen == {world["post"], second}
    start = client.get(f"/v1/posts?cursor={_cursor('after:0')}", headers=admin)
    assert start.status_code == 200 and len(start.json()["items"]) == 2


@pytest.mark.parametrize(
    "field",
    ["name", "hukou_region", "poverty_status", "labour_ability", "wants_work", "relocation",
     "preferred_occupations", "skills", "sanwu", "lianghousheng", "disabled"],
)  # fmt: skip
def test_null_for_a_labourer_field_that_cannot_be_empty(
    client: TestClient, world: dict[str, Any], field: str
) -> None:
    url = f"/v1/labourers/{world['labourer']}"
    before = client.get(url, headers=world["admin"]).json()
    _refused(client.patch(url, json={field: None}, headers=world["admin"]), f"body.{field}")
    assert client.get(url, headers=world["admin"]).json() == before


@pytest.mark.parametrize(
    "field",
    ["employer", "post_type", "title", "workplace_region", "openings", "wage_min", "wage_max",
     "housing", "meals", "sex_requirement", "seasonal", "valid_from", "required_skills"],
)  # fmt: skip
def test_null_for_a_post_field_that_cannot_be_empty(
    client: TestClient, world: dict[str, Any], field: str
) -> None:
    url = f"/v1/posts/{world['post']}"
    before = client.get(url, headers=world["admin"]).json()
    _refused(client.patch(url, json={field: None}, headers=world["admin"]), f"body.{field}")
    assert client.get(url, headers=world["admin"]).json() == before


def test_null_still_clears_what_can_be_cleared(client: TestClient, world: dict[str, Any]) -> None:
    url = f"/v1/posts/{world['post']}"
    patched = client.patch(url, json={"valid_until": None, "age_max": None}, headers=world["admin"])
    assert patched.status_code == 200, patched.text
    assert patched.json()["valid_until"] is None


def test_the_document_says_those_fields_are_not_nullable(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    for name, field in (("LabourerUpdate", "name"), ("PostUpdate", "wage_min")):
        spec = schemas[name]["properties"][field]
        assert "anyOf" not in spec or {"type": "null"} not in spec["anyOf"], spec
    assert {"type": "null"} in schemas["PostUpdate"]["properties"]["valid_until"]["anyOf"]


def test_nul_characters_anywhere_in_a_body(
    client: TestClient, world: dict[str, Any], post_body: Callable[..., dict[str, object]]
) -> None:
    admin = world["admin"]
    _refused(client.post("/v1/posts", json=post_body(employer="某厂\u0000"), headers=admin),
             "body.employer")  # fmt: skip
    skills = [{"term": "电焊"}, {"term": "叉\u0000车"}]
    _refused(client.post("/v1/posts", json=post_body(required_skills=skills), headers=admin),
             "body.required_skills[1].term")  # fmt: skip
    url = f"/v1/labourers/{world['labourer']}"
    _refused(client.patch(url, json={"name": "张\u0000三"}, headers=admin), "body.name")
    batch = {"items": [post_body(external_id="a"), post_body(external_id="b", title="x\u0000")]}
    _refused(client.post("/v1/posts/batch", json=batch, headers=admin), "body.items[1].title")
    assert client.get(url, headers=admin).json()["name"] == "李四"


@pytest.mark.parametrize(
    ("body", "field", "reason"),
    [
        ({"effective_from": "2099-01-01"}, "body.effective_from", "more than a year ahead"),
        ({"effective_from": 0}, "body.effective_from", "YYYY-MM-DD"),
        ({"effective_from": "0001-01-01"}, "body.effective_from", "between 1900"),
    ],
)
def test_status_days_are_real_days(
    client: TestClient, world: dict[str, Any], body: dict[str, Any], field: str, reason: str
) -> None:
    url = f"/v1/labourers/{world['labourer']}/status"
    problem = _refused(client.post(url, json={"status": "unemployed", **body},
                                   headers=world["admin"]), field)  # fmt: skip
    assert reason in str(problem["errors"])


@pytest.mark.parametrize(
    ("as_of", "reason"), [("0", "YYYY-MM-DD"), ("0001-01-01", "between 1900"), ("1e9", "YYYY")]
)
def test_as_of_is_a_day(client: TestClient, world: dict[str, Any], as_of: str, reason: str) -> None:
    url = f"/v1/labourers/{world['labourer']}/status?as_of={as_of}"
    assert reason in str(_refused(client.get(url, headers=world["admin"]), "query.as_of"))


def test_birth_dates_from_1900_to_today(
    client: TestClient, world: dict[str, Any], labourer_body: Callable[..., dict[str, object]]
) -> None:
    admin = world["admin"]
    for birth, reason in (("1850-01-01", "between 1900"), ("2099-01-01", "in the future")):
        body = labourer_body(id_number=None, birth_date=birth)
        problem = _refused(
            client.post("/v1/labourers", json=body, headers=admin), "body.birth_date"
        )
        assert reason in str(problem["errors"])
