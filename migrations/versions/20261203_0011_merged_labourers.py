"""A labourer record can be merged into another

`merged_into_id` names the record that survives when staff confirm that two records are one
person; the merged record is kept (its history moved), never counted, listed or matched.
NULL for every row before.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 18:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import matching.database

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("labourers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("merged_into_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("merged_at", matching.database.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(batch_op.f("ix_labourers_merged_into_id"), ["merged_into_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_labourers_merged_into_id_labourers"),
            "labourers",
            ["merged_into_id"],
            ["id"],
        )


def downgrade() -> None:
    with op.batch_alter_table("labourers", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_labourers_merged_into_id_labourers"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_labourers_merged_into_id"))
        batch_op.drop_column("merged_at")
        batch_op.drop_column("merged_into_id")
