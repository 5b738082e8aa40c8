"""Roster import endpoints (花名册导入)."""

from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field, model_validator

from matching.auth.deps import Bulk, StaffOrAdmin
from matching.auth.principal import Principal
from matching.clock import china_date
from matching.deps import NowDep, PersonalDep, RequestIdDep, SessionDep, TodayDep
from matching.downloads import XLSX, attachment
from matching.errors import Unprocessable, field_path, problem_responses
from matching.jobs.accept import IdempotencyKey, accept, job_headers
from matching.jobs.runner import JobContext, Kind
from matching.jobs.schemas import JobRead
from matching.kit.bilingual import in_order, prefers_english
from matching.kit.personal import PersonalData
from matching.labourers.roster import ImportMode, Outcome, import_roster
from matching.labourers.roster_format import RosterFormatError, template

router = APIRouter(
    prefix="/v1/labourers/import", tags=["labourers"], responses=problem_responses(401, 403)
)


class RowErrorRead(BaseModel):
    """One refused row."""

    line: int = Field(description="Line in the file (the header is line 1) / 行号")
    field: str = Field(description="Column, as the sheet heads it / 列")
    location: str = Field(
        description="The same place in the convention of every other error's `field`: "
        "`body.file[line].column`, e.g. `body.file[12].身份证号` / 位置"
    )
    reason: str = Field(description="Why / 原因")

    @model_validator(mode="before")
    @classmethod
    def _locate(cls, data: Any) -> Any:
        if isinstance(data, dict) and "location" not in data:
            return {**data, "location": field_path("body", "file", data["line"], data["field"])}
        return data


class FieldChangeRead(BaseModel):
    """One field a row changes on a known person."""

    field: str = Field(description="The field, as the labourer API names it / 字段")
    old: Any = Field(description="Stored value (a phone masked, skills by name) / 原值")
    new: Any = Field(description="The row's value / 新值")


class RowOutcomeRead(BaseModel):
    """What one row does; on a dry run, what the commit would do."""

    line: int = Field(description="Line in the file (the header is line 1) / 行号")
    outcome: Outcome = Field(
        description="created 新增 / updated 更新 / unchanged 无变化 / error 错误"
    )
    labourer_id: int | None = Field(
        description="The person it updates; for a created row, the new id after a commit"
    )
    changes: list[FieldChangeRead] = Field(description="For an update: each field, old → new")
    errors: list[RowErrorRead] = Field(description="Every reason the row is refused / 错误")


class ImportReportRead(BaseModel):
    """What the import found and did."""

    dry_run: bool
    mode: ImportMode
    rows: int = Field(description="Rows read (blank rows skipped)")
    valid: int = Field(description="Rows without errors")
    created: int = Field(description="Labourers written (0 on a dry run or any error)")
    updated: int = Field(description="Known labourers changed (0 on a dry run or any error)")
    counts: dict[Outcome, int] = Field(description="Rows by outcome / 各结果行数")
    errors: list[RowErrorRead] = Field(description="Every error of every row / 全部错误")
    lines: list[RowOutcomeRead] = Field(description="Every row, in file order / 逐行结果")
    unresolved_skills: dict[str, int] = Field(description="Skill terms kept as free text, counted")


@router.get(
    "/template",
    summary="Download the roster template / 下载花名册模板",
    operation_id="get_roster_template",
    response_class=Response,
    responses={
        200: {
            "content": {
                XLSX: {},
                "text/csv": {},
            }
        }
    },
)
def get_template(
    request: Request,
    _: StaffOrAdmin,
    file_format: Annotated[Literal["xlsx", "csv"], Query(alias="format")] = "xlsx",
) -> Response:
    """The Chinese-headed template with an example row and the accepted words."""
    content, media_type = template(file_format)
    return attachment(request, content, media_type, f"roster-template.{file_format}")


@router.post(
    "",
    summary="Import a roster (.xlsx/.csv) / 导入花名册",
    operation_id="import_roster",
    response_model=ImportReportRead,
    dependencies=[Bulk],
    responses={
        202: {"model": JobRead, "description": "A commit (`dry_run=false`): the job writing it"},
        **problem_responses(400, 409, 413, 422),  # 400: a body that is not multipart
    },
)
def post_import(
    request: Request,
    session: SessionDep,
    principal: StaffOrAdmin,
    personal: PersonalDep,
    today: TodayDep,
    now: NowDep,
    request_id: RequestIdDep,
    file: Annotated[UploadFile, File(description=".xlsx or .csv with the template's headers")],
    dry_run: Annotated[bool, Query(description="Check only, write nothing / 仅校验")] = True,
    mode: Annotated[
        ImportMode,
        Query(
            description="create: every row is a new person (a registered ID number is an "
            "error). update: rows are matched by ID number — new people are created, known "
            "people get the fields their filled cells change (a blank cell changes nothing), "
            "a changed 就业状态 starts a new period on the row's 状态起始日期 (or today), "
            "unchanged rows are skipped / 导入方式：新增或按身份证号更新"
        ),
    ] = ImportMode.create,
    idempotency_key: IdempotencyKey = None,
) -> Any:
    """Dry run (default) says what each row would do and reports every error of every row
    (200, the report).

    A commit (`dry_run=false`) writes all rows or, on any error, none. A roster of 50,000
    rows takes half a minute, so a commit is a job: `202 Accepted` with
    `Location: /v1/jobs/{id}`; poll it for the stage and the rows checked. When it succeeded,
    its result counts what was written and `links.result` (`/v1/jobs/{id}/result`) is the
    whole report; when a row had an error, it failed with a 422 whose `report` is the report
    (nothing was written)."""
    content = file.file.read()
    if not dry_run:
        response = Response()
        job = accept(
            request,
            session,
            response,
            kind=ROSTER_IMPORT,
            job_request={
                "filename": file.filename or "",
                "mode": mode.value,
                "request_id": request_id,
            },
            principal=principal.to_stored(),
            as_of=now,
            region=None,
            idempotency_key=idempotency_key,
            payload=content,
        )
        return JSONResponse(job.model_dump(mode="json"), status_code=202,
                            headers=job_headers(response))  # fmt: skip
    try:
        report = import_roster(
            session,
            content,
            file.filename or "",
            principal=principal,
            personal=personal,
            today=today,
            dry_run=dry_run,
            mode=mode,
            request_id=request_id,
        )
    except RosterFormatError as exc:
        raise Unprocessable.for_field("file", str(exc)) from exc
    english_first = prefers_english(request.headers.get("accept-language"))
    for error in report.errors:  # every row's errors, the same objects as its line holds
        error.reason = in_order(error.reason, english_first=english_first)
    return ImportReportRead.model_validate(asdict(report))


ROSTER_IMPORT = "roster_import"
IMPORT_STAGES = (("read", 10.0), ("check", 60.0), ("match", 10.0), ("write", 20.0))


def import_kind(personal: PersonalData) -> dict[str, Kind]:
    """A roster commit as a job: every row checked and written in one transaction with the
    job's end, so a job that dies leaves no labourer of the file written."""

    def run(job: JobContext) -> None:
        principal = Principal.from_stored(job.principal)
        mode = ImportMode(job.request["mode"])
        with job.writing() as session:
            try:
                report = import_roster(
                    session,
                    job.payload or b"",
                    job.request["filename"],
                    principal=principal,
                    personal=personal,
                    today=china_date(job.as_of),
                    dry_run=False,
                    mode=mode,
                    request_id=job.request.get("request_id"),
                    progress=job.progress,
                )
            except RosterFormatError as exc:
                raise Unprocessable.for_field("file", str(exc)) from exc
            body = ImportReportRead.model_validate(asdict(report)).model_dump(mode="json")
            if report.errors:
                raise Unprocessable(
                    f"{len(report.errors)} problems in {report.rows} rows; nothing was "
                    "written / 未导入",
                    extra={"report": body},
                )
            summary = {k: body[k] for k in ("rows", "valid", "created", "updated", "counts")}
            job.land(session, summary, f"/v1/jobs/{job.job_id}/result", output=body)

    return {ROSTER_IMPORT: Kind(run, IMPORT_STAGES)}
