"""Plan candidates: group-by-group scoring is exact, and region blocking only narrows the pool."""

import random
from dataclasses import replace
from datetime import date

import numpy as np
import pytest

from matching.matches.live import post_index
from matching.matches.read_model import PostTable
from matching.planning.candidates import Blocking, Candidates, best_posts
from matching.scoring import (
    Corridors,
    LabourerProfile,
    PostArrays,
    PostKind,
    PostRecord,
    ScoringContext,
    SkillSpace,
    Willingness,
    score_posts_for_labourer,
)

TODAY = date(2025, 6, 1)
TAXONOMY = 12
SEATS = {  # county → seat
    "450103": (22.82, 108.39),
    "450123": (23.17, 107.69),
    "450202": (24.33, 109.41),
    "440106": (23.13, 113.36),
    "330106": (30.26, 120.13),
    "441900": (23.02, 113.75),  # 东莞: no county level (its codes stop at the prefecture)
}
POST_CODES = [*SEATS, "450103001", "450103002", "450123101", "440106005", "441900003",
              "441900004"]  # fmt: skip
LABOURER_CODES = ["450103", "450103001", "450103001001", "450103002", "450123101", "440106",
                  "441900003"]  # fmt: skip


@pytest.fixture(scope="module")
def ctx() -> ScoringContext:
    groups = (np.arange(TAXONOMY) // 3).astype(np.int32)
    sim = np.where(groups[:, None] == groups[None, :], 0.4, 0.0).astype(np.float32)
    sim[0, 1] = sim[1, 0] = 0.8
    np.fill_diagonal(sim, 1.0)
    return ScoringContext(SkillSpace(sim, groups), corridors=Corridors((("44", "45"),)))


def _posts(rng: random.Random, n: int) -> list[PostRecord]:
    out = []
    for i in range(1, n + 1):
        code = rng.choice(POST_CODES)
        low = rng.randrange(0, 6000, 500)
        out.append(PostRecord(
            id=i, region=code, lat=SEATS[code[:6]][0], lon=SEATS[code[:6]][1],
            kind=rng.choice(list(PostKind)), wage_min=low, wage_max=low + rng.randrange(0, 2000),
            age_min=rng.choice([None, 18]), age_max=rng.choice([None, 45, 55]),
            openings_left=rng.choice([0, 1, 3]), is_open=rng.random() < 0.95,
            occupation=rng.choice([None, *range(TAXONOMY)]),
            required_skills=tuple(rng.sample(range(TAXONOMY), rng.randrange(0, 4))),
        ))  # fmt: skip
    return out


def _labourers(rng: random.Random, n: int) -> list[LabourerProfile]:
    out = []
    for i in range(1, n + 1):
        code = rng.choice(LABOURER_CODES)
        out.append(LabourerProfile(
            id=i, region=code, lat=SEATS[code[:6]][0], lon=SEATS[code[:6]][1],
            willingness=rng.choice(list(Willingness)), age=rng.choice([None, 30, 50]),
            expected_wage=rng.choice([None, 3000, 5000]),
            skills=tuple(rng.sample(range(TAXONOMY), rng.randrange(0, 3))),
            preferred_occupations=tuple(rng.sample(range(TAXONOMY), rng.randrange(0, 2))),
            sanwu=rng.random() < 0.2, zero_employment_household=rng.random() < 0.2,
        ))  # fmt: skip
    return out


@pytest.fixture(scope="module")
def world() -> tuple[list[LabourerProfile], list[PostRecord], PostTable]:
    """Labourers, the current posts, and a post snapshot with a delta and dropped rows."""
    rng = random.Random(11)
    posts = _posts(rng, 400)
    index = post_index()
    index.build(posts, 1, TODAY)
    changed = [replace(posts[5], wage_min=8000, wage_max=9000), replace(posts[9], region="330106")]
    index.apply(changed, [posts[20].id], 2)
    current = {p.id: p for p in posts} | {p.id: p for p in changed}
    del current[posts[20].id]
    snapshot = index.snapshot
    assert snapshot is not None and snapshot.delta is not None
    return _labourers(rng, 120), list(current.values()), PostTable.of(snapshot, TODAY)


def _exact(
    ctx: ScoringContext,
    labourers: list[LabourerProfile],
    posts: list[PostRecord],
    wanted: list[int],
) -> dict[int, list[tuple[int, float]]]:
    arrays = PostArrays.from_records(posts)
    return {
        row: [(m.post_id, float(np.float32(m.total)))
              for m in score_posts_for_labourer(p, arrays, ctx, today=TODAY, k=wanted[row])]
        for row, p in enumerate(labourers)
    }  # fmt: skip


def _by_row(found: Candidates) -> dict[int, list[tuple[int, float]]]:
    out: dict[int, list[tuple[int, float]]] = {}
    for row, post, score in zip(found.rows.tolist(), found.posts.tolist(),
                                found.scores.tolist(), strict=True):  # fmt: skip
        out.setdefault(row, []).append((post, score))
    return out


def test_without_blocking_every_labourer_gets_their_exact_best(ctx, world) -> None:  # type: ignore[no-untyped-def]
    labourers, posts, snapshot = world
    wanted = [1 + i % 5 for i in range(len(labourers))]
    found = best_posts(ctx, labourers, snapshot, today=TODAY, wanted=wanted, blocking=None)
    expected = {r: v for r, v in _exact(ctx, labourers, posts, wanted).items() if v}
    assert _by_row(found) == expected
    # A reach small enough is scored whole even with blocking on.
    assert _by_row(best_posts(ctx, labourers, snapshot, today=TODAY, wanted=wanted)) == expected


def test_blocking_keeps_home_posts_and_true_scores(ctx, world) -> None:  # type: ignore[no-untyped-def]
    labourers, posts, snapshot = world
    wanted = [5] * len(labourers)
    tight = Blocking(exact_up_to=10, far_overall=4, far_per_skill=1)
    found = _by_row(
        best_posts(ctx, labourers, snapshot, today=TODAY, wanted=wanted, blocking=tight)
    )
    every = _exact(ctx, labourers, posts, [len(posts)] * len(labourers))
    best = _exact(ctx, labourers, posts, wanted)
    region = {p.id: p.region for p in posts}
    narrowed = 0
    for row, labourer in enumerate(labourers):
        got = found.get(row, [])
        # Each pair is eligible and carries its true score, best first.
        assert set(got) <= set(every[row])
        assert [s for _, s in got] == sorted((s for _, s in got), reverse=True)
        # The exact best posts in the labourer's own county are never dropped.
        home = {p for p, _ in best[row] if region[p][:6] == labourer.region[:6]}
        assert home <= {p for p, _ in got}
        narrowed += got != best[row]
    assert narrowed > 0  # the tight blocking did narrow some far searches


def test_searches_over_parts_of_a_request_merge_by_request_row() -> None:
    """Rows 0 and 2 searched apart from row 1: each part's rows map back, ordered by row, a
    row's candidates in the order its search gave them."""
    first = Candidates(np.array([0, 0, 1]), np.array([7, 8, 9]), np.array([0.9, 0.8, 0.7]))
    second = Candidates(np.array([0]), np.array([5]), np.array([0.6]))
    merged = Candidates.merged([(np.array([0, 2]), first), (np.array([1]), second)])
    assert merged.rows.tolist() == [0, 0, 1, 2]
    assert merged.posts.tolist() == [7, 8, 5, 9]
    assert merged.scores.tolist() == [0.9, 0.8, 0.6, 0.7]
    assert len(Candidates.merged([]).rows) == 0
