"""A group's best posts without its labourer × post matrix: three compiled loops (numba).

`scoring.batch.score_group` builds a group's totals as numpy matrices: the location picked
per pair, each component spread from its distinct rows and added, the clip, the welfare
factor, the hard filters; `top_per_row` then selects. Each is a pass over the matrix (about
twenty), and in a plan's candidate search they were most of its time. Here:

- `best_rows` and `skill_table` give each distinct skill list its best similarity per taxonomy
  entry, then its sum over every post's required skills (one row per list, read in order by
  the next loop);
- `best_pairs` visits each labourer's pairs once, skips those a hard filter refuses, adds the
  same float32 values in the same order as score_group (so the totals are the same to the bit)
  and keeps the labourer's best posts in a short sorted list.

What varies only per post or per distinct value (location, the best similarity per skill list,
the wage per expectation, the preference lookup per list) is computed by numpy first, as
score_group computes it (scoring.batch.best_of_group). tests/scoring/test_properties.py holds
the result equal to `top_per_row(score_group(...))`.

Each loop is compiled at its first call in a process (about 2 s) and cached on disk (numba's
`cache=True`: next to this file, or in NUMBA_CACHE_DIR, which the Dockerfile sets since the
image's source is not writable), so a later process, or a Dask worker, loads it at once.
"""

import numpy as np
from numba import njit

from matching.scoring.params import (
    PRIORITY_SANWU,
    PRIORITY_ZERO_EMPLOYMENT,
    SANWU_WELFARE_FIT,
    WELFARE_FOR_OTHERS,
)

# numba types a Python float as float64; every constant of the loop is a float32 already.
_ZERO = np.float32(0)
_ONE = np.float32(1)
_SANWU = np.float32(PRIORITY_SANWU)
_ZERO_EMPLOYMENT = np.float32(PRIORITY_ZERO_EMPLOYMENT)
_FIT = np.float32(SANWU_WELFARE_FIT)
_OTHERS = np.float32(WELFARE_FOR_OTHERS)


@njit(cache=True, nogil=True)
def _better(score, post_id, than_score, than_id):  # type: ignore[no-untyped-def]
    """Ranked before: a higher total, or the same total and a lower post id (top_per_row)."""
    return score > than_score or (score == than_score and post_id < than_id)


@njit(cache=True, nogil=True)
def best_rows(similarity, floors, indptr, indices):  # type: ignore[no-untyped-def]
    """components.best_similarity of each list of a CSR, as rows: per taxonomy entry the
    floor, raised to the best similarity any of the list's skills reaches; a last slot of 0."""
    n, size = len(indptr) - 1, similarity.shape[0]
    best = np.zeros((n, size + 1), np.float32)
    for d in range(n):
        row = best[d]
        row[:size] = floors
        for e in range(indptr[d], indptr[d + 1]):
            reached = similarity[indices[e]]
            for t in range(size):
                row[t] = max(row[t], reached[t])
    return best


@njit(cache=True, nogil=True)
def skill_table(  # type: ignore[no-untyped-def]
    best, pad, skill_ptr, skill_idx, inv_count, skill_base, skill_floor, no_skills
):
    """components.skills_for_posts of each distinct skill list (a row of `best`: its
    best_similarity) against every post: its first required skills (the post's row of `pad`;
    PAD is `best`'s last slot, which holds 0, added as np.take added it) then its further
    ones, in order; times the post's 1 / count, plus its base; at least the post's floor for
    a list with no skill (`no_skills`, per list)."""
    n_lists, n_posts, width = best.shape[0], pad.shape[0], pad.shape[1]
    table = np.empty((n_lists, n_posts), np.float32)
    for d in range(n_lists):
        own = best[d]
        for j in range(n_posts):
            s = _ZERO
            for r in range(width):
                s += own[pad[j, r]]
            for e in range(skill_ptr[j] + width, skill_ptr[j + 1]):
                s += own[skill_idx[e]]
            s *= inv_count[j]
            s += skill_base[j]
            floor = skill_floor[j] if no_skills[d] else _ZERO
            table[d, j] = floor if floor > s else s
    return table


@njit(cache=True, nogil=True)
def best_pairs(  # type: ignore[no-untyped-def]
    wanted, ids, loc_apart, loc_town, lab_town, post_town, above, required_level, post_ok,
    seeking, age, age_min, age_max, sanwu, zero_employment, welfare_like, public_welfare,
    skill_row, skill_table, wage_row, wage_table, pref_row, pref_table, occupation_slot,
    w_skills, w_wage, w_priority,
):  # fmt: skip
    """Each labourer's `wanted[i]` best finite totals: (row, column, total) arrays, rows in
    order, each row's by total descending then post id ascending (scoring.batch.top_per_row).

    Per labourer i and post j, as scoring.batch.score_group computes them, in the order of
    scoring.types.COMPONENTS: location (weighted, per post: `loc_town` where the townships are
    equal, else `loc_apart`) + w_skills × skills + w_wage × wage + preference (weighted) +
    w_priority × priority, clipped to [0, 1], times WELFARE_FOR_OTHERS for a public-welfare post
    of a labourer who is not 三无. Skills are `skill_table[skill_row[i], j]`, wage
    `wage_table[wage_row[i], j]`, both lifted to SANWU_WELFARE_FIT for a 三无 labourer's welfare
    post; preference `pref_table[pref_row[i]]` at the post's occupation slot. A pair a hard
    filter refuses has no total.
    """
    n, n_posts = len(wanted), len(ids)
    k_max = 0
    for i in range(n):
        k_max = max(k_max, wanted[i])
    out_rows = np.empty(n * k_max, np.int64)
    out_cols = np.empty(n * k_max, np.int64)
    out_scores = np.empty(n * k_max, np.float32)
    top_score = np.empty(max(k_max, 1), np.float32)
    top_id = np.empty(max(k_max, 1), np.int64)
    top_col = np.empty(max(k_max, 1), np.int64)
    found = 0
    for i in range(n):
        k = wanted[i]
        if k <= 0 or not seeking[i]:
            continue
        skills, wages = skill_table[skill_row[i]], wage_table[wage_row[i]]
        prefs = pref_table[pref_row[i]]
        is_sanwu, own_age, town, level = sanwu[i], age[i], lab_town[i], required_level[i]
        zero_part = _ZERO_EMPLOYMENT if zero_employment[i] else _ZERO
        kept = 0
        for j in range(n_posts):
            # The hard filters (filters.filter_masks).
            same_town = town == post_town[j]
            if (
                not post_ok[j]
                or (own_age >= 0 and (own_age < age_min[j] or own_age > age_max[j]))
                or above[j] + (1 if same_town else 0) < level
            ):
                continue
            total = loc_town[j] if same_town else loc_apart[j]
            s, wage = skills[j], wages[j]
            priority = zero_part
            if is_sanwu and welfare_like[j]:  # components.welfare_lift, components.priority
                s = max(s, _FIT)
                wage = max(wage, _FIT)
                priority = _SANWU + zero_part
            total += w_skills * s
            total += w_wage * wage
            total += prefs[occupation_slot[j]]
            total += w_priority * priority
            total = min(max(total, _ZERO), _ONE)
            if public_welfare[j] and not is_sanwu:
                total *= _OTHERS
            # Into the labourer's sorted list of at most k.
            post_id = ids[j]
            if kept == k and not _better(total, post_id, top_score[k - 1], top_id[k - 1]):
                continue
            at = kept if kept < k else k - 1
            while at > 0 and _better(total, post_id, top_score[at - 1], top_id[at - 1]):
                top_score[at] = top_score[at - 1]
                top_id[at] = top_id[at - 1]
                top_col[at] = top_col[at - 1]
                at -= 1
            top_score[at] = total
            top_id[at] = post_id
            top_col[at] = j
            if kept < k:
                kept += 1
        for r in range(kept):
            out_rows[found] = i
            out_cols[found] = top_col[r]
            out_scores[found] = top_score[r]
            found += 1
    return out_rows[:found], out_cols[:found], out_scores[:found]
