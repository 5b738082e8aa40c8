"""Benchmark the monthly push optimiser alone on synthetic candidate graphs (no engine, no DB).

    .venv/bin/python benchmarks/planner_bench.py               # county, province, compare
    .venv/bin/python benchmarks/planner_bench.py --scale 0.1   # a quick try
    .venv/bin/python benchmarks/planner_bench.py --only county

county: 50,000 labourers, 20,000 posts, ~10 candidates each (0.5M pairs), solved whole by
`solve`. province: 2,000,000 labourers, 200,000 posts, ~10 candidates each (20M pairs) in 100
county blocks, solved by `solve_blocked`. compare: the province's shape at `--compare-scale`
(default 0.1: 200,000 labourers, 2M pairs) solved both ways, for the loss of blocking.

Candidates have locality, so that blocking is meaningful: 80% of posts belong to one county
(10% of the county's labourers have no candidate at all, 60% take local posts only, 30% are
willing to relocate and draw half their candidates from the 20% of posts that are partner-
province posts open to every county, a few of them wanted by many). Scores ~ Beta(5, 3), p =
the calibration prior; 1-5 openings per post (cap 5 per opening), 3 pushes per labourer.

Each measurement runs in a fresh child process; peak memory is that process's VmHWM (which
counts OR-Tools' C++ allocations, unlike tracemalloc) minus its RSS before the solve (the
instance itself). Wall and CPU seconds are both given: on a busy machine the CPU time is the
steadier figure. Prints one JSON line. Targets: county in a few seconds and well under 2 GB.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from matching.planning import PlanInstance, PlanSolution, prior_probability, solve, solve_blocked

SEED = 20261201
COUNTY = {"labourers": 50_000, "posts": 20_000, "blocks": 20}  # blocks: townships (for locality)
PROVINCE = {"labourers": 2_000_000, "posts": 200_000, "blocks": 100}
MEAN_CANDIDATES = 11  # among labourers with any: ~10 per labourer overall
LOCAL_POST_SHARE = 0.8
NO_CANDIDATES, LOCAL_ONLY = 0.10, 0.60  # the rest are willing to relocate


def _rss_kb(field: str = "VmRSS") -> int:
    """A line of /proc/self/status in kB (VmRSS now, VmHWM the peak)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def synthetic(
    labourers: int, posts: int, blocks: int, seed: int = SEED
) -> tuple[PlanInstance, np.ndarray]:
    """A candidate graph with county locality, and each labourer's block (its county)."""
    rng = np.random.default_rng(seed)
    block = rng.integers(0, blocks, size=labourers, dtype=np.int32)
    local_per_block = max(1, round(posts * LOCAL_POST_SHARE / blocks))
    n_local = local_per_block * blocks
    n_remote = max(1, posts - n_local)
    kind = rng.random(labourers)  # < NO_CANDIDATES: none; < +LOCAL_ONLY: local only
    degree = np.clip(rng.poisson(MEAN_CANDIDATES, size=labourers), 1, 20)
    degree[kind < NO_CANDIDATES] = 0
    lab = np.repeat(np.arange(labourers, dtype=np.int32), degree)
    n = len(lab)
    relocates = kind[lab] >= NO_CANDIDATES + LOCAL_ONLY
    remote = relocates & (rng.random(n) < 0.5)
    del relocates
    post = (block[lab] * local_per_block + rng.integers(0, local_per_block, size=n)).astype(
        np.int32
    )
    rank = np.arange(1, n_remote + 1, dtype=np.float64)
    popularity = rank**-0.8
    picks = rng.choice(n_remote, size=int(remote.sum()), p=popularity / popularity.sum())
    post[remote] = (n_local + picks).astype(np.int32)
    del remote, picks
    score = rng.beta(5, 3, size=n)
    probability = prior_probability(score)
    del score
    openings = 1 + rng.integers(0, 5, size=n_local + n_remote)
    instance = PlanInstance.from_candidates(
        lab, post, probability, n_labourers=labourers, openings_left=openings
    )
    return instance, block


def _summary(solution: PlanSolution) -> dict[str, Any]:
    return {
        "pushes": solution.total_pushes,
        "reach": solution.reach,
        "expected_hires": round(solution.objective, 1),
        "required": solution.required,
        "meets_required": solution.meets_required,
        "scale": solution.scale,
        "solve_s": round(solution.seconds, 2),
        **{k: round(v, 1) for k, v in solution.stats.items()},
    }


def measure(which: str, scale: float, compare_scale: float) -> dict[str, Any]:
    """One measurement in this (child) process."""
    shape = COUNTY if which == "county" else PROVINCE
    size = compare_scale if which == "compare" else scale
    labourers, posts = round(shape["labourers"] * size), round(shape["posts"] * size)
    blocks = shape["blocks"]
    started = time.perf_counter()
    instance, block = synthetic(labourers, posts, blocks)
    out: dict[str, Any] = {
        "labourers": labourers,
        "posts": posts,
        "pairs": instance.n_pairs,
        "blocks": blocks if which != "county" else 1,
        "generate_s": round(time.perf_counter() - started, 2),
    }
    rss0 = _rss_kb()
    out["instance_rss_mb"] = round(rss0 / 1024, 1)
    started, cpu = time.perf_counter(), time.process_time()
    if which == "county":
        out.update(_summary(solve(instance)))
    elif which == "province":
        out.update(_summary(solve_blocked(instance, block)))
    else:
        whole = solve(instance)
        blocked = solve_blocked(instance, block)
        out["whole"] = _summary(whole)
        out["blocked"] = _summary(blocked)
        out["objective_loss_pct"] = round(100 * (1 - blocked.objective / whole.objective), 3)
        out["reach_loss_pct"] = round(100 * (1 - blocked.reach / whole.reach), 3)
        first = blocked.stats["first_pass_objective"]
        out["first_pass_objective_loss_pct"] = round(100 * (1 - first / whole.objective), 3)
    out["wall_s"] = round(time.perf_counter() - started, 2)
    out["cpu_s"] = round(time.process_time() - cpu, 2)  # what a shared, busy machine can't inflate
    out["solve_peak_extra_mb"] = round((_rss_kb("VmHWM") - rss0) / 1024, 1)
    out["process_peak_rss_mb"] = round(_rss_kb("VmHWM") / 1024, 1)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the full sizes")
    parser.add_argument("--compare-scale", type=float, default=0.1, help="size of the compare run")
    parser.add_argument("--only", choices=["county", "province", "compare"], action="append")
    parser.add_argument(
        "--child", choices=["county", "province", "compare"], help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.scale, args.compare_scale)))
        return
    results: dict[str, Any] = {
        "scale": args.scale,
        "machine": {"cpu_count": os.cpu_count(), "numpy": np.__version__},
    }
    for which in args.only or ["county", "province", "compare"]:
        child = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                which,
                "--scale",
                str(args.scale),
                "--compare-scale",
                str(args.compare_scale),
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        results[which] = json.loads(child.stdout.strip().splitlines()[-1])
        print(f"{which}: {results[which]}", file=sys.stderr)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
