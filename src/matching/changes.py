"""Change sequence numbers, so in-memory indexes in every process can catch up with the database.

Every write to a post or a labourer stamps the row with the next number of its counter. The
counter row stays locked until the writing transaction ends, so numbers are handed out in commit
order: an index that has seen everything up to N only needs the rows stamped after N.

Two more counters stamp nothing: the database's own triggers move them on any change to an API
key (an agency's suspension included) and to the learned weights (migration 0018), so that
what a worker keeps of those is known to be current while its counter stands still. The
answers counter is moved by the database too, and its triggers stamp which labourers' answers
changed in `answer_stamps` (migration 0019), so that a worker drops only theirs.
"""

import threading
import time
from collections.abc import Callable

from sqlalchemy import String, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from matching.database import READ_ONLY, Base

POSTS = "posts"
LABOURERS = "labourers"
KEYS = "keys"  # api_keys, agencies.suspended_at (by trigger)
WEIGHTS = "weights"  # learned_weights (by trigger)
ANSWERS = "answers"  # pushes' answers, posts' occupations (by trigger, stamps: AnswerStamp)
_SEEN = "matching_seen_seqs"  # session.info: the counters a reader read (seen_seqs)
_RECENT = "matching_recent_counters"  # session.info: the worker's RecentCounters


class ChangeCounter(Base):
    """The last change number handed out for one kind of record."""

    __tablename__ = "change_counters"

    name: Mapped[str] = mapped_column(String(20), primary_key=True)
    seq: Mapped[int] = mapped_column(default=0)


class AnswerStamp(Base):
    """The last change to one labourer's answers (rules.feedback reads them), as the answers
    counter numbered it; written by the database's triggers only (migration 0019)."""

    __tablename__ = "answer_stamps"

    labourer_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(index=True)


def next_seq(session: Session, name: str) -> int:
    """Take the next change number (and hold the counter's lock until commit)."""
    seq = session.scalar(
        update(ChangeCounter)
        .where(ChangeCounter.name == name)
        .values(seq=ChangeCounter.seq + 1)
        .returning(ChangeCounter.seq)
    )
    if seq is None:  # the migration seeds the rows; a missing one is a broken database
        raise RuntimeError(f"change counter {name!r} is missing: run `matching db upgrade`")
    return int(seq)


def current_seq(session: Session, name: str) -> int:
    """The newest committed change number."""
    return int(session.scalar(select(ChangeCounter.seq).where(ChangeCounter.name == name)) or 0)


def current_seqs(session: Session) -> dict[str, int]:
    """Every counter's newest committed change number, in one statement (a match reads both
    the labourers' and the posts')."""
    return {str(name): int(seq) for name, seq in session.execute(
        select(ChangeCounter.name, ChangeCounter.seq))}  # fmt: skip


class RecentCounters:
    """The counters as a worker read them last, which its readers may use for `max_age_s`
    instead of reading them again: the statement was a third of what a match spent on its
    database (issue 14). What other workers, jobs and psql change is then seen by this worker's
    readers at most `max_age_s` late (a revoked key refused, a new post matched); what this
    worker's own requests change is seen at once, since each writer's commit forgets them.
    A reading that began before such a commit is not kept."""

    def __init__(self, max_age_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_age_s = max_age_s
        self._clock = clock
        # One tuple, replaced whole: readers take it without the lock.
        self._kept: tuple[dict[str, int], float] | None = None
        self._forgotten = 0  # how many times forget() ran
        # Between read's check and its keeping, a forget() must not slip in.
        self._lock = threading.Lock()

    def recent(self) -> dict[str, int] | None:
        """The counters if they were read less than `max_age_s` ago."""
        kept = self._kept
        if kept is None or self._clock() - kept[1] > self.max_age_s:
            return None
        return kept[0]

    def reading(self) -> tuple[int, float]:
        """Taken before a reading of the counters, given back to `read` after it."""
        return self._forgotten, self._clock()

    def read(self, seqs: dict[str, int], began: tuple[int, float]) -> None:
        """Keep counters read since `began` (their age counts from then), unless a commit of
        this worker came in between."""
        if self.max_age_s <= 0:
            return
        with self._lock:
            if began[0] == self._forgotten:
                self._kept = (seqs, began[1])

    def forget(self) -> None:
        """This worker committed a change: its next reader reads the counters."""
        with self._lock:
            self._forgotten += 1
            self._kept = None


def use_recent(session: Session, recent: RecentCounters) -> None:
    """Let a reader's session take the worker's recent counters (and keep what it reads)."""
    session.info[_RECENT] = recent
    seqs = recent.recent()
    if seqs is not None:
        session.info[_SEEN] = seqs


def seen_seqs(session: Session) -> dict[str, int]:
    """The counters as this request sees them: a reader's (session_scope(write=False)) read
    once, with its key, and used for everything it checks after (a match's key, weights and
    indexes take one statement, or none: RecentCounters); a writer's read afresh each time,
    since its own writes may move them."""
    if not session.info.get(READ_ONLY):
        return current_seqs(session)
    seqs = session.info.get(_SEEN)
    if seqs is None:
        recent: RecentCounters | None = session.info.get(_RECENT)
        began = recent.reading() if recent is not None else None
        seqs = session.info[_SEEN] = current_seqs(session)
        if recent is not None and began is not None:
            recent.read(seqs, began)
    return seqs


def seen_without_reading(session: Session) -> dict[str, int] | None:
    """The counters this reader has already seen or was given, without a statement; None if
    it would have to read them."""
    if not session.info.get(READ_ONLY):
        return None
    seqs: dict[str, int] | None = session.info.get(_SEEN)
    return seqs
