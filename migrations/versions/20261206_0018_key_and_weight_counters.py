"""Change counters for API keys and learned weights, bumped by the database itself

Each web worker keeps the keys it has authenticated and the learned weights it has read
(issue 14: those two statements were a third of a match's SQL), and trusts them only while
these counters stand where they stood when it read them: one statement, the change counters
every match reads anyway, tells it whether anything changed. The counters are moved by
triggers, so that any change counts: a key revoked or deleted by the service, by `matching
keys revoke` or by hand in psql, an agency suspended or restored, a fit stored. docs/architecture.md,
"What a worker keeps between requests".

On SQLite a later migration that rebuilds `api_keys`, `agencies` or `learned_weights` with
`batch_alter_table` drops their triggers with the old table: it must create them again
(`create_triggers`).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | Sequence[str] | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, counter, the changes that count). A new key changes no key a worker keeps (it keeps
# only keys it found, and a new key's hash is new), nor does a new agency (it has no keys yet):
# inserting them moves nothing, so minting keys by the thousand in one transaction (a test's)
# does not pile up versions of the counter's row. A new fit does change the weights in force.
WATCHED = (
    ("api_keys", "keys", ("UPDATE", "DELETE")),
    ("agencies", "keys", ("UPDATE OF suspended_at",)),  # a suspended agency's keys stop working
    ("learned_weights", "weights", ("INSERT", "UPDATE", "DELETE")),
)


def create_triggers() -> None:
    """The triggers that bump a counter on every change to a watched table."""
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        op.execute(
            """
            CREATE FUNCTION bump_change_counter() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                UPDATE change_counters SET seq = seq + 1 WHERE name = TG_ARGV[0];
                RETURN NULL;
            END $$
            """
        )
    for table, counter, events in WATCHED:
        if postgresql:
            op.execute(
                f"CREATE TRIGGER {table}_bump_{counter} AFTER {' OR '.join(events)} ON {table} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION bump_change_counter('{counter}')"
            )
            continue
        bump = f"UPDATE change_counters SET seq = seq + 1 WHERE name = '{counter}'"
        for event in events:
            name = f"{table}_bump_{counter}_{event.split()[0].lower()}"
            op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} BEGIN {bump}; END")


def drop_triggers() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table, counter, events in WATCHED:
        if postgresql:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_bump_{counter} ON {table}")
            continue
        for event in events:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_bump_{counter}_{event.split()[0].lower()}")
    if postgresql:
        op.execute("DROP FUNCTION IF EXISTS bump_change_counter()")


counters = sa.table("change_counters", sa.column("name", sa.String), sa.column("seq", sa.Integer))


def upgrade() -> None:
    op.bulk_insert(counters, [{"name": "keys", "seq": 0}, {"name": "weights", "seq": 0}])
    create_triggers()


def downgrade() -> None:
    drop_triggers()
    op.execute(counters.delete().where(counters.c.name.in_(["keys", "weights"])))
