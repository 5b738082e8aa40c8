"""Distance between townships (docs/scoring.md): staff set a township's seat point, a post may
carry its own; matches then rank and explain by the distance inside the county."""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from matching.clock import FixedClock

Headers = Callable[..., dict[str, str]]
HOME, NEAR, FAR = "430981100", "430981101", "430981104"  # 南大膳镇, 黄茅洲镇, 草尾镇
POINTS = {HOME: (28.85, 112.45), NEAR: (28.89, 112.45), FAR: (29.05, 112.20)}


@pytest.fixture(autouse=True)
def _clock(test_clock: FixedClock) -> None:
    test_clock.set(datetime(2026, 11, 20, 2, tzinfo=UTC))


@pytest.fixture
def county(
    client: TestClient,
    auth: Headers,
    labourer_body: Callable[..., dict[str, Any]],
    post_body: Callable[..., dict[str, Any]],
) -> dict[str, Any]:
    """A labourer of 南大膳镇 willing to work in the county; posts in 黄茅洲镇 and 草尾镇."""
    admin = auth("admin")
    labourer = client.post("/v1/labourers", headers=admin, json=labourer_body(
        hukou_region=HOME, relocation="county", status_effective_from="2026-01-01"))  # fmt: skip
    assert labourer.status_code == 201, labourer.text
    posts = {}
    for town in (FAR, NEAR):  # the far one first: its lower id wins a tie
        body = post_body(workplace_region=town, wage_min=4000, wage_max=5000,
                         required_skills=[{"term": "电焊"}])  # fmt: skip
        posts[town] = client.post("/v1/posts", json=body, headers=admin).json()["id"]
    return {"labourer": labourer.json()["id"], "posts": posts, "admin": admin,
            "staff": auth("staff")}  # fmt: skip


def _matches(client: TestClient, county: dict[str, Any]) -> list[dict[str, Any]]:
    response = client.get(f"/v1/labourers/{county['labourer']}/matches", headers=county["staff"])
    assert response.status_code == 200, response.text
    return [i for i in response.json()["items"] if i["post"]["id"] in county["posts"].values()]


def _set(client: TestClient, headers: dict[str, str], town: str) -> Any:
    lat, lon = POINTS[town]
    return client.put(f"/v1/regions/{town}/seat", json={"lat": lat, "lon": lon,
                      "note": "乡镇政府驻地（测试）"}, headers=headers)  # fmt: skip


def test_township_seats_put_distance_into_the_county(
    client: TestClient, county: dict[str, Any]
) -> None:
    before = _matches(client, county)
    assert [m["post"]["id"] for m in before] == [county["posts"][FAR], county["posts"][NEAR]]
    assert before[0]["score"] == before[1]["score"]  # one county seat: no distance to tell
    assert before[0]["reasons"][0]["zh"] == "同县岗位"

    for town in (HOME, NEAR, FAR):
        response = _set(client, county["staff"], town)
        assert response.status_code == 200, response.text
    seat = client.get(f"/v1/regions/{NEAR}", headers=county["staff"]).json()
    assert seat["seat"] == list(POINTS[NEAR])
    assert seat["township_seat"]["note"] == "乡镇政府驻地（测试）"

    after = _matches(client, county)  # the same process: the stamped rows were re-read
    near, far = after
    assert near["post"]["id"] == county["posts"][NEAR]
    assert near["breakdown"]["location"] > far["breakdown"]["location"] >= 0.70
    assert near["reasons"][0]["zh"] == "同县岗位，距离约 4 公里"
    assert far["reasons"][0]["zh"] == "同县岗位，距离约 33 公里"
    assert far["reasons"][0]["code"] == "location.county"

    # Cleared, the township is at the county seat again.
    assert client.delete(f"/v1/regions/{NEAR}/seat", headers=county["staff"]).status_code == 204
    assert client.delete(f"/v1/regions/{NEAR}/seat", headers=county["staff"]).status_code == 404
    region = client.get(f"/v1/regions/{NEAR}", headers=county["staff"]).json()
    assert region["township_seat"] is None and region["seat"] == [28.85002, 112.35023]


def test_a_post_with_its_own_point(client: TestClient, county: dict[str, Any]) -> None:
    _set(client, county["staff"], HOME)
    post = county["posts"][FAR]
    point = {"workplace_lat": 28.86, "workplace_lon": 112.46}
    moved = client.patch(f"/v1/posts/{post}", json=point, headers=county["admin"])
    assert moved.status_code == 200, moved.text
    assert (moved.json()["workplace_lat"], moved.json()["workplace_lon"]) == (28.86, 112.46)
    first = _matches(client, county)[0]
    assert first["post"]["id"] == post and first["reasons"][0]["zh"] == "同县岗位，距离约 1 公里"
    none = {"workplace_lat": None, "workplace_lon": None}
    cleared = client.patch(f"/v1/posts/{post}", json=none, headers=county["admin"])
    assert cleared.status_code == 200 and cleared.json()["workplace_lat"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"workplace_lat": 28.9}, "body"),  # the pair goes together
        ({"workplace_lat": 31.2, "workplace_lon": 121.5}, "body.workplace_lat"),  # Shanghai
        ({"workplace_lat": 112.4, "workplace_lon": 28.8}, "body.workplace_lat"),  # swapped
        (
            {"workplace_region": "44", "workplace_lat": 45.8, "workplace_lon": 126.5},
            "body.workplace_lat",
        ),  # 哈尔滨 for a post anywhere in Guangdong: 2,800 km away
    ],
)
def test_a_bad_workplace_point_is_refused(
    client: TestClient,
    auth: Headers,
    post_body: Callable[..., dict[str, Any]],
    body: dict[str, Any],
    field: str,
) -> None:
    response = client.post("/v1/posts", json=post_body(**({"workplace_region": NEAR} | body)),
                           headers=auth("admin"))  # fmt: skip
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == field


@pytest.mark.parametrize(
    ("code", "body", "status", "field"),
    [
        ("430981", {"lat": 28.8, "lon": 112.4}, 422, "path.code"),  # a county
        ("430981999", {"lat": 28.8, "lon": 112.4}, 422, "path.code"),  # no such township
        (NEAR, {"lat": 30.6, "lon": 114.3}, 422, "body.lat"),  # Wuhan: 230 km away
        (NEAR, {"lat": 95, "lon": 112.4}, 422, "body.lat"),
        (NEAR, {"lat": 28.8}, 422, "body.lon"),
        (NEAR, {"lat": 28.8, "lon": 112.4, "x": 1}, 422, "body.x"),
    ],
)
def test_a_bad_seat_is_refused_naming_the_field(
    client: TestClient, auth: Headers, code: str, body: dict[str, Any], status: int, field: str
) -> None:
    response = client.put(f"/v1/regions/{code}/seat", json=body, headers=auth("admin"))
    assert response.status_code == status, response.text
    assert response.json()["errors"][0]["field"] == field


def test_only_staff_of_the_township_or_admin_set_it(client: TestClient, auth: Headers) -> None:
    body = {"lat": 28.89, "lon": 112.45}
    other = auth("staff", regions=["430902"])
    assert client.put(f"/v1/regions/{NEAR}/seat", json=body, headers=other).status_code == 403
    assert (
        client.put(f"/v1/regions/{NEAR}/seat", json=body, headers=auth("agency")).status_code == 403
    )
    assert client.put(f"/v1/regions/{NEAR}/seat", json=body, headers=auth("app")).status_code == 403
    assert (
        client.put(f"/v1/regions/{NEAR}/seat", json=body, headers=auth("admin")).status_code == 200
    )


def test_a_post_of_a_whole_province_may_be_anywhere_in_it(
    client: TestClient, auth: Headers, post_body: Callable[..., dict[str, Any]]
) -> None:
    """深圳 is 100 km from 广州, the seat of the province: fine for a post given as "44"."""
    body = post_body(workplace_region="44", workplace_lat=22.54, workplace_lon=114.06)
    response = client.post("/v1/posts", json=body, headers=auth("admin"))
    assert response.status_code == 201, response.text
