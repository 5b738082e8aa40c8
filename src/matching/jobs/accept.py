"""Starting a job from a request: queue it, answer 202 with its Location (docs/jobs.md)."""

import hashlib
import json
from datetime import datetime
from typing import Annotated, Any

from fastapi import Header, Request, Response, status
from sqlalchemy.orm import Session

from matching.jobs import store
from matching.jobs.models import Job
from matching.jobs.runner import JobRunner
from matching.jobs.schemas import JobRead

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        description="Sent again with the same request, returns the same job (a failed one "
        "marked retryable starts a new attempt) / 幂等键：重发返回同一任务",
    ),
]


def fingerprint(*parts: Any) -> str:
    """The request's fingerprint for its Idempotency-Key: JSON parts and raw bytes."""
    digest = hashlib.sha256()
    for part in parts:
        if isinstance(part, bytes):
            digest.update(part)
        else:
            digest.update(json.dumps(part, sort_keys=True, default=str).encode())
        digest.update(b"\x00")
    return digest.hexdigest()


def accept(
    request: Request,
    session: Session,
    response: Response,
    *,
    kind: str,
    job_request: dict[str, Any],
    principal: dict[str, Any],
    as_of: datetime,
    region: str | None,
    idempotency_key: str | None,
    payload: bytes | None = None,
) -> JobRead:
    """Queue the job (or find the one this Idempotency-Key made), commit, wake the runner, and
    answer 202 Accepted with `Location: /v1/jobs/{id}`. `principal` is the caller as stored
    (`Principal.to_stored`): the job runs for it as it was."""
    asked = store.Submission(
        kind=kind,
        request=job_request,
        principal=principal,
        as_of=as_of,
        region=region,
        payload=payload,
        idempotency_key=idempotency_key,
        request_hash=fingerprint(kind, job_request, payload or b"") if idempotency_key else None,
        key_id=principal["key_id"],
    )
    job, replayed = store.submit(session, asked)
    return started(request, session, response, job, replayed=replayed)


def started(
    request: Request, session: Session, response: Response, job: Job, *, replayed: bool = False
) -> JobRead:
    """Commit the queued job, wake the runner, and answer 202 Accepted with its Location."""
    session.commit()  # before the runner looks for it
    runner: JobRunner = request.app.state.jobs
    runner.wake()
    response.status_code = status.HTTP_202_ACCEPTED
    response.headers["Location"] = f"/v1/jobs/{job.id}"
    response.headers["Retry-After"] = "1"
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return JobRead.of(job)


def job_headers(response: Response) -> dict[str, str]:
    """The headers `accept` set, for a route that answers with a response of its own."""
    names = ("Location", "Retry-After", "Idempotent-Replayed")
    return {name: response.headers[name] for name in names if name in response.headers}
