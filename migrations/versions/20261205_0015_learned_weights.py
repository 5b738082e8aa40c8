"""Component weights learned from each province's outcomes

`learned_weights` holds one row per fit of a province (scoring.learned): the weights when they
beat the settings' on held-out pushes, the fit's numbers either way. No rows before.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 19:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import matching.database

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "learned_weights",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("province", sa.String(length=2), nullable=False),
        sa.Column("fitted_on", sa.Date(), nullable=False),
        sa.Column("created_at", matching.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("weights", sa.JSON(), nullable=True),
        sa.Column("settings_weights", sa.JSON(), nullable=False),
        sa.Column("intercept", sa.Double(), nullable=False),
        sa.Column("scale", sa.Double(), nullable=False),
        sa.Column("pushes", sa.Integer(), nullable=False),
        sa.Column("applied", sa.Integer(), nullable=False),
        sa.Column("holdout_pushes", sa.Integer(), nullable=False),
        sa.Column("auc_settings", sa.Double(), nullable=True),
        sa.Column("auc_learned", sa.Double(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_learned_weights")),
    )
    op.create_index(op.f("ix_learned_weights_province"), "learned_weights", ["province"])


def downgrade() -> None:
    op.drop_index(op.f("ix_learned_weights_province"), table_name="learned_weights")
    op.drop_table("learned_weights")
