"""Every error leaves as RFC 9457 problem details, and changes nothing."""

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matching.auth.models import ApiKey

PROBLEM = "application/problem+json"


def _assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["type"].startswith("https://")
    assert body["title"]
    assert body["request_id"] == response.headers["x-request-id"]
    return body


def test_unknown_path_is_a_problem(client: TestClient) -> None:
    body = _assert_problem(client.get("/v1/nothing-here"), 404)
    assert body["instance"] == "/v1/nothing-here"


def test_wrong_method_is_a_problem(client: TestClient) -> None:
    body = _assert_problem(client.put("/healthz"), 405)
    assert "PUT" in body["detail"]


def test_missing_key_is_401_with_challenge(client: TestClient) -> None:
    response = client.get("/v1/keys")
    _assert_problem(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_wrong_key_is_401(client: TestClient) -> None:
    _assert_problem(client.get("/v1/keys", headers={"Authorization": "Bearer mk_nope"}), 401)


def test_validation_error_names_every_field(
    client: TestClient, auth: Callable[..., dict[str, str]], session: Session
) -> None:
    headers = auth("admin")
    before = session.scalar(select(func.count()).select_from(ApiKey))
    response = client.post("/v1/keys", json={"name": "", "role": "pilot"}, headers=headers)
    body = _assert_problem(response, 422)
    fields = {e["field"]: e for e in body["errors"]}
    assert set(fields) == {"body.name", "body.role"}
    assert all(e["reason"] for e in fields.values())
    assert session.scalar(select(func.count()).select_from(ApiKey)) == before


def test_validation_errors_speak_chinese_first_unless_english_is_preferred(
    client: TestClient,
    auth: Callable[..., dict[str, str]],
    labourer_body: Callable[..., dict[str, object]],
) -> None:
    """Missing, wrong type, too long, out of range: each in Chinese and English; the order
    follows Accept-Language, and the domain errors' words follow it too."""
    body = labourer_body(name="张" * 51, expected_wage="很多", sanwu="也许")
    body.pop("hukou_region")
    body["relocation"] = "月球"
    default = _assert_problem(client.post("/v1/labourers", json=body, headers=auth()), 422)
    reasons = {e["field"]: e["reason"] for e in default["errors"]}
    assert reasons["body.hukou_region"] == "必填 / Field required"
    assert reasons["body.name"].startswith("最多 50 个字符 / String should have at most 50")
    assert reasons["body.expected_wage"].startswith("应为整数 / ")
    assert reasons["body.sanwu"].startswith("应为 true 或 false / ")
    assert reasons["body.relocation"].startswith("须为以下之一：'township'、'county'")
    assert default["detail"].startswith("body.")
    english = {**auth(), "Accept-Language": "en-US,en;q=0.9,zh;q=0.5"}
    answer = _assert_problem(client.post("/v1/labourers", json=body, headers=english), 422)
    reasons = {e["field"]: e["reason"] for e in answer["errors"]}
    assert reasons["body.hukou_region"] == "Field required / 必填"
    out_of_range = labourer_body(expected_wage=200_000)
    ranged = client.post("/v1/labourers", json=out_of_range, headers=auth()).json()
    assert ranged["errors"][0]["reason"].startswith("不能大于 100000 / ")
    domain = labourer_body(hukou_region="999999")
    chinese = client.post("/v1/labourers", json=domain, headers=auth()).json()
    assert chinese["errors"][0]["reason"].startswith("未知的行政区划代码 / unknown")
    in_english = client.post("/v1/labourers", json=domain, headers=english).json()
    assert in_english["errors"][0]["reason"].startswith("unknown GB/T 2260 region code")


def test_malformed_json_is_422(client: TestClient, auth: Callable[..., dict[str, str]]) -> None:
    response = client.post(
        "/v1/keys",
        content=b'{"name": "x",',
        headers={**auth("admin"), "content-type": "application/json"},
    )
    _assert_problem(response, 422)


def test_business_rule_error_names_the_field(
    client: TestClient, auth: Callable[..., dict[str, str]]
) -> None:
    response = client.post(
        "/v1/keys", json={"name": "clerk", "role": "staff", "region_scopes": []}, headers=auth()
    )
    body = _assert_problem(response, 422)
    assert body["errors"][0]["field"] == "body.region_scopes"


def test_body_over_the_limit_is_413_and_writes_nothing(
    client: TestClient, auth: Callable[..., dict[str, str]], session: Session
) -> None:
    headers = auth("admin")
    before = session.scalar(select(func.count()).select_from(ApiKey))
    huge = {"name": "x" * (3 * 1024 * 1024), "role": "admin"}
    body = _assert_problem(client.post("/v1/keys", json=huge, headers=headers), 413)
    assert "bytes" in body["detail"]
    assert session.scalar(select(func.count()).select_from(ApiKey)) == before


def test_streamed_body_over_the_limit_is_413(
    client: TestClient, auth: Callable[..., dict[str, str]]
) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(5):
            yield b" " * (1024 * 1024)

    response = client.post(
        "/v1/keys", content=chunks(), headers={**auth(), "content-type": "application/json"}
    )
    _assert_problem(response, 413)


def test_request_id_is_echoed_when_valid(client: TestClient) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": "abc-12345678"})
    assert response.headers["x-request-id"] == "abc-12345678"
    response = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert response.headers["x-request-id"] != "bad id with spaces"


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("OPTIONS", "/v1/posts", "GET, POST"),  # two routes at one path: both named
        ("PATCH", "/v1/labourers/duplicates", "GET"),  # not the PATCH of /v1/labourers/{id}
        ("PUT", "/v1/posts/1", "GET, PATCH"),
        ("DELETE", "/v1/labourers/1", "GET, PATCH"),
        ("POST", "/healthz", "GET"),
    ],
)
def test_an_unsupported_method_is_a_405_with_every_allowed_one(
    client: TestClient, method: str, path: str, allow: str
) -> None:
    response = client.request(method, path)
    body = _assert_problem(response, 405)
    assert response.headers["allow"] == allow
    assert f"allowed: {allow}" in body["detail"]


def test_an_id_that_is_not_a_number_names_no_resource(client: TestClient) -> None:
    _assert_problem(client.get("/v1/labourers/abc"), 404)
