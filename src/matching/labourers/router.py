"""Labourer endpoints (劳动力库)."""

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from matching.audit.trail import AuditAction, record, record_many
from matching.auth.deps import StaffOrAdmin
from matching.auth.models import Role
from matching.deps import IdPath, PersonalDep, RequestIdDep, SessionDep, TodayDep
from matching.errors import Forbidden, Unprocessable, problem_responses
from matching.labourers import duplicates, merge, service
from matching.labourers.models import EmploymentStatus, Relocation
from matching.labourers.presenter import audit_reveal, present
from matching.labourers.schemas import (
    DuplicateGroup,
    LabourerCreate,
    LabourerPage,
    LabourerRead,
    LabourerUpdate,
    LabourerWritten,
    MergeRead,
    MergeRequest,
    StatusAsOf,
    StatusChange,
    StatusRead,
)
from matching.regions.validation import canonical_region_code
from matching.rules.status import current_period, periods_on
from matching.schemas import Day

router = APIRouter(
    prefix="/v1/labourers", tags=["labourers"], responses=problem_responses(401, 403)
)
ONE = problem_responses(404)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    summary="Register a labourer / 登记劳动力",
    operation_id="create_labourer",
    responses=problem_responses(409, 422),
)
def create_labourer(
    body: LabourerCreate,
    session: SessionDep,
    principal: StaffOrAdmin,
    personal: PersonalDep,
    today: TodayDep,
    request_id: RequestIdDep,
    response: Response,
) -> LabourerWritten:
    """Validate the ID number, seal personal data, normalise skills, record the status."""
    labourer, resolutions = service.register(
        session, body, principal=principal, personal=personal, today=today
    )
    record(
        session,
        AuditAction.register,
        key_id=principal.key_id,
        labourer_id=labourer.id,
        fields=body.model_fields_set,
        request_id=request_id,
    )
    read = present(labourer, current_period(session, labourer.id, today), today=today)
    response.headers["Location"] = f"/v1/labourers/{labourer.id}"
    return LabourerWritten(**read.model_dump(), resolutions=resolutions)


@router.get("", summary="List labourers / 劳动力列表", operation_id="list_labourers")
def list_labourers(
    session: SessionDep,
    principal: StaffOrAdmin,
    personal: PersonalDep,
    today: TodayDep,
    request_id: RequestIdDep,
    region: Annotated[str | None, Query(description="Region code prefix / 区划")] = None,
    employment_status: Annotated[EmploymentStatus | None, Query(description="就业状态")] = None,
    wants_work: Annotated[bool | None, Query(description="就业意愿")] = None,
    relocation: Annotated[Relocation | None, Query(description="外出意愿")] = None,
    skill: Annotated[str | None, Query(description="Taxonomy skill id / 技能")] = None,
    sanwu: Annotated[bool | None, Query(description="三无")] = None,
    lianghousheng: Annotated[bool | None, Query(description="两后生")] = None,
    zero_employment_household: Annotated[bool | None, Query(description="零就业家庭")] = None,
    name: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=50,
            description="Name or its start (张建, 张建国), or pinyin / its initials "
            "(zhangjianguo, zhangj, zjg) / 姓名、拼音或拼音首字母",
        ),
    ] = None,
    id_number: Annotated[
        str | None,
        Query(
            min_length=15,
            max_length=18,
            description="Full ID number (looked up by its keyed hash; audited) / 完整身份证号",
        ),
    ] = None,
    phone: Annotated[
        str | None,
        Query(
            min_length=5,
            max_length=20,
            description="Registered phone (looked up by its keyed hash; audited) / 登记电话",
        ),
    ] = None,
    household_id: Annotated[
        str | None, Query(min_length=1, max_length=40, description="Household id / 户编号")
    ] = None,
    sort: Annotated[
        service.LabourerSort,
        Query(
            description="Order: id, name, -name, registered, -registered, changed, -changed, "
            "status (seekers first) / 排序"
        ),
    ] = service.LabourerSort.id,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(max_length=400)] = None,
) -> LabourerPage:
    """Find and filter labourers: by name (characters or pinyin), full ID number, phone or
    household, region prefix, status, willingness, skill and flags; sorted and paged by cursor.
    A look-up by ID number or phone is written to the audit log."""
    filters = service.LabourerFilters(
        region=canonical_region_code(region, field="query.region") if region else None,
        employment_status=employment_status,
        wants_work=wants_work,
        relocation=relocation,
        skill=skill,
        sanwu=sanwu,
        lianghousheng=lianghousheng,
        zero_employment_household=zero_employment_household,
        id_number_hash=personal.id_digest(id_number, field="query.id_number")
        if id_number is not None
        else None,
        phone_hash=personal.phone_digest(phone, field="query.phone") if phone is not None else None,
        name=_searched_name(name),
        household_id=household_id,
    )
    rows, next_cursor = service.list_labourers(
        session, filters, principal, today=today, limit=limit, cursor=cursor, sort=sort
    )
    looked_up = [f for f, v in (("id_number", id_number), ("phone", phone)) if v is not None]
    if looked_up and rows:  # who searched for a person by identifier, and whom it found
        record_many(
            session,
            AuditAction.lookup,
            key_id=principal.key_id,
            labourer_ids=[r.id for r in rows],
            fields=looked_up,
            request_id=request_id,
        )
    elif looked_up:  # a search that found nobody is a look-up all the same
        record(session, AuditAction.lookup, key_id=principal.key_id, labourer_id=None,
               fields=looked_up, request_id=request_id)  # fmt: skip
    statuses = periods_on(session, [r.id for r in rows], today)
    items = [present(r, statuses.get(r.id), today=today) for r in rows]
    return LabourerPage(items=items, next_cursor=next_cursor)


def _searched_name(name: str | None) -> str | None:
    """The name searched for, trimmed; blank is a 422 (it would otherwise match everyone)."""
    if name is None:
        return None
    if not name.strip():
        raise Unprocessable.for_field("query.name", "is blank / 姓名不能为空")
    return name.strip()


@router.get(
    "/duplicates",
    summary="Near-duplicate labourers for review / 疑似重复",
    operation_id="list_labourer_duplicates",
)
def list_duplicates(session: SessionDep, principal: StaffOrAdmin) -> list[DuplicateGroup]:
    """Same birth date and village, similar names, no matching ID number."""
    return duplicates.near_duplicates(session, principal)


@router.get(
    "/{labourer_id:id}",
    summary="Read a labourer / 查看劳动力",
    operation_id="get_labourer",
    responses=ONE,
)
def get_labourer(
    labourer_id: IdPath,
    session: SessionDep,
    principal: StaffOrAdmin,
    personal: PersonalDep,
    today: TodayDep,
    request_id: RequestIdDep,
    reveal: Annotated[
        bool, Query(description="Show ID number and phone unmasked (audited) / 显示完整证件号")
    ] = False,
) -> LabourerRead:
    """A labourer, masked; `reveal=true` shows ID number, phone and birth date and writes the
    audit log."""
    labourer = service.get_labourer(session, labourer_id, principal)
    current = current_period(session, labourer.id, today)
    if not reveal:
        return present(labourer, current, today=today)
    if principal.role not in (Role.admin, Role.staff):
        raise Forbidden("This role may not see unmasked personal data")
    audit_reveal(session, principal, labourer, request_id)
    return present(labourer, current, today=today, personal=personal)


@router.post(
    "/{labourer_id:id}/merge",
    summary="Merge a duplicate record into this one / 合并重复记录",
    operation_id="merge_labourers",
    responses=problem_responses(404, 409, 422),
)
def merge_labourers(
    labourer_id: IdPath,
    body: MergeRequest,
    session: SessionDep,
    principal: StaffOrAdmin,
    today: TodayDep,
) -> MergeRead:
    """Staff have confirmed that two records are one person (一人一号): this record survives.
    The duplicate's status history, pushes, jobs and services move to it, with the ID number,
    phone, household and residence it lacks; the duplicate is kept, marked merged, and no longer
    counted, listed, matched or written to. One transaction, audited on both records; both must
    lie within the caller's regions; two different ID numbers are two people (409). A status
    period of a day, or a push of a post and month, the survivor already has stays on the
    duplicate and is counted in `left_on_merged`. The two histories become one, so the latest
    period of either is in force afterwards: check `survivor.employment_status`."""
    outcome = merge.merge(session, labourer_id, body.duplicate_id, principal=principal)
    survivor = outcome.survivor
    return MergeRead(
        survivor=present(survivor, current_period(session, survivor.id, today), today=today),
        merged_id=outcome.merged.id,
        moved=outcome.moved,
        left_on_merged=outcome.left_on_merged,
        filled=outcome.filled,
    )


@router.patch(
    "/{labourer_id:id}",
    summary="Change a labourer / 修改劳动力信息",
    operation_id="update_labourer",
    responses=problem_responses(404, 409, 422),
)
def update_labourer(
    labourer_id: IdPath,
    body: LabourerUpdate,
    session: SessionDep,
    principal: StaffOrAdmin,
    personal: PersonalDep,
    today: TodayDep,
    request_id: RequestIdDep,
) -> LabourerWritten:
    """Change the fields given; the rest stays. The audit log records which fields were
    written (never their values)."""
    labourer = service.get_labourer(session, labourer_id, principal, writing=True)
    resolutions = service.update(
        session, labourer, body, principal=principal, personal=personal, today=today
    )
    record(
        session,
        AuditAction.update,
        key_id=principal.key_id,
        labourer_id=labourer.id,
        fields=body.model_fields_set,
        request_id=request_id,
    )
    read = present(labourer, current_period(session, labourer.id, today), today=today)
    return LabourerWritten(**read.model_dump(), resolutions=resolutions)


@router.post(
    "/{labourer_id:id}/status",
    status_code=status.HTTP_201_CREATED,
    summary="Record an employment status change / 登记就业状态变化",
    operation_id="change_labourer_status",
    responses=problem_responses(404, 409, 422),
)
def change_status(
    labourer_id: IdPath,
    body: StatusChange,
    session: SessionDep,
    principal: StaffOrAdmin,
    request_id: RequestIdDep,
) -> StatusRead:
    """The status holds from `effective_from` until the next recorded change."""
    labourer = service.get_labourer(session, labourer_id, principal, writing=True)
    period = service.change_status(session, labourer, body, key_id=principal.key_id)
    record(
        session,
        AuditAction.status,
        key_id=principal.key_id,
        labourer_id=labourer.id,
        fields=("employment_status",),
        request_id=request_id,
    )
    return StatusRead.model_validate(period)


@router.get(
    "/{labourer_id:id}/status",
    summary="Employment status on a date / 某日就业状态",
    operation_id="get_labourer_status",
    responses=ONE,
)
def get_status(
    labourer_id: IdPath,
    session: SessionDep,
    principal: StaffOrAdmin,
    today: TodayDep,
    as_of: Annotated[Day | None, Query(description="Date; default today / 日期")] = None,
) -> StatusAsOf:
    """The status in force on a date, read back exactly from the effective-dated history."""
    labourer = service.get_labourer(session, labourer_id, principal)
    day = as_of or today
    period = current_period(session, labourer.id, day)
    return StatusAsOf(
        as_of=day,
        status=period.status if period else None,
        effective_from=period.effective_from if period else None,
    )


@router.get(
    "/{labourer_id:id}/status/history",
    summary="Employment status history / 就业状态历史",
    operation_id="get_labourer_status_history",
    responses=ONE,
)
def get_status_history(
    labourer_id: IdPath, session: SessionDep, principal: StaffOrAdmin
) -> list[StatusRead]:
    """Every recorded status period, oldest first."""
    labourer = service.get_labourer(session, labourer_id, principal)
    return [StatusRead.model_validate(p) for p in service.status_history(session, labourer.id)]
