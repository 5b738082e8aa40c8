"""Liveness, readiness, metrics and the structured request log."""

import json
import logging
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from matching.app import create_app
from matching.settings import Settings


def test_healthz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_when_migrated(client: TestClient) -> None:
    body = client.get("/readyz").json()
    assert body["status"] == "ready"
    assert body["revision"] == body["head"]


def test_readyz_on_an_unmigrated_database(tmp_path, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    fresh = settings.model_copy(update={"database_url": f"sqlite:///{tmp_path / 'empty.db'}"})
    with TestClient(create_app(fresh)) as c:
        response = c.get("/readyz")
    assert response.status_code == 503
    assert response.json()["database"] == "behind"


def test_metrics_need_admin_and_count_requests(
    client: TestClient, auth: Callable[..., dict[str, str]]
) -> None:
    client.get("/healthz")
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers=auth("staff")).status_code == 403
    text = client.get("/metrics", headers=auth("admin")).text
    assert 'matching_http_requests_total{method="GET",route="/healthz",status="200"}' in text
    assert "matching_http_request_duration_seconds_bucket" in text


def test_one_structured_log_line_per_request(
    client: TestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    logging.getLogger("matching.access").setLevel(logging.INFO)
    response = client.get("/healthz")
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines() if '"request"' in x]
    mine = [x for x in lines if x.get("request_id") == response.headers["x-request-id"]]
    assert len(mine) == 1
    assert mine[0]["route"] == "/healthz"
    assert mine[0]["status"] == 200
    assert mine[0]["duration_ms"] >= 0
