"""Where a match request's time goes: py-spy samples the service's worker while one client
asks for labourers' top-10 posts (and then posts' top-50 candidates) one request at a time.

Loads the matching benchmark's data at `--scale` into a fresh PostgreSQL database, starts the
service with one worker, warms it, then records `--seconds` of samples of each request kind
(py-spy, 500 a second, idle threads left out) and prints, per kind, the requests made, their
median, and the functions holding the most samples: inclusive (the function or anything it
called) and own. Function names are py-spy's `name (file:line)`, trimmed to the file's name.

Usage: benchmarks/run request-profile [SCALE]
"""

import argparse
import collections
import json
import os
import random
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from _server import BENCH_ENV, fresh_database, migrate, running_service, service_pid
from matching_bench import _sample_ids, load

from matching import clock

SPY = Path(__file__).resolve().parents[1] / ".venv" / "bin" / "py-spy"


def _frame(frame: str) -> str:
    """`name (path/to/file.py:12)` → `name (file.py)`: lines differ between calls of a
    function, and the totals are per function."""
    name, _, where = frame.partition(" (")
    file = where.rsplit(":", 1)[0].rsplit("/", 1)[-1]
    return f"{name} ({file})" if file else name


def summarise(raw: Path, top: int) -> dict[str, Any]:
    """Inclusive and own sample shares per function from py-spy's collapsed stacks."""
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        n = int(count)
        frames = [_frame(f) for f in stack.split(";")[1:]]  # the first is the thread
        total += n
        for frame in set(frames):
            inclusive[frame] += n
        if frames:
            own[frames[-1]] += n

    def share(counter: collections.Counter[str]) -> list[tuple[str, float]]:
        return [(f, round(100 * n / total, 1)) for f, n in counter.most_common(top)]

    return {"samples": total, "inclusive_pct": share(inclusive), "own_pct": share(own)}


def profile(pid: int, paths: list[str], client: httpx.Client, seconds: float) -> dict[str, Any]:
    """Ask for `paths` in turn for `seconds` while py-spy records the worker."""
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "stacks.txt"
        spy = subprocess.Popen(
            [str(SPY), "record", "--pid", str(pid), "--rate", "500", "--format", "raw",
             "--output", str(raw), "--duration", str(int(seconds)), "--nonblocking"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        time.sleep(1.0)  # py-spy attaches
        timings: list[float] = []
        stop = time.monotonic() + seconds - 1.5
        while time.monotonic() < stop:
            for path in paths:
                started = time.perf_counter()
                client.get(path).raise_for_status()
                timings.append(time.perf_counter() - started)
                if time.monotonic() >= stop:
                    break
        _, errors = spy.communicate(timeout=seconds + 30)
        if spy.returncode != 0 or not raw.exists():
            raise RuntimeError(f"py-spy failed: {errors.decode(errors='replace')[-500:]}")
        return {
            "requests": len(timings),
            "p50_ms": round(1000 * statistics.median(timings), 2),
        } | summarise(raw, 60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pg", required=True, help="a PostgreSQL server URL (postgresql+psycopg)")
    parser.add_argument("--scale", type=float, default=0.2, help="of the matching benchmark")
    parser.add_argument("--seconds", type=float, default=20.0, help="of samples per kind")
    args = parser.parse_args()
    os.environ.update(BENCH_ENV)
    n_posts, n_labourers = round(100_000 * args.scale), round(500_000 * args.scale)
    today = clock.today()
    results: dict[str, Any] = {"posts": n_posts, "labourers": n_labourers}
    with (
        tempfile.TemporaryDirectory() as tmp,
        fresh_database(args.pg, Path(tmp), "bench_request_profile") as url,
    ):
        migrate(url)
        load(url, n_posts, n_labourers, today)
        labourers, posts = _sample_ids(url, today, 200, 100)
        random.Random(7).shuffle(labourers)
        with running_service(url) as (base, _, headers):
            pid = service_pid(base)
            with httpx.Client(base_url=base, headers=headers, timeout=600) as client:
                matches = [f"/v1/labourers/{i}/matches?k=10" for i in labourers]
                candidates = [f"/v1/posts/{i}/candidates?k=50" for i in posts]
                for path in matches[:20] + candidates[:20]:  # indexes built, caches warm
                    client.get(path).raise_for_status()
                results["matches_top10"] = profile(pid, matches, client, args.seconds)
                results["candidates_top50"] = profile(pid, candidates, client, args.seconds)
    print(json.dumps(results, ensure_ascii=False))


if __name__ == "__main__":
    main()
