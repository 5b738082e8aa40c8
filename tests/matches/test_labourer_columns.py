"""The labourer read column by column (matches.snapshot.labourer_columns) gives exactly the
profiles the one-profile-per-row read gave, for a full load in several pages, a delta and a
list of ids; and LabourerColumns takes, joins and packs like the profiles it holds."""

import random
from datetime import date, timedelta

import numpy as np
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.kit.idnumber import age_on
from matching.labourers.models import (
    EmploymentStatus,
    LabourAbility,
    Labourer,
    LabourerSkill,
    PovertyStatus,
    Relocation,
    Sex,
    StatusPeriod,
)
from matching.matches import snapshot
from matching.matches.snapshot import labourer_columns, labourer_profiles
from matching.rules import places
from matching.scoring import LabourerArrays, LabourerProfile, Willingness
from matching.scoring.arrays import LabourerColumns
from matching.skills.taxonomy import get_taxonomy

TODAY = date(2026, 11, 23)
CODES = ["430981006", "430981", "4309", "430981006001", "441900003", "431226101"]


def _add_labourers(session: Session, n: int, seed: int) -> list[int]:
    rng = random.Random(seed)
    skill_ids = [s.id for s in get_taxonomy().skills]
    people = []
    for i in range(n):
        person = Labourer(
            name=f"工{i}", hukou_region=rng.choice(CODES), poverty_status=PovertyStatus.registered,
            labour_ability=rng.choice(list(LabourAbility)), wants_work=rng.random() < 0.85,
            relocation=rng.choice(list(Relocation)),
            birth_date=rng.choice((None, TODAY - timedelta(days=rng.randrange(6000, 22000)))),
            sex=rng.choice((None, Sex.male, Sex.female)),
            expected_wage=rng.choice((None, 2500, 4000)),
            preferred_occupations=rng.choice(([], rng.sample(skill_ids, 2), ["ZZ9999"])),
            household_id=rng.choice((None, f"H{seed}-{i // 3}", f"H{seed}-{i // 2}")),
            sanwu=rng.random() < 0.2, change_seq=10**9 + seed * 1000 + i,
        )  # fmt: skip
        chosen = rng.sample(skill_ids, rng.randrange(0, 5))
        person.skills = [LabourerSkill(skill_id=s) for s in chosen]
        if rng.random() < 0.2:
            person.skills.append(LabourerSkill(skill_id="ZZ0001"))  # not in the taxonomy
        people.append(person)
    session.add_all(people)
    session.flush()
    for person in people:
        for _ in range(rng.randrange(0, 3)):  # periods before, on and after the day
            day = TODAY + timedelta(days=rng.randrange(-400, 30))
            if all(p.effective_from != day for p in session.new if isinstance(p, StatusPeriod)):
                status = rng.choice(list(EmploymentStatus))
                session.add(StatusPeriod(labourer_id=person.id, status=status, effective_from=day))
    if len(people) > 3:
        people[3].merged_into_id = people[2].id
    session.flush()
    return [p.id for p in people]


def _one_by_one(session: Session, ids: list[int]) -> list[LabourerProfile]:
    """The profiles as the read built them before: one labourer, skill and period at a time."""
    taxonomy = get_taxonomy()
    where = places.load(session)
    labourers = session.scalars(select(Labourer).where(Labourer.id.in_(ids))).all()
    everyone = session.scalars(select(Labourer)).all()

    def status(lid: int) -> EmploymentStatus:
        periods = session.scalars(
            select(StatusPeriod)
            .where(StatusPeriod.labourer_id == lid, StatusPeriod.effective_from <= TODAY)
            .order_by(StatusPeriod.effective_from)
        ).all()
        return periods[-1].status if periods else EmploymentStatus.unemployed

    busy = {p.household_id for p in everyone if p.household_id and status(p.id).is_employed}
    out = []
    for p in sorted(labourers, key=lambda p: p.id):
        lat, lon = where.point(p.hukou_region)
        known = [s.skill_id for s in p.skills if taxonomy.get(s.skill_id) is not None]
        prefs = [s for s in p.preferred_occupations if taxonomy.get(s) is not None]
        seeking = (
            p.wants_work and p.labour_ability != LabourAbility.none
            and status(p.id) == EmploymentStatus.unemployed and p.merged_into_id is None
        )  # fmt: skip
        out.append(
            LabourerProfile(
                id=p.id, region=p.hukou_region, lat=lat, lon=lon,
                willingness=Willingness.parse(p.relocation), able_and_seeking=bool(seeking),
                age=age_on(p.birth_date, TODAY), sex=None if p.sex is None else str(p.sex),
                expected_wage=p.expected_wage,
                skills=tuple(taxonomy.index_of(s) for s in known),
                preferred_occupations=tuple(taxonomy.index_of(s) for s in prefs),
                sanwu=p.sanwu,
                zero_employment_household=bool(p.household_id) and p.household_id not in busy,
            )
        )  # fmt: skip
    return out


def _same(got: list[LabourerProfile], want: list[LabourerProfile]) -> None:
    assert [p.id for p in got] == [p.id for p in want]
    for g, w in zip(got, want, strict=True):
        # Skills come in no particular order from the database; a set each.
        assert sorted(g.skills) == sorted(w.skills), g.id
        assert g.__class__(**{**g.__dict__, "skills": ()}) == w.__class__(
            **{**w.__dict__, "skills": ()}
        ), g.id


def test_a_full_read_in_pages_equals_the_one_by_one_read(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = _add_labourers(session, 60, seed=1)
    far = Labourer(id=2 * 10**9, name="远", hukou_region="4309", wants_work=True,
                   poverty_status=PovertyStatus.registered, labour_ability=LabourAbility.full,
                   relocation=Relocation.county)  # fmt: skip
    session.add(far)  # a gap of ~10^9 ids: pages end at rows, not at id ranges
    session.flush()
    ids.append(far.id)
    monkeypatch.setattr(snapshot, "PAGE", 7)  # several pages, and ids across page bounds
    table, top = labourer_columns(session, TODAY)
    assert top >= 10**9 + 1000 + 59
    mine = np.flatnonzero(np.isin(table.ids, ids))
    got = [table.record(int(row)) for row in mine]
    _same(got, _one_by_one(session, ids))


def test_a_delta_and_a_list_equal_the_one_by_one_read(session: Session) -> None:
    ids = _add_labourers(session, 30, seed=2)
    profiles, _ = labourer_profiles(session, TODAY, ids=ids[5:12])
    _same(profiles, _one_by_one(session, ids[5:12]))
    changed, _ = labourer_columns(session, TODAY, changed_after=10**9 + 2000 + 20)
    # The changed labourers and their households' other members.
    assert set(ids[21:]) <= set(changed.ids.tolist())
    got = [changed.record(row) for row in range(len(changed))]
    _same(got, _one_by_one(session, changed.ids.tolist()))


def test_an_empty_read(session: Session) -> None:
    table, _ = labourer_columns(session, TODAY, ids=[-1])
    assert len(table) == 0 and len(table.pack()) == 0


def _profiles(n: int, seed: int) -> list[LabourerProfile]:
    rng = random.Random(seed)
    return [
        LabourerProfile(
            id=i,
            region=rng.choice(CODES),
            lat=rng.uniform(20, 30),
            lon=rng.uniform(100, 115),
            willingness=rng.choice(list(Willingness)),
            able_and_seeking=rng.random() < 0.8,
            age=rng.choice((None, 30, 51)),
            sex=rng.choice((None, "male", "female")),
            expected_wage=rng.choice((None, 3000)),
            skills=tuple(rng.sample(range(50), rng.randrange(4))),
            preferred_occupations=tuple(rng.sample(range(50), rng.randrange(3))),
            sanwu=rng.random() < 0.2,
            zero_employment_household=rng.random() < 0.2,
        )
        for i in range(1, n + 1)
    ]


def test_columns_take_join_and_give_back_their_profiles() -> None:
    first, second = _profiles(40, 1), _profiles(25, 2)
    a, b = LabourerColumns.from_profiles(first), LabourerColumns.from_profiles(second)
    rows = np.array([39, 0, 7, 7, 12], dtype=np.int64)
    joined = a.take(rows).concat([b])
    want = [first[r] for r in rows.tolist()] + second
    assert [joined.record(i) for i in range(len(joined))] == want
    packed, direct = joined.pack(), LabourerArrays.from_profiles(want)
    for name, value in direct.parts().items():
        np.testing.assert_array_equal(packed.parts()[name], value, err_msg=name)
    again = LabourerArrays.from_parts(packed.parts())
    assert again.max_index == packed.max_index and len(again) == len(want)
