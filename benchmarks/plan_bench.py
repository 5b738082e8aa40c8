"""Benchmark monthly plans end to end on PostgreSQL: candidates from the matching engine,
calibration, the min-cost-flow optimiser, and storing the plan.

    .venv/bin/python benchmarks/plan_bench.py --pg postgresql+psycopg://... --which county
    .venv/bin/python benchmarks/plan_bench.py --pg ... --which province --scale 0.1
    .venv/bin/python benchmarks/plan_bench.py --pg ... --which province --old REV
(benchmarks/run plan starts a throwaway PostgreSQL and runs this; `benchmarks/run province-ab
REV` the last: the plan of REV's code, from a worktree, then this checkout's, on one database.)
County: 50,000 labourers of 沅江市 (430981) and 20,000 posts; province: 2,000,000 labourers of 湖南
(43) and 200,000 posts, solved county by county. Posts are 40% near the labourers and 60% in
the coastal provinces, as in benchmarks/matching_bench.py. Each plan runs in a fresh process,
so its time includes building the matching indexes; its peak memory is the planning process's
(VmHWM) and, sampled every 0.2 s, that of the process with every process it started (forked or
Dask workers).
Targets: county ≤ 30 s within 2 GB; province ≤ 10 minutes.
"""

import argparse
import contextlib
import inspect
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import psutil
import psycopg
from _server import BENCH_ENV, fresh_database, migrate, worktree
from matching_bench import (
    LABOURER_COLUMNS,
    POST_COLUMNS,
    SEED,
    World,
    _copy,
    _psycopg_url,
    _rss_kb,
    labourer_rows,
    post_rows,
)

from matching import clock
from matching.auth.models import Role
from matching.auth.principal import Principal
from matching.clock import china_date
from matching.database import make_engine, make_sessionmaker, session_scope
from matching.matches.matcher import Matcher
from matching.matches.read_model import ReadModel
from matching.planning.service import PlanParams, PlanRules, build_plan
from matching.pushes.models import Channel
from matching.regions.registry import RegionLevel, get_registry
from matching.settings import Settings

SIZES = {
    "county": ("430981", 50_000, 20_000),
    "province": ("43", 2_000_000, 200_000),
    # Four labour-source provinces, each as large as the province (湖南 广西 贵州 四川); their
    # posts' coastal 60% are shared by all four. Plans are made for 湖南 (issue 14, item 6).
    "four": ("43,45,52,51", 8_000_000, 800_000),
}


def load(url: str, region: str, n_labourers: int, n_posts: int) -> dict[str, float]:
    """Labourers of the region (by real townships), posts near them and on the coast; for
    regions given as a comma-separated list, each region's share of both in turn (one part
    in memory at a time), with ids following on."""
    regions = region.split(",")
    generated = loaded = 0.0
    for part, code in enumerate(regions):
        started = time.perf_counter()
        world = World(np.random.default_rng(SEED))
        counties = [
            c.code for c in get_registry().regions(RegionLevel.county) if c.code.startswith(code)
        ]
        rng = np.random.default_rng(SEED + 5 + part)
        weights = rng.lognormal(0.0, 0.5, len(counties))
        world.labour_counties, world.labour_p = counties, weights / weights.sum()
        today = clock.today()
        n_lab, n_post = n_labourers // len(regions), n_posts // len(regions)
        people, owned, periods = labourer_rows(n_lab, world, today, SEED + 1 + 10 * part)
        posts, post_skills = post_rows(n_post, world, today, SEED + 2 + 10 * part)
        if part:  # ids, and what is made from them, follow the parts before
            people, owned, periods, posts, post_skills = _shifted(
                part * n_lab, part * n_post, people, owned, periods, posts, post_skills
            )
        generated += time.perf_counter() - started
        started = time.perf_counter()
        with psycopg.connect(_psycopg_url(url)) as conn:
            _copy(conn, "labourers", LABOURER_COLUMNS, people)
            _copy(conn, "labourer_skills", "labourer_id, skill_id, level", owned)
            _copy(conn, "labourer_status_periods",
                  "id, labourer_id, status, effective_from, recorded_at", periods)  # fmt: skip
            _copy(conn, "posts", POST_COLUMNS, posts)
            _copy(conn, "post_skills", "post_id, skill_id, required, min_level", post_skills)
            conn.commit()
        del people, owned, periods, posts, post_skills
        loaded += time.perf_counter() - started
    started = time.perf_counter()
    with psycopg.connect(_psycopg_url(url)) as conn:
        for table in ("labourers", "labourer_status_periods", "posts"):
            conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                         f"(SELECT max(id) FROM {table}))")  # fmt: skip
        conn.execute("UPDATE change_counters SET seq = %s WHERE name = 'labourers'", [n_labourers])
        conn.execute("UPDATE change_counters SET seq = %s WHERE name = 'posts'", [n_posts])
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE")
    loaded += time.perf_counter() - started
    return {"generate_s": round(generated, 1), "load_s": round(loaded, 1)}


def _shifted(
    labourers: int, posts: int, *tables: list[tuple[Any, ...]]
) -> list[list[tuple[Any, ...]]]:
    """A later part's rows with its labourer and post ids moved past the earlier parts' (and
    the household ids, change numbers and fingerprints made from them)."""
    people, owned, periods, post_rows_, post_skills = tables
    people = [(r[0] + labourers, *r[1:5], f"HH{(r[0] + labourers - 1) // 3:07d}", *r[6:17],
               r[17] + labourers, *r[18:]) for r in people]  # fmt: skip
    owned = [(r[0] + labourers, *r[1:]) for r in owned]
    periods = [(r[0] + labourers, r[1] + labourers, *r[2:]) for r in periods]
    post_rows_ = [(r[0] + posts, *r[1:21], f"{r[0] + posts:064x}", f"{r[0] + posts:064x}",
                   r[23] + posts, *r[24:]) for r in post_rows_]  # fmt: skip
    post_skills = [(r[0] + posts, *r[1:]) for r in post_skills]
    return [people, owned, periods, post_rows_, post_skills]


class TreeMemory:
    """The peak of the summed RSS of this process and all its descendants, sampled."""

    def __init__(self, every_s: float = 0.2) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, args=(every_s,), daemon=True)
        self._thread.start()

    def _sample(self, every_s: float) -> None:
        me = psutil.Process()
        while not self._stop.wait(every_s):
            total = 0
            for process in [me, *me.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    total += process.memory_info().rss
            self.peak = max(self.peak, total)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def _engine_arguments(settings: Settings) -> dict[str, Any]:
    """How this checkout's build_plan is told where to run: a compute engine, or (the code
    before matching.compute, run by --old) a number of forked workers."""
    if "engine" in inspect.signature(build_plan).parameters:
        from matching.compute import engine_for

        return {"engine": engine_for(settings.dask_scheduler, settings.dask_workers)}
    return {"workers": settings.planner_workers}  # type: ignore[attr-defined]


def plan_once(url: str, region: str, commit: bool = False) -> dict[str, Any]:
    """Build one plan in this (fresh) process: wall time, peak memory, the plan's numbers;
    with `commit`, then commit it as a commit job does (score in one transaction, write in
    another) and time that too."""
    rss0 = _rss_kb("VmHWM")
    tree = TreeMemory()
    settings = Settings(database_url=url, warm_indexes=False)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    matching = Matcher(settings)
    params = PlanParams(pushes_per_labourer=3, pushes_per_opening=5, candidates_per_labourer=10,
                        coverage=0.5, min_probability=0.0, channel=Channel.app)  # fmt: skip
    where = _engine_arguments(settings)
    started = time.perf_counter()
    for session in session_scope(sessions):
        now = datetime.now(UTC)
        plan = build_plan(session, ReadModel(matching, session, china_date(now)), region=region,
                          params=params, principal=Principal(key_id=0, role=Role.admin), now=now,
                          rules=PlanRules(), **where)  # fmt: skip
        summary = dict(plan.summary)
    seconds = time.perf_counter() - started
    committed: dict[str, Any] = {}
    if commit:
        committed = _commit(sessions, matching, plan.id, now, settings, where.get("engine"))
    peak_tree = tree.stop()
    engine.dispose()
    if "engine" in where:
        where["engine"].close()
    return {
        **committed,
        "plan_s": round(seconds, 2),
        "peak_rss_mb": round(_rss_kb("VmHWM") / 1024, 1),
        "peak_rss_growth_mb": round((_rss_kb("VmHWM") - rss0) / 1024, 1),
        "peak_tree_rss_mb": round(peak_tree / 2**20, 1),
        "summary": summary,
    }


def _commit(
    sessions: Any, matching: Matcher, plan_id: int, now: datetime, settings: Settings,
    engine: Any,
) -> dict[str, Any]:  # fmt: skip
    """Commit the plan as planning.jobs' commit job does: its pushes scored in a read
    transaction, then written in one."""
    from matching.planning.commit import score_commit, write_commit

    principal = Principal(key_id=0, role=Role.admin)
    started = time.perf_counter()
    for session in session_scope(sessions, write=False):
        scored = score_commit(session, ReadModel(matching, session, china_date(now)), plan_id,
                              principal=principal, now=now,
                              **({} if engine is None else {"engine": engine}))  # fmt: skip
    scoring = time.perf_counter() - started
    for session in session_scope(sessions):
        assert scored is not None
        plan, _ = write_commit(session, scored, principal=principal, now=now,
                               attribution_days=settings.attribution_days)  # fmt: skip
        result = dict(plan.commit_result or {})
    return {
        "commit_s": round(time.perf_counter() - started, 2),
        "commit_scoring_s": round(scoring, 2),
        "commit_result": result,
    }


def _child(
    url: str, region: str, source: Path | None = None, workers: int | None = None,
    commit: bool = False,
) -> dict[str, Any]:  # fmt: skip
    """One plan in a fresh process; `source`: another checkout's src to plan with; `workers`:
    its Dask workers (1: none, the plan in one thread)."""
    env = {**os.environ, **BENCH_ENV}
    if workers is not None:
        env["MATCHING_DASK_WORKERS"] = str(workers)
    if source is not None:
        env["PYTHONPATH"] = f"{source}{os.pathsep}{env.get('PYTHONPATH', '')}"
    result = subprocess.run(
        [sys.executable, __file__, "--plan-once", region, "--pg", url,
         *(["--commit"] if commit else [])],
        check=True, capture_output=True, text=True, env=env,
    )  # fmt: skip
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pg", required=True, help="a PostgreSQL server URL (postgresql+psycopg)")
    parser.add_argument("--which", choices=["county", "province", "four", "both"], default="both")
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the full size")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--old", help="also plan with this revision's code, in turn with this one")
    parser.add_argument(
        "--workers",
        type=lambda v: [int(w) for w in v.split(",")],
        help="plan with each of these Dask worker counts in turn (e.g. 1,2)",
    )
    parser.add_argument(
        "--commit",
        action="store_true",
        help="also commit each plan (its pushes written) and time that",
    )
    parser.add_argument("--plan-once", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.plan_once:
        print(json.dumps(plan_once(args.pg, args.plan_once, args.commit), ensure_ascii=False))
        return
    out: dict[str, Any] = {"scale": args.scale}
    for which in ("county", "province") if args.which == "both" else (args.which,):
        region, n_labourers, n_posts = SIZES[which]
        n_labourers, n_posts = int(n_labourers * args.scale), int(n_posts * args.scale)
        loaded_regions, region = region, region.split(",")[0]  # plans are for the first
        with (
            tempfile.TemporaryDirectory() as tmp,
            fresh_database(args.pg, Path(tmp), f"plan_{which}") as url,
        ):
            migrate(url)
            result: dict[str, Any] = {"labourers": n_labourers, "posts": n_posts}
            result["data"] = load(url, loaded_regions, n_labourers, n_posts)
            if args.workers:  # the same plan on 1, 2 … Dask workers, in turn
                sweep = [(w, _child(url, region, workers=w)) for _ in range(args.runs)
                         for w in args.workers]  # fmt: skip
                result["by_workers"] = {
                    w: {
                        "plan_s": [r["plan_s"] for v, r in sweep if v == w],
                        "peak_tree_rss_mb": max(r["peak_tree_rss_mb"] for v, r in sweep if v == w),
                        "timings": [r["summary"]["timings"] for v, r in sweep if v == w][-1],
                    }
                    for w in args.workers
                }
                runs = [r for _, r in sweep]
            elif args.old is None:
                runs = [_child(url, region, commit=args.commit) for _ in range(args.runs)]
            else:  # the old code and this checkout's in turn, on the same data
                with worktree(args.old) as tree:
                    both = [
                        (side, _child(url, region, tree / "src" if side == "old" else None))
                        for _ in range(args.runs)
                        for side in ("old", "new")
                    ]
                old = [r for side, r in both if side == "old"]
                runs = [r for side, r in both if side == "new"]
                result["old"] = {
                    "revision": args.old,
                    "plan_s": [r["plan_s"] for r in old],
                    "median_plan_s": float(np.median([r["plan_s"] for r in old])),
                    "peak_rss_mb": max(r["peak_rss_mb"] for r in old),
                    "peak_tree_rss_mb": max(r.get("peak_tree_rss_mb", 0) for r in old),
                    "timings": old[-1]["summary"].get("timings"),
                }
            result["plan_s"] = [r["plan_s"] for r in runs]
            result["median_plan_s"] = float(np.median(result["plan_s"]))
            result["peak_rss_mb"] = max(r["peak_rss_mb"] for r in runs)
            result["peak_tree_rss_mb"] = max(r["peak_tree_rss_mb"] for r in runs)
            result["summary"] = runs[-1]["summary"]
            if args.commit:
                result["commit"] = {key: runs[-1][key] for key in
                                    ("commit_s", "commit_scoring_s", "commit_result")}  # fmt: skip
            out[which] = result
    out["targets"] = {"county_s": 30, "county_mb": 2048, "province_s": 600}
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
