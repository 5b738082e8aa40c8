"""Each labourer's best posts for a plan, group by group, as tasks of a compute batch.

Labourers who live in one county and share a relocation willingness (and so the same set of
posts in reach) form a group, scored against its posts at once (scoring.batch.best_of_group: one
compiled loop over its pairs that keeps each labourer's best, with no matrix of totals).

**Region blocking.** A group whose reach holds more than `exact_up_to` posts (labourers willing
to go anywhere in the province, or anywhere at all: up to every post of the index) is not
scored against all of them. Its pool is every post of its own county, plus a shortlist of the
posts farther away chosen for the group as a whole: the best `far_overall` by the parts of the
score every member shares (location from the county seat, wage at the group's median
expectation, general-labour skills), and, for each skill a member holds (or is directly related
to) and each occupation a member prefers, the best `far_per_skill` posts that require that
skill or offer that occupation. A far post can only beat a near one on skills, wage and
preference, and the shortlist keeps, for every skill and occupation of the group, the far posts
best placed to do so. `benchmarks/candidates_bench.py` measures what this loses against the
exact search; `exact=True` scores every post in reach.

Groups are independent, so they are split into chunks of about equal work, a few per worker,
run as tasks of the plan's batch (matching.compute: Dask workers, or the calling thread). The
post table and the scoring context are shared once per batch (the whole plan); the labourers,
their groups and the posts' usable rows once per search. Tasks run only numpy and the scorer:
no database. With one worker, or few labourers, everything is one task.
"""

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt

from matching.compute import Batch, InlineBatch
from matching.matches.read_model import PostTable
from matching.scoring import LabourerArrays, LabourerProfile, PostArrays, ScoringContext
from matching.scoring.batch import best_of_group, group_keys, group_skills, shared_score
from matching.scoring.codes import day_number
from matching.scoring.reach import KeyRange, key_range, reach_range
from matching.scoring.types import Willingness

# Below this many labourers splitting the work among processes costs more than it saves.
PARALLEL_FROM = 2_000
# Labourers × posts a group is scored in at once: its skill table (a row per distinct skill
# list, a float32 per post) stays within 64 MB however large a county's group is.
CELLS = 1 << 24

I64 = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Blocking:
    """How a group with many posts in reach is narrowed (see the module docstring)."""

    exact_up_to: int = 3_000
    far_overall: int = 600
    far_per_skill: int = 30
    related_from: float = 0.5  # a skill counts as the group's when a member's similarity reaches it


@dataclass(frozen=True, slots=True)
class Candidates:
    """Parallel arrays: the labourer's row in the request, the post id, the score."""

    rows: npt.NDArray[np.int64]
    posts: npt.NDArray[np.int64]
    scores: npt.NDArray[np.float64]

    @classmethod
    def empty(cls) -> "Candidates":
        """No labourer, no candidate."""
        return cls(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.float64))

    @classmethod
    def merged(cls, parts: Sequence[tuple[I64, "Candidates"]]) -> "Candidates":
        """One request's candidates from searches over parts of it: each part's request rows
        (its row i is the request's `rows[i]`) and what its search found, ordered by row."""
        if not parts:
            return cls.empty()
        rows = np.concatenate([np.asarray(who, np.int64)[c.rows] for who, c in parts])
        order = np.argsort(rows, kind="stable")
        posts = np.concatenate([c.posts for _, c in parts])
        scores = np.concatenate([c.scores for _, c in parts])
        return cls(rows[order], posts[order], scores[order])


@dataclass(frozen=True, slots=True)
class _Search:
    """One search's labourers and their groups, shared by its tasks."""

    labourers: LabourerArrays
    usable: npt.NDArray[np.bool_]  # the post table's rows this search may propose
    groups: list[I64]  # labourer rows of each group
    reach: list[KeyRange | None]  # region-key range of each group
    home: list[KeyRange]  # the group's own county, as a region-key range
    wanted: I64
    today: int
    blocking: Blocking | None  # None: exact


@dataclass(frozen=True, slots=True)
class _Job:
    """What a task works with: the shared post table (with its search's usable rows), the
    scoring context, and the search."""

    posts: PostTable
    context: ScoringContext
    search: _Search

    @classmethod
    def of(cls, table: PostTable, context: ScoringContext, search: _Search) -> "_Job":
        return cls(replace(table, usable=search.usable), context, search)


def best_posts(
    context: ScoringContext,
    profiles: LabourerArrays | Sequence[LabourerProfile],
    posts: PostTable,
    *,
    today: date,
    wanted: Sequence[int],
    batch: Batch | None = None,
    table: PostTable | None = None,
    blocking: Blocking | None = Blocking(),
    done: Callable[[int], None] | None = None,
) -> Candidates:
    """Each labourer's `wanted[i]` best eligible posts of the table, as one set of arrays
    (`profiles`: the labourers as arrays, or their profiles).

    `posts` is judged on `today` (its `usable` rows); with `blocking=None` every post in each
    labourer's reach is scored (exact). The work runs as tasks of `batch` (the calling thread
    without one). `table`, when given, is the table `posts` was made from by changing only its
    usable rows: the batch then shares that table, as it does for the plan's other searches.
    `done(n)` is told of n labourers searched as each task finishes.
    """
    if not len(profiles):
        return Candidates.empty()
    if batch is None or len(profiles) < PARALLEL_FROM:
        batch = InlineBatch()
    labourers = (
        profiles if isinstance(profiles, LabourerArrays) else LabourerArrays.from_profiles(profiles)
    )
    groups, reach, home = _groups(labourers)
    wanted_array = np.asarray(wanted, dtype=np.int64)
    search = _Search(labourers, posts.usable, groups, reach, home, wanted_array,
                     day_number(today), blocking)  # fmt: skip
    chunks = _chunks(search, posts, batch.workers)
    whole = posts if table is None else table
    shared = (batch.share(whole), batch.share(context), batch.share(search))
    sizes = [sum(len(groups[g]) for g in chunk) for chunk in chunks]
    parts = batch.map(_score_chunk, chunks, *shared,
                      done=None if done is None else lambda i: done(sizes[i]))  # fmt: skip
    return Candidates(
        np.concatenate([p.rows for p in parts]),
        np.concatenate([p.posts for p in parts]),
        np.concatenate([p.scores for p in parts]),
    )


def _groups(lab: LabourerArrays) -> tuple[list[I64], list[KeyRange | None], list[KeyRange]]:
    """Labourers grouped by county, seat and willingness, and further by township for those
    who stay in their township; each group's reach and home county as region-key ranges."""
    keys = group_keys(lab)
    town = np.where(lab.willingness == int(Willingness.township), lab.township, 0)
    keys = np.concatenate([keys, town.astype(np.int64)[:, None]], axis=1)
    _, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    order = np.argsort(inverse, kind="stable")
    bounds = np.searchsorted(inverse[order], np.arange(len(first) + 1))
    groups = [order[a:b].astype(np.int64) for a, b in itertools.pairwise(bounds)]
    reach: list[KeyRange | None] = []
    home: list[KeyRange] = []
    for row in first.tolist():
        # Region columns hold -1 for a missing level; region_parts gives 0 there.
        province, prefecture, county, township = (
            max(int(getattr(lab, n)[row]), 0)
            for n in ("province", "prefecture", "county", "township")
        )
        parts = (province, prefecture, county, township)
        reach.append(reach_range(parts, Willingness(int(lab.willingness[row]))))
        home.append(key_range(parts, 6))
    return groups, reach, home


def _pool(job: _Job, g: int) -> I64:
    """Rows of the posts group g is scored against."""
    posts = job.posts
    start, stop = posts.span(job.search.reach[g])
    in_reach = start + np.flatnonzero(posts.usable[start:stop])
    if job.search.blocking is None or len(in_reach) <= job.search.blocking.exact_up_to:
        return in_reach.astype(np.int64)
    home_start, home_stop = posts.span(job.search.home[g])
    near = (in_reach >= home_start) & (in_reach < home_stop)
    far = _shortlist(job, g, in_reach[~near], job.search.blocking)
    return np.sort(np.concatenate([in_reach[near], far])).astype(np.int64)


def _shortlist(job: _Job, g: int, far: I64, blocking: Blocking) -> I64:
    """The far posts kept for group g (see the module docstring)."""
    posts, lab, ctx = job.posts, job.search.labourers, job.context
    members = job.search.groups[g]
    arrays = posts.arrays
    wages = lab.expected_wage[members]
    median = int(members[np.argsort(wages, kind="stable")[len(wages) // 2]])
    # Scored over the whole table and then picked: each post's value is computed alone, and
    # copying the far rows out (most of a province's table) cost more than the scoring.
    value = np.full(len(arrays), -np.inf, dtype=np.float32)
    value[far] = shared_score(lab.row(int(members[0])), lab.row(median),
                              int(lab.required_level[members].min()), arrays, ctx)[far]  # fmt: skip
    shared = value[far]
    keep = [far[_best(shared, blocking.far_overall)]]
    best = group_skills(lab.skill_indptr, lab.skill_indices, members, ctx.skills)
    skills = np.flatnonzero(best[:-1] >= np.float32(blocking.related_from))
    occupations = np.unique(lab.pref_indices[_entries(lab.pref_indptr, members)])
    for index, values in ((posts.by_skill, skills), (posts.by_occupation, occupations)):
        ptr, rows = index
        for v in values.tolist():
            if v + 1 >= len(ptr):
                continue
            holders = rows[ptr[v] : ptr[v + 1]]
            scored = value[holders]
            keep.append(holders[_best(scored, blocking.far_per_skill)])
    chosen = np.unique(np.concatenate(keep))
    return chosen[np.isfinite(value[chosen])]


def _entries(indptr: I64, rows: I64) -> I64:
    """Positions of the CSR entries of these rows."""
    starts, stops = indptr[rows], indptr[rows + 1]
    counts = stops - starts
    offsets = np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(
        np.cumsum(counts) - counts, counts
    )
    positions: I64 = np.repeat(starts, counts) + offsets
    return positions


def _best(values: npt.NDArray[np.float32], n: int) -> I64:
    """Positions of the n largest finite values (any order)."""
    finite = np.flatnonzero(np.isfinite(values))
    if len(finite) <= n:
        return finite.astype(np.int64)
    top = np.argpartition(values[finite], len(finite) - n)[len(finite) - n :]
    return finite[top].astype(np.int64)


def _take(arrays: PostArrays, rows: I64) -> PostArrays:
    """These rows of a post array set as one of their own."""
    columns = {
        name: getattr(arrays, name)[rows]
        for name in _POST_FIELDS
        if name not in ("skill_indptr", "skill_indices")
    }
    counts = np.diff(arrays.skill_indptr)[rows]
    indptr = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    columns["skill_indptr"] = indptr
    columns["skill_indices"] = arrays.skill_indices[_entries(arrays.skill_indptr, rows)]
    return PostArrays(**columns)


_POST_FIELDS = [
    "ids", "province", "prefecture", "county", "township", "lat", "lon", "kind", "wage_min",
    "wage_max", "age_min", "age_max", "openings_left", "is_open", "valid_from", "valid_until",
    "occupation", "skill_indptr", "skill_indices",
]  # fmt: skip


def _score_chunk(
    table: PostTable, context: ScoringContext, search: _Search, groups: Sequence[int]
) -> Candidates:
    """A task: these groups' best posts (a module-level function, so a Dask worker imports it
    by name)."""
    return _score_groups(_Job.of(table, context, search), groups)


def _score_groups(job: _Job, groups: Sequence[int]) -> Candidates:
    found_rows: list[I64] = []
    found_posts: list[I64] = []
    found_scores: list[npt.NDArray[np.float32]] = []
    for g in groups:
        pool = _pool(job, g)
        if len(pool) == 0:
            continue
        sub = _take(job.posts.arrays, pool)
        members = job.search.groups[g]
        step = max(1, CELLS // len(pool))
        for start in range(0, len(members), step):
            rows = members[start : start + step]
            which, cols, totals = best_of_group(
                _take_labourers(job.search.labourers, rows), sub, job.context, job.search.today,
                job.search.wanted[rows].tolist(),
            )  # fmt: skip
            found_rows.append(rows[which])
            found_posts.append(sub.ids[cols])
            found_scores.append(totals)
    if not found_rows:
        return Candidates.empty()
    return Candidates(
        np.concatenate(found_rows).astype(np.int64),
        np.concatenate(found_posts).astype(np.int64),
        np.concatenate(found_scores).astype(np.float64),
    )


def _take_labourers(lab: LabourerArrays, rows: I64) -> LabourerArrays:
    """These labourers as arrays of their own."""
    skills = _entries(lab.skill_indptr, rows)
    prefs = _entries(lab.pref_indptr, rows)
    columns: dict[str, Any] = {
        name: getattr(lab, name)[rows]
        for name in ("ids", "province", "prefecture", "county", "township", "lat", "lon",
                     "willingness", "seeking", "age", "expected_wage", "sanwu", "zero_employment")
    }  # fmt: skip
    for name, entries, indptr in (("skill", skills, lab.skill_indptr),
                                  ("pref", prefs, lab.pref_indptr)):  # fmt: skip
        counts = np.diff(indptr)[rows]
        new = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(counts, out=new[1:])
        columns[f"{name}_indptr"] = new
        columns[f"{name}_indices"] = getattr(lab, f"{name}_indices")[entries]
    # Region columns hold -1 for missing levels; the constructor expects 0 there.
    for name in ("prefecture", "county", "township"):
        columns[name] = np.maximum(columns[name], 0)
    return LabourerArrays(**columns)


def _chunks(search: _Search, posts: PostTable, workers: int) -> list[list[int]]:
    """The groups split into tasks: one with one worker; else a few chunks per worker, the
    biggest groups first, each to the least loaded chunk."""
    everything = list(range(len(search.groups)))
    if workers <= 1:
        return [everything]
    cost = [len(search.groups[g]) * _reach_size(search, posts, g) for g in everything]
    chunks: list[list[int]] = [[] for _ in range(workers * 4)]
    load = [0] * len(chunks)
    for g in sorted(everything, key=lambda g: -cost[g]):
        at = load.index(min(load))
        chunks[at].append(g)
        load[at] += cost[g]
    return [c for c in chunks if c]


def _reach_size(search: _Search, posts: PostTable, g: int) -> int:
    start, stop = posts.span(search.reach[g])
    size = stop - start
    if search.blocking is not None:
        size = min(size, search.blocking.exact_up_to + search.blocking.far_overall)
    return max(1, size)
