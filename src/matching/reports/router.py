"""Report and target endpoints (报表、任务分解表)."""

from collections.abc import Callable
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from matching.auth.deps import AdminOnly, Bulk, RequireRoles, StaffOrAdmin
from matching.auth.models import Role
from matching.auth.principal import Principal
from matching.clock import china_date
from matching.deps import NowDep, SessionDep, SettingsDep, TodayDep
from matching.downloads import XLSX, attachment
from matching.errors import Forbidden, Unprocessable, problem_responses
from matching.jobs.accept import IdempotencyKey, accept
from matching.jobs.runner import JobContext, Kind
from matching.jobs.schemas import JobRead
from matching.jobs.store import ResultFile
from matching.pagination import decode_cursor, encode_cursor
from matching.posts.models import Post
from matching.pushes.stats import OutcomePage, outcome_counts
from matching.regions.registry import get_registry
from matching.regions.validation import canonical_region_code
from matching.reports import service
from matching.reports.models import RegionTarget
from matching.reports.schemas import EffectiveTarget, TargetRead, TargetSet, TargetsReport
from matching.reports.targets import upsert
from matching.reports.workbook import targets_workbook
from matching.rules import targets
from matching.rules.period import parse_month
from matching.schemas import MONTH_PATTERN
from matching.scope import check_scope
from matching.settings import Settings

router = APIRouter(tags=["reports"], responses=problem_responses(401, 403, 422))
AdminOrAgency = Annotated[Principal, Depends(RequireRoles(Role.admin, Role.agency))]
Month = Annotated[
    str | None,
    Query(pattern=MONTH_PATTERN, description="YYYY-MM; default this month / 月份"),
]
RegionQuery = Annotated[str, Query(description="Region code, any level / 区划代码")]
Year = Annotated[int, Path(ge=2015, le=2100, description="Year / 年度")]


def _report(
    session: SessionDep,
    principal: StaffOrAdmin,
    settings: SettingsDep,
    today: TodayDep,
    region: RegionQuery,
    month: Month = None,
) -> TargetsReport:
    return service.targets_report(
        session,
        region=canonical_region_code(region, field="query.region"),
        month=month,
        today=today,
        principal=principal,
        attribution_days=settings.attribution_days,
    )


ReportDep = Annotated[TargetsReport, Depends(_report)]


@router.get(
    "/v1/reports/targets",
    summary="Monthly targets report / 月度任务完成情况",
    operation_id="targets_report",
)
def targets_report(report: ReportDep) -> TargetsReport:
    """Every figure of the month for a region of any level, with its target and met / not met,
    and the same for each child region (the town table of the 任务分解表).

    Past months are reproducible: later records change an old month only through hires inside a
    push's attribution window, back-dated status periods, and labourers' current ability and
    willingness.
    """
    return report


@router.get(
    "/v1/reports/targets.xlsx",
    summary="Monthly targets report as Excel / 导出任务完成情况",
    operation_id="targets_report_xlsx",
    dependencies=[Bulk],
    response_class=Response,
    responses={200: {"content": {XLSX: {}}, "description": "Excel workbook"}},
)
def targets_report_xlsx(
    request: Request,
    report: ReportDep,
    session: SessionDep,
    principal: StaffOrAdmin,
    today: TodayDep,
) -> Response:
    """The same report as an .xlsx workbook with Chinese headers: the region's figures; one
    row per child region with what is left to do (pushes still needed this month, seekers not
    yet reached, 311 services missing) beside the shares; and native Excel charts — push ratio
    and success rate by child region against the target lines, and the region's last twelve
    months."""
    content, filename = _workbook(session, report, today, principal)
    return attachment(request, content, XLSX, filename)


def _workbook(
    session: Session, report: TargetsReport, today: date, principal: Principal
) -> tuple[bytes, str]:
    """The report as a workbook, with the region's last twelve months, and its file name."""
    trend = service.monthly_trend(
        session, region=report.region, month=report.month, today=today, principal=principal
    )
    return targets_workbook(report, trend), f"targets-{report.region}-{report.month}.xlsx"


class WorkbookAsk(BaseModel):
    """Which report to build as a workbook."""

    model_config = ConfigDict(extra="forbid")

    region: str = Field(description="Region code, any level / 区划代码")
    month: str | None = Field(
        None, pattern=MONTH_PATTERN, description="YYYY-MM; default this month"
    )


TARGETS_WORKBOOK = "targets_workbook"
WORKBOOK_STAGES = (("report", 60.0), ("workbook", 40.0))


@router.post(
    "/v1/reports/targets.xlsx",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Build the targets workbook as a job / 生成任务完成情况工作簿（后台）",
    operation_id="build_targets_workbook",
    dependencies=[Bulk],
    responses=problem_responses(422),
)
def build_targets_workbook(
    request: Request,
    body: WorkbookAsk,
    session: SessionDep,
    principal: StaffOrAdmin,
    now: NowDep,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> JobRead:
    """The same workbook as `GET /v1/reports/targets.xlsx`, built as a job: a province's takes
    seconds to minutes. `202 Accepted` with `Location: /v1/jobs/{id}`; once it succeeded,
    `links.result` (`/v1/jobs/{id}/file`) downloads the .xlsx."""
    region = canonical_region_code(body.region, field="body.region")
    check_scope(principal, region, "region")
    parse_month(body.month, china_date(now), field="body.month")  # 422 now, not a failed job
    return accept(
        request,
        session,
        response,
        kind=TARGETS_WORKBOOK,
        job_request={"region": region, "month": body.month},
        principal=principal.to_stored(),
        as_of=now,
        region=region,
        idempotency_key=idempotency_key,
    )


def workbook_kind(current: Callable[[], Settings]) -> dict[str, Kind]:
    """The targets workbook as a job: read in a read transaction, the file kept with the job."""

    def run(job: JobContext) -> None:
        principal = Principal.from_stored(job.principal)
        today = china_date(job.as_of)
        with job.reading() as session:
            job.progress.stage("report")
            report = service.targets_report(
                session,
                region=job.request["region"],
                month=job.request["month"],
                today=today,
                principal=principal,
                attribution_days=current().attribution_days,
            )
            job.progress.stage("workbook")
            content, filename = _workbook(session, report, today, principal)
        with job.writing() as session:
            job.land(
                session,
                {"region": report.region, "month": report.month, "bytes": len(content)},
                f"/v1/jobs/{job.job_id}/file",
                file=ResultFile(content, XLSX, filename),
            )

    return {TARGETS_WORKBOOK: Kind(run, WORKBOOK_STAGES)}


@router.get(
    "/v1/reports/agency-posts",
    summary="An agency's posts: pushes and outcomes / 合作机构岗位推送结果",
    operation_id="agency_post_outcomes",
)
def agency_posts(
    session: SessionDep,
    principal: AdminOrAgency,
    agency_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    month: Month = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[str | None, Query(max_length=100)] = None,
) -> OutcomePage:
    """Push counts, outcome counts and hires of each of the agency's posts — no personal data.

    An agency reads its own; admin names the agency. Paged by post id.
    """
    if principal.role == Role.agency:
        if agency_id is not None and agency_id != principal.agency_id:
            raise Forbidden("An agency reads its own posts only / 仅限本机构岗位")
        agency_id = principal.agency_id
    if agency_id is None:
        raise Unprocessable.for_field("query.agency_id", "is required for admin / 请指定机构")
    query = select(Post).where(Post.agency_id == agency_id).order_by(Post.id).limit(limit + 1)
    if cursor:
        query = query.where(Post.id > decode_cursor(cursor))
    posts = list(session.scalars(query))
    next_cursor = encode_cursor(posts[limit - 1].id) if len(posts) > limit else None
    return OutcomePage(items=outcome_counts(session, posts[:limit], month), next_cursor=next_cursor)


@router.put(
    "/v1/targets/{region}/{year}",
    summary="Set a region's yearly targets / 设置年度目标",
    operation_id="set_targets",
)
def set_targets(
    region: Annotated[str, Path(description="Region code / 区划代码")],
    year: Year,
    body: TargetSet,
    session: SessionDep,
    principal: AdminOnly,
) -> TargetRead:
    """Replace the targets of one region and year; a figure left null falls back to the parent
    region's target, then to the policy default."""
    code = canonical_region_code(region, field="path.region")
    row = upsert(session, code, year, body, key_id=principal.key_id)
    return _target_read(row)


@router.get(
    "/v1/targets/{region}/{year}",
    summary="Targets in force for a region / 查看生效目标",
    operation_id="get_targets",
)
def get_targets(
    region: Annotated[str, Path(description="Region code / 区划代码")],
    year: Year,
    session: SessionDep,
    principal: StaffOrAdmin,
) -> list[EffectiveTarget]:
    """Each figure's target for the region and year, and which region set it (null: default)."""
    code = canonical_region_code(region, field="path.region")
    check_scope(principal, code, "region")
    rows = targets.rows_for(session, set(targets.ancestors(code)), year)
    return [
        EffectiveTarget(key=k, value=v.value, set_by_region=v.set_by)
        for k, v in targets.resolve(code, rows).items()
    ]


@router.get("/v1/targets", summary="Stored targets / 目标列表", operation_id="list_targets")
def list_targets(
    session: SessionDep,
    principal: StaffOrAdmin,
    year: Annotated[int | None, Query(ge=2015, le=2100)] = None,
    region: Annotated[str | None, Query(description="Region prefix / 区划")] = None,
) -> list[TargetRead]:
    """Every stored target row, optionally for one year and region prefix."""
    query = select(RegionTarget).order_by(RegionTarget.year, RegionTarget.region).limit(5000)
    if year is not None:
        query = query.where(RegionTarget.year == year)
    if region:
        query = query.where(
            RegionTarget.region.startswith(canonical_region_code(region, field="query.region"))
        )
    return [_target_read(r) for r in session.scalars(query)]


def _target_read(row: RegionTarget) -> TargetRead:
    registry = get_registry()
    values = {name: getattr(row, name) for name in targets.FIELDS}
    return TargetRead(
        **values,
        region=row.region,
        region_name=registry.name_or_code(row.region),
        year=row.year,
        updated_at=row.updated_at,
    )
