"""Registering, changing, reading and listing labourers."""

import hmac
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, exists, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased, selectinload

from matching.audit.trail import AuditAction, record
from matching.auth.models import Role
from matching.auth.principal import Principal
from matching.changes import LABOURERS, next_seq
from matching.database import utcnow
from matching.errors import Conflict, NotFound, Problems, Unprocessable
from matching.kit.personal import PersonalData
from matching.kit.spelling import spellings, typed_spelling
from matching.labourers.models import EmploymentStatus, Labourer, LabourerSkill, StatusPeriod
from matching.labourers.schemas import LabourerCreate, LabourerUpdate, SkillInput, StatusChange
from matching.pagination import (
    decode_cursor,
    decode_keyset_cursor,
    encode_cursor,
    encode_keyset_cursor,
)
from matching.regions.validation import canonical_hukou_code, canonical_region_code
from matching.rules.status import EMPLOYED, status_as_of
from matching.scope import check_scope, scope_clause
from matching.skills.resolve import TermResolution, resolve_terms


@dataclass(frozen=True, slots=True)
class LabourerFilters:
    """List filters; None means no filter."""

    region: str | None = None
    employment_status: EmploymentStatus | None = None
    wants_work: bool | None = None
    relocation: str | None = None
    skill: str | None = None
    sanwu: bool | None = None
    lianghousheng: bool | None = None
    zero_employment_household: bool | None = None
    id_number_hash: str | None = None  # the keyed hash of a full ID number
    phone_hash: str | None = None
    name: str | None = None  # Chinese characters: the name or its start; letters: pinyin
    household_id: str | None = None


class LabourerSort(StrEnum):
    """How a list of labourers is ordered (ties by id)."""

    id = "id"
    name = "name"
    name_desc = "-name"
    registered = "registered"  # oldest registration first
    registered_desc = "-registered"
    changed = "changed"  # least recently changed first
    changed_desc = "-changed"
    status = "status"  # by employment status today, seekers first


@dataclass(slots=True)
class LabourerDraft:
    """A validated labourer not yet written: plain values, cheap to build in bulk."""

    name: str
    hukou_region: str
    hukou_region_recorded: str | None = None
    id_number_cipher: str | None = None
    id_number_hash: str | None = None
    id_number_mask: str | None = None
    sex: Any = None
    birth_date: date | None = None
    name_spellings: str = "|"
    phone_cipher: str | None = None
    phone_mask: str | None = None
    phone_hash: str | None = None
    residence_region: str | None = None
    household_id: str | None = None
    poverty_status: Any = None
    labour_ability: Any = None
    wants_work: bool = True
    relocation: Any = None
    education: Any = None
    expected_wage: int | None = None
    preferred_occupations: list[str] = field(default_factory=list)
    unresolved_skills: list[str] = field(default_factory=list)
    sanwu: bool = False
    lianghousheng: bool = False
    disabled: bool = False
    skills: list[dict[str, Any]] = field(default_factory=list)
    status: EmploymentStatus = EmploymentStatus.unemployed
    status_from: date | None = None

    def columns(self) -> dict[str, Any]:
        """The labourers-table columns."""
        values = {name: getattr(self, name) for name in self.__slots__}
        for name in ("skills", "status", "status_from"):
            values.pop(name)
        return values


def _resolve_skills(
    body_skills: list[SkillInput],
) -> tuple[list[dict[str, Any]], list[str], list[TermResolution]]:
    resolutions = resolve_terms([s.term for s in body_skills])
    skills: dict[str, dict[str, Any]] = {}
    unresolved: list[str] = []
    for given, resolution in zip(body_skills, resolutions, strict=True):
        if resolution.skill_id is None:
            unresolved.append(given.term)
            continue
        skills.setdefault(
            resolution.skill_id,
            {
                "skill_id": resolution.skill_id,
                "level": given.level,
                "certificate": given.certificate,
                "source_text": given.term,
            },
        )
    return list(skills.values()), unresolved, resolutions


def _resolve_occupations(terms: list[str]) -> tuple[list[str], list[TermResolution]]:
    resolutions = resolve_terms(terms)
    ids = list(dict.fromkeys(r.skill_id for r in resolutions if r.skill_id))
    return ids, resolutions


def build_labourer(
    body: LabourerCreate,
    *,
    principal: Principal,
    personal: PersonalData,
    today: date,
    problems: Problems | None = None,
) -> tuple[LabourerDraft, list[TermResolution]]:
    """Validate and build (not yet write) a labourer and its first status; no database access.

    Every check runs: without `problems` the answer names every refused field at once; with
    it the problems are left there (a roster row reports them per column) and the draft
    returned is not to be written when any were found."""
    gathered = problems if problems is not None else Problems()
    hukou, hukou_recorded = body.hukou_region, None
    with gathered.check():
        hukou, hukou_recorded = canonical_hukou_code(body.hukou_region, field="hukou_region")
        check_scope(principal, hukou, "hukou_region")
    with gathered.check():
        if body.status_effective_from is not None and body.status_effective_from > today:
            raise Unprocessable.for_field(
                "status_effective_from", f"is after today ({today}) / 状态起始日期不能晚于今天"
            )
    draft = LabourerDraft(
        name=body.name,
        name_spellings=spellings(body.name),
        hukou_region=hukou,
        hukou_region_recorded=hukou_recorded,
        status=body.employment_status,
        status_from=body.status_effective_from or today,
    )
    with gathered.check():
        _apply_identity(draft, body.id_number, body.sex, body.birth_date, personal, today)
    if body.phone is not None:
        with gathered.check():
            sealed = personal.seal_phone(body.phone)
            draft.phone_cipher, draft.phone_mask = sealed.cipher, sealed.mask
            draft.phone_hash = sealed.digest
    resolutions: list[TermResolution] = []
    with gathered.check():
        resolutions = _apply_fields(draft, body.model_dump(exclude={"skills"}), body.skills)
    if problems is None:
        gathered.raise_found()
    return draft, resolutions


def register(
    session: Session,
    body: LabourerCreate,
    *,
    principal: Principal,
    personal: PersonalData,
    today: date,
) -> tuple[Labourer, list[TermResolution]]:
    """Validate and register a labourer; the same ID number twice is a 409."""
    draft, resolutions = build_labourer(body, principal=principal, personal=personal, today=today)
    labourer = Labourer(**draft.columns(), skills=[LabourerSkill(**s) for s in draft.skills])
    period = StatusPeriod(
        status=draft.status, effective_from=draft.status_from, recorded_by_key_id=principal.key_id
    )
    _ensure_unique_id(session, labourer)
    labourer.change_seq = next_seq(session, LABOURERS)
    try:
        with session.begin_nested():
            session.add(labourer)
            session.flush()
    except IntegrityError as exc:  # a concurrent registration of the same ID number won
        raise _duplicate_id(session, labourer) from exc
    period.labourer_id = labourer.id
    session.add(period)
    session.flush()
    return labourer, resolutions


def insert_labourers(
    session: Session, drafts: list[LabourerDraft], *, key_id: int | None
) -> list[int]:
    """Write many new labourers, their skills and first status in bulk (one change number)."""
    seq = next_seq(session, LABOURERS)
    now = utcnow()
    ids: list[int] = []
    for start in range(0, len(drafts), 2000):
        chunk = drafts[start : start + 2000]
        rows = [
            {**d.columns(), "change_seq": seq, "created_at": now, "updated_at": now} for d in chunk
        ]
        new_ids = list(
            session.scalars(
                insert(Labourer).returning(Labourer.id, sort_by_parameter_order=True), rows
            )
        )
        skills = [
            {**s, "labourer_id": i} for i, d in zip(new_ids, chunk, strict=True) for s in d.skills
        ]
        if skills:
            session.execute(insert(LabourerSkill), skills)
        periods = [
            {"labourer_id": i, "status": d.status, "effective_from": d.status_from,
             "recorded_by_key_id": key_id, "recorded_at": now}
            for i, d in zip(new_ids, chunk, strict=True)
        ]  # fmt: skip
        session.execute(insert(StatusPeriod), periods)
        ids.extend(new_ids)
    return ids


def _apply_identity(
    labourer: Labourer | LabourerDraft,
    id_number: str | None,
    sex: Any,
    birth_date: date | None,
    personal: PersonalData,
    today: date,
) -> None:
    if id_number is None:
        if birth_date is not None and birth_date > today:
            raise Unprocessable.for_field("birth_date", "is in the future / 出生日期不能晚于今天")
        labourer.sex, labourer.birth_date = sex, birth_date
        return
    sealed = personal.seal_id_number(id_number)
    parsed = sealed.parsed
    if sex is not None and sex != parsed.sex:
        raise Unprocessable.for_field("sex", "does not match the ID number / 与身份证号不符")
    if birth_date is not None and birth_date != parsed.birth_date:
        raise Unprocessable.for_field("birth_date", "does not match the ID number / 与身份证号不符")
    labourer.id_number_cipher = sealed.cipher
    labourer.id_number_hash = sealed.digest
    labourer.id_number_mask = sealed.mask
    labourer.sex, labourer.birth_date = parsed.sex, parsed.birth_date


def _apply_fields(
    labourer: Labourer | LabourerDraft, values: dict[str, Any], skills: list[SkillInput] | None
) -> list[TermResolution]:
    resolutions: list[TermResolution] = []
    if values.get("residence_region") is not None:
        values["residence_region"] = canonical_region_code(
            values["residence_region"], field="residence_region"
        )
    if values.get("preferred_occupations") is not None:
        ids, found = _resolve_occupations(values["preferred_occupations"])
        values["preferred_occupations"] = ids
        resolutions.extend(found)
    for name in (
        "residence_region", "household_id", "poverty_status", "labour_ability", "wants_work",
        "relocation", "education", "expected_wage", "preferred_occupations", "sanwu",
        "lianghousheng", "disabled",
    ):  # fmt: skip
        if name in values:
            setattr(labourer, name, values[name])
    if skills is not None:
        new_skills, unresolved, found = _resolve_skills(skills)
        if isinstance(labourer, Labourer):
            labourer.skills = [LabourerSkill(**s) for s in new_skills]
        else:
            labourer.skills = new_skills
        labourer.unresolved_skills = unresolved
        resolutions.extend(found)
    return resolutions


def _ensure_unique_id(session: Session, labourer: Labourer) -> None:
    if labourer.id_number_hash is None:
        return
    clash = session.scalar(
        select(Labourer.id).where(
            Labourer.id_number_hash == labourer.id_number_hash, Labourer.id != (labourer.id or -1)
        )
    )
    if clash is not None:
        raise Conflict(
            f"A labourer with this ID number exists already (id {clash}) / 该身份证号已登记",
            extra={"existing_id": clash},
        )


def _duplicate_id(session: Session, labourer: Labourer) -> Conflict:
    clash = session.scalar(
        select(Labourer.id).where(Labourer.id_number_hash == labourer.id_number_hash)
    )
    return Conflict(
        f"A labourer with this ID number exists already (id {clash}) / 该身份证号已登记",
        extra={"existing_id": clash},
    )


def update(
    session: Session,
    labourer: Labourer,
    body: LabourerUpdate,
    *,
    principal: Principal,
    personal: PersonalData,
    today: date,
) -> list[TermResolution]:
    """Change the given fields; ID changes are re-validated and re-checked for duplicates."""
    values = body.model_dump(exclude_unset=True, exclude={"skills"})
    if "hukou_region" in values:
        hukou, recorded = canonical_hukou_code(values["hukou_region"], field="hukou_region")
        check_scope(principal, hukou, "hukou_region")
        labourer.hukou_region, labourer.hukou_region_recorded = hukou, recorded
    if "name" in values:
        labourer.name = values["name"]
        labourer.name_spellings = spellings(values["name"])
    if "id_number" in values and values["id_number"] is not None:
        _apply_identity(labourer, values["id_number"], None, None, personal, today)
        _ensure_unique_id(session, labourer)
    if "phone" in values:
        sealed = personal.seal_phone(values["phone"]) if values["phone"] else None
        labourer.phone_cipher = sealed.cipher if sealed else None
        labourer.phone_mask = sealed.mask if sealed else None
        labourer.phone_hash = sealed.digest if sealed else None
    skills = body.skills if "skills" in body.model_fields_set else None
    resolutions = _apply_fields(labourer, values, skills)
    labourer.change_seq = next_seq(session, LABOURERS)
    session.flush()
    return resolutions


def get_labourer(
    session: Session, labourer_id: int, principal: Principal, *, writing: bool = False
) -> Labourer:
    """One labourer the caller may act for: 404 if absent (or, for the app key, not enrolled in
    the app), 403 if outside a staff key's regions; `writing`: 409 for a merged record."""
    labourer = session.get(Labourer, labourer_id, options=[selectinload(Labourer.skills)])
    if labourer is None:
        raise _no_labourer(principal, labourer_id)
    _check_reach(principal, labourer_id, labourer.hukou_region, labourer.app_linked_at)
    if writing:
        refuse_merged(labourer_id, labourer.merged_into_id)
    return labourer


def check_access(
    session: Session, labourer_id: int, principal: Principal, *, writing: bool = False
) -> None:
    """The same check as `get_labourer` without loading the labourer (one query)."""
    row = session.execute(
        select(Labourer.hukou_region, Labourer.app_linked_at, Labourer.merged_into_id).where(
            Labourer.id == labourer_id
        )
    ).first()
    if row is None:
        raise _no_labourer(principal, labourer_id)
    _check_reach(principal, labourer_id, row.hukou_region, row.app_linked_at)
    if writing:
        refuse_merged(labourer_id, row.merged_into_id)


def refuse_merged(labourer_id: int, merged_into_id: int | None) -> None:
    """A merged record takes no new records: they belong on the one it was merged into."""
    if merged_into_id is not None:
        raise Conflict(
            f"Labourer {labourer_id} was merged into {merged_into_id}: record it there / "
            f"该记录已合并至 {merged_into_id}"
        )


def _check_reach(
    principal: Principal, labourer_id: int, region: str, linked_at: datetime | None
) -> None:
    # The app backend acts only for the labourers enrolled in the app (docs/domain.md, "Roles");
    # for the others it gets the same 404 as for an id that does not exist, so it cannot probe.
    if principal.role == Role.app and linked_at is None:
        raise _no_labourer(principal, labourer_id)
    check_scope(principal, region, "labourer")


def _no_labourer(principal: Principal, labourer_id: int) -> NotFound:
    suffix = " enrolled in the app / 未绑定应用" if principal.role == Role.app else ""
    return NotFound(f"No labourer with id {labourer_id}{suffix}")


def set_app_link(
    session: Session,
    labourer: Labourer,
    linked: bool,
    *,
    key_id: int | None,
    request_id: str | None,
) -> None:
    """Enrol a labourer in the app or take them out (the app key stops acting for them at
    once), with an audit entry; asking for what is already so changes nothing, and an
    enrolment keeps its first day."""
    if (labourer.app_linked_at is not None) == linked:
        return
    labourer.app_linked_at = utcnow() if linked else None
    record(
        session,
        AuditAction.app_link if linked else AuditAction.app_unlink,
        key_id=key_id,
        labourer_id=labourer.id,
        fields=("app_linked_at",),
        request_id=request_id,
    )


def find_for_enrolment(
    session: Session, personal: PersonalData, id_number: str, phone: str
) -> Labourer:
    """The labourer whose ID number and registered phone both match, or a 404 that does not
    say which of the two failed (so the answer cannot be used to test ID numbers). A value that
    cannot be an ID number or a phone at all is a 422 naming the field."""
    refused = NotFound(
        "No registered labourer has this ID number and phone; ask the township station to "
        "check the registration / 身份证号与登记电话不匹配"
    )
    digest = personal.id_digest(id_number)  # a malformed one is a 422 naming the field
    wanted = personal.normalised_phone(phone)
    labourer = session.scalar(
        select(Labourer).where(Labourer.id_number_hash == digest).with_for_update()
    )
    registered = personal.reveal(labourer.phone_cipher) if labourer else None
    if labourer is None or registered is None:
        raise refused
    if not hmac.compare_digest(registered.encode(), wanted.encode()):
        raise refused
    return labourer


def change_status(
    session: Session, labourer: Labourer, change: StatusChange, *, key_id: int | None
) -> StatusPeriod:
    """Record a status from a date on; a second change on the same date replaces the first."""
    period = session.scalar(
        select(StatusPeriod).where(
            StatusPeriod.labourer_id == labourer.id,
            StatusPeriod.effective_from == change.effective_from,
        )
    )
    if period is None:
        period = StatusPeriod(labourer_id=labourer.id, effective_from=change.effective_from)
        session.add(period)
    period.status = change.status
    period.note = change.note
    period.recorded_by_key_id = key_id
    labourer.change_seq = next_seq(session, LABOURERS)
    session.flush()
    return period


def status_history(session: Session, labourer_id: int) -> list[StatusPeriod]:
    """Every recorded period, oldest first."""
    return list(
        session.scalars(
            select(StatusPeriod)
            .where(StatusPeriod.labourer_id == labourer_id)
            .order_by(StatusPeriod.effective_from)
        )
    )


def list_query(filters: LabourerFilters, principal: Principal, today: date) -> Select[Labourer]:
    """The filtered, scoped query (without paging)."""
    query = select(Labourer).where(Labourer.merged_into_id.is_(None))
    scope = scope_clause(principal, Labourer.hukou_region)
    if scope is not None:
        query = query.where(scope)
    if filters.region:
        query = query.where(Labourer.hukou_region.startswith(filters.region))
    for name in ("wants_work", "relocation", "sanwu", "lianghousheng"):
        value = getattr(filters, name)
        if value is not None:
            query = query.where(getattr(Labourer, name) == value)
    if filters.employment_status is not None:
        query = query.where(status_as_of(Labourer.id, today) == filters.employment_status)
    if filters.skill:
        query = query.where(
            exists().where(
                LabourerSkill.labourer_id == Labourer.id, LabourerSkill.skill_id == filters.skill
            )
        )
    if filters.zero_employment_household is not None:
        clause = zero_employment_clause(today)
        query = query.where(clause if filters.zero_employment_household else ~clause)
    if filters.id_number_hash is not None:
        query = query.where(Labourer.id_number_hash == filters.id_number_hash)
    if filters.phone_hash is not None:
        query = query.where(Labourer.phone_hash == filters.phone_hash)
    if filters.household_id is not None:
        query = query.where(Labourer.household_id == filters.household_id)
    if filters.name is not None:
        spelled = typed_spelling(filters.name)
        if spelled is not None:  # only letters: no LIKE wildcard can be in it
            query = query.where(Labourer.name_spellings.like(f"%|{spelled}%"))
        else:
            query = query.where(Labourer.name.like(f"{_like_escaped(filters.name)}%", escape="\\"))
    return query


def _like_escaped(text: str) -> str:
    """Text matched literally by LIKE (a clerk's 100% or 王_ are not wildcards)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# The order of `status` sorting: seekers first, then the kinds of work, then not seeking.
_STATUS_RANK = {status: rank for rank, status in enumerate(EmploymentStatus)}
_NO_STATUS_RANK = len(_STATUS_RANK)


def _sort_key(sort: LabourerSort, today: date) -> Any:
    """The SQL value a sort orders by (before the id tie-break)."""
    if sort in (LabourerSort.name, LabourerSort.name_desc):
        return Labourer.name
    if sort in (LabourerSort.registered, LabourerSort.registered_desc):
        return Labourer.created_at
    if sort in (LabourerSort.changed, LabourerSort.changed_desc):
        return Labourer.updated_at
    return case(
        *[(status_as_of(Labourer.id, today) == s.value, r) for s, r in _STATUS_RANK.items()],
        else_=_NO_STATUS_RANK,
    )


def _key_text(value: Any) -> str:
    """A row's sort value as the cursor carries it."""
    return value.isoformat() if isinstance(value, datetime) else str(value)


def _key_parser(sort: LabourerSort) -> Any:
    """Reads a cursor's key back as the sort's SQL type (ValueError on anything else)."""
    if sort in (LabourerSort.name, LabourerSort.name_desc):
        return str
    if sort == LabourerSort.status:

        def rank(key: str) -> int:
            if not key.isdigit() or int(key) > _NO_STATUS_RANK:
                raise ValueError(key)
            return int(key)

        return rank

    def moment(key: str) -> datetime:
        value = datetime.fromisoformat(key)
        if value.tzinfo is None:
            raise ValueError(key)
        return value

    return moment


def zero_employment_clause(today: date) -> ColumnElement[bool]:
    """The labourer's household has nobody employed (零就业家庭)."""
    member = aliased(Labourer)
    someone_employed = exists().where(
        member.household_id == Labourer.household_id,
        status_as_of(member.id, today).in_(EMPLOYED),
    )
    return and_(Labourer.household_id.is_not(None), ~someone_employed)


def list_labourers(
    session: Session,
    filters: LabourerFilters,
    principal: Principal,
    *,
    today: date,
    limit: int,
    cursor: str | None,
    sort: LabourerSort = LabourerSort.id,
) -> tuple[list[Labourer], str | None]:
    """A page of labourers in the given order, and the cursor for the next page."""
    if filters.region and not principal.unrestricted:
        check_scope(principal, filters.region, "region")
    query = list_query(filters, principal, today).options(selectinload(Labourer.skills))
    if sort == LabourerSort.id:
        if cursor:
            query = query.where(Labourer.id > decode_cursor(cursor))
        rows = list(session.scalars(query.order_by(Labourer.id).limit(limit + 1)))
        next_cursor = encode_cursor(rows[limit - 1].id) if len(rows) > limit else None
        return rows[:limit], next_cursor
    key = _sort_key(sort, today)
    descending = sort.value.startswith("-")
    if cursor:
        after, last_id = decode_keyset_cursor(cursor, sort.value, _key_parser(sort))
        if descending:
            query = query.where(or_(key < after, and_(key == after, Labourer.id < last_id)))
        else:
            query = query.where(or_(key > after, and_(key == after, Labourer.id > last_id)))
    order = (key.desc(), Labourer.id.desc()) if descending else (key, Labourer.id)
    # The key comes back with each row, so the cursor holds exactly the value SQL ordered by.
    keyed = session.execute(query.add_columns(key).order_by(*order).limit(limit + 1)).all()
    next_cursor = None
    if len(keyed) > limit:
        last, last_key = keyed[limit - 1]
        next_cursor = encode_keyset_cursor(sort.value, _key_text(last_key), last.id)
    return [row[0] for row in keyed[:limit]], next_cursor
