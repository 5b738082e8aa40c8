"""The jobs table's operations: submit, claim, beat, end, cancel, and the sweep that fails a
job whose runner died (docs/jobs.md)."""

import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.orm import Session

from matching.clock import wall_now
from matching.errors import PROBLEM_BASE, Conflict, NotFound, idempotency_key_reused
from matching.jobs.models import ENDED, Job, JobState
from matching.jobs.progress import Snapshot
from matching.kit.processes import pid_exists
from matching.scope import Scoped, scope_clause

HOST = socket.gethostname()[:80]


def this_runner() -> str:
    """The process's name as a runner: host, pid and the process's start time (a fork has
    its own pid; a process restarted under a reused pid — a container's — its own start)."""
    pid = os.getpid()
    return f"{HOST}:{pid}:{_started(pid) or 0}"


def _started(pid: int) -> int | None:
    """When a process started, in clock ticks since boot (Linux /proc); None when it is gone
    or this system has no /proc."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
        return int(fields[19])  # starttime: field 22 of stat, the 20th after the name
    except (OSError, IndexError, ValueError):
        return None


@dataclass(frozen=True, slots=True)
class Submission:
    """What a request asks a job to do."""

    kind: str
    request: dict[str, Any]
    principal: dict[str, Any]
    as_of: datetime
    region: str | None = None
    payload: bytes | None = None
    idempotency_key: str | None = None
    request_hash: str | None = None
    key_id: int | None = None


def submit(session: Session, asked: Submission) -> tuple[Job, bool]:
    """The job for this request, queued; with an Idempotency-Key already used for this kind,
    the job it made (True: replayed), unless that one failed and may be retried — then a new
    attempt takes the key. The key with another request is a 422."""
    if asked.idempotency_key is not None:
        earlier = session.scalars(
            select(Job).where(
                Job.created_by_key_id == asked.key_id,
                Job.kind == asked.kind,
                Job.idempotency_key == asked.idempotency_key,
            )
        ).first()
        if earlier is not None:
            if earlier.request_hash != asked.request_hash:
                raise idempotency_key_reused()
            if not (earlier.state == JobState.failed and earlier.retryable):
                return earlier, True
            return retry(session, earlier, asked.as_of), False
    return _queue(session, asked, retry_of=None), False


def retry(session: Session, job: Job, now: datetime) -> Job:
    """A new attempt of a failed, retryable job (409 otherwise), as of `now` (the service
    clock when the retry is asked: a commit retried tomorrow dates its pushes tomorrow)."""
    if not (job.state == JobState.failed and job.retryable):
        raise Conflict(
            f"Job {job.id} is {job.state}; only a failed job marked retryable can be retried "
            "/ 仅可重试失败且可重试的任务"
        )
    # The key passes to the new attempt; the failed one is retried once, not again.
    key = job.idempotency_key
    job.idempotency_key, job.retryable = None, False
    session.flush()
    asked = Submission(
        job.kind,
        job.request,
        job.principal,
        now,
        job.region,
        job.payload,
        key,
        job.request_hash,
        job.created_by_key_id,
    )
    return _queue(session, asked, retry_of=job)


def _queue(session: Session, asked: Submission, *, retry_of: Job | None) -> Job:
    job = Job(
        kind=asked.kind,
        state=JobState.queued,
        region=asked.region,
        request=asked.request,
        principal=asked.principal,
        as_of=asked.as_of,
        payload=asked.payload,
        idempotency_key=asked.idempotency_key,
        request_hash=asked.request_hash,
        attempt=1 if retry_of is None else retry_of.attempt + 1,
        retry_of=None if retry_of is None else retry_of.id,
        created_by_key_id=asked.key_id,
        created_at=wall_now(),
    )
    session.add(job)
    session.flush()
    return job


def get(session: Session, job_id: int) -> Job:
    """The job, or a 404."""
    job = session.get(Job, job_id)
    if job is None:
        raise NotFound(f"Job {job_id} not found / 任务不存在")
    return job


def claim(session: Session, runner: str, kinds: list[str]) -> int | None:
    """Take the oldest queued job of these kinds for this runner (compare-and-set: of two
    runners, one wins); its id, or None."""
    candidates = session.scalars(
        select(Job.id)
        .where(Job.state == JobState.queued, Job.kind.in_(kinds))
        .order_by(Job.id)
        .limit(5)
    ).all()
    now = wall_now()
    for job_id in candidates:
        won = session.execute(
            update(Job)
            .where(Job.id == job_id, Job.state == JobState.queued)
            .values(
                state=JobState.running,
                runner=runner,
                started_at=now,
                heartbeat_at=now,
                stage=None,
                done=0,
                total=None,
                percent=0.0,
            )
            .execution_options(synchronize_session=False)
        )
        if getattr(won, "rowcount", 0) == 1:
            return int(job_id)
    return None


def beat(session: Session, job_id: int, runner: str, progress: Snapshot) -> bool | None:
    """Write the heartbeat and progress of a job this runner runs; whether it was asked to
    stop (None: the job is no longer this runner's, e.g. swept as dead)."""
    done = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.state == JobState.running, Job.runner == runner)
        .values(
            heartbeat_at=wall_now(),
            stage=progress.stage,
            done=progress.done,
            total=progress.total,
            percent=progress.percent,
        )
        .execution_options(synchronize_session=False)
    )
    if getattr(done, "rowcount", 0) != 1:
        return None
    return bool(session.scalar(select(Job.cancel_requested).where(Job.id == job_id)))


@dataclass(frozen=True, slots=True)
class ResultFile:
    """A file a job made, served as itself by /v1/jobs/{id}/file."""

    content: bytes
    media_type: str
    filename: str


class LostJob(Exception):
    """The job is no longer this runner's (swept as dead, or cancelled): its work must not land."""


def succeed(
    session: Session,
    job_id: int,
    runner: str,
    result: dict[str, Any],
    href: str | None,
    output: dict[str, Any] | None = None,
    file: ResultFile | None = None,
) -> None:
    """Mark the job succeeded in the work's own transaction, so the work and its end land
    together; LostJob (rolling the work back) if the job is no longer this runner's."""
    made = {} if file is None else {"result_file": file.content,
                                    "result_media_type": file.media_type,
                                    "result_filename": file.filename}  # fmt: skip
    done = session.execute(
        update(Job)
        .where(
            Job.id == job_id,
            Job.state == JobState.running,
            Job.runner == runner,
            Job.cancel_requested.is_(False),
        )
        .values(
            state=JobState.succeeded,
            result=result,
            result_href=href,
            output=output,
            percent=100.0,
            stage=None,
            finished_at=wall_now(),
            heartbeat_at=wall_now(),
            payload=None,
            **made,
        )
        .execution_options(synchronize_session=False)
    )
    if getattr(done, "rowcount", 0) != 1:
        raise LostJob(f"job {job_id} is no longer run by {runner}")


def end(
    session: Session,
    job_id: int,
    runner: str,
    state: JobState,
    *,
    error: dict[str, Any] | None = None,
    retryable: bool = False,
) -> bool:
    """End a job this runner runs as failed or cancelled (after its work rolled back)."""
    done = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.state == JobState.running, Job.runner == runner)
        .values(state=state, error=error, retryable=retryable, finished_at=wall_now())
        .execution_options(synchronize_session=False)
    )
    return getattr(done, "rowcount", 0) == 1


def cancel(session: Session, job: Job) -> Job:
    """A queued job is cancelled at once; a running one is asked to stop (its runner sees it
    at the next heartbeat, rolls its work back and marks it cancelled). An ended job: 409."""
    if job.state in ENDED:
        raise Conflict(f"Job {job.id} has ended ({job.state}) / 任务已结束")
    if job.state == JobState.queued:
        session.execute(
            update(Job)
            .where(Job.id == job.id, Job.state == JobState.queued)
            .values(state=JobState.cancelled, finished_at=wall_now(), payload=None)
            .execution_options(synchronize_session=False)
        )
    session.execute(
        update(Job)
        .where(Job.id == job.id)
        .values(cancel_requested=True)
        .execution_options(synchronize_session=False)
    )
    session.flush()
    session.refresh(job)
    return job


def gone(
    runner: str | None,
    heartbeat: datetime | None,
    now: datetime,
    *,
    stale_after: timedelta,
    alive: Callable[[str], bool | None],
) -> bool:
    """Whether a running job's runner is gone: on this host, by its process (`alive`); on
    another, by a heartbeat older than `stale_after`."""
    verdict = alive(runner or "")
    if verdict is None:  # another host: only its heartbeat tells
        verdict = heartbeat is not None and now - heartbeat <= stale_after
    return not verdict


def sweep(
    session: Session, *, stale_after: timedelta, alive: Callable[[str], bool | None]
) -> list[int]:
    """Fail every running job whose runner is gone: its heartbeat older than `stale_after`, or
    (on this host) its process no longer there. Such a job is retryable: its work rolled back
    with its runner. Returns the ids swept."""
    now = wall_now()
    running = session.execute(
        select(Job.id, Job.runner, Job.heartbeat_at).where(Job.state == JobState.running)
    ).all()
    swept = []
    for job_id, runner, heartbeat in running:
        if not gone(runner, heartbeat, now, stale_after=stale_after, alive=alive):
            continue
        since = heartbeat.isoformat(timespec="seconds") if heartbeat else "its start"
        error = {
            "type": PROBLEM_BASE + "runner-lost",
            "title": "Runner lost",
            "status": 503,
            "detail": f"the process running this job ({runner}) stopped (no heartbeat since "
            f"{since}); nothing of its work was written — retry it "
            "/ 执行进程已中断，未写入任何结果，可重试",
        }
        done = session.execute(
            update(Job)
            .where(Job.id == job_id, Job.state == JobState.running, Job.runner == runner)
            .values(state=JobState.failed, error=error, retryable=True, finished_at=now)
            .execution_options(synchronize_session=False)
        )
        if getattr(done, "rowcount", 0) == 1:
            swept.append(int(job_id))
    return swept


class Alive:
    """Whether a runner is alive, where this process can know: itself (its live jobs), and
    other processes on this host (the pid exists and started when the runner did). None for
    other hosts: their heartbeats tell."""

    def __init__(self, own_runner: str) -> None:
        self.own_runner = own_runner

    def __call__(self, runner: str) -> bool | None:
        host, pid, started = [*runner.rsplit(":", 2), "", ""][:3]
        if host != HOST or not pid.isdigit():
            return None
        if runner == self.own_runner:
            return True
        now = _started(int(pid))
        if now is not None:
            return started in ("0", str(now))  # "0": started unknown when it claimed
        return pid_exists(int(pid))  # no /proc: whether the pid exists


class Caller(Scoped, Protocol):
    """Who asks for a job (auth.principal.Principal is one)."""

    @property
    def key_id(self) -> int:
        """The caller's key."""
        ...


def visible(job: Job, caller: Caller) -> bool:
    """Whether a caller may see a job: admin; its creator; staff whose scope covers its region."""
    return (
        caller.unrestricted
        or job.created_by_key_id == caller.key_id
        or (job.region is not None and caller.covers_region(job.region))
    )


def visible_clause(caller: Caller) -> ColumnElement[bool] | None:
    """`visible` as a clause on the jobs table; None when every job is visible."""
    in_scope = scope_clause(caller, Job.region)
    return None if in_scope is None else or_(Job.created_by_key_id == caller.key_id, in_scope)
