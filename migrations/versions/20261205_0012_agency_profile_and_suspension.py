"""Agencies keep their own contact, and can be suspended

An agency edits its contact (name, phone, e-mail) and callback address itself; an administrator
may suspend it (when, why, by which key): its keys stop working and its posts stop matching
until it is reinstated. NULL for every row before: no agency is suspended.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 17:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import matching.database

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("agencies", schema=None) as batch_op:
        batch_op.add_column(sa.Column("contact_name", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("contact_phone", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("contact_email", sa.String(length=200), nullable=True))
        for column in ("updated_at", "suspended_at"):
            batch_op.add_column(
                sa.Column(column, matching.database.UTCDateTime(timezone=True), nullable=True)
            )
        batch_op.add_column(sa.Column("suspended_reason", sa.String(length=500), nullable=True))
        # No foreign key: api_keys refers to agencies already, and a cycle of the two would
        # leave the tables without an order to create or drop them in.
        batch_op.add_column(sa.Column("suspended_by_key_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("agencies", schema=None) as batch_op:
        for column in ("suspended_by_key_id", "suspended_reason", "suspended_at", "updated_at",
                       "contact_email", "contact_phone", "contact_name"):  # fmt: skip
            batch_op.drop_column(column)
