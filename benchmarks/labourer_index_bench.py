"""The labourer index at province size: its build, and what two web workers share of it.

Seeds N labourers (default 2,000,000, the matching benchmark's generator) and a few posts into a
fresh PostgreSQL database, then, on that one database:

1. builds the labourer index in a fresh process, with REV's code (`--old REV`) and then with
   this checkout's, each `--runs` times alternated: seconds, and the peak and retained growth of
   the process's resident memory over what it held before the build;
2. runs the service (`matching serve`) with one web worker, then with two, waits until every
   worker has built (or mapped) its indexes, and sums the proportional set size (PSS) of the
   service's processes: a page that two processes share counts half to each, so the sum is the
   memory the service really takes. The ratio two/one is issue 14's "two web workers together
   use ≤ 1.2 × the memory of one".

Usage: benchmarks/run labourer-index [REV] [N]
"""

import argparse
import contextlib
import gc
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import psutil
from _server import BENCH_ENV, fresh_database, migrate, running_service, service_pid, worktree
from matching_bench import _rss_kb, load

from matching import clock


def measure_build(url: str, store: str | None) -> dict[str, Any]:
    """In a fresh process: build today's labourer index from the database (child mode)."""
    from sqlalchemy.orm import Session

    from matching.database import make_engine, make_sessionmaker
    from matching.matches.matcher import Matcher
    from matching.settings import Settings

    extra = {} if store is None else {"index_store": store}
    settings = Settings(database_url=url, **extra)
    factory = make_sessionmaker(make_engine(url))
    today = clock.today()
    Matcher(settings).context  # noqa: B018 - the taxonomy matrix: per process, not per index
    gc.collect()
    with contextlib.suppress(OSError):  # reset the peak-RSS mark (VmHWM) to now
        Path("/proc/self/clear_refs").write_text("5")
    rss0 = _rss_kb()
    started = time.perf_counter()
    matcher = Matcher(settings)
    session: Session
    with factory() as session:
        snapshot = matcher.labourer_snapshot(session, today)
    seconds = time.perf_counter() - started
    gc.collect()
    return {
        "indexed": len(snapshot),
        "build_s": round(seconds, 2),
        "peak_mb": round((_rss_kb("VmHWM") - rss0) / 1024, 1),
        "retained_mb": round((_rss_kb() - rss0) / 1024, 1),
    }


def _child_build(url: str, source: Path | None, store: str | None) -> dict[str, Any]:
    env = {**os.environ, **BENCH_ENV, "MATCHING_DATABASE_URL": url}
    if source is not None:
        env["PYTHONPATH"] = f"{source}{os.pathsep}{env.get('PYTHONPATH', '')}"
    args = [sys.executable, __file__, "--measure-build", "--pg", url]
    if store is not None:
        args += ["--store", store]
    result = subprocess.run(args, env=env, check=True, capture_output=True, text=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def _memory_mb(root: int, store: Path) -> dict[str, float]:
    """The memory a process tree takes: each process's proportional set size (a page shared by
    two processes counts half to each) less its share of the store's files, plus the store's
    files whole (they sit in shared memory whether or not every page is mapped)."""
    processes = [psutil.Process(root)]
    processes += processes[0].children(recursive=True)
    pss = store_pss = 0
    for process in processes:
        with contextlib.suppress(psutil.Error):
            pss += process.memory_full_info().pss
            for region in process.memory_maps(grouped=True):
                if region.path.startswith(str(store)):
                    store_pss += region.pss
    files = sum(f.stat().st_size for f in store.glob("*.idx")) if store.is_dir() else 0
    return {
        "processes": len(processes),
        "total_mb": round((pss - store_pss + files) / 2**20, 1),
        "store_files_mb": round(files / 2**20, 1),
    }


def _service_memory(url: str, workers: int, post_id: int | None, store: Path) -> dict[str, Any]:
    """Start the service with `workers` web workers sharing `store`; its memory once every
    worker has its indexes (`post_id`: a post whose candidates to ask for first)."""
    shutil.rmtree(store, ignore_errors=True)
    os.environ["MATCHING_INDEX_STORE"] = str(store)
    try:
        with running_service(url, workers=workers) as (base, _, headers):
            server = service_pid(base)
            started = time.perf_counter()
            with httpx.Client(base_url=base, headers=headers, timeout=600) as client:
                # Each worker builds (or maps) its indexes at start-up; a candidates request
                # waits for the labourer index of the worker that answers it, and the memory
                # settles when the others are done too.
                if post_id is not None:
                    path = f"/v1/posts/{post_id}/candidates"
                    client.get(path, params={"k": 10}).raise_for_status()
            ready_s = time.perf_counter() - started
            stable, previous = 0, 0.0
            while stable < 3:  # the index threads have finished when the memory stops moving
                time.sleep(2)
                now = _memory_mb(server, store)["total_mb"]
                stable = stable + 1 if abs(now - previous) < 0.01 * now else 0
                previous = now
            return {"workers": workers, "ready_s": round(ready_s, 1)} | _memory_mb(server, store)
    finally:
        os.environ.pop("MATCHING_INDEX_STORE", None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pg", required=True, help="a PostgreSQL server URL (postgresql+psycopg)")
    parser.add_argument("--labourers", type=int, default=2_000_000)
    parser.add_argument("--old", help="the revision to build with first, side by side")
    parser.add_argument("--runs", type=int, default=2, help="builds per revision")
    parser.add_argument("--database", help="an already seeded database URL (skips the seeding)")
    parser.add_argument("--skip-builds", action="store_true", help="only the service's memory")
    parser.add_argument("--measure-build", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--store", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure_build:
        print(json.dumps(measure_build(args.pg, args.store)))
        return
    os.environ.update(BENCH_ENV)
    results: dict[str, Any] = {"labourers": args.labourers, "cpu_count": os.cpu_count()}
    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        if args.database:
            url = args.database
        else:
            url = stack.enter_context(fresh_database(args.pg, tmp, "bench_labourer_index"))
            migrate(url)
            seeded = load(url, 2_000, args.labourers, clock.today())
            results["data"] = {k: round(v, 1) for k, v in seeded.items()}
            print(f"loaded: {results['data']}", file=sys.stderr)
        old = stack.enter_context(worktree(args.old)) / "src" if args.old else None
        builds: dict[str, list[dict[str, Any]]] = {"old": [], "new": []}
        for run in range(args.runs if not args.skip_builds else 0):
            if old is not None:
                builds["old"].append(_child_build(url, old, None))
            store = str(tmp / f"store-{run}")
            builds["new"].append(_child_build(url, None, store))
            print(f"build {run}: {builds['old'][-1:]} {builds['new'][-1]}", file=sys.stderr)
        for side, runs in builds.items():
            if runs:
                results[f"build_{side}"] = {
                    key: statistics.median(r[key] for r in runs)
                    for key in ("build_s", "peak_mb", "retained_mb")
                } | {"runs": runs}
        if args.old:
            results["build_old_revision"] = args.old
        store = Path(tempfile.mkdtemp(prefix="bench-index-", dir="/dev/shm"))
        stack.callback(shutil.rmtree, store, True)
        memory = [_service_memory(url, w, 1, store) for w in (1, 2)]
        # The same service on an empty database: what a worker takes with no index at all
        # (the interpreter, the libraries, the taxonomy), which a second worker adds whatever
        # the index does.
        empty = stack.enter_context(fresh_database(args.pg, tmp, "bench_labourer_index_empty"))
        idle = [_service_memory(empty, w, None, store) for w in (1, 2)]
        results["service"] = memory
        results["service_without_data"] = idle
        results["two_workers_over_one"] = round(memory[1]["total_mb"] / memory[0]["total_mb"], 2)
        index = [m["total_mb"] - i["total_mb"] for m, i in zip(memory, idle, strict=True)]
        results["index_memory_mb"] = index
        results["index_memory_two_workers_over_one"] = round(index[1] / index[0], 2)
    print(json.dumps(results, ensure_ascii=False))


if __name__ == "__main__":
    main()
