"""A post block's runs of one province, and the most a labourer can score in each run.

A labourer who would go anywhere is scored against every post (100,000 on the benchmark: 3 of
a match's 4 ms). Their best posts are most often in their own province (all ten for 71 of
the benchmark's 119 such labourers): a post elsewhere scores at most the other-province
location ceiling, and what the run's posts can give at most on each other component.
`run_bounds` gives that per run, from a summary of the run made once per block
(`ProvinceRuns.of`); scoring.core scores a run only when its bound reaches the k-th best total
found so far (docs/scoring.md, "Posts of a labourer who would go anywhere").
"""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from matching.scoring.arrays import LabourerArrays, PostArrays
from matching.scoring.components import best_similarity, preference_lookup
from matching.scoring.context import ScoringContext
from matching.scoring.dtypes import F32, I32, I64, Bool
from matching.scoring.params import (
    BOUND_MARGIN,
    CORRIDOR_CEIL,
    LEVEL_CEIL,
    NO_SKILLS_REQUIRED,
    ON_THE_JOB,
    PRIORITY_SANWU,
    PRIORITY_ZERO_EMPLOYMENT,
    SANWU_WELFARE_FIT,
    WAGE_NO_EXPECTATION,
    WAGE_NOT_STATED,
)
from matching.scoring.sparse import PAD, row_of_entries
from matching.scoring.types import PostKind

F64 = npt.NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class ProvinceRuns:
    """Runs of consecutive rows of one province (a block ordered by region has one run per
    province), and per run what bounds its posts' components for any labourer."""

    province: I32
    start: I64  # first row of each run
    stop: I64  # one past its last row
    skill_ptr: I64  # run r's distinct required skills: skills[skill_ptr[r]:skill_ptr[r + 1]]
    skills: I64
    slot_ptr: I64  # run r's distinct occupations (-1: a post without one), the same way
    slots: I64
    no_skill_post: Bool  # a post requiring no skill (it scores NO_SKILLS_REQUIRED)
    workshop: Bool  # a workshop (ON_THE_JOB for a labourer without skills)
    unstated_wage: Bool  # a post stating no wage (WAGE_NOT_STATED)
    most_offered: F32  # the largest stated wage (0 when none is stated)
    welfare_like: Bool  # a public-welfare or home-based post

    def __len__(self) -> int:
        return len(self.start)

    @classmethod
    def of(cls, posts: PostArrays) -> "ProvinceRuns":
        """The runs of a block's rows, whatever their order (an unordered block has more)."""
        n = len(posts)
        province = np.asarray(posts.province)
        if n == 0:
            start = np.zeros(0, dtype=np.int64)
        else:
            start = np.flatnonzero(np.r_[True, province[1:] != province[:-1]]).astype(np.int64)
        stop = np.r_[start[1:], n].astype(np.int64)
        run_of_row = np.repeat(np.arange(len(start), dtype=np.int64), stop - start)
        skill_ptr, skills = _distinct_per_run(
            run_of_row[row_of_entries(posts.skill_indptr)],
            posts.skill_indices.astype(np.int64),
            len(start),
        )
        # A post without an occupation (slot PAD) as slot -1, kept apart from any index.
        occupation = np.where(posts.occupation_slot == PAD, -1, posts.occupation_slot)
        slot_ptr, slots = _distinct_per_run(run_of_row, occupation + 1, len(start))
        slots -= 1

        def any_in_run(flags: Bool) -> Bool:
            return np.logical_or.reduceat(flags, start) if n else np.zeros(0, dtype=np.bool_)

        stated = posts.wage_stated > 0
        offered = np.where(stated, posts.offered, np.float32(0))
        return cls(
            province=province[start].astype(np.int32),
            start=start,
            stop=stop,
            skill_ptr=skill_ptr,
            skills=skills,
            slot_ptr=slot_ptr,
            slots=slots,
            no_skill_post=any_in_run(posts.skill_inv_count == 0),
            workshop=any_in_run(posts.kind == PostKind.workshop),
            unstated_wage=any_in_run(~stated),
            most_offered=(
                np.maximum.reduceat(offered, start) if n else np.zeros(0, np.float32)
            ).astype(np.float32),
            welfare_like=any_in_run(posts.welfare_like),
        )


def _distinct_per_run(run: I64, value: I64, runs: int) -> tuple[I64, I64]:
    """The distinct values each run holds, as a CSR over the runs."""
    if len(value) == 0:
        return np.zeros(runs + 1, dtype=np.int64), np.zeros(0, dtype=np.int64)
    width = int(value.max()) + 1
    pairs = np.unique(run * width + value)  # sorted: by run, then value
    owner, held = pairs // width, pairs % width
    ptr = np.zeros(runs + 1, dtype=np.int64)
    np.cumsum(np.bincount(owner, minlength=runs), out=ptr[1:])
    return ptr, held.astype(np.int64)


def run_bounds(lab: LabourerArrays, runs: ProvinceRuns, ctx: ScoringContext) -> F32:
    """Per run, a total the labourer (one row) cannot exceed at any of its posts: infinite for
    the labourer's own province (its location is not bounded here); elsewhere the location
    ceiling of another province (a partner's, for a corridor), and each other component at the
    largest any of the run's posts can give (skills: the best similarity to any skill the run
    requires, as a mean is at most its largest term; preference: the best over the run's
    occupations; wage: at its largest stated wage), welfare lifts counted where the run has a
    welfare post, the welfare factor (< 1) as if not. Summed in float64, plus BOUND_MARGIN."""
    weights = ctx.weights.as_dict()
    space = ctx.skills
    size = space.size

    location = np.where(
        ctx.corridors.table[lab.province[0]][runs.province], CORRIDOR_CEIL, LEVEL_CEIL[0]
    ).astype(np.float64)

    best = best_similarity(lab.skills_of(0), space).astype(np.float64)
    skills = _largest_per_run(best, runs.skills, runs.skill_ptr)
    np.maximum(skills, NO_SKILLS_REQUIRED * runs.no_skill_post, out=skills)
    if lab.no_skills[0]:
        np.maximum(skills, ON_THE_JOB * runs.workshop, out=skills)

    lookup = preference_lookup(lab.preferences_of(0), space).astype(np.float64)
    preference = _largest_per_run(lookup, np.where(runs.slots < 0, size, runs.slots), runs.slot_ptr)

    expected = float(lab.expected_wage[0])
    if expected > 0:
        meets = np.clip(2.0 * runs.most_offered / max(expected, 1.0) - 1.0, 0.0, 1.0)
    else:
        meets = np.full(len(runs), float(WAGE_NO_EXPECTATION))
    wage = np.maximum(meets, WAGE_NOT_STATED * runs.unstated_wage)

    sanwu = bool(lab.sanwu[0])
    if sanwu:
        np.maximum(skills, SANWU_WELFARE_FIT * runs.welfare_like, out=skills)
        np.maximum(wage, SANWU_WELFARE_FIT * runs.welfare_like, out=wage)
    priority = PRIORITY_SANWU * (sanwu & runs.welfare_like) + PRIORITY_ZERO_EMPLOYMENT * float(
        lab.zero_employment[0]
    )

    total = (
        weights["location"] * location
        + weights["skills"] * skills
        + weights["wage"] * wage
        + weights["preference"] * preference
        + weights["priority"] * priority
    )
    np.minimum(total, 1.0, out=total)  # the total is clipped to [0, 1]
    total += BOUND_MARGIN
    total[runs.province == lab.province[0]] = np.inf
    bounds: F32 = total.astype(np.float32)
    return bounds


def _largest_per_run(values: F64, held: I64, ptr: I64) -> F64:
    """Per run, the largest of `values` at the entries it holds; 0 for a run holding none."""
    out = np.zeros(len(ptr) - 1, dtype=np.float64)
    some = np.flatnonzero(np.diff(ptr) > 0)
    if len(some):
        out[some] = np.maximum.reduceat(values[held], ptr[some])
    return out


@dataclass(frozen=True, eq=False)
class ByProvince:
    """A post block's province runs, and its rows start..stop as arrays of their own (the
    caller may keep them: matches.matcher keeps a block's slices)."""

    runs: ProvinceRuns
    rows: Callable[[int, int], PostArrays]
