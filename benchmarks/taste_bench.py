"""Benchmark the taste factors a plan computes for its candidate pairs (rules.feedback).

    .venv/bin/python benchmarks/taste_bench.py [--labourers 20000]

A county a year into the service: 20,000 labourers with a record (declines, applications,
silences over 12 months, 60,000 answered pushes), and 200,000 candidate pairs of those labourers
(ten each), the factor of each computed as `planning.service.candidate_pairs` does. No database:
the rows are what `rules.feedback.refusals` reads. Prints one JSON line: the median of three
runs, in seconds and microseconds per pair.
"""

import argparse
import json
import random
import statistics
import time
from datetime import date, timedelta

from matching.pushes.models import PushState
from matching.rules.feedback import collect
from matching.skills.taxonomy import get_taxonomy

PUSHES_EACH, PAIRS_EACH = 3, 10
STATES = [PushState.declined, PushState.no_response, PushState.applied, PushState.viewed]


def main(labourers: int) -> None:
    rng = random.Random(11)
    occupations = [s.id for s in get_taxonomy().skills][:200]
    start = date(2027, 1, 1)
    rows = [
        (rng.randrange(labourers) + 1, rng.randrange(5000) + 1,
         start + timedelta(days=rng.randrange(330)), rng.choice(occupations), rng.choice(STATES))
        for _ in range(PUSHES_EACH * labourers)
    ]  # fmt: skip
    refusals = collect(rows, start, date(2027, 10, 1))
    refusals.fit_responsiveness()
    pairs = [(lab, rng.choice(occupations)) for lab in range(1, labourers + 1)
             for _ in range(PAIRS_EACH)]  # fmt: skip
    runs = []
    for _ in range(3):
        t0 = time.perf_counter()
        for lab, occupation in pairs:
            refusals.factor(lab, occupation)
        runs.append(time.perf_counter() - t0)
    median = statistics.median(runs)
    print(json.dumps({
        "benchmark": "taste", "labourers_with_record": len(refusals.labourers_with_history),
        "pairs": len(pairs), "runs_s": [round(r, 3) for r in runs], "median_s": round(median, 3),
        "us_per_pair": round(median / len(pairs) * 1e6, 2),
    }))  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labourers", type=int, default=20_000)
    main(parser.parse_args().labourers)
