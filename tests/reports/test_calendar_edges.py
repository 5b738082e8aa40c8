"""Months and years turn at midnight China time (16:00 UTC): pushes, the 311 year, leap days,
and the new seekers of a month."""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.conftest import finished

from matching.clock import FixedClock

Headers = Callable[..., dict[str, str]]
COUNTY = "430981"


@pytest.fixture
def world(
    test_clock: FixedClock,
    client: TestClient,
    auth: Headers,
    labourer_body: Callable[..., dict[str, Any]],
    post_body: Callable[..., dict[str, Any]],
) -> dict[str, Any]:
    """Two seekers unemployed since January 2026 and four local posts, made in March 2026."""
    test_clock.set(datetime(2026, 3, 2, 2, tzinfo=UTC))
    admin = auth("admin")
    people = []
    for _ in range(2):
        body = labourer_body(hukou_region="430981100", status_effective_from="2026-01-01")
        people.append(client.post("/v1/labourers", json=body, headers=admin).json()["id"])
    posts = []
    for _ in range(4):
        body = post_body(workplace_region=COUNTY, valid_until="2029-12-31")
        posts.append(client.post("/v1/posts", json=body, headers=admin).json()["id"])
    return {"admin": admin, "people": people, "posts": posts}


def _push(client: TestClient, world: dict[str, Any], post: int, labourer: int) -> dict[str, Any]:
    body = {"post_ids": [post], "labourer_ids": [labourer], "channel": "sms"}
    response = client.post("/v1/pushes", json=body, headers=world["admin"])
    assert response.status_code == 201, response.text
    return dict(response.json()["items"][0])


def _figures(client: TestClient, world: dict[str, Any], month: str) -> dict[str, Any]:
    params = {"region": COUNTY, "month": month}
    response = client.get("/v1/reports/targets", params=params, headers=world["admin"])
    assert response.status_code == 200, response.text
    return {f["key"]: f for f in response.json()["figures"]}


def test_a_push_at_23_30_and_at_00_30_china_time(
    test_clock: FixedClock, client: TestClient, world: dict[str, Any]
) -> None:
    lab = world["people"][0]
    test_clock.set(datetime(2026, 11, 30, 15, 30, tzinfo=UTC))  # 30 Nov, 23:30 in China
    late = _push(client, world, world["posts"][0], lab)
    test_clock.set(datetime(2026, 11, 30, 16, 30, tzinfo=UTC))  # 1 Dec, 00:30 in China
    early = _push(client, world, world["posts"][0], lab)  # a new month: the pair again
    assert (late["month"], late["pushed_on"]) == ("2026-11", "2026-11-30")
    assert (early["month"], early["pushed_on"]) == ("2026-12", "2026-12-01")
    assert early["id"] != late["id"] and early["created"] is True
    assert _figures(client, world, "2026-11")["push_ratio"]["numerator"] == 1
    assert _figures(client, world, "2026-12")["push_ratio"]["numerator"] == 1


def test_the_311_year_starts_again_on_1_january(
    test_clock: FixedClock, client: TestClient, world: dict[str, Any]
) -> None:
    lab = world["people"][0]
    test_clock.set(datetime(2026, 12, 31, 15, 30, tzinfo=UTC))  # 31 Dec, 23:30 in China
    for post in world["posts"][:3]:
        _push(client, world, post, lab)
    for kind in ("guidance", "training_info"):
        response = client.post(
            f"/v1/labourers/{lab}/services", json={"kind": kind}, headers=world["admin"]
        )
        assert response.status_code == 201, response.text
    december = _figures(client, world, "2026-12")["services_311"]
    assert (december["numerator"], december["denominator"]) == (1, 2)
    test_clock.set(datetime(2026, 12, 31, 16, 30, tzinfo=UTC))  # 1 Jan, 00:30 in China
    january = _figures(client, world, "2027-01")["services_311"]
    assert (january["numerator"], january["denominator"]) == (0, 2)
    assert _figures(client, world, "2026-12")["services_311"]["numerator"] == 1  # unchanged


def test_29_february_is_a_day_like_any_other(
    test_clock: FixedClock, client: TestClient, world: dict[str, Any], auth: Headers
) -> None:
    test_clock.set(datetime(2028, 2, 28, 16, 30, tzinfo=UTC))  # 29 Feb 2028, 00:30 in China
    pushed = _push(client, world, world["posts"][1], world["people"][1])
    assert (pushed["month"], pushed["pushed_on"]) == ("2028-02", "2028-02-29")
    assert pushed["attribution_until"] == "2028-04-29"  # 60 days on
    figures = _figures(client, world, "2028-02")
    assert figures["push_ratio"]["numerator"] == 1
    plan = finished(
        client, client.post("/v1/plans", json={"region": COUNTY}, headers=auth("staff"))
    )
    assert plan.status_code == 200, plan.text
    assert plan.json()["month"] == "2028-02"
    ahead = finished(client, client.post("/v1/plans", json={"region": COUNTY, "month": "2028-03"},
                                         headers=auth("staff")))  # fmt: skip
    assert ahead.status_code == 200, ahead.text  # the last 7 days of February: 23 to 29
    assert ahead.json()["month"] == "2028-03"


def test_new_seekers_of_the_month_are_their_own_figure(
    test_clock: FixedClock,
    client: TestClient,
    world: dict[str, Any],
    labourer_body: Callable[..., dict[str, Any]],
) -> None:
    test_clock.set(datetime(2026, 12, 3, 2, tzinfo=UTC))
    for _ in range(3):  # registered today, status from today (the default)
        body = labourer_body(hukou_region="430981100")
        assert client.post("/v1/labourers", json=body, headers=world["admin"]).status_code == 201
    back_dated = labourer_body(hukou_region="430981100", status_effective_from="2026-11-15")
    assert client.post("/v1/labourers", json=back_dated, headers=world["admin"]).status_code == 201
    figures = _figures(client, world, "2026-12")
    assert figures["unemployed_willing"]["value"] == 3  # two from January + the back-dated one
    assert figures["new_seekers"]["value"] == 3
    assert _figures(client, world, "2026-11")["new_seekers"]["value"] == 0  # not yet registered
