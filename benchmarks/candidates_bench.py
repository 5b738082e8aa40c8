"""Benchmark the plan's candidate search on a province: region blocking against the exact search.

    .venv/bin/python benchmarks/candidates_bench.py --pg postgresql+psycopg://...
    .venv/bin/python benchmarks/candidates_bench.py --pg ... --scale 0.1 --sample 1000
(benchmarks/run candidates starts a throwaway PostgreSQL and runs this.) The province of
benchmarks/plan_bench.py (2,000,000 labourers of 湖南, 200,000 posts) is loaded, then, in one
process on the same indexes:

- the blocked search (planning.candidates.Blocking, the default and a narrower setting) of
  every seeker's 10 best posts: time on the configured workers, pairs found, peak memory;
- the exact search (every post in reach) of a random sample of seekers, and how much of it each
  blocked search kept: recall of the exact top 10 by willingness, and the loss in the sum of
  the 10 scores.

With `--plan-scale S` (default 0.05) a province of that fraction is loaded too and planned twice,
with exact and with blocked candidates: the plans' reach and expected hires side by side (the
exact search of a whole province takes hours, so the plan-level comparison is made smaller).
"""

import argparse
import json
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from _server import fresh_database, migrate
from matching_bench import _rss_kb
from plan_bench import SIZES, load

from matching import clock
from matching.auth.models import Role
from matching.auth.principal import Principal
from matching.clock import china_date
from matching.compute import engine_for
from matching.database import make_engine, make_sessionmaker, session_scope
from matching.matches.matcher import Matcher
from matching.matches.read_model import ReadModel
from matching.planning.candidates import Blocking, Candidates, best_posts
from matching.planning.service import PlanParams, PlanRules, build_plan
from matching.pushes.models import Channel
from matching.scoring import LabourerProfile
from matching.settings import Settings

SETTINGS = {"default": Blocking(), "narrower": Blocking(far_per_skill=6)}
K = 10


def _by_row(found: Candidates, rows: dict[int, int]) -> dict[int, dict[int, float]]:
    """Sample position → {post: score} for the candidate rows that are in the sample."""
    out: dict[int, dict[int, float]] = {}
    for row, post, score in zip(found.rows.tolist(), found.posts.tolist(),
                                found.scores.tolist(), strict=True):  # fmt: skip
        if (at := rows.get(row)) is not None:
            out.setdefault(at, {})[post] = score
    return out


def candidates(url: str, sample: int) -> dict[str, Any]:
    """Blocked searches of every seeker against the exact search of a sample."""
    settings = Settings(database_url=url, warm_indexes=False)
    engine = make_engine(url)
    matching = Matcher(settings)
    today = clock.today()
    started = time.perf_counter()
    for session in session_scope(make_sessionmaker(engine), write=False):
        posts = ReadModel(matching, session, today).post_table()
        labourers = matching.labourer_snapshot(session, today)
    out: dict[str, Any] = {"indexes_s": round(time.perf_counter() - started, 1)}
    seekers: list[LabourerProfile] = [p for p in labourers.records.values() if p.able_and_seeking]
    out["seekers"] = len(seekers)
    picked = np.sort(np.random.default_rng(7).choice(len(seekers), size=sample, replace=False))
    chosen = [seekers[i] for i in picked.tolist()]
    started = time.perf_counter()
    compute = engine_for(settings.dask_scheduler, settings.dask_workers)
    with compute.batch() as batch:
        exact = best_posts(matching.context, chosen, posts, today=today,
                           wanted=[K] * len(chosen), batch=batch, blocking=None)  # fmt: skip
    out["exact_sample"] = {"seekers": sample, "s": round(time.perf_counter() - started, 1)}
    truth = _by_row(exact, {i: i for i in range(sample)})
    for name, blocking in SETTINGS.items():
        started = time.perf_counter()
        with compute.batch() as batch:
            found = best_posts(matching.context, seekers, posts, today=today,
                               wanted=[K] * len(seekers), batch=batch,
                               blocking=blocking)  # fmt: skip
        seconds = time.perf_counter() - started
        got = _by_row(found, {int(r): i for i, r in enumerate(picked.tolist())})
        kept: dict[str, list[int]] = {}
        losses = []
        for i, best in truth.items():
            mine = got.get(i, {})
            willing = chosen[i].willingness.name
            counts = kept.setdefault(willing, [0, 0])
            counts[0] += len(best.keys() & mine.keys())
            counts[1] += len(best)
            losses.append(1 - sum(mine.values()) / sum(best.values()))
        out[name] = {
            "blocking": {f: getattr(blocking, f) for f in blocking.__dataclass_fields__},
            "s": round(seconds, 1),
            "pairs": len(found.rows),
            "recall": round(sum(c[0] for c in kept.values()) / sum(c[1] for c in kept.values()), 4),
            "recall_by_willingness": {w: round(c[0] / c[1], 3) for w, c in kept.items()},
            "score_sum_loss": round(float(np.mean(losses)), 5),
        }
    out["peak_rss_mb"] = round(_rss_kb("VmHWM") / 1024, 1)
    engine.dispose()
    return out


def plans(url: str) -> dict[str, Any]:
    """The same month planned with exact and with blocked candidates."""
    settings = Settings(database_url=url, warm_indexes=False)
    engine = make_engine(url)
    matching = Matcher(settings)
    params = PlanParams(pushes_per_labourer=3, pushes_per_opening=5, candidates_per_labourer=K,
                        coverage=0.5, min_probability=0.0, channel=Channel.app)  # fmt: skip
    out: dict[str, Any] = {}
    for name, blocking in (("exact", None), ("blocked", Blocking())):
        for session in session_scope(make_sessionmaker(engine)):
            now = datetime.now(UTC)
            plan = build_plan(session, ReadModel(matching, session, china_date(now)), region="43",
                              params=params, principal=Principal(key_id=0, role=Role.admin),
                              now=now, rules=PlanRules(),
                              engine=engine_for(settings.dask_scheduler,
                                                settings.dask_workers),
                              blocking=blocking)  # fmt: skip
            s = plan.summary
            keys = ("unemployed_willing", "candidate_pairs", "planned_pushes", "planned_reach",
                    "expected_hires")  # fmt: skip
            out[name] = {k: s[k] for k in keys}
            out[name]["candidates_s"] = s["timings"]["candidates_s"]
            session.rollback()
    out["expected_hires_loss"] = round(
        1 - out["blocked"]["expected_hires"] / out["exact"]["expected_hires"], 5
    )
    engine.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pg", required=True, help="a PostgreSQL server URL (postgresql+psycopg)")
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the province")
    parser.add_argument("--sample", type=int, default=3000, help="seekers searched exactly")
    parser.add_argument("--plan-scale", type=float, default=0.05)
    args = parser.parse_args()
    region, n_labourers, n_posts = SIZES["province"]
    out: dict[str, Any] = {"scale": args.scale}
    with tempfile.TemporaryDirectory() as tmp:
        with fresh_database(args.pg, Path(tmp), "candidates") as url:
            migrate(url)
            out["data"] = load(url, region, int(n_labourers * args.scale),
                               int(n_posts * args.scale))  # fmt: skip
            out["candidates"] = candidates(url, args.sample)
        if args.plan_scale > 0:
            with fresh_database(args.pg, Path(tmp), "candidate_plans") as url:
                migrate(url)
                load(url, region, int(n_labourers * args.plan_scale),
                     int(n_posts * args.plan_scale))  # fmt: skip
                out["plans"] = {"scale": args.plan_scale, **plans(url)}
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
