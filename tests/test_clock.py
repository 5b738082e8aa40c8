"""The service's one clock and the China calendar: month and year edges, leap days."""

from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from matching import clock
from matching.clock import FixedClock

Headers = dict[str, str]


@pytest.mark.parametrize(
    ("utc", "china_day", "month"),
    [
        (datetime(2026, 11, 30, 15, 30, tzinfo=UTC), date(2026, 11, 30), "2026-11"),  # 23:30
        (datetime(2026, 11, 30, 16, 30, tzinfo=UTC), date(2026, 12, 1), "2026-12"),  # 00:30
        (datetime(2026, 12, 31, 15, 59, tzinfo=UTC), date(2026, 12, 31), "2026-12"),
        (datetime(2026, 12, 31, 16, 0, tzinfo=UTC), date(2027, 1, 1), "2027-01"),
        (datetime(2028, 2, 28, 16, 30, tzinfo=UTC), date(2028, 2, 29), "2028-02"),
    ],
)
def test_the_china_day_turns_at_16_utc(utc: datetime, china_day: date, month: str) -> None:
    with clock.fixed(utc):
        assert clock.today() == china_day
        assert clock.month_of(clock.today()) == month
        assert clock.now() == utc


def test_calendar_helpers_at_month_and_year_ends() -> None:
    assert clock.next_month("2026-12") == "2027-01"
    assert clock.next_month("2028-01") == "2028-02"
    assert clock.month_end(date(2028, 2, 3)) == date(2028, 2, 29)
    assert clock.month_end(date(2027, 2, 3)) == date(2027, 2, 28)
    assert clock.months_back(date(2028, 2, 29), 12) == date(2027, 2, 28)  # clamped
    assert clock.months_back(date(2026, 8, 31), 6) == date(2026, 2, 28)
    assert clock.months_back(date(2027, 1, 15), 1) == date(2026, 12, 15)
    assert clock.china_midnight(date(2027, 1, 1)) == datetime(2026, 12, 31, 16, tzinfo=UTC)


def test_a_fixed_clock_is_aware_moves_and_is_restored() -> None:
    with pytest.raises(ValueError, match="naive"):
        FixedClock(datetime(2026, 1, 1))
    before = clock.current()
    with clock.fixed(datetime(2026, 1, 1, tzinfo=UTC)) as fixed:
        fixed.advance(timedelta(days=31))
        assert clock.today() == date(2026, 2, 1)
    assert clock.current() is before


def test_the_clock_endpoint_sets_reads_and_releases(
    client: TestClient, auth: object, test_clock: FixedClock
) -> None:
    admin = auth("admin")  # type: ignore[operator]
    at = "2027-01-01T00:30:00+08:00"
    response = client.put("/v1/clock", json={"now": at}, headers=admin)
    assert response.status_code == 200, response.text
    assert response.json()["today"] == "2027-01-01"
    assert response.json()["fixed"] is True
    assert clock.today() == date(2027, 1, 1)
    assert client.get("/v1/clock", headers=admin).json()["today"] == "2027-01-01"
    naive = client.put("/v1/clock", json={"now": "2027-01-01T00:30:00"}, headers=admin)
    assert naive.status_code == 422, naive.text
    assert naive.json()["errors"][0]["field"] == "body.now"
    far = client.put("/v1/clock", json={"now": "9999-01-01T00:00:00+00:00"}, headers=admin)
    assert far.status_code == 422
    assert clock.today() == date(2027, 1, 1), "a refused request changes nothing"
    released = client.delete("/v1/clock", headers=admin).json()
    assert released["fixed"] is False
    assert not clock.is_fixed()


def test_the_clock_cannot_be_set_in_production(client: TestClient, auth: object) -> None:
    settings = client.app.state.settings  # type: ignore[attr-defined]
    client.app.state.settings = settings.model_copy(update={"environment": "production"})  # type: ignore[attr-defined]
    try:
        refused = client.put(
            "/v1/clock",
            json={"now": "2027-01-01T00:30:00+08:00"},
            headers=auth("admin"),  # type: ignore[operator]
        )
    finally:
        client.app.state.settings = settings  # type: ignore[attr-defined]
    assert refused.status_code == 403
    assert "production" in refused.json()["detail"]
