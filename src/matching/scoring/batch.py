"""Many labourers × many posts at once: the best posts of a whole group of labourers.

Bulk planning needs each labourer's best few posts for hundreds of thousands of labourers;
scoring them one at a time costs a Python round per labourer and per array pass. Here a
group of labourers who live in the same county (same county seat, same codes above the
township) and share a relocation willingness is scored against a set of posts as one matrix.
Inside such a group the location score of a post differs between labourers only by whether
they share its township, so it is computed per post and picked per pair; wage and preference
are computed once per distinct expected wage or preference set.

Every pair's total is computed with the same float32 operations, in the same order, as the
one-labourer scorer, so the results are identical, ties and all (tests/scoring pin this).
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from matching.scoring.arrays import LabourerArrays, PostArrays
from matching.scoring.components import (
    corridor,
    distance_km,
    location,
    wage,
    wage_for,
    welfare_lift,
)
from matching.scoring.context import ScoringContext, SkillSpace
from matching.scoring.dtypes import F32, I8, I32, I64, Bool
from matching.scoring.params import (
    PREF_EXACT,
    PREF_GROUP,
    PREF_NONE,
    PREF_OTHER,
    PRIORITY_SANWU,
    PRIORITY_ZERO_EMPLOYMENT,
    WELFARE_FOR_OTHERS,
)
from matching.scoring.sparse import row_of_entries, take_rows

# Columns that must be equal for every labourer of one group.
GROUP_COLUMNS = ("province", "prefecture", "county", "lat", "lon", "willingness")


def group_keys(lab: LabourerArrays) -> I64:
    """One row of integers per labourer, equal for labourers of one group (GROUP_COLUMNS);
    seats are compared by their bits, so that unknown (NaN) seats group together."""
    columns = [np.asarray(getattr(lab, name)) for name in GROUP_COLUMNS]
    as_ints = [c.view(np.int32) if c.dtype == np.float32 else c for c in columns]
    keys = np.stack([c.astype(np.int64) for c in as_ints], axis=1)
    return keys.reshape(len(lab), len(GROUP_COLUMNS))  # (0, 6) for no labourers, not an error


def _check_group(lab: LabourerArrays) -> None:
    keys = group_keys(lab)
    if len(keys) and not (keys == keys[:1]).all():
        raise ValueError(f"a labourer group must share {', '.join(GROUP_COLUMNS)}")


def score_group(lab: LabourerArrays, posts: PostArrays, ctx: ScoringContext, today: int) -> F32:
    """Totals of every labourer (rows) × post (columns); -inf where a hard filter fails.

    `lab` must be one group (see GROUP_COLUMNS); `today` is a day number. The matrix, step by
    step in numpy: the reference `best_of_group` is held to, and what a test reads.
    """
    _check_group(lab)
    n_lab, n_post = len(lab), len(posts)
    if n_lab == 0 or n_post == 0:
        return np.full((n_lab, n_post), -np.inf, dtype=np.float32)
    weights = _weights(lab, posts, ctx)
    side = _PostSide.of(lab, posts, ctx, weights["location"], today)
    same_town = lab.township[:, None] == posts.township[None, :]
    total = np.where(same_town, side.loc_town[None, :], side.loc_apart[None, :])  # 0 + w × loc

    fit = _pairs(lab.sanwu, posts.welfare_like)  # components.sanwu_welfare; None: no pair is
    parts: dict[str, F32] = {
        "skills": _lift(_skills(lab, posts, ctx), fit),
        "wage": _lift(_wages(lab, posts), fit),
        "preference": _preferences(lab, posts, ctx),
        "priority": _priority(lab, fit),
    }
    for name, weight in weights.items():  # the one-labourer scorer's order
        if name != "location":
            total += weight * parts[name]
    np.clip(total, np.float32(0), np.float32(1), out=total)
    others = _pairs(~lab.sanwu, posts.public_welfare)  # components.welfare_factor
    if others is not None:
        total *= np.where(others, WELFARE_FOR_OTHERS, np.float32(1))

    # Hard filters (filters.filter_masks), pair by pair.
    fine = side.post_ok[None, :] & lab.seeking[:, None]
    age_known = (lab.age >= 0)[:, None]
    age = lab.age[:, None]
    fine &= ~age_known | ((age >= posts.age_min[None, :]) & (age <= posts.age_max[None, :]))
    fine &= (side.above[None, :] + same_town) >= lab.required_level[:, None]
    total[~fine] = -np.inf
    return total


def best_of_group(
    lab: LabourerArrays, posts: PostArrays, ctx: ScoringContext, today: int, wanted: Sequence[int]
) -> tuple[I64, I64, F32]:
    """`top_per_row(score_group(lab, posts, ctx, today), posts.ids, wanted)` and those rows'
    totals, computed without the group's matrix (scoring.fused): the same pairs, the same
    floats, in less time and memory."""
    # numba (0.2 s to import) only when a plan searches: the web workers' start-up and the
    # command line do not pay for it.
    from matching.scoring.fused import best_pairs, best_rows, skill_table

    _check_group(lab)
    if len(lab) == 0 or len(posts) == 0 or max(wanted, default=0) <= 0:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.float32)
    space = ctx.skills
    weights = _weights(lab, posts, ctx)
    side = _PostSide.of(lab, posts, ctx, weights["location"], today)
    last = np.int64(space.size)  # PAD lands on the tables' last slot, as np.take(mode="clip")
    skill_first, skill_row = distinct_lists(lab.skill_indptr, lab.skill_indices)
    lists = take_rows(lab.skill_indptr, lab.skill_indices, skill_first)
    best = best_rows(space.similarity, space.floors, *lists)
    skills = skill_table(
        best, np.ascontiguousarray(np.minimum(posts.skill_pad, last).T), posts.skill_indptr,
        posts.skill_indices, posts.skill_inv_count, posts.skill_base, posts.skill_floor,
        lab.no_skills[skill_first],
    )  # fmt: skip
    expectations, wage_row = np.unique(lab.expected_wage, return_inverse=True)
    column = expectations[:, None]
    wage_table = wage_for(column, (column > 0).astype(np.float32), posts)  # as _wages
    pref_first, pref_row = distinct_lists(lab.pref_indptr, lab.pref_indices)
    pref_table = _preference_lookups(*take_rows(lab.pref_indptr, lab.pref_indices, pref_first),
                                     space)  # fmt: skip
    pref_table *= weights["preference"]
    rows, cols, totals = best_pairs(
        np.asarray(wanted, dtype=np.int64), posts.ids, side.loc_apart, side.loc_town,
        lab.township, posts.township, side.above, lab.required_level, side.post_ok, lab.seeking,
        lab.age, posts.age_min, posts.age_max, lab.sanwu, lab.zero_employment,
        posts.welfare_like, posts.public_welfare, skill_row, skills, wage_row.reshape(-1),
        wage_table, pref_row, pref_table, np.minimum(posts.occupation_slot, last),
        weights["skills"], weights["wage"], weights["priority"],
    )  # fmt: skip
    return rows, cols, totals


def _weights(lab: LabourerArrays, posts: PostArrays, ctx: ScoringContext) -> dict[str, np.float32]:
    """The weights as float32, in the order of scoring.types.COMPONENTS (the order the
    scorers add the parts in); refuses taxonomy indices the context does not know."""
    if max(lab.max_index, posts.max_index) >= ctx.skills.size:
        raise ValueError("a taxonomy index is outside the similarity matrix")
    return {name: np.float32(w) for name, w in ctx.weights.as_dict().items()}


@dataclass(frozen=True, slots=True)
class _PostSide:
    """What a group's pairs share per post: the levels shared with the group's home above the
    township, the weighted location apart and in the same township, the post-side filters."""

    above: I8
    loc_apart: F32
    loc_town: F32
    post_ok: Bool

    @classmethod
    def of(
        cls, lab: LabourerArrays, posts: PostArrays, ctx: ScoringContext, weight: np.float32,
        today: int,
    ) -> "_PostSide":  # fmt: skip
        first = lab.row(0)
        above = (first.province == posts.province).view(np.int8)
        above += first.prefecture == posts.prefecture
        above += first.county == posts.county
        dist = distance_km(first, posts)
        lift = corridor(first, posts, ctx.corridors)
        post_ok = posts.is_open & (posts.valid_from <= today) & (posts.valid_until >= today)
        post_ok &= posts.openings_left > 0
        return cls(
            above=above,
            loc_apart=weight * location(above, dist, lift, first.inv_decay_km),
            loc_town=weight * location(above + np.int8(1), dist, lift, first.inv_decay_km),
            post_ok=post_ok,
        )


def _wages(lab: LabourerArrays, posts: PostArrays) -> F32:
    """components.wage for every labourer, computed once per distinct expectation."""
    values, inverse = np.unique(lab.expected_wage, return_inverse=True)
    column = values[:, None]
    rows = wage_for(column, (column > 0).astype(np.float32), posts)  # as wage_expected is made
    result: F32 = rows[inverse.reshape(-1)]
    return result


def _skills(lab: LabourerArrays, posts: PostArrays, ctx: ScoringContext) -> F32:
    """components.skills_for_posts for every labourer (same sums, same order), once per
    distinct skill list."""
    from matching.scoring.fused import best_rows  # numba: see best_of_group

    space = ctx.skills
    first, inverse = distinct_lists(lab.skill_indptr, lab.skill_indices)
    lists = take_rows(lab.skill_indptr, lab.skill_indices, first)
    best = best_rows(space.similarity, space.floors, *lists)
    sums = np.zeros((len(first), len(posts)), dtype=np.float32)
    for row in posts.skill_pad:
        sums += np.take(best, row, axis=1, mode="clip")
    for post_row, index in zip(
        posts.skill_over_rows.tolist(), posts.skill_over_idx.tolist(), strict=True
    ):
        sums[:, post_row] += best[:, index]
    sums *= posts.skill_inv_count[None, :]
    sums += posts.skill_base[None, :]
    np.maximum(sums, lab.no_skills[first, None] * posts.skill_floor[None, :], out=sums)
    result: F32 = sums[inverse]
    return result


def distinct_lists(indptr: I64, indices: I32) -> tuple[I64, I64]:
    """The rows of a CSR whose lists first appear (`first`, ascending) and, per row, which of
    them its list equals (`inverse`); lists are equal when they hold the same entries in the
    same order."""
    counts = np.diff(indptr)
    n = len(counts)
    width = int(counts.max(initial=0))
    # One row per list, padded with -1 (no taxonomy index), its length in front.
    table = np.full((n, width + 1), -1, dtype=np.int64)
    table[:, 0] = counts
    if width:
        owner = np.repeat(np.arange(n), counts)
        column = np.arange(len(owner)) - np.repeat(indptr[:-1] - indptr[0], counts) + 1
        table[owner, column] = indices[indptr[0] : indptr[-1]]
    _, first, inverse = np.unique(table, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    # np.unique orders the lists by value; renumber them by first appearance.
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return first[order].astype(np.int64), rank[inverse].astype(np.int64)


def _preferences(lab: LabourerArrays, posts: PostArrays, ctx: ScoringContext) -> F32:
    """components.preference_for_posts for every labourer, one lookup per preference list."""
    first, inverse = distinct_lists(lab.pref_indptr, lab.pref_indices)
    lookups = _preference_lookups(*take_rows(lab.pref_indptr, lab.pref_indices, first), ctx.skills)
    result: F32 = np.take(lookups, posts.occupation_slot, axis=1, mode="clip")[inverse]
    return result


def group_skills(indptr: I64, indices: I32, rows: I64, space: SkillSpace) -> F32:
    """The best similarity any of these labourers reaches, per taxonomy entry (the maximum of
    their components.best_similarity), from each distinct skill list once."""
    from matching.scoring.fused import best_rows  # numba: see best_of_group

    own_indptr, own_indices = take_rows(indptr, indices, rows)
    first, _ = distinct_lists(own_indptr, own_indices)
    lists = take_rows(own_indptr, own_indices, first)
    best: F32 = best_rows(space.similarity, space.floors, *lists).max(axis=0, initial=0)
    return best


def _preference_lookups(indptr: I64, indices: I32, space: SkillSpace) -> F32:
    """components.preference_lookup of each list of a CSR, as rows (the same values)."""
    n = len(indptr) - 1
    owner = row_of_entries(indptr - indptr[0])
    member = np.zeros((n, int(space.groups.max(initial=-1)) + 1), dtype=np.bool_)
    member[owner, space.groups[indices]] = True
    table = np.empty((n, space.size + 1), dtype=np.float32)
    table[:, :-1] = PREF_OTHER + (PREF_GROUP - PREF_OTHER) * member[:, space.groups]
    table[:, -1] = PREF_NONE
    table[owner, indices] = PREF_EXACT
    table[np.diff(indptr) == 0] = PREF_NONE
    return table


def _pairs(lab_side: Bool, post_side: Bool) -> Bool | None:
    """Labourer × post pairs where both sides hold; None when no pair does."""
    if not (lab_side.any() and post_side.any()):
        return None
    pairs: Bool = lab_side[:, None] & post_side[None, :]
    return pairs


def _lift(score: F32, fit: Bool | None) -> F32:
    return score if fit is None else welfare_lift(score, fit)


def _priority(lab: LabourerArrays, fit: Bool | None) -> F32:
    """components.priority for every pair: a column per labourer when no pair is 三无 ×
    welfare (the same floats: 0 + x is x)."""
    zero_employment = PRIORITY_ZERO_EMPLOYMENT * lab.zero_employment
    if fit is None:
        column: F32 = zero_employment.astype(np.float32, copy=False)[:, None]
        return column
    score = PRIORITY_SANWU * fit + zero_employment[:, None]
    result: F32 = score.astype(np.float32, copy=False)
    return result


def top_per_row(totals: F32, ids: I64, wanted: Sequence[int]) -> tuple[I64, I64]:
    """(row, column) of each row's `wanted[row]` best finite totals, by score descending then
    id ascending (as core.top_k orders them), rows in order."""
    n_rows, n_cols = totals.shape
    k = max(wanted, default=0)
    if n_rows == 0 or n_cols == 0 or k <= 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    keep: Bool = np.isfinite(totals)
    if n_cols > k:
        # Every column tied with a row's k-th score stays in, so ids break the ties.
        keep &= totals >= np.partition(totals, n_cols - k, axis=1)[:, n_cols - k, None]
    rows, cols = np.nonzero(keep)
    order = np.lexsort((ids[cols], -totals[rows, cols], rows))
    rows, cols = rows[order], cols[order]
    # Rank of each entry inside its row; keep the row's first wanted[row].
    starts = np.searchsorted(rows, rows, side="left")
    rank = np.arange(len(rows)) - starts
    limit = np.asarray(wanted, dtype=np.int64)[rows]
    chosen = rank < limit
    return rows[chosen].astype(np.int64), cols[chosen].astype(np.int64)


def shared_score(
    home: LabourerArrays, wage_at: LabourerArrays, required_level: int, posts: PostArrays,
    ctx: ScoringContext,
) -> F32:  # fmt: skip
    """The part of a group's totals every member shares, per post: location from the group's
    home (`home`: one member's row), wage at one expectation (`wage_at`: one row) and the
    general-labour (or workshop) part of skills; -inf where the post is out of the group's reach
    (`required_level`: the least deep common level any member needs).

    A bound for narrowing a large pool, not a total: members differ from it only in skills,
    wage and preference, and in the township they share or not (planning.candidates).
    """
    above = (home.province == posts.province).view(np.int8)
    above += home.prefecture == posts.prefecture
    above += home.county == posts.county
    loc = location(above, distance_km(home, posts), corridor(home, posts, ctx.corridors),
                   home.inv_decay_km)  # fmt: skip
    weights = ctx.weights
    shared: F32 = (
        np.float32(weights.location) * loc
        + np.float32(weights.wage) * wage(wage_at, posts)
        + np.float32(weights.skills) * np.maximum(posts.skill_base, posts.skill_floor)
    )
    shared[above < required_level] = -np.inf
    return shared
