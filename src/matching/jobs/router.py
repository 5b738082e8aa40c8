"""Job endpoints: follow, list, cancel and retry long work (docs/jobs.md)."""

import time
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status
from sqlalchemy import select

from matching.auth.deps import StaffOrAdmin
from matching.auth.principal import Principal
from matching.deps import IdPath, NowDep, SessionDep
from matching.downloads import XLSX, attachment
from matching.errors import Conflict, NotFound, problem_responses
from matching.jobs import store
from matching.jobs.accept import started
from matching.jobs.models import ENDED, Job, JobState
from matching.jobs.runner import JobRunner, session_transaction
from matching.jobs.schemas import JobRead

router = APIRouter(tags=["jobs"], responses=problem_responses(401, 403))

POLL_S = 0.2


def _visible_job(session: SessionDep, job_id: int, principal: Principal) -> Job:
    job = store.get(session, job_id)
    if not store.visible(job, principal):
        raise NotFound(f"Job {job_id} not found / 任务不存在")  # not ours: as if absent
    return job


@router.get(
    "/v1/jobs/{job_id:id}",
    summary="Follow a job / 查看任务进度",
    operation_id="get_job",
    responses=problem_responses(404, 422),
)
def get_job(
    request: Request,
    job_id: IdPath,
    principal: StaffOrAdmin,
    wait: Annotated[
        float,
        Query(
            ge=0,
            le=30,
            description="Wait up to this many seconds for the job to end "
            "(long poll) / 最长等待秒数",
        ),
    ] = 0,
) -> JobRead:
    """The job's state, stage, steps done of the stage's total, percent of the whole, an
    estimate of the time left, and — once it ended — a link to its result or the problem
    that failed it. A job whose runner died is found here as failed and retryable."""
    deadline = time.monotonic() + wait
    sessions = request.app.state.sessionmaker
    runner: JobRunner = request.app.state.jobs
    while True:
        # A new transaction each look: a read transaction on SQLite sees one snapshot.
        with session_transaction(sessions, write=False) as session:
            job = _visible_job(session, job_id, principal)
        if job.state == JobState.running and runner.sweep_if_stale(job):
            continue
        if job.state in ENDED or time.monotonic() >= deadline:
            return JobRead.of(job)
        time.sleep(min(POLL_S, max(0.0, deadline - time.monotonic())))


@router.get("/v1/jobs", summary="List jobs / 任务列表", operation_id="list_jobs")
def list_jobs(
    session: SessionDep,
    principal: StaffOrAdmin,
    state: Annotated[JobState | None, Query(description="Only jobs in this state")] = None,
    kind: Annotated[str | None, Query(max_length=32)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[JobRead]:
    """The newest jobs the caller may see (theirs, and those of regions in their scope)."""
    query = select(Job).order_by(Job.id.desc()).limit(limit)
    if (visible := store.visible_clause(principal)) is not None:
        query = query.where(visible)
    if state is not None:
        query = query.where(Job.state == state)
    if kind is not None:
        query = query.where(Job.kind == kind)
    return [JobRead.of(job) for job in session.scalars(query)]


@router.post(
    "/v1/jobs/{job_id:id}/cancel",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Cancel a job / 取消任务",
    operation_id="cancel_job",
    responses=problem_responses(404, 409, 422),
)
def cancel_job(job_id: IdPath, session: SessionDep, principal: StaffOrAdmin) -> JobRead:
    """A queued job ends cancelled at once; a running one stops at its next step, writes
    nothing, and ends cancelled (poll it). An ended job: 409."""
    job = _visible_job(session, job_id, principal)
    return JobRead.of(store.cancel(session, job))


@router.post(
    "/v1/jobs/{job_id:id}/retry",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Retry a failed job / 重试任务",
    operation_id="retry_job",
    responses=problem_responses(404, 409, 422),
)
def retry_job(
    request: Request,
    response: Response,
    job_id: IdPath,
    session: SessionDep,
    principal: StaffOrAdmin,
    now: NowDep,
) -> JobRead:
    """A new attempt of a failed job marked retryable (its runner died, or the database
    failed): the same request, a new job (its Location). Anything else: 409."""
    job = _visible_job(session, job_id, principal)
    return started(request, session, response, store.retry(session, job, now))


def _succeeded(session: SessionDep, job_id: int, principal: Principal) -> Job:
    job = _visible_job(session, job_id, principal)
    if job.state != JobState.succeeded:
        raise Conflict(f"Job {job_id} is {job.state}; it has no result / 任务尚无结果")
    return job


@router.get(
    "/v1/jobs/{job_id:id}/result",
    summary="A job's full result / 任务结果",
    operation_id="get_job_result",
    responses=problem_responses(404, 409, 422),
)
def get_job_result(job_id: IdPath, session: SessionDep, principal: StaffOrAdmin) -> dict[str, Any]:
    """The whole result a job stored (a roster import's report, every line); 409 until it
    succeeded. A job that made a file serves it at `/v1/jobs/{id}/file`."""
    job = _succeeded(session, job_id, principal)
    return job.output if job.output is not None else (job.result or {})


@router.get(
    "/v1/jobs/{job_id:id}/file",
    summary="The file a job made / 下载任务生成的文件",
    operation_id="get_job_file",
    response_class=Response,
    responses={
        200: {"content": {XLSX: {}}, "description": "The file (a targets workbook)"},
        **problem_responses(404, 409, 422),
    },
)
def get_job_file(
    request: Request, job_id: IdPath, session: SessionDep, principal: StaffOrAdmin
) -> Response:
    """The file a job made (a targets workbook, .xlsx); 409 until it succeeded, 404 for a job
    that makes no file."""
    job = _succeeded(session, job_id, principal)
    if job.result_media_type is None or job.result_file is None:
        raise NotFound(f"Job {job_id} made no file; its result is /v1/jobs/{job_id}/result "
                       "/ 该任务没有文件")  # fmt: skip
    filename = job.result_filename or f"job-{job.id}"
    return attachment(request, job.result_file, job.result_media_type, filename)
