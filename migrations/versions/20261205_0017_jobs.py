"""Jobs: long work (plans, commits, roster imports) a request starts and a client follows

One row a job: its state, stage and progress, the runner and its heartbeat (a job whose runner
died is failed and retryable), its result or the problem that failed it, and the request it
was asked with (an uploaded roster in `payload` until it ends). docs/jobs.md.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 23:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import matching.database

revision: str = "0017"
down_revision: str | Sequence[str] | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "queued",
                "running",
                "succeeded",
                "failed",
                "cancelled",
                name="jobstate",
                native_enum=False,
                length=12,
            ),
            nullable=False,
        ),
        sa.Column("region", sa.String(length=12), nullable=True),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column("principal", sa.JSON(), nullable=False),
        sa.Column("as_of", matching.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("request_hash", sa.String(length=64), nullable=True),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("retry_of", sa.Integer(), nullable=True),
        sa.Column("stage", sa.String(length=40), nullable=True),
        sa.Column("percent", sa.Double(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("output", sa.JSON(), nullable=True),
        sa.Column("result_href", sa.String(length=200), nullable=True),
        sa.Column("result_file", sa.LargeBinary(), nullable=True),
        sa.Column("result_media_type", sa.String(length=120), nullable=True),
        sa.Column("result_filename", sa.String(length=200), nullable=True),
        sa.Column("error", sa.JSON(), nullable=True),
        sa.Column("retryable", sa.Boolean(), nullable=False),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False),
        sa.Column("runner", sa.String(length=120), nullable=True),
        sa.Column("created_by_key_id", sa.Integer(), nullable=True),
        sa.Column("created_at", matching.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", matching.database.UTCDateTime(timezone=True), nullable=True),
        sa.Column("heartbeat_at", matching.database.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", matching.database.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
        sa.UniqueConstraint(
            "created_by_key_id",
            "kind",
            "idempotency_key",
            name=op.f("uq_jobs_created_by_key_id_kind_idempotency_key"),
        ),
    )
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_jobs_region"), ["region"], unique=False)
        batch_op.create_index(batch_op.f("ix_jobs_state"), ["state"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_jobs_state"))
        batch_op.drop_index(batch_op.f("ix_jobs_region"))

    op.drop_table("jobs")
