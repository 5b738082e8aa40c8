"""labourers enrolled in the app; the audit log records writes too

`labourers.app_linked_at` marks a labourer enrolled in the mobile app (by staff, or by the
labourer proving ID number and phone through the app backend); the app key acts only for those.
Nobody is linked before this revision: the app backend enrols its users again.

The audit log now records every write to a labourer with the names of the fields written, so
`fields` widens to 400 characters (every field of a labourer fits), and `action` gets an index
for `GET /v1/audit?action=`.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import matching.database

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("labourers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("app_linked_at", matching.database.UTCDateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.alter_column(
            "fields",
            existing_type=sa.String(length=200),
            type_=sa.String(length=400),
            existing_nullable=False,
        )
        batch_op.create_index(batch_op.f("ix_audit_log_action"), ["action"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_action"))
        batch_op.alter_column(
            "fields",
            existing_type=sa.String(length=400),
            type_=sa.String(length=200),
            existing_nullable=False,
        )
    with op.batch_alter_table("labourers", schema=None) as batch_op:
        batch_op.drop_column("app_linked_at")
