"""CORS is an allow-list in settings, empty by default: no origin is let in unless named."""

from fastapi.testclient import TestClient

from matching.app import create_app
from matching.settings import Settings

ORIGIN = "https://app.example.cn"
PREFLIGHT = {"Origin": ORIGIN, "Access-Control-Request-Method": "GET",
             "Access-Control-Request-Headers": "Authorization"}  # fmt: skip


def test_no_origin_is_allowed_by_default(settings: Settings) -> None:
    assert settings.cors_origins == []
    with TestClient(create_app(settings)) as client:
        response = client.get("/healthz", headers={"Origin": ORIGIN})
        assert "access-control-allow-origin" not in response.headers
        assert client.options("/v1/posts", headers=PREFLIGHT).status_code == 405


def test_a_named_origin_is_allowed_and_no_other(settings: Settings) -> None:
    configured = settings.model_copy(update={"cors_origins": [ORIGIN]})
    with TestClient(create_app(configured)) as client:
        preflight = client.options("/v1/posts", headers=PREFLIGHT)
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == ORIGIN
        assert "authorization" in preflight.headers["access-control-allow-headers"].lower()
        simple = client.get("/healthz", headers={"Origin": ORIGIN})
        assert simple.headers["access-control-allow-origin"] == ORIGIN
        assert "x-request-id" in simple.headers["access-control-expose-headers"].lower()
        other = client.get("/healthz", headers={"Origin": "https://elsewhere.example"})
        assert "access-control-allow-origin" not in other.headers
