"""Each labourer's best posts for a plan, from the matching engine, over several processes.

A county's plan scores tens of thousands of labourers one by one; each is independent, so the
labourers are split into chunks scored by forked worker processes that share the indexes
copy-on-write (no pickling of the indexes). Workers only run numpy and the scorer: no database,
no logging, and they leave with `os._exit`, so nothing of the parent's (connections, locks) is
touched. With one worker, or few labourers, everything runs in the calling thread.
"""

import multiprocessing
import threading
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt

from matching.matches.engine import MatchingEngine
from matching.scoring import LabourerArrays, LabourerProfile

# Below this many labourers starting processes costs more than it saves.
PARALLEL_FROM = 2_000


@dataclass(frozen=True, slots=True)
class Candidates:
    """Parallel arrays: the labourer's row in the request, the post id, the score."""

    rows: npt.NDArray[np.int64]
    posts: npt.NDArray[np.int64]
    scores: npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class _Job:
    engine: MatchingEngine
    profiles: Sequence[LabourerProfile]
    packed: LabourerArrays
    posts: Any  # Snapshot[PostArrays, PostRecord]
    today: date
    wanted: Sequence[int]


_JOB: _Job | None = None  # set in the parent just before forking; read by the workers
_ONE_AT_A_TIME = threading.Lock()  # plans in one process take turns: _JOB is process-wide


def _score_range(bounds: tuple[int, int]) -> Candidates:
    job = _JOB
    assert job is not None
    rows: list[int] = []
    posts: list[int] = []
    scores: list[float] = []
    for row in range(*bounds):
        found = job.engine.top_post_ids(
            job.profiles[row], job.packed.row(row), job.posts, today=job.today, k=job.wanted[row]
        )
        for post_id, score in found:
            rows.append(row)
            posts.append(post_id)
            scores.append(score)
    return Candidates(
        np.array(rows, dtype=np.int64),
        np.array(posts, dtype=np.int64),
        np.array(scores, dtype=np.float64),
    )


def best_posts(
    engine: MatchingEngine,
    profiles: Sequence[LabourerProfile],
    posts: "Any",
    *,
    today: date,
    wanted: Sequence[int],
    workers: int,
) -> Candidates:
    """Each profile's `wanted[i]` best posts (eligible only), as one set of arrays."""
    global _JOB
    packed = LabourerArrays.from_profiles(profiles)
    with _ONE_AT_A_TIME:
        _JOB = _Job(engine, profiles, packed, posts, today, wanted)
        try:
            return _run(len(profiles), workers)
        finally:
            _JOB = None


def _run(n: int, workers: int) -> Candidates:
    if workers <= 1 or n < PARALLEL_FROM:
        return _score_range((0, n))
    step = -(-n // (workers * 4))  # a few chunks per worker evens out slow ones
    chunks = [(start, min(n, start + step)) for start in range(0, n, step)]
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        parts = list(pool.map(_score_range, chunks))
    return Candidates(
        np.concatenate([p.rows for p in parts]),
        np.concatenate([p.posts for p in parts]),
        np.concatenate([p.scores for p in parts]),
    )
