"""Employment and "311" service endpoints (就业记录、服务记录)."""

from datetime import timedelta

from fastapi import APIRouter, status

from matching.auth.deps import StaffOrAdmin
from matching.deps import IdPath, RequestIdDep, SessionDep, TodayDep
from matching.employment import service
from matching.employment.models import Employment
from matching.employment.schemas import (
    EmploymentCreate,
    EmploymentEnd,
    EmploymentRead,
    ServiceCreate,
    ServiceRead,
)
from matching.errors import NotFound, Unprocessable, problem_responses
from matching.labourers import service as labourers
from matching.posts.models import Post
from matching.regions.validation import canonical_region_code

router = APIRouter(tags=["employment"], responses=problem_responses(401, 403, 404))
# A job may be recorded a little ahead of its first day (an offer accepted this week).
_START_AHEAD = timedelta(days=31)


def _read(job: Employment) -> EmploymentRead:
    return EmploymentRead.model_validate(
        {**{c: getattr(job, c) for c in EmploymentRead.model_fields if c != "from_push"},
         "from_push": job.push_id is not None}
    )  # fmt: skip


@router.post(
    "/v1/labourers/{labourer_id:id}/employments",
    status_code=status.HTTP_201_CREATED,
    summary="Record a job / 登记就业",
    operation_id="create_employment",
    responses=problem_responses(409, 422),
)
def create_employment(
    labourer_id: IdPath,
    body: EmploymentCreate,
    session: SessionDep,
    principal: StaffOrAdmin,
    today: TodayDep,
    request_id: RequestIdDep,
) -> EmploymentRead:
    """A job not from a push (or recorded after the fact); the status follows from its dates.

    With `post_id` the job takes one of the post's openings (409 when none is left) and its
    employer, workplace and type default from the post.
    """
    labourer = labourers.get_labourer(session, labourer_id, principal, writing=True)
    if body.start_date > today + _START_AHEAD:
        raise Unprocessable.for_field("start_date", "is more than 31 days ahead / 入职日期过远")
    if body.end_date is not None and body.end_date > today:
        raise Unprocessable.for_field("end_date", "is in the future / 离职日期不能晚于今天")
    defaults: dict[str, object] = {"in_organisation": True, "public_welfare": False}
    if body.post_id is not None:
        post = session.get(Post, body.post_id)
        if post is None:
            raise NotFound(f"No post with id {body.post_id}")
        defaults = service.job_from_post(post)
    region = body.workplace_region or defaults.get("workplace_region")
    job = service.start_job(
        session,
        labourer,
        employer=body.employer or str(defaults["employer"]),
        workplace_region=(
            canonical_region_code(str(region), field="workplace_region") if region else None
        ),
        in_organisation=(
            body.in_organisation
            if body.in_organisation is not None
            else bool(defaults["in_organisation"])
        ),
        public_welfare=(
            body.public_welfare
            if body.public_welfare is not None
            else bool(defaults["public_welfare"])
        ),
        start_date=body.start_date,
        end_date=body.end_date,
        monthly_wage=body.monthly_wage,
        post_id=body.post_id,
        note=body.note,
        key_id=principal.key_id,
    )
    service.audit_job(
        session, key_id=principal.key_id, labourer_id=labourer.id, request_id=request_id
    )
    return _read(job)


@router.get(
    "/v1/labourers/{labourer_id:id}/employments",
    summary="A labourer's jobs / 就业记录",
    operation_id="list_employments",
)
def list_employments(
    labourer_id: IdPath, session: SessionDep, principal: StaffOrAdmin
) -> list[EmploymentRead]:
    """Every job recorded, newest first."""
    labourers.check_access(session, labourer_id, principal)
    return [_read(j) for j in service.jobs_of(session, labourer_id)]


@router.post(
    "/v1/employments/{employment_id:id}/end",
    summary="End a job / 登记离职",
    operation_id="end_employment",
    responses=problem_responses(409, 422),
)
def end_employment(
    employment_id: IdPath,
    body: EmploymentEnd,
    session: SessionDep,
    principal: StaffOrAdmin,
    today: TodayDep,
    request_id: RequestIdDep,
) -> EmploymentRead:
    """The labourer is unemployed from the end day (unless another job is still held)."""
    job = service.get_job(session, employment_id)
    labourer = labourers.get_labourer(session, job.labourer_id, principal)
    if body.end_date > today:
        raise Unprocessable.for_field("end_date", "is in the future / 离职日期不能晚于今天")
    if body.note:
        job.note = body.note
    ended = service.end_job(session, job, labourer, body.end_date, key_id=principal.key_id)
    service.audit_job(
        session, key_id=principal.key_id, labourer_id=labourer.id, request_id=request_id
    )
    return _read(ended)


@router.post(
    "/v1/labourers/{labourer_id:id}/services",
    status_code=status.HTTP_201_CREATED,
    summary="Record a 311 service / 登记 311 服务",
    operation_id="create_service_record",
    responses=problem_responses(409, 422),
)
def create_service(
    labourer_id: IdPath,
    body: ServiceCreate,
    session: SessionDep,
    principal: StaffOrAdmin,
    today: TodayDep,
) -> ServiceRead:
    """Post recommendation, career guidance or training information; pushes count as recommendations
    of their own, so record here only recommendations made outside the push ledger."""
    labourers.check_access(session, labourer_id, principal, writing=True)
    provided_on = body.provided_on or today
    if provided_on > today:
        raise Unprocessable.for_field("provided_on", "is in the future / 服务日期不能晚于今天")
    record = service.add_service(
        session, labourer_id, body.kind, provided_on, body.note, key_id=principal.key_id
    )
    return ServiceRead.model_validate(record)


@router.get(
    "/v1/labourers/{labourer_id:id}/services",
    summary="A labourer's 311 services / 服务记录",
    operation_id="list_service_records",
)
def list_services(
    labourer_id: IdPath, session: SessionDep, principal: StaffOrAdmin
) -> list[ServiceRead]:
    """Every service recorded, newest first."""
    labourers.check_access(session, labourer_id, principal)
    return [ServiceRead.model_validate(r) for r in service.services_of(session, labourer_id)]
