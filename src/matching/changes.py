"""Change sequence numbers, so in-memory indexes in every process can catch up with the database.

Every write to a post or a labourer stamps the row with the next number of its counter. The
counter row stays locked until the writing transaction ends, so numbers are handed out in commit
order: an index that has seen everything up to N only needs the rows stamped after N.

Two more counters stamp nothing: the database's own triggers move them on any change to an API
key (an agency's suspension included) and to the learned weights (migration 0018), so that
what a worker keeps of those is known to be current while its counter stands still.
"""

from sqlalchemy import String, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from matching.database import READ_ONLY, Base

POSTS = "posts"
LABOURERS = "labourers"
KEYS = "keys"  # api_keys, agencies.suspended_at (by trigger)
WEIGHTS = "weights"  # learned_weights (by trigger)
_SEEN = "matching_seen_seqs"  # session.info: the counters a reader read (seen_seqs)


class ChangeCounter(Base):
    """The last change number handed out for one kind of record."""

    __tablename__ = "change_counters"

    name: Mapped[str] = mapped_column(String(20), primary_key=True)
    seq: Mapped[int] = mapped_column(default=0)


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


def seen_seqs(session: Session) -> dict[str, int]:
    """The counters as this request sees them: a reader's (session_scope(write=False)) read
    once, with its key, and used for everything it checks after (a match's key, weights and
    indexes take one statement); a writer's read afresh each time, since its own writes may
    move them."""
    if not session.info.get(READ_ONLY):
        return current_seqs(session)
    seqs = session.info.get(_SEEN)
    if seqs is None:
        seqs = session.info[_SEEN] = current_seqs(session)
    return seqs
