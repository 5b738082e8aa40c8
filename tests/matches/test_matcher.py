"""The matcher's region pre-selection and delta blocks never change what the scorer returns."""

import random
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from matching.matches.live import labourer_index, post_index
from matching.matches.matcher import Matcher
from matching.regions.registry import RegionLevel, get_registry
from matching.scoring import (
    LabourerProfile,
    PostArrays,
    PostKind,
    PostRecord,
    Willingness,
    score_posts_for_labourer,
)
from matching.settings import Settings

TODAY = date(2026, 11, 23)
_registry = get_registry()
# A few provinces' real codes: counties and townships, so every reach level has posts in range.
CODES = sorted(
    r.code
    for level in (RegionLevel.county, RegionLevel.township)
    for r in _registry.regions(level)
    if r.code[:4] in ("4309", "4301", "4419", "4501")
)


def _posts(seed: int, n: int = 400) -> list[PostRecord]:
    rng = random.Random(seed)
    records = []
    for i in range(1, n + 1):
        code = rng.choice(CODES)
        lat, lon = _registry.seat(code)
        low = rng.randrange(2000, 7000, 500)
        records.append(
            PostRecord(
                id=i, region=code, lat=lat, lon=lon, kind=rng.choice(list(PostKind)),
                wage_min=low, wage_max=low + 1000, openings_left=rng.randrange(0, 4),
                required_skills=tuple(rng.sample(range(40), rng.randrange(0, 3))),
            )
        )  # fmt: skip
    return records


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    code_index=st.integers(0, len(CODES) - 1),
    willingness=st.sampled_from(list(Willingness)),
    skills=st.lists(st.integers(0, 40), max_size=3),
)
def test_reach_preselection_matches_scoring_everything(
    seed: int, code_index: int, willingness: Willingness, skills: list[int]
) -> None:
    matcher = Matcher(Settings(database_url="sqlite://"))
    records = _posts(seed)
    index = post_index()
    index.build(records[:300], seq=1, today=TODAY)
    index.apply([*records[300:], records[0]], removed=[records[1].id], seq=2)  # and a delta block
    code = CODES[code_index]
    lat, lon = _registry.seat(code)
    profile = LabourerProfile(
        id=1, region=code, lat=lat, lon=lon, willingness=willingness, skills=tuple(skills)
    )
    snap = index.snapshot
    assert snap is not None
    got = matcher.top_posts(profile, snap, matcher.context, today=TODAY, k=10)
    everything = PostArrays.from_records(r for r in records if r.id != records[1].id)
    want = score_posts_for_labourer(profile, everything, matcher.context, today=TODAY, k=10)
    assert [(m.post_id, round(m.total, 5)) for m in got] == [
        (m.post_id, round(m.total, 5)) for m in want
    ]


def test_a_labourers_row_of_the_index_scores_as_their_profile() -> None:
    """A match scores the labourer's row of the labourer index, sliced (ReadModel.top_posts),
    not the profile packed again: the same posts, scores, breakdowns and reasons, for rows of
    the main block and of a delta."""
    rng = random.Random(11)
    matcher = Matcher(Settings(database_url="sqlite://"))
    posts = post_index()
    posts.build(_posts(5), seq=1, today=TODAY)

    def profile(i: int) -> LabourerProfile:
        code = rng.choice(CODES)
        lat, lon = _registry.seat(code)
        return LabourerProfile(
            id=i, region=code, lat=lat, lon=lon, willingness=rng.choice(list(Willingness)),
            age=rng.choice((None, 24, 52)), expected_wage=rng.choice((None, 2500, 6000)),
            skills=tuple(rng.sample(range(40), rng.randrange(4))),
            preferred_occupations=tuple(rng.sample(range(40), rng.randrange(3))),
            sanwu=rng.random() < 0.3, zero_employment_household=rng.random() < 0.3,
        )  # fmt: skip

    labourers = labourer_index()
    labourers.build([profile(i) for i in range(1, 61)], seq=1, today=TODAY)
    labourers.apply([profile(i) for i in range(50, 71)], removed=[3], seq=2)
    post_snap, snap = posts.snapshot, labourers.snapshot
    assert post_snap is not None and snap is not None and snap.delta is not None
    matched = 0
    for lid, record in snap.records.items():
        block, row = snap.current(lid) or (None, -1)
        assert block is (snap.delta if lid >= 50 else snap.main)
        packed = block.arrays.row(row)
        got = matcher.top_posts(record, post_snap, matcher.context, today=TODAY, k=10,
                                packed=packed)  # fmt: skip
        want = matcher.top_posts(record, post_snap, matcher.context, today=TODAY, k=10)
        matched += bool(want)
        assert [(m.post_id, m.total, m.breakdown, m.reasons) for m in got] == [
            (m.post_id, m.total, m.breakdown, m.reasons) for m in want
        ], lid
    assert matched > 40  # of 69: most labourers have posts in reach
    assert snap.current(3) is None
