"""Benchmark matching on synthetic but realistic data: 100,000 open posts, 500,000 labourers.

    .venv/bin/python benchmarks/matching_bench.py --pg postgresql+psycopg://postgres@127.0.0.1:5432/postgres
    .venv/bin/python benchmarks/matching_bench.py --pg ... --scale 0.1   # a quick try
(benchmarks/run matching starts a throwaway PostgreSQL and runs this.) Prints one JSON object:
index build time and memory, p50/p99 of top-10 posts for a labourer (in-process and over HTTP),
of top-50 labourers for a post, and of the same top-10 query written in SQL on PostgreSQL, with
the ratios measured in the same run. Targets: top-10 p50 ≤ 5 ms in-process and ≤ 20 ms over
HTTP; top-50 over 500,000 labourers p50 ≤ 50 ms; 100,000 posts indexed in ≤ 3 s within ≤ 300 MB;
≥ 20× faster than the SQL query.
"""

import argparse
import contextlib
import gc
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import psycopg
from _server import BENCH_ENV, fresh_database, migrate, running_service
from _wrk import wrk_latency
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, selectinload

from matching import clock
from matching.database import make_engine, make_sessionmaker
from matching.labourers.models import (
    Education,
    EmploymentStatus,
    LabourAbility,
    PovertyStatus,
    Relocation,
    Sex,
    SkillLevel,
)
from matching.matches.matcher import Matcher
from matching.matches.snapshot import labourer_profiles, post_record
from matching.posts.models import Post, PostSource, PostStatus, PostType, SexRequirement
from matching.regions.registry import RegionLevel, get_registry
from matching.rules import places
from matching.settings import Settings
from matching.skills.taxonomy import get_taxonomy

SEED = 20261123
# Where labourers come from: poor western/central provinces first
# (湖南 广西 贵州 云南 甘肃 四川 陕西).
LABOUR_PROVINCES = {"43": 14, "45": 14, "52": 16, "53": 16, "62": 12, "51": 10, "61": 8}
OTHER_LABOUR_WEIGHT = 10  # spread over the remaining provinces
# Where posts are: coastal provinces (广东 浙江 江苏 福建 上海), plus local posts near labourers.
COASTAL = {"44": 35, "33": 25, "32": 20, "35": 12, "31": 8}
COASTAL_SHARE = 0.6
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华建国春梅海燕玉红小文斌波辉鹏"
NOW = datetime.now(UTC)

Row = tuple[Any, ...]


def _rss_kb(field: str = "VmRSS") -> int:
    """A line of /proc/self/status in kB (VmRSS now, VmHWM the peak)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _percentiles(seconds: Sequence[float]) -> dict[str, float]:
    ms = np.asarray(seconds) * 1000
    return {
        "n": len(ms),
        "p50_ms": round(float(np.percentile(ms, 50)), 3),
        "p99_ms": round(float(np.percentile(ms, 99)), 3),
        "mean_ms": round(float(ms.mean()), 3),
        "max_ms": round(float(ms.max()), 3),  # a full garbage collection shows here first
    }


def _psycopg_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


# ---------------------------------------------------------------- synthetic data


class World:
    """Region and skill pools with their weights, drawn once from the real registry/taxonomy."""

    def __init__(self, rng: np.random.Generator) -> None:
        registry = get_registry()
        counties = [c.code for c in registry.regions(RegionLevel.county)]
        self.townships = {c: [t.code for t in registry.children(c)] for c in counties}
        # Poverty counties: within each labour-source province, a lognormal spread of weights
        # so that a few hundred counties hold most registered labourers.
        per_province = {p: sum(1 for c in counties if c[:2] == p) for p in LABOUR_PROVINCES}
        others = sum(1 for c in counties if c[:2] not in LABOUR_PROVINCES)
        weight = np.array(
            [
                LABOUR_PROVINCES[c[:2]] / per_province[c[:2]]
                if c[:2] in LABOUR_PROVINCES
                else OTHER_LABOUR_WEIGHT / others
                for c in counties
            ]
        )
        weight *= rng.lognormal(0.0, 1.0, len(counties))
        self.labour_counties = counties
        self.labour_p = weight / weight.sum()
        coastal = [c for c in counties if c[:2] in COASTAL]
        per_coast = {p: sum(1 for c in coastal if c[:2] == p) for p in COASTAL}
        cw = np.array([COASTAL[c[:2]] / per_coast[c[:2]] for c in coastal])
        cw *= rng.lognormal(0.0, 1.2, len(coastal))  # industrial districts draw most posts
        self.coastal_counties = coastal
        self.coastal_p = cw / cw.sum()
        taxonomy = get_taxonomy()
        self.skill_ids = [s.id for s in taxonomy.skills]
        self.occupations = [i for i, s in enumerate(taxonomy.skills) if s.kind == "occupation"]
        popularity = 1.0 / (rng.permutation(len(self.skill_ids)) + 8.0)  # Zipf-like
        self.skill_p = popularity / popularity.sum()
        occ = popularity[self.occupations]
        self.occupation_p = occ / occ.sum()

    def region(self, county: str, rng: random.Random, township_share: float) -> str:
        towns = self.townships[county]
        return rng.choice(towns) if towns and rng.random() < township_share else county


def _pick(rng: np.random.Generator, values: Sequence[Any], p: Sequence[float], n: int) -> list[Any]:
    weights = np.asarray(p, dtype=np.float64)
    return [values[i] for i in rng.choice(len(values), size=n, p=weights / weights.sum())]


def _skill_sets(
    rng: np.random.Generator, world: World, n: int, counts: Sequence[int], p: Sequence[float]
) -> list[list[str]]:
    """n sets of distinct taxonomy skill ids, sizes drawn from counts/p, popular skills first."""
    sizes = rng.choice(np.asarray(counts), size=n, p=np.asarray(p))
    draws = rng.choice(len(world.skill_ids), size=int(sizes.sum()), p=world.skill_p)
    out, at = [], 0
    for size in sizes.tolist():
        chosen = dict.fromkeys(draws[at : at + size].tolist())
        out.append([world.skill_ids[i] for i in chosen])
        at += size
    return out


def labourer_rows(
    n: int, world: World, today: date, seed: int
) -> tuple[list[Row], list[Row], list[Row]]:
    """Labourers, their skills and one status period each."""
    rng, prng = np.random.default_rng(seed), random.Random(seed)
    counties = _pick(rng, world.labour_counties, world.labour_p, n)
    relocation = _pick(
        rng, list(Relocation), [0.10, 0.25, 0.15, 0.20, 0.30], n
    )  # 本乡镇 本县 本市 本省 省外
    ability = _pick(rng, list(LabourAbility), [0.85, 0.12, 0.03], n)
    status = _pick(
        rng,
        list(EmploymentStatus),
        [0.72, 0.08, 0.06, 0.06, 0.02, 0.02, 0.04],
        n,
    )
    poverty = _pick(rng, list(PovertyStatus), [0.3, 0.6, 0.1], n)
    education = _pick(rng, list(Education), [0.05, 0.2, 0.45, 0.12, 0.12, 0.04, 0.02], n)
    ages = np.clip(rng.normal(38, 10, n), 18, 60).astype(int)
    days_in_year = rng.integers(0, 365, n)
    wages = rng.choice(np.arange(2000, 8001, 500), size=n)
    skills = _skill_sets(rng, world, n, [0, 1, 2, 3, 4], [0.25, 0.35, 0.25, 0.10, 0.05])
    prefs = _skill_sets(rng, world, n, [0, 1, 2], [0.5, 0.35, 0.15])
    levels = list(SkillLevel)
    people, owned, periods = [], [], []
    for i in range(n):
        lid = i + 1
        birth = today - timedelta(
            days=int(ages[i]) * 365 + int(ages[i]) // 4 + int(days_in_year[i])
        )
        name = prng.choice(SURNAMES) + "".join(prng.choices(GIVEN, k=prng.choice((1, 2))))
        people.append((
            lid, name, prng.choice((Sex.male, Sex.female)).value, birth,
            world.region(counties[i], prng, 0.8), f"HH{(lid - 1) // 3:07d}",
            poverty[i].value, ability[i].value, prng.random() < 0.92, relocation[i].value,
            education[i].value, int(wages[i]) if prng.random() < 0.7 else None,
            json.dumps(prefs[i]), "[]", prng.random() < 0.05, False, prng.random() < 0.03,
            lid, NOW, NOW,
        ))  # fmt: skip
        owned += [(lid, s, prng.choice(levels).value) for s in skills[i]]
        periods.append(
            (lid, lid, status[i].value, today - timedelta(days=prng.randrange(1, 700)), NOW)
        )
    return people, owned, periods


LABOURER_COLUMNS = (
    "id, name, sex, birth_date, hukou_region, household_id, poverty_status, labour_ability, "
    "wants_work, relocation, education, expected_wage, preferred_occupations, unresolved_skills, "
    "sanwu, lianghousheng, disabled, change_seq, created_at, updated_at"
)
POST_COLUMNS = (
    "id, source, employer, post_type, title, occupation_id, workplace_region, openings, "
    "openings_left, wage_min, wage_max, housing, meals, age_min, age_max, sex_requirement, "
    "seasonal, valid_from, valid_until, status, unresolved_skills, fingerprint, content_hash, "
    "change_seq, created_at, updated_at"
)
LOCAL_KINDS = (PostType.enterprise, PostType.workshop, PostType.base, PostType.public_welfare,
               PostType.home_based)  # fmt: skip


def post_rows(n: int, world: World, today: date, seed: int) -> tuple[list[Row], list[Row]]:
    """Open posts and their skills (required, and some only preferred)."""
    rng, prng = np.random.default_rng(seed), random.Random(seed)
    coastal = rng.random(n) < COASTAL_SHARE
    coast_counties = _pick(rng, world.coastal_counties, world.coastal_p, n)
    local_counties = _pick(rng, world.labour_counties, world.labour_p, n)
    local_kind = _pick(rng, LOCAL_KINDS, [0.25, 0.35, 0.15, 0.20, 0.05], n)
    coast_kind = _pick(rng, LOCAL_KINDS[:3], [0.85, 0.05, 0.10], n)
    occupations = _pick(rng, world.occupations, world.occupation_p, n)
    required = _skill_sets(rng, world, n, [0, 1, 2, 3], [0.30, 0.40, 0.20, 0.10])
    taxonomy = get_taxonomy()
    posts, skills = [], []
    for i in range(n):
        pid = i + 1
        if coastal[i]:
            region = world.region(coast_counties[i], prng, 0.3)
            kind = coast_kind[i]
            low = prng.randrange(3500, 7001, 100)
        else:
            region = world.region(local_counties[i], prng, 0.5)
            kind = local_kind[i]
            low = prng.randrange(2000, 4501, 100)
        if kind == PostType.public_welfare:
            low = prng.randrange(2000, 2601, 100)
        high = min(9000, low + prng.randrange(0, 2001, 100))
        openings = prng.randrange(1, 51)
        left = 0 if prng.random() < 0.03 else prng.randrange(1, openings + 1)
        occupation = world.skill_ids[occupations[i]]
        until = None if prng.random() < 0.05 else today + timedelta(days=prng.randrange(1, 121))
        posts.append((
            pid, PostSource.station.value, f"某某有限公司{pid % 4999}", kind.value,
            taxonomy.skills[occupations[i]].name, occupation, region, openings, left, low, high,
            prng.random() < 0.6, prng.random() < 0.5, prng.choice((16, 18, 18, None)),
            prng.choice((45, 50, 55, 60, None)), SexRequirement.any.value, prng.random() < 0.1,
            today - timedelta(days=prng.randrange(0, 60)), until, PostStatus.open.value, "[]",
            f"{pid:064x}", f"{pid:064x}", pid, NOW, NOW,
        ))  # fmt: skip
        skills += [(pid, s, True, "none") for s in required[i]]
        if prng.random() < 0.15:
            extra = world.skill_ids[prng.randrange(len(world.skill_ids))]
            if extra not in required[i]:
                skills.append((pid, extra, False, "none"))
    return posts, skills


def _copy(conn: psycopg.Connection[Any], table: str, columns: str, rows: Iterable[Row]) -> None:
    with conn.cursor() as cur, cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def load(url: str, n_posts: int, n_labourers: int, today: date) -> dict[str, float]:
    """Generate the data and COPY it into the migrated database; then counters and statistics."""
    timings: dict[str, float] = {}
    started = time.perf_counter()
    world = World(np.random.default_rng(SEED))
    people, owned, periods = labourer_rows(n_labourers, world, today, SEED + 1)
    posts, post_skills = post_rows(n_posts, world, today, SEED + 2)
    timings["generate_s"] = time.perf_counter() - started
    started = time.perf_counter()
    with psycopg.connect(_psycopg_url(url)) as conn:
        _copy(conn, "labourers", LABOURER_COLUMNS, people)
        _copy(conn, "labourer_skills", "labourer_id, skill_id, level", owned)
        _copy(
            conn,
            "labourer_status_periods",
            "id, labourer_id, status, effective_from, recorded_at",
            periods,
        )
        _copy(conn, "posts", POST_COLUMNS, posts)
        _copy(conn, "post_skills", "post_id, skill_id, required, min_level", post_skills)
        for table in ("labourers", "labourer_status_periods", "posts"):
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        conn.execute("UPDATE change_counters SET seq = %s WHERE name = 'labourers'", [n_labourers])
        conn.execute("UPDATE change_counters SET seq = %s WHERE name = 'posts'", [n_posts])
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE")
    timings["load_s"] = time.perf_counter() - started
    timings["labourer_skill_rows"] = len(owned)
    timings["post_skill_rows"] = len(post_skills)
    return timings


# ---------------------------------------------------------------- index build (in a child)


def measure_build(url: str, which: str) -> dict[str, float]:
    """Build one index in a fresh process: time, RSS growth, and tracemalloc peak of a rebuild."""
    settings = Settings(database_url=url)
    factory = make_sessionmaker(make_engine(url))
    today = clock.today()
    Matcher(settings).context  # noqa: B018 - taxonomy matrix: per process, not per index
    gc.collect()
    with contextlib.suppress(OSError):  # reset the peak-RSS mark (VmHWM) to now
        Path("/proc/self/clear_refs").write_text("5")
    rss0 = _rss_kb()

    started = time.perf_counter()
    engine = Matcher(settings)
    with factory() as session:
        snap: Any = (
            engine.post_snapshot(session, today)
            if which == "posts"
            else engine.labourer_snapshot(session, today)
        )
    seconds = time.perf_counter() - started
    gc.collect()
    out = {
        f"{which}_indexed": len(snap),
        f"{which}_build_s": round(seconds, 3),
        f"{which}_build_rss_retained_mb": round((_rss_kb() - rss0) / 1024, 1),
        f"{which}_build_rss_peak_mb": round((_rss_kb("VmHWM") - rss0) / 1024, 1),
    }
    del snap, engine
    gc.collect()
    tracemalloc.start()  # one more build, traced: its peak, and what the index keeps
    started = time.perf_counter()
    engine = Matcher(settings)
    with factory() as session:
        kept = (
            engine.post_snapshot(session, today)
            if which == "posts"
            else engine.labourer_snapshot(session, today)
        )
    traced = time.perf_counter() - started
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del kept
    out[f"{which}_build_traced_peak_mb"] = round(peak / 2**20, 1)
    out[f"{which}_index_traced_retained_mb"] = round(current / 2**20, 1)
    out[f"{which}_build_s_under_tracemalloc"] = round(traced, 3)
    return out


def _child_build(url: str, which: str) -> dict[str, float]:
    env = {**os.environ, **BENCH_ENV, "MATCHING_DATABASE_URL": url}
    result = subprocess.run(
        [sys.executable, __file__, "--measure-build", which, "--pg", url],
        env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


# ---------------------------------------------------------------- in-process and HTTP latency


def _timed(calls: Iterable[Callable[[], object]]) -> list[float]:
    out = []
    for call in calls:
        started = time.perf_counter()
        call()
        out.append(time.perf_counter() - started)
    return out


def in_process(
    url: str, labourer_ids: list[int], post_ids: list[int], today: date
) -> tuple[dict[str, Any], dict[int, list[int]]]:
    """p50/p99 of the scoring calls alone, on indexes built beforehand."""
    settings = Settings(database_url=url)
    engine = Matcher(settings)
    factory = make_sessionmaker(make_engine(url))
    with factory() as session:
        post_snap = engine.post_snapshot(session, today)
        labour_snap = engine.labourer_snapshot(session, today)
        profiles = [labourer_profiles(session, today, ids=[i])[0][0] for i in labourer_ids]
        where = places.load(session)
        records = [post_record(p, where) for p in _posts(session, post_ids)]
    assert all(p.able_and_seeking for p in profiles)
    for profile in profiles[:5]:  # warm caches
        engine.top_posts(profile, post_snap, engine.context, today=today, k=10)
    engine.top_labourers(records[0], labour_snap, engine.context, today=today, k=50)
    found: dict[int, list[int]] = {}

    def top10(profile: Any) -> Callable[[], object]:
        def call() -> object:
            found[profile.id] = [
                m.post_id
                for m in engine.top_posts(profile, post_snap, engine.context, today=today, k=10)
            ]
            return found

        return call

    def top50(record: Any) -> Callable[[], object]:
        return lambda: engine.top_labourers(record, labour_snap, engine.context, today=today, k=50)

    top10_s = _timed(top10(p) for p in profiles)
    top50_s = _timed(top50(r) for r in records)
    hits = [len(v) for v in found.values()]
    return {
        "top10_posts": _percentiles(top10_s),
        "top10_posts_mean_results": round(float(np.mean(hits)), 2),
        "top50_labourers": _percentiles(top50_s),
        "post_index_size": len(post_snap),
        "labourer_index_size": len(labour_snap),
    }, found


def _posts(session: Session, ids: list[int]) -> list[Post]:
    rows = session.scalars(select(Post).where(Post.id.in_(ids)).options(selectinload(Post.skills)))
    by_id = {p.id: p for p in rows}
    return [by_id[i] for i in ids]


def over_http(url: str, labourer_ids: list[int], post_ids: list[int]) -> dict[str, Any]:
    """p50/p99 of whole requests to the real service (index built by a warm-up request)."""
    out: dict[str, Any] = {}
    with (
        running_service(url) as (base, _, admin),
        httpx.Client(base_url=base, timeout=600, headers=admin) as client,
    ):
        started = time.perf_counter()
        client.get(f"/v1/labourers/{labourer_ids[0]}/matches?k=10").raise_for_status()
        out["first_matches_request_s"] = round(time.perf_counter() - started, 3)
        started = time.perf_counter()
        client.get(f"/v1/posts/{post_ids[0]}/candidates?k=50").raise_for_status()
        out["first_candidates_request_s"] = round(time.perf_counter() - started, 3)

        def get(path: str) -> Callable[[], object]:
            return lambda: client.get(path).raise_for_status()

        for i in labourer_ids[:5]:
            client.get(f"/v1/labourers/{i}/matches?k=10")
        out["top10_posts"] = _percentiles(
            _timed(get(f"/v1/labourers/{i}/matches?k=10") for i in labourer_ids)
        )
        out["top50_labourers"] = _percentiles(
            _timed(get(f"/v1/posts/{i}/candidates?k=50") for i in post_ids)
        )
        if shutil.which("wrk"):
            # The service's own latency: a C client at one connection going round the same
            # labourers (httpx's own work, about 0.6 ms a request, is in the figures above).
            paths = [f"/v1/labourers/{i}/matches?k=10" for i in labourer_ids]
            rounds = [wrk_latency(base, admin, paths, 6.0) for _ in range(3)]
            out["top10_posts_wrk_one_connection"] = {
                "rounds": rounds,
                "p50_ms": float(np.median([r["p50_ms"] for r in rounds])),
                "p99_ms": float(np.median([r["p99_ms"] for r in rounds])),
            }
    return out


def throughput(
    url: str, labourer_ids: list[int], *, workers: int, connections: int, seconds: float
) -> dict[str, Any]:
    """Requests a second of top-10 matches with `connections` clients at once, against the
    service run with `workers` processes (each warmed until it has built its indexes)."""
    import asyncio

    with running_service(url, workers=workers) as (base, _, admin):
        paths = [f"/v1/labourers/{i}/matches?k=10" for i in labourer_ids]

        async def load() -> dict[str, Any]:
            limits = httpx.Limits(
                max_connections=connections, max_keepalive_connections=connections
            )
            async with httpx.AsyncClient(base_url=base, headers=admin, limits=limits,
                                         timeout=600) as client:  # fmt: skip
                # Warm every worker: concurrent first requests land on each process.
                await asyncio.gather(*(client.get(paths[i % len(paths)])
                                       for i in range(4 * workers)))  # fmt: skip
                done, errors = 0, 0
                stop = time.perf_counter() + seconds

                async def one(worker: int) -> None:
                    nonlocal done, errors
                    i = worker
                    while time.perf_counter() < stop:
                        response = await client.get(paths[i % len(paths)])
                        done += 1
                        errors += response.status_code != 200
                        i += connections

                started = time.perf_counter()
                await asyncio.gather(*(one(w) for w in range(connections)))
                elapsed = time.perf_counter() - started
            return {"workers": workers, "connections": connections, "requests": done,
                    "errors": errors, "requests_per_s": round(done / elapsed, 1)}  # fmt: skip

        return asyncio.run(load())


# ---------------------------------------------------------------- the same top-10 in SQL

SQL_INDEXES = (
    "CREATE INDEX IF NOT EXISTS bench_post_skills_required ON post_skills (post_id, skill_id) "
    "WHERE required",
    "CREATE INDEX IF NOT EXISTS bench_posts_open ON posts (valid_until, valid_from) "
    "WHERE status = 'open' AND openings_left > 0",
)
# What a team without the service would write: hard filters, a level band from the common code
# prefix, the fraction of required skills held (exact ids), wage against expectation, occupation
# preference and the 三无 priority, weighted like the service's defaults. It leaves out distance,
# related skills, corridors and the zero-employment flag, so it does less than the service.
TOP10_SQL = """
WITH me AS (
    SELECT l.id, l.hukou_region AS r, l.relocation, l.expected_wage, l.sanwu,
           l.preferred_occupations,
           extract(year FROM age(%(today)s::date, l.birth_date))::int AS age
    FROM labourers l WHERE l.id = %(id)s
),
my_skills AS (SELECT skill_id FROM labourer_skills WHERE labourer_id = %(id)s),
my_prefs AS (SELECT json_array_elements_text(preferred_occupations) AS occ FROM me),
candidates AS (
    SELECT p.id, p.wage_min, p.wage_max, p.post_type, p.occupation_id,
        CASE
            WHEN length(me.r) >= 9 AND LEFT(p.workplace_region, 9) = LEFT(me.r, 9) THEN 4
            WHEN LEFT(p.workplace_region, 6) = LEFT(me.r, 6) THEN 3
            WHEN LEFT(p.workplace_region, 4) = LEFT(me.r, 4) THEN 2
            WHEN LEFT(p.workplace_region, 2) = LEFT(me.r, 2) THEN 1
            ELSE 0
        END AS lvl,
        me.relocation, me.expected_wage, me.sanwu
    FROM posts p CROSS JOIN me
    WHERE p.status = 'open' AND p.openings_left > 0
      AND p.valid_from <= %(today)s AND (p.valid_until IS NULL OR p.valid_until >= %(today)s)
      AND (me.age IS NULL OR ((p.age_min IS NULL OR me.age >= p.age_min)
                              AND (p.age_max IS NULL OR me.age <= p.age_max)))
      AND CASE me.relocation
            WHEN 'township' THEN length(me.r) >= 9
                                 AND LEFT(p.workplace_region, 9) = LEFT(me.r, 9)
            WHEN 'county' THEN LEFT(p.workplace_region, 6) = LEFT(me.r, 6)
            WHEN 'prefecture' THEN LEFT(p.workplace_region, 4) = LEFT(me.r, 4)
            WHEN 'province' THEN LEFT(p.workplace_region, 2) = LEFT(me.r, 2)
            ELSE true
          END
),
skill AS (
    SELECT ps.post_id, count(*) AS needed, count(ms.skill_id) AS held
    FROM post_skills ps LEFT JOIN my_skills ms ON ms.skill_id = ps.skill_id
    WHERE ps.required AND ps.post_id IN (SELECT id FROM candidates)
    GROUP BY ps.post_id
)
SELECT c.id,
    0.35 * (ARRAY[0.15, 0.42, 0.60, 0.85, 1.0])[c.lvl + 1]
    + 0.30 * COALESCE(s.held::numeric / NULLIF(s.needed, 0), 0.6)
    + 0.15 * CASE WHEN c.expected_wage IS NULL THEN 0.7
                  ELSE LEAST(1, GREATEST(0, (c.wage_min + c.wage_max) / c.expected_wage::numeric
                                            - 1)) END
    + 0.10 * CASE WHEN NOT EXISTS (SELECT 1 FROM my_prefs) OR c.occupation_id IS NULL THEN 0.5
                  WHEN c.occupation_id IN (SELECT occ FROM my_prefs) THEN 1.0 ELSE 0.2 END
    + 0.10 * CASE WHEN c.sanwu AND c.post_type IN ('public_welfare', 'home_based')
                  THEN 0.6 ELSE 0 END AS score
FROM candidates c LEFT JOIN skill s ON s.post_id = c.id
ORDER BY score DESC, c.id
LIMIT 10
"""


def in_sql(
    url: str, labourer_ids: list[int], today: date, budget_s: float
) -> tuple[dict[str, Any], dict[int, list[int]]]:
    """Time TOP10_SQL per labourer (until the budget runs out); the plan goes to stderr."""
    found: dict[int, list[int]] = {}
    with psycopg.connect(_psycopg_url(url), autocommit=True) as conn:
        for statement in SQL_INDEXES:
            conn.execute(statement)
        conn.execute("ANALYZE posts; ANALYZE post_skills; ANALYZE labourer_skills")
        params = {"id": labourer_ids[0], "today": today}
        plan = conn.execute("EXPLAIN ANALYZE " + TOP10_SQL, params).fetchall()
        print("\n".join(r[0] for r in plan), file=sys.stderr)
        for i in labourer_ids[:3]:  # warm the cache and the prepared statement
            conn.execute(TOP10_SQL, {"id": i, "today": today}, prepare=True).fetchall()
        seconds: list[float] = []
        deadline = time.perf_counter() + budget_s
        for i in labourer_ids:
            started = time.perf_counter()
            rows = conn.execute(TOP10_SQL, {"id": i, "today": today}, prepare=True).fetchall()
            seconds.append(time.perf_counter() - started)
            found[i] = [r[0] for r in rows]
            if time.perf_counter() > deadline:
                break
    return {"top10_posts": _percentiles(seconds)}, found


# ---------------------------------------------------------------- main


def _sample_ids(
    url: str, today: date, n_labourers: int, n_posts: int
) -> tuple[list[int], list[int]]:
    """Random seeking labourers and random open posts (fixed seed)."""
    rng = random.Random(SEED + 3)
    with psycopg.connect(_psycopg_url(url)) as conn:
        seeking = [
            r[0]
            for r in conn.execute(
                "SELECT l.id FROM labourers l"
                " JOIN labourer_status_periods s ON s.labourer_id = l.id"
                " WHERE l.wants_work AND l.labour_ability <> 'none' AND s.status = 'unemployed'"
                " AND s.effective_from <= %s ORDER BY l.id",
                [today],
            )
        ]
        post_ids = [r[0] for r in conn.execute("SELECT id FROM posts ORDER BY id")]
    return rng.sample(seeking, n_labourers), rng.sample(post_ids, n_posts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pg", required=True, help="a PostgreSQL server URL (postgresql+psycopg)")
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the full size")
    parser.add_argument("--labourer-queries", type=int, default=300)
    parser.add_argument("--post-queries", type=int, default=100)
    parser.add_argument("--http-post-queries", type=int, default=50)
    parser.add_argument("--sql-queries", type=int, default=100)
    parser.add_argument("--sql-budget-s", type=float, default=120.0)
    parser.add_argument("--load-s", type=float, default=15.0, help="seconds of load at 16 conns")
    parser.add_argument("--measure-build", choices=["posts", "labourers"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure_build:  # the child process of measure_build
        print(json.dumps(measure_build(args.pg, args.measure_build)))
        return
    os.environ.update(BENCH_ENV)
    n_posts, n_labourers = round(100_000 * args.scale), round(500_000 * args.scale)
    today = clock.today()
    run_started = time.perf_counter()
    results: dict[str, Any] = {
        "posts": n_posts,
        "labourers": n_labourers,
        "today": today.isoformat(),
        "machine": {
            "cpu_count": os.cpu_count(),
            "numpy": np.__version__,
            "python": sys.version.split()[0],
        },
    }
    with (
        tempfile.TemporaryDirectory() as tmp,
        fresh_database(args.pg, Path(tmp), "bench_matching") as url,
    ):
        migrate(url)
        results["data"] = {
            k: round(v, 2) for k, v in load(url, n_posts, n_labourers, today).items()
        }
        print(f"loaded: {results['data']}", file=sys.stderr)
        build: dict[str, Any] = {}
        for which in ("posts", "labourers"):
            build.update(_child_build(url, which))
        results["index_build"] = build
        print(f"built: {build}", file=sys.stderr)
        labourer_ids, post_ids = _sample_ids(url, today, args.labourer_queries, args.post_queries)
        local, engine_top = in_process(url, labourer_ids, post_ids, today)
        results["in_process"] = local
        print(f"in-process: {local}", file=sys.stderr)
        gc.collect()
        results["http"] = over_http(url, labourer_ids, post_ids[: args.http_post_queries])
        print(f"http: {results['http']}", file=sys.stderr)
        results["throughput"] = [
            throughput(url, labourer_ids, workers=w, connections=16, seconds=args.load_s)
            for w in (1, 2)
        ]
        print(f"throughput: {results['throughput']}", file=sys.stderr)
        sql, sql_top = in_sql(url, labourer_ids[: args.sql_queries], today, args.sql_budget_s)
        results["sql"] = sql
        overlap = [len(set(sql_top[i]) & set(engine_top[i])) for i in sql_top]
        results["sql"]["top10_overlap_with_service"] = round(float(np.mean(overlap)), 2)
    sql_p50 = results["sql"]["top10_posts"]["p50_ms"]
    results["ratio_sql_p50_over_in_process_p50"] = round(
        sql_p50 / results["in_process"]["top10_posts"]["p50_ms"], 1
    )
    results["ratio_sql_p50_over_http_p50"] = round(
        sql_p50 / results["http"]["top10_posts"]["p50_ms"], 1
    )
    if "top10_posts_wrk_one_connection" in results["http"]:
        results["ratio_sql_p50_over_http_wrk_p50"] = round(
            sql_p50 / results["http"]["top10_posts_wrk_one_connection"]["p50_ms"], 1
        )
    results["run_s"] = round(time.perf_counter() - run_started, 1)
    print(json.dumps(results, ensure_ascii=False))


if __name__ == "__main__":
    main()
