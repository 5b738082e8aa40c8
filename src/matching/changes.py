"""Change sequence numbers, so in-memory indexes in every process can catch up with the database.

Every write to a post or a labourer stamps the row with the next number of its counter. The
counter row stays locked until the writing transaction ends, so numbers are handed out in commit
order: an index that has seen everything up to N only needs the rows stamped after N.
"""

from sqlalchemy import String, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from matching.database import Base

POSTS = "posts"
LABOURERS = "labourers"


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
