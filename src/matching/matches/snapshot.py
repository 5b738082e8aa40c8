"""Reading the database into the scorer's post and labourer columns, and single records."""

import json
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from operator import itemgetter
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    String,
    and_,
    case,
    cast,
    func,
    select,
    type_coerce,
)
from sqlalchemy.orm import Session

from matching.agencies.models import Agency
from matching.database import id_chunks
from matching.kit.idnumber import age_on
from matching.labourers.models import (
    EmploymentStatus,
    LabourAbility,
    Labourer,
    LabourerSkill,
    Relocation,
    Sex,
)
from matching.labourers.models import StatusPeriod as Period
from matching.posts.models import Post, PostSkill, PostStatus
from matching.rules import places
from matching.rules.status import EMPLOYED
from matching.scoring import LabourerProfile, PostKind, PostRecord, Willingness
from matching.scoring.arrays import LabourerColumns, PostColumns, by_value, factorize
from matching.scoring.dtypes import I32, I64
from matching.scoring.sparse import csr, join_rows, take_rows
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
    """(post id, taxonomy index) of required skills known to the taxonomy, each post's by skill
    id: the order of `Post.skills`, from which a post loaded alone is scored
    (`ReadModel.record_of`). A post's skills component sums in that order, and float32 sums of
    three or more terms depend on it: read in the table's order, the same pair could score a
    bit apart in a post's candidates and a labourer's matches. None reads all of them (a full
    load needs no id list)."""
    found: list[Any] = []
    query = (
        select(PostSkill.post_id, PostSkill.skill_id)
        .where(PostSkill.required.is_(True))
        .order_by(PostSkill.post_id, PostSkill.skill_id)  # the primary key's order
    )
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
    """Labourers as profiles (seeking or not), and the highest change number seen: the rows of
    labourer_columns, one object each (for a few labourers; an index keeps the columns)."""
    table, top = labourer_columns(session, today, changed_after=changed_after, ids=ids)
    return [table.record(row) for row in range(len(table))], top


PAGE = 100_000  # labourers read per query by a full load


def labourer_columns(
    session: Session,
    today: date,
    *,
    changed_after: int | None = None,
    ids: list[int] | None = None,
) -> tuple[LabourerColumns, int]:
    """Labourers as columns (seeking or not, by id), and the highest change number seen.

    A full load reads PAGE labourers at a time by id, with their skills and status periods,
    and converts each page column by column: no object per labourer is ever kept, and no more
    than two pages of rows are held at once, the one converted and the one read ahead (issue
    14: 2 M labourers in ≤ 20 s and ≤ 800 MB).
    Pages are separate statements, so a labourer changed during the load may be read in
    either state; the index then takes the change counter read before the load as its own
    (matches.matcher), and the next refresh reads that labourer again.

    A delta (changed_after) or a list of ids also brings back every member of those
    labourers' households, since one member's new job changes the others' zero-employment
    flag; with `ids`, only the labourers asked for are returned.
    """
    reader = _LabourerReader(session, today)
    connection = session.connection()
    if changed_after is None and ids is None:
        for rows in _pages_read_ahead(connection, today):
            reader.page(rows)
    else:
        query = _some_query(today).where(_labourers_and_households(session, changed_after, ids))
        reader.page(connection.execute(query.order_by(Labourer.id)).all())
    table = reader.table()
    if ids is not None:  # the other members only informed the flags
        table = table.take(np.flatnonzero(np.isin(table.ids, ids)).astype(np.int64))
    return table, reader.top


def _pages_read_ahead(connection: Connection, today: date) -> Iterator[list[Any]]:
    """Every labourer's row of _page_query, a page of PAGE labourers at a time by id, the next
    page read in a thread while the caller converts this one: the database's work on a page
    (a third of a page's time) overlaps the conversion. The connection is only ever used by
    one thread at a time. A page ends at the id PAGE rows on (an index-only look-up, ~10 ms),
    so gaps in the ids make no empty pages."""

    def read(after: int) -> tuple[list[Any], int | None]:
        """The page after this id, and its last id (None: it was the last page)."""
        following = select(Labourer.id).where(Labourer.id > after).order_by(Labourer.id)
        high = connection.execute(following.offset(PAGE - 1).limit(1)).scalar()
        if high is not None:
            return _plain_rows(connection, _page_query(today, after, high)), high
        last = connection.execute(select(func.max(Labourer.id))).scalar()
        if last is None or last <= after:
            return [], None
        return _plain_rows(connection, _page_query(today, after, last)), None

    first = connection.execute(select(func.min(Labourer.id))).scalar()
    if first is None:
        return
    with ThreadPoolExecutor(1, thread_name_prefix="labourer-pages") as ahead:
        pending = ahead.submit(read, first - 1)
        while True:
            rows, high = pending.result()
            if high is not None:
                pending = ahead.submit(read, high)
            if rows:
                yield rows
            if high is None:
                return


def _plain_rows(connection: Connection, query: Select[Any]) -> list[Any]:
    """The query's rows as plain tuples. On PostgreSQL straight from the driver's cursor: the
    columns read here are ones psycopg already gives as the Python values SQLAlchemy would
    (ints, strings, booleans, dates), and skipping its result rows took a page of 100,000
    labourers from 0.6-0.75 s to 0.35-0.45 s (the reading thread holds the interpreter
    while it makes rows)."""
    if connection.dialect.name != "postgresql":
        return list(connection.execute(query))
    compiled = query.compile(dialect=connection.dialect,
                             compile_kwargs={"render_postcompile": True})  # fmt: skip
    driver = connection.connection.driver_connection
    assert driver is not None
    with driver.cursor() as cursor:
        cursor.execute(str(compiled), compiled.params)
        rows: list[Any] = cursor.fetchall()
    return rows


def _labourer_columns(status: Any) -> tuple[Any, ...]:
    """The columns of _LabourerReader.page, given the status in force (a name; NULL without
    a period: unemployed). What can be computed per row is computed by the database, so that
    Python converts plain numbers and booleans; enums come as their strings and preferences
    as their JSON text, so that each distinct value is converted once (they repeat)."""
    current = func.coalesce(status, EmploymentStatus.unemployed.value)
    ability = type_coerce(Labourer.labour_ability, String)
    willingness = case(
        {r.value: int(Willingness.parse(r.value)) for r in Relocation},
        value=type_coerce(Labourer.relocation, String),
        else_=-1,  # refused by LabourerArrays: an unknown name must not pass as a rank
    )
    seeking = and_(
        Labourer.wants_work.is_(True), ability != LabourAbility.none.value,
        current == EmploymentStatus.unemployed.value, Labourer.merged_into_id.is_(None),
    )  # fmt: skip
    return (
        Labourer.id, Labourer.hukou_region, willingness, seeking, current.in_(EMPLOYED),
        Labourer.birth_date, func.coalesce(Labourer.expected_wage, 0),
        cast(Labourer.preferred_occupations, String), Labourer.sanwu, Labourer.household_id,
        Labourer.change_seq, case({sex.value: code for code, sex in enumerate(Sex)},
                                  value=type_coerce(Labourer.sex, String), else_=-1),
    )  # fmt: skip


def _page_query(day: date, low: int, high: int) -> Select[Any]:
    """The labourers with ids in (low, high], each with the status in force on `day` (its
    latest period by then) and its skills as one comma-separated string: one statement per
    page, joined by id, instead of a row per skill and per period to convert (or a correlated
    look-up per labourer: 0.46 s a page of 100,000 on PostgreSQL, against 0.27 s)."""
    in_page = (Labourer.id > low) & (Labourer.id <= high)
    skills = (
        select(LabourerSkill.labourer_id.label("owner"),
               func.aggregate_strings(LabourerSkill.skill_id, ",").label("names"))
        .where(LabourerSkill.labourer_id > low, LabourerSkill.labourer_id <= high)
        .group_by(LabourerSkill.labourer_id)
        .subquery("skills")
    )  # fmt: skip
    # The latest period by the day, numbered per labourer along the (labourer, date) index:
    # PostgreSQL took 0.16 s a page this way, against 0.25 s joining each labourer's max(date).
    ranked = (
        select(
            Period.labourer_id.label("owner"),
            type_coerce(Period.status, String).label("name"),
            func.row_number()
            .over(partition_by=Period.labourer_id, order_by=Period.effective_from.desc())
            .label("rank"),
        )
        .where(Period.labourer_id > low, Period.labourer_id <= high, Period.effective_from <= day)
        .subquery("ranked")
    )
    status = select(ranked.c.owner, ranked.c.name).where(ranked.c.rank == 1).subquery("status")
    return (
        select(*_labourer_columns(status.c.name), skills.c.names)
        .outerjoin(status, status.c.owner == Labourer.id)
        .outerjoin(skills, skills.c.owner == Labourer.id)
        .where(in_page)
        .order_by(Labourer.id)
    )


def _some_query(day: date) -> Select[*tuple[Any, ...]]:
    """As _page_query, for a few labourers (a delta, a list): the status and skills looked up
    per labourer."""
    status = (
        select(type_coerce(Period.status, String))
        .where(Period.labourer_id == Labourer.id, Period.effective_from <= day)
        .order_by(Period.effective_from.desc())
        .limit(1)
        .scalar_subquery()
    )
    skills = (
        select(func.aggregate_strings(LabourerSkill.skill_id, ","))
        .where(LabourerSkill.labourer_id == Labourer.id)
        .scalar_subquery()
    )
    return select(*_labourer_columns(status), skills)


class _LabourerReader:
    """Pages of labourer rows turned into columns, the distinct values coded across pages."""

    def __init__(self, session: Session, today: date) -> None:
        self._today = today
        self._where = places.load(session)
        self._regions: dict[str, int] = {}
        self._households: dict[str, int] = {}
        self._parsed: dict[str | None, tuple[int, ...]] = {}  # preference lists, by text
        self._position = get_taxonomy().positions()
        self._pages: list[dict[str, Any]] = []
        self.top = 0

    def page(self, rows: Sequence[Sequence[Any]]) -> None:
        """Convert one page of rows of _labourer_columns() and the skills."""
        if rows:
            columns: list[Sequence[Any]] = list(zip(*rows, strict=True))
        else:
            columns = [()] * 13
        (lid, region, willingness, seeking, employed, birth, wage, prefs, sanwu, household, seq,
         sex, skills) = columns  # fmt: skip
        self.top = max(self.top, max(seq, default=0))
        self._pages.append({
            "ids": np.array(lid, dtype=np.int64),
            "region": _codes(region, self._regions),
            "household": _codes(household, self._households),
            "employed": np.array(employed, dtype=np.bool_),
            "sex": np.array(sex, dtype=np.int8),
            "willingness": np.array(willingness, dtype=np.int8),
            "seeking": np.array(seeking, dtype=np.bool_),
            "age": by_value(birth, self._age, np.int16),
            "expected_wage": np.array(wage, dtype=np.float32),
            "sanwu": np.array(sanwu, dtype=np.bool_),
            "skill": self._skills(skills),
            "pref": self._preferences(prefs),
        })  # fmt: skip

    def _age(self, birth: date | None) -> int:
        age = age_on(birth, self._today)
        return -1 if age is None else age

    def _skills(self, texts: Sequence[str | None]) -> tuple[I64, I32]:
        """Comma-separated skill ids as CSR of taxonomy indices (ids the taxonomy does not know
        left out). Skill sets seldom repeat, so the page's lists are split as one string."""
        given = [t or "" for t in texts]
        counts = np.array([t.count(",") + 1 if t else 0 for t in given], dtype=np.int64)
        names = ",".join(t for t in given if t).split(",") if any(given) else []
        position = self._position
        found = np.array([position.get(n, -1) for n in names], dtype=np.int64)
        known = found >= 0
        per_row = np.zeros(len(given), dtype=np.int64)
        if len(names):
            per_row[counts > 0] = np.add.reduceat(known, (np.cumsum(counts) - counts)[counts > 0])
        indptr = np.zeros(len(given) + 1, dtype=np.int64)
        np.cumsum(per_row, out=indptr[1:])
        return indptr, found[known].astype(np.int32)

    def _preferences(self, texts: Sequence[str | None]) -> tuple[I64, I32]:
        """Preferred occupations (JSON lists) as CSR of taxonomy indices; they repeat across a
        roster, so each distinct text is parsed once."""
        distinct, at = factorize(texts)
        indptr, indices = csr([self._preference(t) for t in distinct], distinct=True)
        return take_rows(indptr, indices, at)

    def _preference(self, text: str | None) -> tuple[int, ...]:
        # Kept across pages: a roster has few distinct preference lists.
        found = self._parsed.get(text)
        if found is None:
            position = self._position
            names = json.loads(text) if text else []
            found = tuple(dict.fromkeys(position[n] for n in names if n in position))
            self._parsed[text] = found
        return found

    def table(self) -> LabourerColumns:
        """Every page read, as one table."""
        if not self._pages:
            self.page([])
        pages = self._pages
        joined: dict[str, npt.NDArray[Any]] = {
            name: np.concatenate([p[name] for p in pages])
            for name in ("ids", "region", "household", "employed", "sex", "willingness",
                         "seeking", "age", "expected_wage", "sanwu")
        }  # fmt: skip
        household, employed = joined["household"], joined["employed"]
        # A household with no member in work (零就业家庭); -1: no household recorded.
        busy = np.unique(household[employed & (household >= 0)])
        zero = (household >= 0) & ~np.isin(household, busy)
        skill = join_rows([p["skill"] for p in pages])
        pref = join_rows([p["pref"] for p in pages])
        return LabourerColumns.coded(
            list(self._regions),
            joined["region"],
            seat=self._where.point,
            sex=joined["sex"],
            sexes=[sex.value for sex in Sex],
            ids=joined["ids"],
            willingness=joined["willingness"],
            seeking=joined["seeking"],
            age=joined["age"],
            expected_wage=joined["expected_wage"],
            sanwu=joined["sanwu"],
            zero_employment=zero,
            skill_indptr=skill[0],
            skill_indices=skill[1],
            pref_indptr=pref[0],
            pref_indices=pref[1],
        )


def _codes(values: Sequence[str | None], known: dict[str, int]) -> I32:
    """Each value's number among every distinct value seen so far (-1 for None)."""
    distinct, at = factorize(values)
    numbers = [-1 if v is None else known.setdefault(v, len(known)) for v in distinct]
    return np.array(numbers, dtype=np.int32)[at] if len(at) else np.zeros(0, dtype=np.int32)


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
