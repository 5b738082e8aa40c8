"""Per-key request budgets: 429 with Retry-After, per role, bulk requests on a budget of their
own, every key on its own buckets (issue 13, item 6)."""

from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker
from tests.conftest import Ticking

from matching.app import create_app
from matching.errors import TooManyRequests
from matching.ratelimit import BULK, DEFAULT, RateLimiter
from matching.settings import BulkLimits, RoleLimits, Settings

Auth = Callable[..., dict[str, str]]


def test_a_bucket_allows_a_burst_then_refills_evenly() -> None:
    ticks = Ticking()
    limiter = RateLimiter({DEFAULT: {"staff": 60}}, monotonic=ticks)
    for _ in range(60):  # a minute's budget at once
        limiter.take(1, "staff")
    with pytest.raises(TooManyRequests) as refused:
        limiter.take(1, "staff")
    assert refused.value.headers["Retry-After"] == "1"  # one token a second
    ticks.at += 1.0
    limiter.take(1, "staff")
    with pytest.raises(TooManyRequests):
        limiter.take(1, "staff")
    ticks.at += 3600  # a long pause refills to the burst size, not beyond
    for _ in range(60):
        limiter.take(1, "staff")
    with pytest.raises(TooManyRequests):
        limiter.take(1, "staff")


def test_retry_after_says_how_long_until_the_next_request() -> None:
    ticks = Ticking()
    limiter = RateLimiter({DEFAULT: {"agency": 2}}, monotonic=ticks)  # one every 30 s
    limiter.take(7, "agency")
    limiter.take(7, "agency")
    ticks.at += 10
    with pytest.raises(TooManyRequests) as refused:
        limiter.take(7, "agency")
    assert refused.value.headers["Retry-After"] == "20"
    assert "2 requests a minute" in refused.value.detail


def test_keys_kinds_and_roles_are_separate() -> None:
    limiter = RateLimiter({DEFAULT: {"staff": 1, "admin": 0}, BULK: {"staff": 1}})
    limiter.take(1, "staff")
    limiter.take(2, "staff")  # another key: its own bucket
    limiter.take(1, "staff", BULK)  # the bulk budget is apart from the request budget
    with pytest.raises(TooManyRequests):
        limiter.take(1, "staff")
    with pytest.raises(TooManyRequests):
        limiter.take(1, "staff", BULK)
    for _ in range(1000):  # 0: no limit for the role
        limiter.take(3, "admin")
    limiter.take(3, "app")  # a role with no entry has no limit


@pytest.fixture
def limited_app(settings: Settings, session_factory: sessionmaker[Session]) -> FastAPI:
    small = settings.model_copy(
        update={
            "rate_limits": RoleLimits(admin=100, staff=3, agency=100, app=100),
            "bulk_rate_limits": BulkLimits(admin=100, staff=1, agency=100, app=100),
        }
    )
    application = create_app(small)
    application.state.sessionmaker = session_factory
    return application


def test_a_key_past_its_budget_gets_429_with_retry_after(limited_app: FastAPI, auth: Auth) -> None:
    staff, other = auth("staff"), auth("staff")
    with TestClient(limited_app, raise_server_exceptions=False) as client:
        answers = [client.get("/v1/labourers", headers=staff) for _ in range(4)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        refused = answers[-1]
        assert refused.headers["content-type"] == "application/problem+json"
        assert int(refused.headers["retry-after"]) >= 1
        assert refused.json()["status"] == 429 and "x-request-id" in refused.headers
        # Another key of the same role is not slowed by the first.
        assert client.get("/v1/labourers", headers=other).status_code == 200


def test_bulk_requests_have_a_budget_of_their_own(limited_app: FastAPI, auth: Auth) -> None:
    staff = auth("staff")
    body = {"region": "430981", "month": "2026-11"}
    with TestClient(limited_app, raise_server_exceptions=False) as client:
        first = client.post("/v1/plans", json=body, headers=staff)
        assert first.status_code != 429, first.text
        second = client.post("/v1/plans", json=body, headers=staff)
        assert second.status_code == 429
        assert "batch, import, push and plan requests" in second.json()["detail"]
        # Reads still pass: the request budget (3) is not used up by two plans.
        assert client.get("/v1/labourers", headers=staff).status_code == 200


def test_the_document_declares_429_and_retry_after_on_every_keyed_operation(
    app: FastAPI,
) -> None:
    document = app.openapi()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            keyed = bool(operation.get("x-roles"))
            assert ("429" in operation["responses"]) == keyed, (method, path)
            if keyed:
                assert "Retry-After" in operation["responses"]["429"]["headers"]


def test_budgets_come_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MATCHING_RATE_LIMITS__STAFF", "42")
    monkeypatch.setenv("MATCHING_BULK_RATE_LIMITS__AGENCY", "0")
    settings = Settings()
    assert settings.rate_limits.staff == 42 and settings.rate_limits.app == 6000
    assert settings.bulk_rate_limits.agency == 0
