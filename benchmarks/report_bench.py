"""Benchmark the monthly targets report for a province on PostgreSQL.

    .venv/bin/python benchmarks/report_bench.py --pg postgresql+psycopg://postgres@127.0.0.1:5432/postgres
    .venv/bin/python benchmarks/report_bench.py --pg ... --scale 0.1   # a quick try
(benchmarks/run report starts a throwaway PostgreSQL and runs this.) Loads 1,000,000 labourers
of 湖南 (43) spread over its townships, their status histories, 5,000,000 pushes over 2026,
300,000 jobs and 1,000,000 service records, then times the report for the province (its 14
prefectures as the child table) and for one county over HTTP and in-process. Prints one JSON
object. Target: the province report in ≤ 10 s.
"""

import argparse
import io
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import psycopg
from _server import fresh_database, running_service
from sqlalchemy.engine import make_url

from matching.auth.models import Role
from matching.auth.principal import Principal
from matching.database import make_engine, make_sessionmaker
from matching.labourers.models import EmploymentStatus
from matching.regions.registry import RegionLevel, get_registry
from matching.reports.schemas import TargetsReport
from matching.reports.service import targets_report

SEED = 20261123
PROVINCE = "43"
TODAY = date(2026, 11, 20)
MONTH = "2026-10"
COUNTY = "430981"  # 沅江市
EPOCH = date(2026, 1, 1)
STATUSES = np.array([s.value for s in EmploymentStatus])


def _psycopg_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _copy(conn: psycopg.Connection[Any], table: str, columns: str, lines: list[str]) -> None:
    """COPY rows given as tab-separated text lines, in 64 MB pieces."""
    with conn.cursor() as cur, cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        buffer = io.StringIO()
        for line in lines:
            buffer.write(line)
            if buffer.tell() > 64 * 2**20:
                copy.write(buffer.getvalue())
                buffer = io.StringIO()
        copy.write(buffer.getvalue())


def _days(offsets: np.ndarray) -> list[str]:
    base = np.datetime64(EPOCH.isoformat())
    return list((base + offsets.astype("timedelta64[D]")).astype(str))


def load(url: str, n_labourers: int, n_pushes: int, n_posts: int) -> dict[str, float]:
    """Generate the province and COPY it into the migrated database."""
    rng = np.random.default_rng(SEED)
    registry = get_registry()
    towns = np.array(
        [r.code for r in registry.regions(RegionLevel.township) if r.code.startswith(PROVINCE)]
    )
    started = time.perf_counter()
    ids = np.arange(1, n_labourers + 1)
    home = towns[rng.integers(0, len(towns), n_labourers)]
    ability = rng.choice(np.array(["full", "partial", "none"]), n_labourers, p=[0.85, 0.12, 0.03])
    wants = rng.random(n_labourers) < 0.92
    poverty = rng.choice(
        np.array(["registered", "exited", "monitored"]), n_labourers, p=[0.3, 0.6, 0.1]
    )
    labourers = [
        f"{i}\t劳动力{i}\t{h}\tH{i // 3}\t{p}\t{a}\t{'t' if w else 'f'}\tcounty\t[]\t[]\t"
        f"f\tf\tf\t{i}\t2025-01-01 00:00:00+00\t2025-01-01 00:00:00+00\n"
        for i, h, p, a, w in zip(ids.tolist(), home.tolist(), poverty.tolist(), ability.tolist(),
                                 wants.tolist(), strict=True)
    ]  # fmt: skip
    # Everyone's first period in mid-2025; 40% change status once during 2026.
    first = rng.choice(STATUSES, n_labourers, p=[0.55, 0.15, 0.08, 0.08, 0.04, 0.05, 0.05])
    periods = [f"{i}\t{s}\t2025-06-01\t2025-06-01 00:00:00+00\n"
               for i, s in zip(ids.tolist(), first.tolist(), strict=True)]  # fmt: skip
    changed = ids[rng.random(n_labourers) < 0.4]
    change_days = _days(rng.integers(0, 320, len(changed)))
    change_to = rng.choice(STATUSES, len(changed), p=[0.3, 0.3, 0.1, 0.1, 0.05, 0.1, 0.05])
    periods += [
        f"{i}\t{s}\t{d}\t2026-01-01 00:00:00+00\n"
        for i, s, d in zip(changed.tolist(), change_to.tolist(), change_days, strict=True)
    ]
    posts = [
        f"{p}\tstation\t某某公司{p % 3000}\t{'workshop' if p % 7 == 0 else 'enterprise'}\t普工\t"
        f"{towns[p % len(towns)]}\t50\t40\t3000\t4500\t2025-12-01\topen\t[]\t{p:064x}\t"
        f"{p:064x}\t{p}\t2025-12-01 00:00:00+00\t2025-12-01 00:00:00+00\tany\tf\tf\tf\n"
        for p in range(1, n_posts + 1)
    ]  # fmt: skip
    # Pushes: uniform over labourers, posts and days of 2026 so far; one per pair and month.
    who = rng.integers(1, n_labourers + 1, n_pushes)
    what = rng.integers(1, n_posts + 1, n_pushes)
    day = rng.integers(0, (TODAY - EPOCH).days, n_pushes)
    month = (np.datetime64(EPOCH.isoformat()) + day.astype("timedelta64[D]")).astype(
        "datetime64[M]"
    )
    key = (who.astype(np.int64) * n_posts + what) * 12 + month.astype(np.int64) % 12
    _, keep = np.unique(key, return_index=True)
    who, what, day, month = who[keep], what[keep], day[keep], month[keep]
    hired = rng.random(len(who)) < 0.08
    hire_day = day + rng.integers(0, 90, len(who))
    pushed_on, hired_on = _days(day), _days(hire_day)
    until = _days(day + 60)
    months = month.astype(str).tolist()
    pushes = [
        f"{i + 1}\t{w}\t{p}\t{m}\t{d}\t{d} 02:00:00+00\t{home[w - 1]}\tapp\tstaff\t{{}}\t[]\t"
        f"{'hired' if h else 'pushed'}\t{d} 02:00:00+00\t{hd if h else chr(92) + 'N'}\t{u}\n"
        for i, (w, p, m, d, h, hd, u) in enumerate(zip(who.tolist(), what.tolist(), months,
                                                       pushed_on, hired.tolist(), hired_on, until,
                                                       strict=True))
    ]  # fmt: skip
    n_jobs = n_labourers * 3 // 10
    job_people = rng.choice(ids, n_jobs, replace=False)
    job_start = rng.integers(-500, 300, n_jobs)
    job_end = np.where(
        rng.random(n_jobs) < 0.3, job_start + rng.integers(30, 400, n_jobs), -(10**6)
    )
    starts, ends = _days(job_start), _days(np.maximum(job_end, job_start))
    wages = rng.integers(20, 80, n_jobs) * 100
    jobs = [
        f"{i}\t某单位\t{home[i - 1]}\tt\tf\t{s}\t{e if je > -10**6 else chr(92) + 'N'}\t{w}\t"
        "2026-01-01 00:00:00+00\n"
        for i, s, e, je, w in zip(job_people.tolist(), starts, ends, job_end.tolist(),
                                  wages.tolist(), strict=True)
    ]  # fmt: skip
    n_services = n_labourers
    service_people = rng.integers(1, n_labourers + 1, n_services)
    kinds = rng.choice(np.array(["recommendation", "guidance", "training_info"]), n_services)
    services = [
        f"{i}\t{k}\t{d}\t2026-01-01 00:00:00+00\n"
        for i, k, d in zip(service_people.tolist(), kinds.tolist(),
                           _days(rng.integers(0, 320, n_services)), strict=True)
    ]  # fmt: skip
    generated = time.perf_counter() - started
    started = time.perf_counter()
    with psycopg.connect(_psycopg_url(url)) as conn:
        _copy(
            conn,
            "labourers",
            "id, name, hukou_region, household_id, poverty_status, "
            "labour_ability, wants_work, relocation, preferred_occupations, unresolved_skills, "
            "sanwu, lianghousheng, disabled, change_seq, created_at, updated_at",
            labourers,
        )
        _copy(
            conn,
            "labourer_status_periods",
            "labourer_id, status, effective_from, recorded_at",
            periods,
        )
        _copy(
            conn,
            "posts",
            "id, source, employer, post_type, title, workplace_region, openings, "
            "openings_left, wage_min, wage_max, valid_from, status, unresolved_skills, "
            "fingerprint, content_hash, change_seq, created_at, updated_at, sex_requirement, "
            "housing, meals, seasonal",
            posts,
        )
        _copy(
            conn,
            "pushes",
            "id, labourer_id, post_id, month, pushed_on, pushed_at, "
            "labourer_region, channel, pushed_by, breakdown, reasons, state, state_at, hired_on, "
            "attribution_until",
            pushes,
        )
        _copy(
            conn,
            "employments",
            "labourer_id, employer, workplace_region, in_organisation, "
            "public_welfare, start_date, end_date, monthly_wage, created_at",
            jobs,
        )
        _copy(conn, "service_records", "labourer_id, kind, provided_on, recorded_at", services)
        for table in ("labourers", "posts", "pushes"):
            conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                         f"(SELECT max(id) FROM {table}))")  # fmt: skip
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE")
    return {
        "generate_s": round(generated, 1),
        "load_s": round(time.perf_counter() - started, 1),
        "labourers": n_labourers,
        "status_periods": len(periods),
        "pushes": len(pushes),
        "employments": n_jobs,
        "service_records": n_services,
    }


def _timed(call: Callable[[], object], runs: int) -> dict[str, float]:
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - started)
    return {"median_s": round(statistics.median(seconds), 3), "min_s": round(min(seconds), 3),
            "max_s": round(max(seconds), 3), "runs": runs}  # fmt: skip


def measure(url: str, base: str, headers: dict[str, str], runs: int) -> dict[str, Any]:
    """Time the province and county reports in-process and over HTTP."""
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    admin = Principal(key_id=0, role=Role.admin)

    def in_process(region: str) -> Callable[[], TargetsReport]:
        def call() -> TargetsReport:
            with sessions() as session:
                return targets_report(
                    session, region=region, month=MONTH, today=TODAY, principal=admin,
                    attribution_days=60,
                )  # fmt: skip

        return call

    def over_http(region: str, suffix: str = "") -> Callable[[], object]:
        def call() -> object:
            response = httpx.get(
                f"{base}/v1/reports/targets{suffix}",
                params={"region": region, "month": MONTH},
                headers=headers,
                timeout=600,
            )
            response.raise_for_status()
            return response

        return call

    report = in_process(PROVINCE)()
    out: dict[str, Any] = {
        "province_figures": {f.key: f.value for f in report.figures},
        "province_children": len(report.children),
        "province_in_process": _timed(in_process(PROVINCE), runs),
        "province_http": _timed(over_http(PROVINCE), runs),
        "province_xlsx_http": _timed(over_http(PROVINCE, ".xlsx"), 1),
        "county_http": _timed(over_http(COUNTY), runs),
        "target_province_s": 10,
    }
    engine.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pg", required=True, help="a PostgreSQL server URL (postgresql+psycopg)")
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the full size")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    n_labourers, n_pushes = int(1_000_000 * args.scale), int(5_000_000 * args.scale)
    out: dict[str, Any] = {"scale": args.scale}
    with (
        tempfile.TemporaryDirectory() as tmp,
        fresh_database(args.pg, Path(tmp), "report_bench") as url,
        running_service(url) as (base, _env, headers),
    ):
        out["data"] = load(url, n_labourers, n_pushes, n_posts=20_000)
        out.update(measure(url, base, headers, args.runs))
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
