"""Benchmark the two libraries through HTTP: agency batch upsert of 10,000 posts (10 calls of
1,000), a 50,000-row roster import (dry run, then commit) and the next month's roster with 5%
of its rows changed in update mode (dry run, then commit), on SQLite and PostgreSQL.

    .venv/bin/python benchmarks/registry_bench.py --backend sqlite
    .venv/bin/python benchmarks/registry_bench.py --backend postgresql+psycopg://postgres@127.0.0.1:5432/postgres
(benchmarks/run starts a throwaway PostgreSQL and runs both.) Targets: 10,000 posts ≤ 10 s;
50,000 rows ≤ 60 s, for a new roster and for the monthly update alike.
"""

import argparse
import csv
import io
import json
import random
import tempfile
import time
from pathlib import Path

import httpx
from _server import fresh_database, running_service

from matching.kit.idnumber import id_check_digit
from matching.regions.registry import RegionLevel, get_registry

TITLES = ["普工", "电焊工", "电子装配工", "叉车司机", "缝纫工", "保洁员", "分拣员", "砌筑工",
          "钢筋工", "厨师", "保安员", "育婴员", "仓库管理员", "注塑工"]  # fmt: skip
SKILLS = ["电焊", "叉车证", "缝纫", "保洁", "快递分拣", "砌墙", "月嫂", "厨师", "电工证", ""]
COASTAL = ("44", "33", "32", "35", "31")


def _posts(n: int, rng: random.Random) -> list[dict[str, object]]:
    registry = get_registry()
    counties = [r.code for r in registry.regions(RegionLevel.county) if r.code[:2] in COASTAL]
    posts = []
    for i in range(n):
        low = rng.randrange(3000, 7000, 100)
        posts.append(
            {
                "external_id": f"BENCH-{i:06d}",
                "employer": f"某制造有限公司{i % 997}",
                "title": rng.choice(TITLES),
                "workplace_region": rng.choice(counties),
                "openings": rng.randrange(1, 50),
                "wage_min": low,
                "wage_max": low + rng.randrange(0, 3000, 100),
                "housing": rng.random() < 0.6,
                "age_min": 18,
                "age_max": rng.choice([45, 50, 55]),
                "required_skills": [{"term": s} for s in rng.sample(SKILLS, 2) if s],
            }
        )
    return posts


ROSTER_HEADER = ["姓名", "身份证号", "联系电话", "户籍地区划代码", "就业状态", "就业意愿",
                 "外出意愿", "技能", "期望月薪"]  # fmt: skip


def _roster(n: int, rng: random.Random) -> list[list[str]]:
    registry = get_registry()
    towns = [t.code for t in registry.children("430981")] + [
        r.code
        for r in registry.regions(RegionLevel.county)
        if r.code[:2] in ("43", "45", "52", "53", "61")
    ]
    rows = []
    used: set[str] = set()
    while len(used) < n:
        birth = f"{rng.randrange(1966, 2004)}{rng.randrange(1, 13):02d}{rng.randrange(1, 29):02d}"
        first17 = f"430981{birth}{rng.randrange(0, 1000):03d}"
        if first17 in used:
            continue
        used.add(first17)
        rows.append([
            "王" + rng.choice("小大建秀春冬海"), first17 + id_check_digit(first17),
            f"139{rng.randrange(10**7, 10**8)}", rng.choice(towns),
            rng.choice(["未就业", "未就业", "县内就业", "省外就业"]), "是",
            rng.choice(["县内", "本市", "省内", "省外"]),
            "、".join(s for s in rng.sample(SKILLS, 2) if s),
            str(rng.randrange(2000, 8000, 500)),
        ])  # fmt: skip
    return rows


def _next_month(rows: list[list[str]], rng: random.Random, share: float) -> list[list[str]]:
    """The same roster a month on: `share` of the people changed one thing each — found work
    or lost it, a new phone, another expected wage or how far they will go."""
    changed = [list(row) for row in rows]
    for row in rng.sample(changed, round(len(changed) * share)):
        what = rng.randrange(4)
        if what == 0:
            row[4] = "县内就业" if row[4] == "未就业" else "未就业"
        elif what == 1:
            row[2] = f"138{rng.randrange(10**7, 10**8)}"
        elif what == 2:
            row[8] = str(int(row[8]) + 500)
        else:
            row[6] = "省外" if row[6] != "省外" else "县内"
    return changed


def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(ROSTER_HEADER)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def bench_posts(client: httpx.Client, admin: dict[str, str], n: int) -> dict[str, float]:
    """Create an agency and key, then push n posts in calls of 1,000; then push them again."""
    agency = client.post(
        "/v1/agencies", json={"name": "bench agency", "province_code": "44"}, headers=admin
    ).json()
    key = client.post(
        "/v1/keys",
        json={"name": "bench", "role": "agency", "agency_id": agency["id"]},
        headers=admin,
    ).json()["key"]
    headers = {"Authorization": f"Bearer {key}"}
    posts = _posts(n, random.Random(7))
    timings = {}
    for label in ("create", "unchanged"):
        started = time.perf_counter()
        for start in range(0, n, 1000):
            response = client.post(
                "/v1/posts/batch", json={"items": posts[start : start + 1000]}, headers=headers
            )
            response.raise_for_status()
            counts = response.json()["counts"]
            assert counts["rejected"] == 0, counts
        timings[f"posts_{label}_s"] = time.perf_counter() - started
    return timings


def _import(
    client: httpx.Client, admin: dict[str, str], content: bytes, *, dry_run: bool, mode: str
) -> tuple[float, dict[str, object]]:
    started = time.perf_counter()
    response = client.post(
        f"/v1/labourers/import?dry_run={str(dry_run).lower()}&mode={mode}",
        files={"file": ("roster.csv", content)},
        headers=admin,
        timeout=600,
    )
    elapsed = time.perf_counter() - started
    response.raise_for_status()
    report = response.json()
    assert not report["errors"], report["errors"][:3]
    return elapsed, report


def bench_roster(
    client: httpx.Client, admin: dict[str, str], n: int, share: float
) -> dict[str, float]:
    """Upload an n-row roster as a dry run, then commit it; then the next month's roster with
    `share` of its rows changed, in update mode, as a dry run and a commit."""
    rng = random.Random(11)
    first = _roster(n, rng)
    timings = {}
    for dry_run in (True, False):
        elapsed, _ = _import(client, admin, _csv(first), dry_run=dry_run, mode="create")
        timings["roster_dry_run_s" if dry_run else "roster_commit_s"] = elapsed
    second = _csv(_next_month(first, rng, share))
    expected = round(n * share)
    for dry_run in (True, False):
        elapsed, report = _import(client, admin, second, dry_run=dry_run, mode="update")
        counts = report["counts"]
        assert counts == {"created": 0, "updated": expected, "unchanged": n - expected,
                          "error": 0}, counts  # fmt: skip
        timings["update_dry_run_s" if dry_run else "update_commit_s"] = elapsed
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", default="sqlite", help="sqlite or a PostgreSQL server URL")
    parser.add_argument("--posts", type=int, default=10_000)
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--changed", type=float, default=0.05, help="share changed a month on")
    args = parser.parse_args()
    results: dict[str, object] = {"backend": args.backend.split(":")[0]}
    with (
        tempfile.TemporaryDirectory() as tmp,
        fresh_database(args.backend, Path(tmp), "bench_registry") as url,
        running_service(url) as (base, _, admin),
        httpx.Client(base_url=base, timeout=300) as client,
    ):
        results.update(bench_posts(client, admin, args.posts))
        results.update(bench_roster(client, admin, args.rows, args.changed))
    print(json.dumps({k: round(v, 2) if isinstance(v, float) else v for k, v in results.items()}))


if __name__ == "__main__":
    main()
