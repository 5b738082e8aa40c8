"""The group scorer's row limits and its refusal of labourers who are not one group.

That its totals equal the one-labourer scorer's, bit for bit, is a property in test_properties.
"""

from collections.abc import Callable
from datetime import date

import pytest

from matching.scoring import LabourerArrays, LabourerProfile, PostArrays, PostRecord, ScoringContext
from matching.scoring.batch import best_of_group, score_group, top_per_row
from matching.scoring.codes import day_number

MakeProfile = Callable[..., LabourerProfile]
MakePost = Callable[..., PostRecord]


def test_rows_keep_their_own_count(
    ctx: ScoringContext, make_post: MakePost, make_profile: MakeProfile, today: date
) -> None:
    posts = PostArrays.from_records([make_post(i) for i in (4, 2, 9, 7)])  # all tie
    group = [make_profile(id=1), make_profile(id=2)]
    totals = score_group(LabourerArrays.from_profiles(group), posts, ctx, day_number(today))
    rows, cols = top_per_row(totals, posts.ids, [3, 1])
    assert rows.tolist() == [0, 0, 0, 1]
    assert posts.ids[cols].tolist() == [2, 4, 7, 2]  # ties go to the lower id


def test_a_group_must_share_county_seat_and_willingness(
    ctx: ScoringContext, make_post: MakePost, make_profile: MakeProfile, today: date
) -> None:
    posts = PostArrays.from_records([make_post(1)])
    mixed = [make_profile(id=1), make_profile(id=2, lat=30.0)]
    with pytest.raises(ValueError, match="must share"):
        score_group(LabourerArrays.from_profiles(mixed), posts, ctx, day_number(today))


def test_a_group_with_nothing_to_find_finds_nothing(
    ctx: ScoringContext, make_post: MakePost, make_profile: MakeProfile, today: date
) -> None:
    posts = PostArrays.from_records([make_post(1)])
    group = LabourerArrays.from_profiles([make_profile(id=1)])
    day = day_number(today)
    for found in (
        best_of_group(group, posts, ctx, day, [0]),  # nothing wanted
        best_of_group(group, PostArrays.from_records([]), ctx, day, [3]),  # no post
        best_of_group(LabourerArrays.from_profiles([]), posts, ctx, day, []),  # no labourer
    ):
        assert [len(part) for part in found] == [0, 0, 0]
    assert len(best_of_group(group, posts, ctx, day, [3])[0]) == 1
