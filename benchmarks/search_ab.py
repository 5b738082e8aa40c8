"""A plan's candidate search alone, with older revisions' code and this checkout's, in turn on
one database, each in a fresh process and in that process's one thread (no Dask: the search's
own work, not the engine's); and whether every side finds the same candidates.

    .venv/bin/python benchmarks/search_ab.py --pg postgresql+psycopg://... --old 21461a0 fae8808
(`benchmarks/run search-ab "REV …" [SCALE]` starts a throwaway PostgreSQL and runs this.) The
data are plan_bench's province (湖南, labourers 40% near and 60% on the coast) at `--scale`
(a quarter by default: 500,000 labourers, 50,000 posts). Each side searches every seeker's 10
best posts as a plan does (三无 seekers against every post, the others without public-welfare
posts), from the indexes it builds first (not timed). Its candidates (labourer rows, post ids,
float32 scores) are compared with the first side's, array for array.
"""

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from _server import BENCH_ENV, fresh_database, migrate, worktree
from plan_bench import SIZES, load
from sqlalchemy import text

K = 10


def search_once(url: str, out: Path) -> dict[str, Any]:
    """The search in this process, with whichever `matching` is on the path."""
    from matching import clock
    from matching.compute import InlineBatch
    from matching.database import make_engine, make_sessionmaker, session_scope
    from matching.matches.matcher import Matcher
    from matching.matches.read_model import ReadModel
    from matching.planning.candidates import Blocking, Candidates, best_posts
    from matching.settings import Settings

    settings = Settings(database_url=url, warm_indexes=False)
    engine = make_engine(url)
    matching = Matcher(settings)
    today = clock.today()
    for session in session_scope(make_sessionmaker(engine), write=False):
        indexes = ReadModel(matching, session, today)
        table = indexes.post_table(today)
        ids = np.fromiter(session.scalars(text("SELECT id FROM labourers ORDER BY id")), np.int64)
        _, labourers = indexes.labourer_rows(ids)
    seeking = np.asarray(labourers.columns["seeking"], dtype=np.bool_)
    seekers = labourers.take(np.flatnonzero(seeking).astype(np.int64))
    sanwu = np.asarray(seekers.columns["sanwu"], dtype=np.bool_)
    without_welfare = replace(table, usable=table.usable & ~table.arrays.public_welfare)
    started = time.perf_counter()
    parts = []
    for who, posts in ((np.flatnonzero(sanwu), table), (np.flatnonzero(~sanwu), without_welfare)):
        found = best_posts(matching.context, seekers.take(who.astype(np.int64)).pack(), posts,
                           today=today, wanted=[K] * len(who), batch=InlineBatch(), table=table,
                           blocking=Blocking())  # fmt: skip
        parts.append((who, found))
    merged = Candidates.merged(parts)
    seconds = time.perf_counter() - started
    np.savez(out, rows=merged.rows, posts=merged.posts, scores=merged.scores)
    engine.dispose()
    return {"search_s": round(seconds, 2), "seekers": len(seekers), "pairs": len(merged.rows)}


def _side(url: str, source: Path | None, out: Path) -> dict[str, Any]:
    env = {**os.environ, **BENCH_ENV}
    if source is not None:
        env["PYTHONPATH"] = f"{source}{os.pathsep}{env.get('PYTHONPATH', '')}"
    result = subprocess.run(
        [sys.executable, __file__, "--search-once", str(out), "--pg", url],
        check=True, capture_output=True, text=True, env=env,
    )  # fmt: skip
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def _same(a: Path, b: Path) -> bool:
    first, second = np.load(a), np.load(b)
    return all(np.array_equal(first[name], second[name]) for name in ("rows", "posts", "scores"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pg", required=True, help="a PostgreSQL server URL (postgresql+psycopg)")
    parser.add_argument("--scale", type=float, default=0.25, help="fraction of the province")
    parser.add_argument("--old", nargs="*", default=[], help="older revisions to search with")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--search-once", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.search_once:
        print(json.dumps(search_once(args.pg, Path(args.search_once))))
        return
    region, n_labourers, n_posts = SIZES["province"]
    n_labourers, n_posts = int(n_labourers * args.scale), int(n_posts * args.scale)
    out: dict[str, Any] = {"scale": args.scale, "labourers": n_labourers, "posts": n_posts}
    with (
        tempfile.TemporaryDirectory() as tmp,
        fresh_database(args.pg, Path(tmp), "search_ab") as url,
    ):
        migrate(url)
        out["data"] = load(url, region, n_labourers, n_posts)
        with contextlib.ExitStack() as trees:
            here = subprocess.run(["git", "rev-parse", "--short", "HEAD"], check=True,
                                  capture_output=True, text=True).stdout.strip()  # fmt: skip
            sides: list[tuple[str, Path | None]] = [
                *((rev, trees.enter_context(worktree(rev)) / "src") for rev in args.old),
                (f"{here} (this checkout)", None),
            ]
            times: dict[str, list[float]] = {name: [] for name, _ in sides}
            found: dict[str, Path] = {}
            for run in range(args.runs):  # the order of the sides alternates between runs
                for name, source in sides if run % 2 == 0 else reversed(sides):
                    path = Path(tmp) / f"{name.split()[0]}-{run}.npz"
                    result = _side(url, source, path)
                    times[name].append(result["search_s"])
                    out.setdefault("seekers", result["seekers"])
                    found.setdefault(name, path)
        reference = found[sides[0][0]]
        out["sides"] = {
            name: {
                "search_s": values,
                "median_s": float(np.median(values)),
                "same_candidates_as_first": _same(reference, found[name]),
            }
            for name, values in times.items()
        }
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
