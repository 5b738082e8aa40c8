"""Each labourer's answers as a worker read them, kept while none of theirs changed.

A match reads the labourer's answers to earlier pushes (rules.feedback) to lower posts like the
ones they refused; that statement, and the hop to end a session that had sent one, were a third
of a match's time once the indexes answered the rest (issue 14). The answers counter, which a
reader reads with the others (changes.seen_seqs, or a moment ago: RecentCounters), moves at
every commit that changes an answer, and `answer_stamps` holds the counter's value of each
labourer's last change (migration 0019). When the counter moved, the worker reads whose answers
changed since it looked last and drops only theirs. docs/architecture.md, "What a worker keeps
between requests".
"""

import threading
from datetime import date

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from matching.changes import AnswerStamp
from matching.rules import feedback
from matching.rules.feedback import AnswerRow

KEPT_LABOURERS = 100_000  # most keep an empty tuple; past this many, start again

_CHANGED_SINCE = (
    select(AnswerStamp.labourer_id)
    .where(AnswerStamp.seq > bindparam("seen"))
    .limit(bindparam("most"))
)


class KeptAnswers:
    """A worker's labourers' answers, each as read on or after a day, current as of one value
    of the answers counter. Threads share it: the dict is read without the lock (single dict
    operations are atomic in Python); catching up and keeping take it."""

    def __init__(self, limit: int = KEPT_LABOURERS) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._seen: int | None = None  # the counter the kept answers are current at
        self._kept: dict[int, tuple[date, tuple[AnswerRow, ...]]] = {}

    def answers(
        self, session: Session, labourer_id: int, since: date, seq: int
    ) -> tuple[AnswerRow, ...]:
        """The labourer's answers to pushes made on or after `since`, as of the answers
        counter `seq` (the request's): kept ones when nothing of theirs changed since."""
        self._catch_up(session, seq)
        entry = self._kept.get(labourer_id) if seq == self._seen else None
        if entry is not None and entry[0] == since:
            return entry[1]
        rows = feedback.answers_of(session, labourer_id, since)
        with self._lock:
            # Read after the counter: they hold every change it counts. Kept only when no
            # catching up came in between (it could not have dropped them).
            if self._seen == seq:
                if len(self._kept) >= self.limit:
                    self._kept.clear()  # a bound, not an LRU, as ReadModel.shown
                self._kept[labourer_id] = (since, rows)
        return rows

    def _catch_up(self, session: Session, seq: int) -> None:
        """Drop the kept answers of labourers stamped after the counter last seen, when the
        request's counter is newer."""
        seen = self._seen
        if seen is not None and seq <= seen:
            return
        changed: list[int] | None = None  # None: drop everything (nothing kept: no statement)
        if seen is not None and self._kept:
            changed = list(session.scalars(_CHANGED_SINCE, {"seen": seen, "most": self.limit}))
            if len(changed) >= self.limit:
                changed = None
        with self._lock:
            if self._seen != seen:  # another request caught up meanwhile: its turn counts
                return
            if changed is None:  # also what another request kept since it looked: no list
                self._kept.clear()
            else:
                for labourer_id in changed:
                    self._kept.pop(labourer_id, None)
            self._seen = seq
