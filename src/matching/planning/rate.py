"""Both monthly targets in one plan: coverage first, then the expected success rate.

The optimiser's plan (planning.optimizer) reaches as many labourers as it can, makes at least
the pushes coverage requires, and then adds every push that raises the expected hires, however
unlikely: good for hires, bad for the success rate (hires / pushes, target > 15%). This step
keeps a subset of that plan:

1. the *core*: the R pushes coverage still requires, chosen greedily for expected hires: by q,
   a push's probability times the chance that each likelier push of the same labourer fails
   (a labourer takes one job). A labourer's likeliest push has q = p, a second one less, so the
   core spreads over labourers unless one labourer's second push beats another's first;
2. then the other pushes, likeliest first, as many as keep the plan's expected success rate —
   competition-aware expected hires (planning.competition) / pushes — at or above the target.

The largest such number is found by bisection, which assumes the rate falls as less likely
pushes are added (it does for the plain sum of p; with competition it holds but for ties).
When even the core's rate is below the target, coverage wins (the policy's duty) and the
result says the rate target binds, with both numbers.
"""

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from matching.planning.competition import Hires, expected_hires, take_probabilities

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]

DEFAULT_SUCCESS_MARGIN = 0.02  # the floor is the region's success target plus this


@dataclass(frozen=True, slots=True)
class RateCut:
    """Which of the optimiser's pushes are kept, and what that does to both targets."""

    keep: I64  # indices into the given pushes, ascending
    core: int  # pushes kept for coverage
    offered: int  # pushes the optimiser proposed
    hires: Hires  # of the kept pushes
    core_rate: float | None  # expected success rate of the core alone
    target_rate: float


def cut_to_rate(
    labourer: I64,
    post: I64,
    probability: F64,
    openings: I64,
    *,
    required: int,
    target_rate: float,
) -> RateCut:
    """Keep the pushes coverage requires, then the likeliest others while the rate holds."""
    labourer = np.asarray(labourer, np.int64)
    probability = np.asarray(probability, np.float64)
    n = len(labourer)
    order = _priority(labourer, probability)
    core = min(required, n)
    rest = order[core:]
    rest = rest[np.argsort(-probability[rest], kind="stable")]
    ranked = np.concatenate([order[:core], rest])

    def hires_of(count: int) -> Hires:
        rows = ranked[:count]
        return expected_hires(labourer[rows], post[rows], probability[rows], openings)

    core_hires = hires_of(core)
    lo, hi = core, n  # the largest count whose rate holds lies in [lo, hi]
    if core_hires.rate is not None and core_hires.rate < target_rate:
        hi = core
    while lo < hi:
        mid = (lo + hi + 1) // 2
        rate = hires_of(mid).rate
        if rate is not None and rate >= target_rate:
            lo = mid
        else:
            hi = mid - 1
    keep = np.sort(ranked[:lo])
    return RateCut(
        keep=keep,
        core=core,
        offered=n,
        hires=hires_of(lo),
        core_rate=core_hires.rate,
        target_rate=target_rate,
    )


def _priority(labourer: I64, probability: F64) -> I64:
    """Pushes in core order: by q, the chance a push is the one its labourer takes (its p times
    the chance that each likelier push of the same labourer fails), highest first — a greedy
    for the most expected hires from a given number of pushes when a labourer takes one job."""
    if len(labourer) == 0:
        return np.zeros(0, np.int64)
    q = take_probabilities(labourer, probability)
    return np.lexsort((-probability, -q)).astype(np.int64)
