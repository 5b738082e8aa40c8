"""The bulk post read (column by column) packs exactly what the one-post path (records) packs."""

import random
from dataclasses import replace
from datetime import date, timedelta

import numpy as np
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from matching.matches.snapshot import post_record, post_records
from matching.posts.models import Post, PostSkill, PostSource, PostStatus, PostType
from matching.regions.models import TownshipSeat
from matching.rules import places
from matching.scoring import PostKind, PostRecord
from matching.scoring.arrays import PostColumns
from matching.skills.taxonomy import get_taxonomy

# Every depth of code, a village code, and 东莞-style codes that skip the county level.
CODES = ["43", "4309", "430981", "430981006", "430981006001", "441900003", "4419", "11", "110101"]
TODAY = date(2026, 11, 23)


def _add_posts(session: Session, n: int, seed: int) -> list[int]:
    rng = random.Random(seed)
    skill_ids = [s.id for s in get_taxonomy().skills]
    posts = []
    for i in range(n):
        low = rng.choice((0, 0, 2000, 3500))
        post = Post(
            source=PostSource.station, employer=f"厂{i}", post_type=rng.choice(list(PostType)),
            title="工", workplace_region=rng.choice(CODES), openings=5,
            openings_left=rng.randrange(0, 6), wage_min=low, wage_max=low + rng.choice((0, 800)),
            age_min=rng.choice((None, 0, 16, 18)), age_max=rng.choice((None, 45, 60)),
            valid_from=TODAY - timedelta(days=rng.randrange(30)),
            valid_until=rng.choice((None, TODAY + timedelta(days=rng.randrange(1, 90)))),
            status=rng.choice((*[PostStatus.open] * 4, PostStatus.filled, PostStatus.withdrawn)),
            occupation_id=rng.choice((None, "ZZ9999", *rng.sample(skill_ids, 3))),
            fingerprint=f"{seed}-{i}", content_hash=f"{seed}-{i}", change_seq=10**9 + i,
        )  # fmt: skip
        if rng.random() < 0.2:  # a workplace point of its own
            post.workplace_lat, post.workplace_lon = (
                28.8 + rng.random() / 5,
                112.4 + rng.random() / 5,
            )
        chosen = rng.sample(skill_ids, rng.randrange(0, 9))  # some past the padded block
        post.skills = [PostSkill(skill_id=s, required=rng.random() < 0.8) for s in chosen]
        if rng.random() < 0.2:
            post.skills.append(PostSkill(skill_id="ZZ0001", required=True))  # not in taxonomy
        posts.append(post)
    session.add_all(posts)
    session.flush()
    return [p.id for p in posts]


def _record_by_record(
    session: Session, changed_after: int | None = None
) -> tuple[list[PostRecord], list[int], int]:
    """post_records as it was: one PostRecord per row (the reference for the column path)."""
    query = select(
        Post.id, Post.workplace_region, Post.post_type, Post.wage_min, Post.wage_max,
        Post.age_min, Post.age_max, Post.openings_left, Post.status, Post.valid_from,
        Post.valid_until, Post.occupation_id, Post.change_seq, Post.workplace_lat,
        Post.workplace_lon,
    )  # fmt: skip
    query = (
        query.where(Post.status == PostStatus.open)
        if changed_after is None
        else query.where(Post.change_seq > changed_after)
    )
    rows = session.execute(query).all()
    taxonomy = get_taxonomy()
    skills: dict[int, list[int]] = {}
    skill_query = (
        select(PostSkill.post_id, PostSkill.skill_id)
        .where(PostSkill.required.is_(True))
        .order_by(PostSkill.post_id, PostSkill.skill_id)
    )
    if changed_after is not None:
        skill_query = skill_query.where(PostSkill.post_id.in_([r[0] for r in rows]))
    for pid, sid in session.execute(skill_query):
        if taxonomy.get(sid) is not None:
            skills.setdefault(pid, []).append(taxonomy.index_of(sid))
    records, closed, top = [], [], 0
    where = places.load(session)
    for row in rows:
        (pid, region, kind, wmin, wmax, amin, amax, left, status, vfrom, vuntil, occ, seq, *own) = (
            row
        )
        top = max(top, seq)
        if status != PostStatus.open:
            closed.append(pid)
            continue
        lat, lon = where.post_point(region, *own)
        records.append(
            PostRecord(
                id=pid, region=region, lat=lat, lon=lon, kind=PostKind.parse(kind),
                wage_min=wmin, wage_max=wmax, age_min=amin, age_max=amax, openings_left=left,
                is_open=True, valid_from=vfrom, valid_until=vuntil,
                occupation=taxonomy.index_of(occ) if occ and taxonomy.get(occ) else None,
                required_skills=tuple(skills.get(pid, ())),
            )
        )  # fmt: skip
    return records, closed, top


def _exactly(got: PostColumns, want: PostColumns) -> None:
    assert set(got.columns) == set(want.columns)
    for name, column in want.columns.items():
        assert got.columns[name].dtype == column.dtype, name
        np.testing.assert_array_equal(got.columns[name], column, err_msg=name)
    assert got.regions.tolist() == want.regions.tolist()
    np.testing.assert_array_equal(got.region_keys, want.region_keys)


@pytest.mark.parametrize("changed_after", [None, 0, 10**9 + 150])
def test_columns_equal_the_old_record_by_record_read(
    session: Session, changed_after: int | None
) -> None:
    _add_posts(session, 300, seed=5)
    columns, closed, top = post_records(session, changed_after=changed_after)
    records, old_closed, old_top = _record_by_record(session, changed_after)
    assert (sorted(closed), top) == (sorted(old_closed), old_top)
    _exactly(columns, PostColumns.from_records(records))  # same rows, order and skill order
    assert [columns.record(i) for i in range(len(columns))] == [
        replace(r, age_min=r.age_min or None)
        for r in records  # age 0 and none pack alike
    ]


def _mine(columns: PostColumns, ids: list[int]) -> PostColumns:
    return columns.take(np.flatnonzero(np.isin(columns.ids, ids)).astype(np.int64))


def _assert_same(got: PostColumns, want: PostColumns) -> None:
    """Equal columns, each post's skills in the same order: the bulk read and one post read
    alone both take them by skill id, and a post's skills score sums in that order."""
    got, want = got.take(np.argsort(got.ids)), want.take(np.argsort(want.ids))
    assert set(got.columns) == set(want.columns)
    for name, column in want.columns.items():
        assert got.columns[name].dtype == column.dtype, name
        np.testing.assert_array_equal(got.columns[name], column, err_msg=name)
    assert got.regions.tolist() == want.regions.tolist()
    np.testing.assert_array_equal(got.region_keys, want.region_keys)
    assert [got.record(i) for i in range(len(got))] == [want.record(i) for i in range(len(want))]


def _one_by_one(session: Session, ids: list[int]) -> PostColumns:
    session.expire_all()  # read back as explain does
    posts = session.scalars(
        select(Post).where(Post.id.in_(ids)).options(selectinload(Post.skills))
    ).all()
    where = places.load(session)
    return PostColumns.from_records(
        post_record(p, where) for p in posts if p.status == PostStatus.open
    )


def test_full_read_equals_the_record_path(session: Session) -> None:
    session.add(TownshipSeat(code="430981006", lat=28.9, lon=112.5))  # a township seat staff set
    ids = _add_posts(session, 300, seed=7)
    columns, closed, top = post_records(session)
    assert closed == []  # a full read reads only open posts
    assert top >= 10**9 + 299
    _assert_same(_mine(columns, ids), _one_by_one(session, ids))
    opened = session.query(Post).filter(Post.id.in_(ids), Post.status == PostStatus.open)
    assert len(_mine(columns, ids).pack()) == opened.count()


def test_delta_read_splits_open_and_closed(session: Session) -> None:
    ids = _add_posts(session, 120, seed=11)
    seqs = dict(session.execute(select(Post.id, Post.change_seq).where(Post.id.in_(ids))).all())
    after = 10**9 + 60
    columns, closed, top = post_records(session, changed_after=after)
    changed = [i for i in ids if seqs[i] > after]
    statuses = dict(session.execute(select(Post.id, Post.status).where(Post.id.in_(ids))).all())
    assert sorted(closed) == sorted(i for i in changed if statuses[i] != PostStatus.open)
    assert top == max(seqs[i] for i in changed)
    _assert_same(_mine(columns, changed), _one_by_one(session, changed))


def test_empty_read(session: Session) -> None:
    columns, closed, top = post_records(session, changed_after=2_000_000_000)
    assert (len(columns), closed, top) == (0, [], 0)
    assert len(columns.pack()) == 0
