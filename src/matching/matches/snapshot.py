"""Reading the database into the scorer's post columns and records, and labourer profiles."""

from collections.abc import Iterable, Sequence
from datetime import date
from operator import itemgetter
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, Select, String, select, type_coerce
from sqlalchemy.orm import Session

from matching.agencies.models import Agency
from matching.database import id_chunks
from matching.kit.idnumber import age_on
from matching.labourers.models import EmploymentStatus, Labourer, LabourerSkill
from matching.posts.models import Post, PostSkill, PostStatus
from matching.rules import places
from matching.rules.population import is_seeking
from matching.rules.status import statuses_on
from matching.scoring import LabourerProfile, PostKind, PostRecord, Willingness
from matching.scoring.arrays import PostColumns, by_value, factorize
from matching.scoring.dtypes import I32, I64
from matching.skills.taxonomy import get_taxonomy


def _skill_index(skill_id: str) -> int | None:
    taxonomy = get_taxonomy()
    return taxonomy.index_of(skill_id) if taxonomy.get(skill_id) is not None else None


def _post_columns() -> Select[*tuple[Any, ...]]:
    # Enum columns come back as their plain strings: converting 100,000 of them to enum members
    # row by row costs more than the read; each distinct string is parsed once instead. The last
    # column says whether the post's agency is suspended (its posts stop matching).
    return select(
        Post.id, Post.workplace_region, type_coerce(Post.post_type, String), Post.wage_min,
        Post.wage_max, Post.age_min, Post.age_max, Post.openings_left,
        type_coerce(Post.status, String), Post.valid_from, Post.valid_until, Post.occupation_id,
        Post.change_seq, Agency.suspended_at.is_not(None), Post.workplace_lat, Post.workplace_lon,
    ).outerjoin(Agency, Agency.id == Post.agency_id)  # fmt: skip


def post_records(
    session: Session, *, changed_after: int | None = None
) -> tuple[PostColumns, list[int], int]:
    """Open posts as columns, ids of posts that are no longer open, and the highest change number.

    A full load (changed_after None) reads only open posts; a delta reads every changed post.
    A post of a suspended agency counts as not open (suspending stamps its posts as changed).
    The rows are read as plain tuples and converted column by column, never one object per post.
    """
    query = _post_columns()
    query = (
        query.where(Post.status == PostStatus.open)
        if changed_after is None
        else query.where(Post.change_seq > changed_after)
    )
    rows = session.connection().execute(query).all()
    top = max((row[12] for row in rows), default=0)
    closed = [row[0] for row in rows if row[8] != PostStatus.open or row[13]]
    if closed:
        rows = [row for row in rows if row[8] == PostStatus.open and not row[13]]
    skills = _post_skills(session, [r[0] for r in rows] if changed_after is not None else None)
    return _post_table(rows, skills, places.load(session)), closed, top


def _post_table(
    rows: Sequence[Sequence[Any]], skills: tuple[I64, I32], where: places.Places
) -> PostColumns:
    """Rows of _post_columns() as PostColumns, each distinct region, type, date and occupation
    converted once; `skills` pairs post ids with required skills' taxonomy indices; each post
    placed at its own point or its region's (rules.places)."""
    # Column by column: cheaper than transposing with zip(*rows), which unpacks each row.
    columns = [list(map(itemgetter(i), rows)) for i in range(16)]
    pid, region, kind, wmin, wmax, amin, amax, left, _, vfrom, vuntil, occ, _, _, olat, olon = (
        columns
    )
    ids = np.array(pid, dtype=np.int64)
    indptr, indices = _group(ids, *skills)
    distinct, at = factorize(region)
    points = np.array([where.point(c) for c in distinct], dtype=np.float64).reshape(-1, 2)[at]
    own = np.array([olat, olon], dtype=np.float64).reshape(2, -1).T  # None reads as NaN
    given = ~np.isnan(own).any(axis=1)
    points[given] = own[given]
    return PostColumns.of(
        region,
        lat=points[:, 0],
        lon=points[:, 1],
        ages=(amin, amax),
        valid=(vfrom, vuntil),
        occupation=by_value(occ, _taxonomy_index, object).tolist(),
        ids=ids,
        kind=by_value(kind, lambda k: int(PostKind.parse(k)), np.int8),
        wage_min=np.array(wmin, dtype=np.int32),
        wage_max=np.array(wmax, dtype=np.int32),
        openings_left=np.array(left, dtype=np.int32),
        is_open=np.ones(len(ids), dtype=np.bool_),
        skill_indptr=indptr,
        skill_indices=indices,
    )


def _taxonomy_index(skill_id: str | None) -> int | None:
    return _skill_index(skill_id) if skill_id else None


def _group(ids: I64, owners: I64, skills: I32) -> tuple[I64, I32]:
    """CSR of the skills over the posts' rows, each post's skills in the order given."""
    order = np.argsort(ids, kind="stable")
    sorted_ids = ids[order]
    at = np.minimum(np.searchsorted(sorted_ids, owners), max(len(ids) - 1, 0))
    known = sorted_ids[at] == owners if len(ids) else np.zeros(len(owners), dtype=np.bool_)
    rows = order[at[known]]
    regroup = np.argsort(rows, kind="stable")  # stable: keeps each post's skill order
    indptr = np.zeros(len(ids) + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=len(ids)), out=indptr[1:])
    return indptr, skills[known][regroup]


def _post_skills(session: Session, post_ids: list[int] | None) -> tuple[I64, I32]:
    """(post id, taxonomy index) of required skills known to the taxonomy, in the order read;
    None reads all of them (a full load needs no id list)."""
    found: list[Any] = []
    query = select(PostSkill.post_id, PostSkill.skill_id).where(PostSkill.required.is_(True))
    for chunk in id_chunks(post_ids):
        found += (
            session.connection()
            .execute(query if chunk is None else query.where(PostSkill.post_id.in_(chunk)))
            .all()
        )
    owners, skill_ids = list(map(itemgetter(0), found)), list(map(itemgetter(1), found))
    index = by_value(skill_ids, _index_or_missing, np.int64)
    known = index >= 0
    return np.array(owners, dtype=np.int64)[known], index[known].astype(np.int32)


def _index_or_missing(skill_id: str) -> int:
    index = _skill_index(skill_id)
    return -1 if index is None else index


def labourer_profiles(
    session: Session,
    today: date,
    *,
    changed_after: int | None = None,
    ids: list[int] | None = None,
) -> tuple[list[LabourerProfile], int]:
    """Labourers as profiles (seeking or not), and the highest change number seen.

    A delta also brings back every member of the changed labourers' households, since one
    member's new job changes the others' zero-employment flag.
    """
    query = select(
        Labourer.id, Labourer.hukou_region, Labourer.relocation, Labourer.labour_ability,
        Labourer.wants_work, Labourer.birth_date, Labourer.expected_wage,
        Labourer.preferred_occupations, Labourer.sanwu, Labourer.household_id, Labourer.change_seq,
        Labourer.merged_into_id, Labourer.sex,
    )  # fmt: skip
    if changed_after is not None or ids is not None:
        query = query.where(_labourers_and_households(session, changed_after, ids))
    rows = session.execute(query).all()
    partial = changed_after is not None or ids is not None
    wanted = [r[0] for r in rows] if partial else None
    statuses = statuses_on(session, wanted, today)
    skills = _labourer_skills(session, wanted)
    employed_households = {
        r[9] for r in rows if r[9] and statuses.get(r[0], EmploymentStatus.unemployed).is_employed
    }
    profiles, top = [], 0
    where = places.load(session)
    if ids is not None:
        wanted_ids = set(ids)
        rows = [r for r in rows if r[0] in wanted_ids]  # other members only informed the flags
    for (
        lid,
        region,
        reloc,
        ability,
        wants,
        birth,
        wage,
        prefs,
        sanwu,
        household,
        seq,
        merged,
        sex,
    ) in rows:
        top = max(top, seq)
        status = statuses.get(lid, EmploymentStatus.unemployed)
        lat, lon = where.point(region)
        profiles.append(
            LabourerProfile(
                id=lid, region=region, lat=lat, lon=lon, willingness=Willingness.parse(reloc),
                able_and_seeking=merged is None and is_seeking(wants, ability, status),
                age=age_on(birth, today), sex=None if sex is None else str(sex),
                expected_wage=wage,
                skills=tuple(skills.get(lid, ())),
                preferred_occupations=tuple(_indices(prefs or [])),
                sanwu=sanwu,
                zero_employment_household=bool(household) and household not in employed_households,
            )
        )  # fmt: skip
    return profiles, top


def _labourers_and_households(
    session: Session, changed_after: int | None, ids: list[int] | None
) -> ColumnElement[bool]:
    """The labourers asked for and every member of their households.

    The household ids are read first and passed as values: `id … OR household_id IN (subquery)`
    made PostgreSQL scan the whole table (90 ms at 500,000 labourers), two indexed look-ups
    take about a millisecond.
    """
    direct = Labourer.id.in_(ids) if ids is not None else Labourer.change_seq > changed_after
    households = list(
        session.scalars(
            select(Labourer.household_id)
            .where(direct, Labourer.household_id.is_not(None))
            .distinct()
        )
    )
    return direct | Labourer.household_id.in_(households) if households else direct


def _indices(skill_ids: Iterable[str]) -> list[int]:
    return [i for i in (_skill_index(s) for s in skill_ids) if i is not None]


def _labourer_skills(session: Session, ids: list[int] | None) -> dict[int, list[int]]:
    found: dict[int, list[int]] = {}
    query = select(LabourerSkill.labourer_id, LabourerSkill.skill_id)
    for chunk in id_chunks(ids):
        rows = session.execute(
            query if chunk is None else query.where(LabourerSkill.labourer_id.in_(chunk))
        )
        for lid, sid in rows:
            index = _skill_index(sid)
            if index is not None:
                found.setdefault(lid, []).append(index)
    return found


def post_record(post: Post, where: places.Places) -> PostRecord:
    """One post as the scorer sees it, whatever its status (to explain a pair)."""
    lat, lon = where.post_point(post.workplace_region, post.workplace_lat, post.workplace_lon)
    required = [s.skill_id for s in post.skills if s.required]
    return PostRecord(
        id=post.id, region=post.workplace_region, lat=lat, lon=lon,
        kind=PostKind.parse(post.post_type), wage_min=post.wage_min, wage_max=post.wage_max,
        age_min=post.age_min, age_max=post.age_max, openings_left=post.openings_left,
        is_open=post.status == PostStatus.open, valid_from=post.valid_from,
        valid_until=post.valid_until,
        occupation=_skill_index(post.occupation_id) if post.occupation_id else None,
        required_skills=tuple(_indices(required)),
    )  # fmt: skip
