"""Answer stamps: which labourers' answers changed since a worker read them

A match reads the labourer's answers to earlier pushes (their refusals and taste: rules.feedback)
on every request, and that statement was most of the database time left in a match (issue 14).
A worker now keeps each labourer's answers it has read, and trusts them while no answer of that
labourer changed: the `answers` change counter, read with the others, says whether any answer
changed; `answer_stamps` says whose, with the counter's value for the change.
docs/architecture.md, "What a worker keeps between requests".

What counts as an answer is what rules.feedback reads: a push in any state but `pushed` or
`delivered`, with its post's occupation. So the database stamps the labourer when such a push
is inserted, changes or goes, and every labourer who answered a post when that post's occupation
changes. A plan's commit inserts its pushes as `pushed`: no stamp, nothing to do per row.

On PostgreSQL the stamps are written by constraint triggers deferred to the commit: the
counter's row is locked from its bump until the commit, and a bump at each statement would hold
that lock for a long transaction's remaining time (a clerk's outcome waiting on an expiry job).
At the commit the lock is held only while it completes, and numbers are still handed out in
commit order. The trigger bumps the counter once per client statement (a commit is one).
On SQLite, whose writers take turns anyway, plain triggers stamp at once.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 21:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | Sequence[str] | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Pushes in these states are no answer (rules.feedback reads every other state).
NO_ANSWER = "('pushed', 'delivered')"
_POSTGRESQL_FUNCTION = f"""
CREATE FUNCTION stamp_answers() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    -- The counter's value this statement took (a deferred trigger's statement is the commit).
    taken text := current_setting('matching.answers_stamp', true);
    stamp integer;
BEGIN
    -- '|': a timestamp's text has spaces. Bumped at every row, the counter's row would gather
    -- a version per row that each next bump walks: quadratic in the rows of one statement.
    IF taken IS NOT NULL AND split_part(taken, '|', 1) = statement_timestamp()::text THEN
        stamp := split_part(taken, '|', 2)::integer;
    ELSE
        UPDATE change_counters SET seq = seq + 1 WHERE name = 'answers' RETURNING seq INTO stamp;
        PERFORM set_config('matching.answers_stamp', statement_timestamp()::text || '|' || stamp,
                           true);
    END IF;
    IF TG_TABLE_NAME = 'posts' THEN
        INSERT INTO answer_stamps (labourer_id, seq)
        SELECT DISTINCT labourer_id, stamp FROM pushes
        WHERE post_id = NEW.id AND state NOT IN {NO_ANSWER}
        ON CONFLICT (labourer_id) DO UPDATE SET seq = EXCLUDED.seq;
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        INSERT INTO answer_stamps (labourer_id, seq) VALUES (OLD.labourer_id, stamp)
        ON CONFLICT (labourer_id) DO UPDATE SET seq = EXCLUDED.seq;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO answer_stamps (labourer_id, seq) VALUES (NEW.labourer_id, stamp)
        ON CONFLICT (labourer_id) DO UPDATE SET seq = EXCLUDED.seq;
    END IF;
    RETURN NULL;
END $$
"""
_PUSH_COLUMNS = ("state", "labourer_id", "post_id", "pushed_on")
_CHANGED = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in _PUSH_COLUMNS)
# (trigger, event, when): the changes that stamp.
TRIGGERS = (
    ("pushes_answer_inserted", "INSERT ON pushes", f"NEW.state NOT IN {NO_ANSWER}"),
    (
        "pushes_answer_changed",
        "UPDATE ON pushes",
        f"(OLD.state NOT IN {NO_ANSWER} OR NEW.state NOT IN {NO_ANSWER}) AND ({_CHANGED})",
    ),
    ("pushes_answer_deleted", "DELETE ON pushes", f"OLD.state NOT IN {NO_ANSWER}"),
    (
        "posts_answer_occupation",
        "UPDATE OF occupation_id ON posts",
        "OLD.occupation_id IS DISTINCT FROM NEW.occupation_id",
    ),
)
_SQLITE_BUMP = "UPDATE change_counters SET seq = seq + 1 WHERE name = 'answers'"
_SQLITE_SEQ = "(SELECT seq FROM change_counters WHERE name = 'answers')"


def _sqlite_stamps(trigger: str) -> str:
    """The statements of one SQLite trigger after the bump (INSERT OR REPLACE: one stamp per
    labourer, the newest)."""
    stamp = "INSERT OR REPLACE INTO answer_stamps (labourer_id, seq) VALUES"
    if trigger == "posts_answer_occupation":
        return (
            f"INSERT OR REPLACE INTO answer_stamps (labourer_id, seq) SELECT DISTINCT "
            f"labourer_id, {_SQLITE_SEQ} FROM pushes WHERE post_id = NEW.id "
            f"AND state NOT IN {NO_ANSWER};"
        )
    parts = []
    if trigger != "pushes_answer_inserted":
        parts.append(f"{stamp} (OLD.labourer_id, {_SQLITE_SEQ});")
    if trigger != "pushes_answer_deleted":
        parts.append(f"{stamp} (NEW.labourer_id, {_SQLITE_SEQ});")
    return " ".join(parts)


def create_triggers() -> None:
    """The triggers that stamp changed answers (on SQLite a later migration that rebuilds
    `pushes` or `posts` with `batch_alter_table` must create them again)."""
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        op.execute(_POSTGRESQL_FUNCTION)
    for name, event, when in TRIGGERS:
        if postgresql:
            op.execute(
                f"CREATE CONSTRAINT TRIGGER {name} AFTER {event} DEFERRABLE INITIALLY DEFERRED "
                f"FOR EACH ROW WHEN ({when}) EXECUTE FUNCTION stamp_answers()"
            )
        else:
            op.execute(
                f"CREATE TRIGGER {name} AFTER {event} FOR EACH ROW WHEN {when} "
                f"BEGIN {_SQLITE_BUMP}; {_sqlite_stamps(name)} END"
            )


def drop_triggers() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for name, event, _ in TRIGGERS:
        table = event.split(" ON ")[1]
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (f" ON {table}" if postgresql else ""))
    if postgresql:
        op.execute("DROP FUNCTION IF EXISTS stamp_answers()")


counters = sa.table("change_counters", sa.column("name", sa.String), sa.column("seq", sa.Integer))


def upgrade() -> None:
    op.create_table(
        "answer_stamps",
        sa.Column("labourer_id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("seq", sa.Integer(), nullable=False),
    )
    op.create_index("ix_answer_stamps_seq", "answer_stamps", ["seq"])
    op.bulk_insert(counters, [{"name": "answers", "seq": 0}])
    create_triggers()


def downgrade() -> None:
    drop_triggers()
    op.drop_index("ix_answer_stamps_seq", table_name="answer_stamps")
    op.drop_table("answer_stamps")
    op.execute(counters.delete().where(counters.c.name == "answers"))
