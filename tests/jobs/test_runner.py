"""The job runner with its real threads on a database of its own: progress and heartbeats
reach the row, a cancellation rolls the work back, an error fails the job, and the sweep fails
the jobs whose runner is gone — at once on this host, by heartbeat elsewhere (docs/jobs.md)."""

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from matching.agencies.models import Agency
from matching.clock import wall_now
from matching.database import make_engine, make_sessionmaker, session_scope
from matching.errors import Unprocessable
from matching.jobs import store
from matching.jobs.models import Job, JobState
from matching.jobs.progress import Progress
from matching.jobs.runner import JobContext, JobRunner, Kind, RunnerPolicy
from matching.settings import Settings

ASKED = {"key_id": 1, "role": "admin", "region_scopes": [], "agency_id": None}


@pytest.fixture
def sessions(fresh_settings: Settings) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(fresh_settings.database_url)
    yield make_sessionmaker(engine)
    engine.dispose()


def _submit(sessions: sessionmaker[Session], kind: str) -> int:
    for session in session_scope(sessions):
        job, _ = store.submit(session, store.Submission(kind, {}, ASKED, wall_now()))
        job_id = job.id
    return job_id


def _job(sessions: sessionmaker[Session], job_id: int) -> Job:
    with sessions() as session:
        job = session.get(Job, job_id)
        assert job is not None
        return job


def _until(sessions: sessionmaker[Session], job_id: int, check: Any, timeout: float = 20) -> Job:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = _job(sessions, job_id)
        if check(job):
            return job
        time.sleep(0.02)
    raise AssertionError(f"job {job_id} never got there: {_job(sessions, job_id).__dict__}")


def _agencies(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count()).select_from(Agency)) or 0)


def test_progress_reaches_the_row_and_the_work_lands_with_the_end(
    sessions: sessionmaker[Session],
) -> None:
    gate = threading.Event()

    def counting(job: JobContext) -> None:
        job.progress.stage("count", total=4)
        job.progress.advance()
        gate.wait(10)  # the test reads the row meanwhile
        job.progress.advance(3)
        with job.writing() as session:
            session.add(Agency(name="测试机构", province_code="44"))
            job.land(session, {"counted": 4})

    kinds = {"count": Kind(counting, [("count", 1.0)])}
    runner = JobRunner(sessions, kinds, RunnerPolicy(heartbeat_s=0.05))
    try:
        job_id = _submit(sessions, "count")
        runner.wake()
        seen = _until(sessions, job_id, lambda j: j.stage == "count" and j.done == 1)
        assert seen.state == JobState.running and seen.total == 4 and seen.percent == 25.0
        assert seen.runner == store.this_runner() and seen.heartbeat_at is not None
        assert _agencies(sessions) == 0
        gate.set()
        done = _until(sessions, job_id, lambda j: j.state == JobState.succeeded)
        assert done.result == {"counted": 4} and done.percent == 100.0
        assert _agencies(sessions) == 1
    finally:
        gate.set()
        runner.close()


def test_a_cancelled_job_stops_and_writes_nothing(sessions: sessionmaker[Session]) -> None:
    def endless(job: JobContext) -> None:
        with job.reading() as session:  # the long part reads (on SQLite no lock is held)
            job.progress.stage("loop")
            while session.scalar(select(func.count()).select_from(Job)) is not None:
                time.sleep(0.01)
                job.progress.advance()
        with job.writing() as session:
            session.add(Agency(name="不该留下", province_code="44"))
            job.land(session, {})

    runner = JobRunner(sessions, {"endless": Kind(endless, [("loop", 1.0)])},
                       RunnerPolicy(heartbeat_s=0.05))  # fmt: skip
    try:
        job_id = _submit(sessions, "endless")
        runner.wake()
        _until(sessions, job_id, lambda j: j.state == JobState.running)
        for session in session_scope(sessions):
            store.cancel(session, store.get(session, job_id))
        ended = _until(sessions, job_id, lambda j: j.state == JobState.cancelled)
        assert ended.cancel_requested and ended.finished_at is not None
        assert _agencies(sessions) == 0
    finally:
        runner.close()


def test_a_failing_job_says_why_and_whether_to_retry(sessions: sessionmaker[Session]) -> None:
    def broken(job: JobContext) -> None:
        raise RuntimeError("a bug")

    def refused(job: JobContext) -> None:
        raise Unprocessable.for_field("body.region", "no such region / 区划不存在")

    kinds = {"broken": Kind(broken, []), "refused": Kind(refused, [])}
    runner = JobRunner(sessions, kinds, RunnerPolicy(heartbeat_s=0.05, slots=2))
    try:
        bug, bad = _submit(sessions, "broken"), _submit(sessions, "refused")
        runner.wake()
        bug_job = _until(sessions, bug, lambda j: j.state == JobState.failed)
        assert bug_job.retryable is True and bug_job.error is not None
        assert bug_job.error["status"] == 500 and "RuntimeError" in bug_job.error["detail"]
        bad_job = _until(sessions, bad, lambda j: j.state == JobState.failed)
        assert bad_job.retryable is False and bad_job.error is not None
        assert bad_job.error["status"] == 422
        assert bad_job.error["errors"][0]["field"] == "body.region"
    finally:
        runner.close()


def _running(sessions: sessionmaker[Session], runner: str, heartbeat: datetime) -> int:
    job_id = _submit(sessions, "any")
    for session in session_scope(sessions):
        job = store.get(session, job_id)
        job.state, job.runner, job.heartbeat_at = JobState.running, runner, heartbeat
    return job_id


def test_the_sweep_fails_jobs_whose_runner_is_gone(sessions: sessionmaker[Session]) -> None:
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)  # fmt: skip
    dead_pid = int(ended.stdout)
    now = wall_now()
    silent = _running(sessions, "other-host:41", now - timedelta(minutes=5))
    beating = _running(sessions, "other-host:42", now - timedelta(seconds=5))
    dead_here = _running(sessions, f"{store.HOST}:{dead_pid}:1", now)
    reused = _running(sessions, f"{store.HOST}:{os.getpid()}:1", now)  # this pid, another start
    alive_here = _running(sessions, store.this_runner(), now - timedelta(hours=1))
    runner = JobRunner(sessions, {}, RunnerPolicy(stale_after_s=60))
    assert sorted(runner.sweep()) == sorted([silent, dead_here, reused])
    for job_id in (silent, dead_here, reused):
        job = _job(sessions, job_id)
        assert job.state == JobState.failed and job.retryable and job.error is not None
        assert job.error["status"] == 503
    assert _job(sessions, beating).state == JobState.running
    assert _job(sessions, alive_here).state == JobState.running  # its own process: alive


def test_percent_weighs_the_stages_by_their_shares() -> None:
    progress = Progress([("load", 1.0), ("search", 3.0)])
    assert progress.snapshot().percent == 0.0
    progress.stage("load")
    assert progress.snapshot().percent == 0.0
    progress.stage("search", total=10)
    progress.advance(5)
    snapshot = progress.snapshot()
    assert (snapshot.stage, snapshot.done, snapshot.total) == ("search", 5, 10)
    assert snapshot.percent == pytest.approx(25.0 + 37.5)
    progress.advance(5)
    assert progress.snapshot().percent == 99.9  # 100 only when the job has landed
