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
    assert sorted(p["external_id"] for p in listed) == sorted(i["external_id"] for i in items)
