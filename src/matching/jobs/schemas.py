"""A job as the API shows it."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from matching.clock import wall_now
from matching.errors import Problem
from matching.jobs.models import Job, JobState


class JobLinks(BaseModel):
    """Where to go next."""

    self: str = Field(description="This job; poll it / 轮询地址")
    result: str | None = Field(description="The result, once the job succeeded / 结果")
    cancel: str | None = Field(description="POST here to cancel, while it runs / 取消")
    retry: str | None = Field(description="POST here for a new attempt of a failed job / 重试")


class JobRead(BaseModel):
    """A job: what it is doing, how far it is, and how it ended."""

    id: int
    kind: str = Field(description="plan · plan_commit · roster_import / 任务类型")
    state: JobState = Field(
        description="queued 排队 · running 运行中 · succeeded 成功 · failed 失败 · cancelled 已取消"
    )
    stage: str | None = Field(description="The stage it is in / 当前阶段")
    done: int = Field(description="Steps done in the stage / 本阶段已完成")
    total: int | None = Field(description="Steps of the stage, where known / 本阶段总数")
    percent: float = Field(description="Of the whole job, by the stages' shares / 总进度 %")
    estimated_seconds_left: float | None = Field(
        description="From the time taken so far and the percent (None until 1% is done) "
        "/ 预计剩余秒数"
    )
    created_at: datetime
    started_at: datetime | None
    heartbeat_at: datetime | None = Field(description="Its runner's last sign of life / 心跳")
    finished_at: datetime | None
    attempt: int = Field(description="1, or the attempt number of a retry / 第几次尝试")
    retry_of: int | None = Field(description="The failed job this one retries")
    retryable: bool = Field(description="A failed job that may be retried: nothing was written")
    cancel_requested: bool
    result: dict[str, Any] | None = Field(description="What it made (ids and counts) / 结果摘要")
    error: Problem | None = Field(description="Why it failed (problem details) / 失败原因")
    links: JobLinks

    @classmethod
    def of(cls, job: Job) -> "JobRead":
        """The API's view of a job row."""
        base = f"/v1/jobs/{job.id}"
        running = job.state in (JobState.queued, JobState.running)
        failed_retryable = job.state == JobState.failed and job.retryable
        return cls(
            id=job.id,
            kind=job.kind,
            state=job.state,
            stage=job.stage,
            done=job.done,
            total=job.total,
            percent=job.percent,
            estimated_seconds_left=_left(job),
            created_at=job.created_at,
            started_at=job.started_at,
            heartbeat_at=job.heartbeat_at,
            finished_at=job.finished_at,
            attempt=job.attempt,
            retry_of=job.retry_of,
            retryable=job.retryable,
            cancel_requested=job.cancel_requested,
            result=job.result,
            error=Problem.model_validate(job.error) if job.error else None,
            links=JobLinks(
                self=base,
                result=job.result_href if job.state == JobState.succeeded else None,
                cancel=f"{base}/cancel" if running else None,
                retry=f"{base}/retry" if failed_retryable else None,
            ),
        )


def _left(job: Job) -> float | None:
    if job.state != JobState.running or job.started_at is None or job.percent < 1.0:
        return None
    elapsed = (wall_now() - job.started_at).total_seconds()
    return round(elapsed * (100.0 - job.percent) / job.percent, 1)
