"""Live indexes fed records or column tables hold the same rows through builds, deltas, rebuilds."""

import random
from dataclasses import fields, replace
from datetime import date, timedelta

import numpy as np
import pytest

from matching.matches.live import Snapshot, labourer_index, post_index
from matching.regions.registry import get_registry
from matching.scoring import LabourerProfile, PostArrays, PostKind, PostRecord, Willingness
from matching.scoring.arrays import PostColumns

TODAY = date(2026, 11, 23)
CODES = ["43", "4309", "430981", "430981006", "430981006001", "441900003", "4419", "110101"]
_registry = get_registry()


def _post(rng: random.Random, pid: int) -> PostRecord:
    code = rng.choice(CODES)
    lat, lon = _registry.seat(code)
    low = rng.choice((0, 2000, 3500))
    return PostRecord(
        id=pid, region=code, lat=lat, lon=lon, kind=rng.choice(list(PostKind)),
        wage_min=low, wage_max=low + rng.choice((0, 500, 1500)),
        age_min=rng.choice((None, 16, 18)), age_max=rng.choice((None, 45, 60)),
        openings_left=rng.randrange(0, 5),
        valid_from=rng.choice((None, TODAY - timedelta(days=rng.randrange(30)))),
        valid_until=rng.choice((None, TODAY + timedelta(days=rng.randrange(60)))),
        occupation=rng.choice((None, rng.randrange(40))),
        required_skills=tuple(rng.sample(range(40), rng.randrange(0, 9))),
    )  # fmt: skip


def _same_arrays(a: PostArrays, b: PostArrays) -> None:
    for f in fields(PostArrays):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, tuple):
            for u, v in zip(x, y, strict=True):
                np.testing.assert_array_equal(u, v, err_msg=f.name)
        else:
            np.testing.assert_array_equal(x, y, err_msg=f.name)


def _check(snap: Snapshot[PostArrays, PostRecord], model: dict[int, PostRecord]) -> None:
    assert len(snap) == len(model)
    assert dict(snap.records) == model
    assert set(snap.records) == set(model)
    rows = [
        (block.arrays.ids[i], block is snap.main)
        for block in snap.blocks()
        for i in np.flatnonzero(block.alive)
    ]
    assert sorted(int(i) for i, _ in rows) == sorted(model)  # each current post exactly once


@pytest.mark.parametrize("seed", range(6))
def test_records_and_columns_give_the_same_index(seed: int) -> None:
    rng = random.Random(seed)
    by_records, by_columns = post_index(), post_index()
    posts = [_post(rng, i) for i in range(1, 301)]
    model = {p.id: p for p in posts}
    by_records.build(posts, seq=1, today=TODAY)
    by_columns.build(PostColumns.from_records(posts), seq=1, today=TODAY)
    next_id = 301
    for step in range(8):
        size = rng.choice((1, 5, 40)) if step != 5 else 3_000  # once past the rebuild threshold
        changed = []
        for _ in range(size):
            if model and rng.random() < 0.5:
                pid = rng.choice(list(model))
            else:
                pid, next_id = next_id, next_id + 1
            changed.append(_post(rng, pid))
        removed = rng.sample(list(model), min(len(model), rng.randrange(0, 6)))
        removed += [10**9]  # never existed
        for post in changed:
            removed = [r for r in removed if r != post.id]  # as post_records reports them
        for rid in removed:
            model.pop(rid, None)
        model |= {p.id: p for p in changed}
        by_records.apply(changed, removed, seq=step + 2)
        by_columns.apply(PostColumns.from_records(changed), removed, seq=step + 2)
        for index in (by_records, by_columns):
            snap = index.snapshot
            assert snap is not None and snap.seq == step + 2
            _check(snap, model)
        a, b = by_records.snapshot, by_columns.snapshot
        assert a is not None and b is not None
        assert len(a.blocks()) == len(b.blocks())
        for x, y in zip(a.blocks(), b.blocks(), strict=True):
            _same_arrays(x.arrays, y.arrays)
            np.testing.assert_array_equal(x.alive, y.alive)
            np.testing.assert_array_equal(x.region_keys, y.region_keys)
            assert x.rows == y.rows


def test_repeated_ids_keep_the_last() -> None:
    rng = random.Random(3)
    first, second = _post(rng, 1), replace(_post(rng, 1), wage_min=0, wage_max=9000)
    index = post_index()
    index.build(PostColumns.from_records([first, _post(rng, 2), second]), seq=1, today=TODAY)
    snap = index.snapshot
    assert snap is not None and len(snap) == 2
    assert snap.records[1] == second


def test_labourer_records_come_back_as_given() -> None:
    """The index keeps columns, not the profiles: each comes back made anew, equal."""
    code = "430981006"
    lat, lon = _registry.seat(code)
    profiles = [
        LabourerProfile(id=i, region=code, lat=lat, lon=lon, willingness=Willingness.county)
        for i in range(1, 51)
    ]
    index = labourer_index()
    index.build(profiles, seq=1, today=TODAY)
    moved = replace(profiles[4], able_and_seeking=False)
    index.apply([moved], [], seq=2)
    snap = index.snapshot
    assert snap is not None and snap.delta is not None
    assert snap.records.get(5) == moved
    assert snap.records.get(6) == profiles[5]
    assert snap.records.get(999) is None
    assert len(snap) == 50


def test_a_large_build_is_frozen_out_of_the_collectors_walks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Full collections walked every record of a large index (issue 14): after a build at
    least FREEZE_FROM rows, everything alive is in the permanent generation; a small one
    leaves the collector alone."""
    import gc

    from matching.matches import live

    frozen: list[int] = []
    monkeypatch.setattr(gc, "freeze", lambda: frozen.append(1))
    monkeypatch.setattr(live, "FREEZE_FROM", 50)
    rng = random.Random(7)
    small, large = post_index(), post_index()
    small.build([_post(rng, i) for i in range(1, 10)], seq=1, today=date(2026, 11, 20))
    assert frozen == []
    large.build([_post(rng, i) for i in range(1, 60)], seq=1, today=date(2026, 11, 20))
    assert frozen == [1]


def test_a_records_version_changes_with_it_and_only_with_it() -> None:
    """`Snapshot.version` names a record's contents: kept while other records change and the
    record stays in its block, new when it changes, None once it is gone."""
    rng = random.Random(11)
    index = post_index()
    index.build([_post(rng, i) for i in range(1, 11)], seq=1, today=TODAY)
    first = index.snapshot
    assert first is not None
    one, two = first.version(1), first.version(2)
    assert one is not None and two is not None and one != two
    index.apply([_post(rng, 2)], [], seq=2)  # another post changes
    after = index.snapshot
    assert after is not None
    assert after.version(1) == one
    assert after.version(2) not in (None, two)
    index.apply([], [1], seq=3)  # post 1 closes
    closed = index.snapshot
    assert closed is not None
    assert closed.version(1) is None
    index.build([_post(rng, i) for i in range(1, 11)], seq=4, today=TODAY)
    rebuilt = index.snapshot
    assert rebuilt is not None and rebuilt.version(3) != after.version(3)
