"""The process's job runner: a dispatcher thread claims queued jobs and runs each in a worker
thread, with a heartbeat thread writing its progress and picking up a cancellation; a sweep
fails jobs whose runner died (docs/jobs.md)."""

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from matching.clock import wall_now
from matching.database import session_scope
from matching.errors import PROBLEM_BASE, ProblemError, problem_kind
from matching.jobs import store
from matching.jobs.models import Job, JobState
from matching.jobs.progress import Cancelled, Progress

logger = logging.getLogger("matching.jobs")


@dataclass(slots=True)
class JobContext:
    """What a job's work gets: the job as asked, its progress, and the way to land its result."""

    job_id: int
    kind: str
    request: dict[str, Any]
    principal: dict[str, Any]
    as_of: datetime
    payload: bytes | None
    progress: Progress
    sessions: sessionmaker[Session]
    runner: str
    landed: bool = field(default=False)

    def reading(self) -> AbstractContextManager[Session]:
        """A read transaction (no write lock on SQLite: the long part of the work reads)."""
        return session_transaction(self.sessions, write=False)

    def writing(self) -> AbstractContextManager[Session]:
        """The work's write transaction; `land` inside it marks the job succeeded, so the work
        and its end commit together or not at all."""
        return session_transaction(self.sessions)

    def land(
        self,
        session: Session,
        result: dict[str, Any],
        href: str | None = None,
        output: dict[str, Any] | None = None,
        file: store.ResultFile | None = None,
    ) -> None:
        """Mark the job succeeded in the work's transaction (LostJob if it is no longer ours):
        `result` its summary, `href` where its result is read, `output` a large result or
        `file` a file it made, kept for `/v1/jobs/{id}/result`."""
        self.progress.check()
        store.succeed(session, self.job_id, self.runner, result, href, output, file)
        self.landed = True


session_transaction = contextmanager(session_scope)
"""`database.session_scope` as a context manager: returning from inside it still commits."""


Handler = Callable[[JobContext], None]


@dataclass(frozen=True, slots=True)
class Kind:
    """A kind of job: its work and its stages with their shares of it."""

    handler: Handler
    stages: Sequence[tuple[str, float]]


@dataclass(frozen=True, slots=True)
class RunnerPolicy:
    """How jobs are run (from the settings)."""

    slots: int = 1  # jobs at once in this process
    poll_s: float = 1.0  # how often to look for queued jobs (a submission wakes it at once)
    heartbeat_s: float = 2.0
    stale_after_s: float = 60.0  # a heartbeat older than this: the runner (on another host) died
    pause_at: str | None = None  # fault tests only: hold in this stage after its first step
    pause_s: float = 0.0
    # Run each job in the thread that queued it, right after its request committed, with no
    # other thread (the tests' app shares one connection between its sessions).
    inline: bool = False


class JobRunner:
    """Runs this process's share of the queued jobs."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        kinds: Mapping[str, Kind],
        policy: RunnerPolicy = RunnerPolicy(),
    ) -> None:
        self.sessions, self.kinds, self.policy = sessions, dict(kinds), policy
        self.runner = store.this_runner()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._running: dict[int, threading.Thread] = {}

    # --- the dispatcher ---------------------------------------------------------------------

    def start(self) -> None:
        """Start the dispatcher (again after a fork: threads do not survive one)."""
        if self.policy.inline:
            return
        with self._lock:
            self.runner = store.this_runner()
            if self._thread is not None and self._thread.is_alive():
                return
            self._stop.clear()
            self._thread = threading.Thread(
                target=self._dispatch, name="job-dispatcher", daemon=True
            )
            self._thread.start()

    def wake(self) -> None:
        """A job was queued: look now (starting the dispatcher if it is not running)."""
        if self.policy.inline:
            while (claimed := self._claim()) is not None:
                self._run_job(claimed)
            return
        self.start()
        self._wake.set()

    def close(self, timeout: float = 5.0) -> None:
        """Stop taking jobs; running jobs are asked to stop and roll back."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def busy(self) -> int:
        """Jobs this process runs now."""
        with self._lock:
            return len(self._running)

    def sweep(self) -> list[int]:
        """Fail the running jobs whose runner is gone."""
        with session_transaction(self.sessions) as session:
            return store.sweep(
                session,
                stale_after=timedelta(seconds=self.policy.stale_after_s),
                alive=store.Alive(self.runner),
            )

    def sweep_if_stale(self, job: Job) -> bool:
        """Sweep if this running job's runner is gone (a poll finds it at once, and writes
        nothing while it lives); whether it was."""
        stale = timedelta(seconds=self.policy.stale_after_s)
        dead = store.gone(job.runner, job.heartbeat_at, wall_now(), stale_after=stale,
                          alive=store.Alive(self.runner))  # fmt: skip
        return dead and job.id in self.sweep()

    def _dispatch(self) -> None:
        swept = float("-inf")
        while not self._stop.is_set():
            self._wake.clear()
            try:
                if time.monotonic() - swept >= self.policy.stale_after_s / 4:
                    swept = time.monotonic()
                    for job_id in self.sweep():
                        logger.warning("job %s failed: its runner is gone", job_id)
                while self.busy() < self.policy.slots and not self._stop.is_set():
                    claimed = self._claim()
                    if claimed is None:
                        break
                    self._start_job(claimed)
            except Exception:  # a bad pass must not end the dispatcher: log, wait, go on
                logger.exception("job dispatch pass failed")
            self._wake.wait(self.policy.poll_s)

    def _claim(self) -> int | None:
        with session_transaction(self.sessions) as session:
            return store.claim(session, self.runner, sorted(self.kinds))

    def _start_job(self, job_id: int) -> None:
        thread = threading.Thread(
            target=self._run, args=(job_id,), name=f"job-{job_id}", daemon=True
        )
        with self._lock:
            self._running[job_id] = thread
        thread.start()

    # --- one job ----------------------------------------------------------------------------

    def _run(self, job_id: int) -> None:
        try:
            self._run_job(job_id)
        except Exception:
            logger.exception("job %s: could not be run or ended", job_id)
        finally:
            with self._lock:
                self._running.pop(job_id, None)
            self._wake.set()  # a slot is free

    def _run_job(self, job_id: int) -> None:
        with session_transaction(self.sessions, write=False) as session:
            job = store.get(session, job_id)
            kind = self.kinds[job.kind]
            progress = Progress(
                kind.stages,
                job=f"{job.id} ({job.kind})",
                pause_at=self.policy.pause_at,
                pause_s=self.policy.pause_s,
            )
            context = JobContext(
                job.id,
                job.kind,
                dict(job.request),
                dict(job.principal),
                job.as_of,
                job.payload,
                progress,
                self.sessions,
                self.runner,
            )
        started = time.perf_counter()
        logger.info("job %s (%s) started", job_id, context.kind)
        stop_beating = threading.Event()
        beating = threading.Thread(
            target=self._beat,
            args=(context, stop_beating),
            name=f"job-{job_id}-heartbeat",
            daemon=True,
        )
        if not self.policy.inline:
            beating.start()
        state, error, retryable = JobState.failed, None, False
        try:
            kind.handler(context)
            progress.finish()
            if context.landed:
                state = JobState.succeeded
            else:
                error = _problem(500, "The job's work ended without a result / 任务未产生结果")
        except (Cancelled, store.LostJob):
            state = JobState.cancelled
        except ProblemError as exc:
            error = _problem(
                exc.status,
                exc.detail,
                exc.type_uri(),
                exc.title,
                exc.extra,
                [e.model_dump() for e in exc.errors or []],
            )
        except DBAPIError as exc:  # the database went away or refused: trying again may work
            logger.exception("job %s: database error", job_id)
            error = _problem(
                503,
                f"database error ({type(exc.orig).__name__}); nothing was "
                "written — retry / 数据库错误，未写入，可重试",
            )
            retryable = True
        except Exception as exc:
            logger.exception("job %s failed", job_id)
            error = _problem(
                500,
                f"internal error ({type(exc).__name__}); nothing was written / 内部错误，未写入",
            )
            retryable = True
        finally:
            stop_beating.set()
            if beating.is_alive():
                beating.join()
        if state != JobState.succeeded:
            with session_transaction(self.sessions) as session:
                store.end(session, job_id, self.runner, state, error=error, retryable=retryable)
        logger.info(
            "job %s (%s) %s in %.2f s",
            job_id,
            context.kind,
            state.value,
            time.perf_counter() - started,
        )

    def _beat(self, context: JobContext, stop: threading.Event) -> None:
        """Every heartbeat_s: write the progress; a cancellation (or the job swept from us)
        asks the work to stop."""
        while not stop.wait(self.policy.heartbeat_s):
            try:
                with session_transaction(self.sessions) as session:
                    asked = store.beat(
                        session, context.job_id, self.runner, context.progress.snapshot()
                    )
                if asked is None or asked or self._stop.is_set():
                    context.progress.cancel()
            except Exception:  # e.g. SQLite's write lock held by the work itself: next time
                logger.debug("job %s: heartbeat not written", context.job_id, exc_info=True)


def _problem(
    status: int,
    detail: str,
    type_uri: str | None = None,
    title: str | None = None,
    extra: dict[str, Any] | None = None,
    errors: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Problem details (RFC 9457) for a job's error."""
    kind = problem_kind(status)
    problem: dict[str, Any] = {
        "type": type_uri or PROBLEM_BASE + kind.slug,
        "title": title or kind.title,
        "status": status,
        "detail": detail,
    }
    if errors:
        problem["errors"] = errors
    problem.update(extra or {})
    return problem
