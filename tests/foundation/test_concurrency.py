"""Invariants under real concurrency, against the running server and its committed database."""

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx

WORKERS = 8


def _admin(live_server: tuple[str, str]) -> tuple[str, dict[str, str]]:
    base, key = live_server
    return base, {"Authorization": f"Bearer {key}"}


def test_one_id_number_is_one_labourer_under_concurrency(
    live_server: tuple[str, str], new_id_number: Callable[..., str]
) -> None:
    base, headers = _admin(live_server)
    # The demo data lives in 430981 only, so a Guangzhou number cannot clash with it.
    body = {"name": "并发测试", "id_number": new_id_number(region="440106"),
            "hukou_region": "440106"}  # fmt: skip

    def register(_: int) -> httpx.Response:
        return httpx.post(f"{base}/v1/labourers", json=body, headers=headers, timeout=60)

    with ThreadPoolExecutor(WORKERS) as pool:
        responses = list(pool.map(register, range(WORKERS)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * (WORKERS - 1), [r.text for r in responses]
    winner = next(r.json()["id"] for r in responses if r.status_code == 201)
    assert {r.json()["existing_id"] for r in responses if r.status_code == 409} == {winner}


def test_concurrent_identical_pushes_make_each_post_once(live_server: tuple[str, str]) -> None:
    base, headers = _admin(live_server)
    agency = httpx.post(
        f"{base}/v1/agencies", json={"name": "并发机构", "province_code": "44"}, headers=headers
    ).json()
    key = httpx.post(
        f"{base}/v1/keys",
        json={"name": "c", "role": "agency", "agency_id": agency["id"]},
        headers=headers,
    ).json()["key"]
    items = [
        {"external_id": f"C-{i}", "employer": "并发电子厂", "title": f"普工{i}",
         "workplace_region": "441900", "openings": 3, "wage_min": 4000, "wage_max": 5000}
        for i in range(20)
    ]  # fmt: skip

    def push(_: int) -> httpx.Response:
        return httpx.post(
            f"{base}/v1/posts/batch",
            json={"items": items},
            headers={"Authorization": f"Bearer {key}"},
            timeout=60,
        )

    with ThreadPoolExecutor(4) as pool:
        responses = list(pool.map(push, range(4)))
    assert all(r.status_code in (200, 409) for r in responses), [r.text for r in responses]
    assert any(r.status_code == 200 for r in responses)
    listed = httpx.get(
        f"{base}/v1/posts?limit=100", headers={"Authorization": f"Bearer {key}"}
    ).json()["items"]
    assert sorted(str(p["external_id"]) for p in listed) == sorted(
        str(i["external_id"]) for i in items
    )


def test_concurrent_hires_never_exceed_the_openings(live_server: tuple[str, str]) -> None:
    """N hires racing for a post with k openings left: exactly k succeed, the rest get 409."""
    base, headers = _admin(live_server)
    openings, racers = 3, 10
    post = httpx.post(
        f"{base}/v1/posts",
        json={"employer": "并发招聘厂", "title": "包装工", "workplace_region": "430981",
              "openings": openings, "wage_min": 3000, "wage_max": 3600},
        headers=headers,
    ).json()["id"]  # fmt: skip
    people = [
        httpx.post(
            f"{base}/v1/labourers",
            json={"name": f"并发{i}", "hukou_region": "430981100"},
            headers=headers,
        ).json()["id"]
        for i in range(racers)
    ]
    pushed = httpx.post(
        f"{base}/v1/pushes",
        json={"post_ids": [post], "labourer_ids": people, "channel": "phone"},
        headers=headers,
        timeout=60,
    )
    assert pushed.status_code == 201, pushed.text
    push_ids = [item["id"] for item in pushed.json()["items"]]

    def hire(push_id: int) -> httpx.Response:
        return httpx.post(
            f"{base}/v1/pushes/{push_id}/events",
            json={"state": "hired"},
            headers=headers,
            timeout=60,
        )

    with ThreadPoolExecutor(WORKERS) as pool:
        responses = list(pool.map(hire, push_ids))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * openings + [409] * (racers - openings), [r.text for r in responses]
    final = httpx.get(f"{base}/v1/posts/{post}", headers=headers).json()
    assert (final["openings_left"], final["status"]) == (0, "filled")
    hired = httpx.get(
        f"{base}/v1/pushes", params={"post_id": post, "state": "hired"}, headers=headers
    ).json()["items"]
    assert len(hired) == openings
    jobs = [
        job
        for person in people
        for job in httpx.get(f"{base}/v1/labourers/{person}/employments", headers=headers).json()
    ]
    assert len(jobs) == openings
