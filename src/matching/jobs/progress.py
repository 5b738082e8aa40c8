"""How far a job has come: stages, each weighed by its share of the work, and a step count in
the stage. Work reports through a `Progress`; the runner's heartbeat writes its snapshot to
the job's row and passes a cancellation back (docs/jobs.md)."""

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

logger = logging.getLogger("matching.jobs")


class Cancelled(Exception):
    """The job was cancelled; the work stops at its next step and writes nothing."""


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Progress as the job's row shows it."""

    stage: str | None
    done: int
    total: int | None
    percent: float


class Progress:
    """Stages in order, each with its share of the whole (shares are normalised), and the
    steps done of the current one. Thread-safe: the work advances it, the heartbeat reads it.

    A stage not declared still counts (with no share): work may report finer than planned.
    """

    def __init__(
        self,
        stages: Sequence[tuple[str, float]] = (),
        *,
        job: str = "",
        pause_at: str | None = None,
        pause_s: float = 0.0,
    ) -> None:
        whole = sum(share for _, share in stages) or 1.0
        self._shares = {name: share / whole for name, share in stages}
        self._before: dict[str, float] = {}
        passed = 0.0
        for name, share in stages:
            self._before[name] = passed
            passed += share / whole
        self._lock = threading.Lock()
        self._stage: str | None = None
        self._done = 0
        self._total: int | None = None
        self._stage_started = time.perf_counter()
        self._cancel = threading.Event()
        self._job = job
        self._pause_at, self._pause_s, self._paused = pause_at, pause_s, False

    def stage(self, name: str, total: int | None = None) -> None:
        """Begin a stage (ending the one before, logged with its duration)."""
        self.check()
        with self._lock:
            self._log_end()
            self._stage, self._done, self._total = name, 0, total
            self._stage_started = time.perf_counter()

    def advance(self, steps: int = 1) -> None:
        """Count steps done in this stage; a cancellation stops the work here."""
        with self._lock:
            self._done += steps
            pause = self._stage == self._pause_at and not self._paused
            self._paused |= pause
        if pause:  # fault tests only (MATCHING_JOB_PAUSE_AT): hold here, mid-stage
            logger.warning(
                "job %s: holding %.0f s in %s (job_pause_at)", self._job, self._pause_s, self._stage
            )
            time.sleep(self._pause_s)
        self.check()

    def finish(self) -> None:
        """The work is over: log the last stage's duration."""
        with self._lock:
            self._log_end()
            self._stage = None

    def cancel(self) -> None:
        """Ask the work to stop (the heartbeat found the job's cancel flag set)."""
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        """Whether a cancellation was asked."""
        return self._cancel.is_set()

    def check(self) -> None:
        """Raise Cancelled if the job was cancelled."""
        if self._cancel.is_set():
            raise Cancelled()

    def snapshot(self) -> Snapshot:
        """The stage, its steps and the whole job's percent."""
        with self._lock:
            stage, done, total = self._stage, self._done, self._total
        if stage is None:
            return Snapshot(None, done, total, 0.0)
        share = self._shares.get(stage, 0.0)
        within = min(1.0, done / total) if total else 0.0
        percent = 100.0 * (self._before.get(stage, 0.0) + share * within)
        return Snapshot(stage, done, total, round(min(percent, 99.9), 1))

    def _log_end(self) -> None:
        if self._stage is not None:
            seconds = time.perf_counter() - self._stage_started
            counted = f" ({self._done}/{self._total})" if self._total else ""
            logger.info("job %s: stage %s took %.2f s%s", self._job, self._stage, seconds, counted)
