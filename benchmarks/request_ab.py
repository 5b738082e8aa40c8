"""The request path of two revisions, measured interleaved on one machine (issue 14).

    benchmarks/run request-ab REV [SCALE]

Loads the matching benchmark's data once (`matching_bench.load`, 100,000 posts and 500,000
labourers at scale 1), starts the service of REV (its `src`, from a worktree) and of this
checkout side by side on the same database, warms both, then asks each labourer's top-10 and
each post's top-50 of both services in turn, alternating which goes first, so the machine's
noise falls on both alike (an httpx client: its own work is in these figures). Then, with wrk
(a C client), the latency at one connection and the requests a second at 16 connections, in
rounds alternating between the sides.
Prints one JSON object: p50/p99 of each side, the ratios new/old, and the rounds' medians.
"""

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
from _server import BENCH_ENV, ROOT, fresh_database, migrate, running_service, worktree
from _wrk import wrk, wrk_latency
from matching_bench import _percentiles, _sample_ids, load

from matching import clock


def interleaved(clients: dict[str, httpx.Client], paths: list[str]) -> dict[str, list[float]]:
    """Each path of each side in turn, the first side alternating."""
    times: dict[str, list[float]] = {side: [] for side in clients}
    sides = list(clients)
    for i, path in enumerate(paths):
        for side in sides if i % 2 == 0 else sides[::-1]:
            started = time.perf_counter()
            clients[side].get(path).raise_for_status()
            times[side].append(time.perf_counter() - started)
    return times


def load_rounds(
    bases: dict[str, tuple[str, dict[str, str]]], paths: list[str], rounds: int, seconds: float
) -> dict[str, list[float]]:
    """Requests a second at 16 connections, `rounds` rounds of each side, alternating; driven
    by wrk when it is installed (benchmarks/run installs it), else by httpx."""
    found: dict[str, list[float]] = {side: [] for side in bases}
    sides = list(bases)
    for r in range(rounds):
        for side in sides if r % 2 == 0 else sides[::-1]:
            base, headers = bases[side]
            if shutil.which("wrk"):
                found[side].append(wrk(base, headers, paths, 16, seconds))
            else:
                found[side].append(asyncio.run(_load(base, headers, paths, 16, seconds)))
    return found


def latency_rounds(
    bases: dict[str, tuple[str, dict[str, str]]], paths: list[str], rounds: int, seconds: float
) -> dict[str, Any]:
    """p50 and p99 at one connection (wrk), `rounds` rounds of each side, alternating: each
    side's median round, and new over old."""
    found: dict[str, list[dict[str, float]]] = {side: [] for side in bases}
    sides = list(bases)
    for r in range(rounds):
        for side in sides if r % 2 == 0 else sides[::-1]:
            base, headers = bases[side]
            found[side].append(wrk_latency(base, headers, paths, seconds))
    out: dict[str, Any] = {
        side: {
            "rounds": runs,
            "p50_ms": statistics.median(run["p50_ms"] for run in runs),
            "p99_ms": statistics.median(run["p99_ms"] for run in runs),
        }
        for side, runs in found.items()
    }
    for pct in ("p50", "p99"):
        out[f"new_over_old_{pct}"] = round(out["new"][f"{pct}_ms"] / out["old"][f"{pct}_ms"], 2)
    return out


async def _load(
    base: str, headers: dict[str, str], paths: list[str], connections: int, seconds: float
) -> float:
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits,
                                 timeout=600) as client:  # fmt: skip
        done = 0
        stop = time.perf_counter() + seconds

        async def one(worker: int) -> None:
            nonlocal done
            i = worker
            while time.perf_counter() < stop:
                (await client.get(paths[i % len(paths)])).raise_for_status()
                done += 1
                i += connections

        started = time.perf_counter()
        await asyncio.gather(*(one(w) for w in range(connections)))
        return round(done / (time.perf_counter() - started), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pg", required=True, help="a PostgreSQL server URL (postgresql+psycopg)")
    parser.add_argument("--old", required=True, help="the revision to compare with")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--labourers", type=int, default=400)
    parser.add_argument("--posts", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--load-s", type=float, default=10.0)
    parser.add_argument("--latency-s", type=float, default=6.0, help="a wrk latency round")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    os.environ.update(BENCH_ENV)
    today = clock.today()
    n_posts, n_labourers = round(100_000 * args.scale), round(500_000 * args.scale)
    new = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, check=True,
                         capture_output=True, text=True).stdout.strip()  # fmt: skip
    out: dict[str, Any] = {"benchmark": "request_ab", "posts": n_posts, "labourers": n_labourers,
                           "old": args.old, "new": new, "workers": args.workers}  # fmt: skip
    with (
        tempfile.TemporaryDirectory() as tmp,
        fresh_database(args.pg, Path(tmp), "bench_request_ab") as url,
        worktree(args.old) as tree,
        ExitStack() as stack,
    ):
        migrate(url)
        load(url, n_posts, n_labourers, today)
        labourer_ids, post_ids = _sample_ids(url, today, args.labourers, args.posts)
        services = {
            "old": stack.enter_context(running_service(url, args.workers, source=tree / "src")),
            "new": stack.enter_context(running_service(url, args.workers)),
        }
        clients = {side: stack.enter_context(httpx.Client(base_url=base, headers=headers,
                                                          timeout=600))
                   for side, (base, _, headers) in services.items()}  # fmt: skip
        matches = [f"/v1/labourers/{i}/matches?k=10" for i in labourer_ids]
        candidates = [f"/v1/posts/{i}/candidates?k=50" for i in post_ids]
        for client in clients.values():  # every worker builds its indexes
            asyncio.run(_load(str(client.base_url), dict(client.headers), matches[:8], 8, 0.1))
            for path in candidates[:4]:
                client.get(path).raise_for_status()
        for name, paths in (("top10_posts", matches), ("top50_labourers", candidates)):
            times = interleaved(clients, paths)
            shown = {side: _percentiles(t) for side, t in times.items()}
            out[name] = {
                **shown,
                "new_over_old_p50": round(shown["new"]["p50_ms"] / shown["old"]["p50_ms"], 2),
                "new_over_old_p99": round(shown["new"]["p99_ms"] / shown["old"]["p99_ms"], 2),
            }
            print(f"{name}: {out[name]}", file=sys.stderr)
        bases = {side: (base, headers) for side, (base, _, headers) in services.items()}
        if shutil.which("wrk"):
            for name, paths in (("top10_posts", matches), ("top50_labourers", candidates)):
                out[f"{name}_wrk_one_connection"] = latency_rounds(
                    bases, paths, args.rounds, args.latency_s
                )
                print(f"{name} (wrk): {out[f'{name}_wrk_one_connection']}", file=sys.stderr)
        rounds = load_rounds(bases, matches, args.rounds, args.load_s)
        out["load_tool"] = "wrk" if shutil.which("wrk") else "httpx"
        out["requests_per_s_16_connections"] = {
            side: {"rounds": r, "median": statistics.median(r)} for side, r in rounds.items()
        }
        out["requests_per_s_new_over_old"] = round(
            statistics.median(rounds["new"]) / statistics.median(rounds["old"]), 2
        )
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
