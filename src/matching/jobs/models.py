"""Jobs: long work a request starts and a client follows (docs/jobs.md)."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Enum, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, deferred, mapped_column

from matching.database import Base


class JobState(StrEnum):
    """queued → running → succeeded | failed | cancelled; a queued job may be cancelled too."""

    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    cancelled = "cancelled"


ENDED = (JobState.succeeded, JobState.failed, JobState.cancelled)


class Job(Base):
    """One piece of long work, its progress and its end.

    Times are the machine's (`clock.wall_now`), not the service clock: they say how long work
    takes and whether its runner is alive, which a drill holding the service clock still must
    not stop. `as_of` is the service clock when the job was asked for: the work's "now".
    """

    __tablename__ = "jobs"
    __table_args__ = (UniqueConstraint("created_by_key_id", "kind", "idempotency_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    state: Mapped[JobState] = mapped_column(
        Enum(JobState, native_enum=False, length=12, validate_strings=True),
        default=JobState.queued,
        index=True,
    )
    region: Mapped[str | None] = mapped_column(String(12), index=True)
    request: Mapped[dict[str, Any]] = mapped_column(JSON)  # what the handler is asked
    principal: Mapped[dict[str, Any]] = mapped_column(JSON)  # the caller, as it was
    as_of: Mapped[datetime]
    # An uploaded file (a roster), kept until the job ends; deferred: never read with the row.
    payload: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    request_hash: Mapped[str | None] = mapped_column(String(64))
    attempt: Mapped[int] = mapped_column(default=1)
    retry_of: Mapped[int | None]
    stage: Mapped[str | None] = mapped_column(String(40))
    percent: Mapped[float] = mapped_column(default=0.0)
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int | None]
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # its summary: ids and counts
    # The whole of a large result (a roster import's report), served by /v1/jobs/{id}/result.
    output: Mapped[dict[str, Any] | None] = deferred(mapped_column(JSON))
    result_href: Mapped[str | None] = mapped_column(String(200))
    # A file the job made (a workbook), served by /v1/jobs/{id}/result as itself.
    result_file: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    result_media_type: Mapped[str | None] = mapped_column(String(120))
    result_filename: Mapped[str | None] = mapped_column(String(200))
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # problem details
    retryable: Mapped[bool] = mapped_column(default=False)
    cancel_requested: Mapped[bool] = mapped_column(default=False)
    runner: Mapped[str | None] = mapped_column(String(120))  # host:pid of the process running it
    created_by_key_id: Mapped[int | None]
    created_at: Mapped[datetime]
    started_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
