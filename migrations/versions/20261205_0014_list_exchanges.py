"""三来三往 list exchanges: seeker lists to partner agencies, the posts they answer with

`exchanges` is a 求职清单 sent from an origin region to a partner agency, dated at each step
(sent, answered, matched, closed); `exchange_lines` its anonymised lines per trade;
`exchange_members` the labourers it counted (the origin's alone). A post answering a list
carries `exchange_id` and the line it answers; a plan restricted to a list and the pushes it
makes carry `exchange_id`. NULL for every row before.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 18:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import matching.database

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _time(name: str, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, matching.database.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "exchanges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("origin_region", sa.String(length=12), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("sent_on", sa.Date(), nullable=False),
        _time("sent_at", nullable=False),
        _time("answered_at"),
        _time("matched_at"),
        _time("closed_at"),
        sa.Column("created_by_key_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agencies.id"], name=op.f("fk_exchanges_agency_id_agencies")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchanges")),
    )
    op.create_index(op.f("ix_exchanges_agency_id"), "exchanges", ["agency_id"])
    op.create_index(op.f("ix_exchanges_origin_region"), "exchanges", ["origin_region"])
    op.create_table(
        "exchange_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exchange_id", sa.Integer(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("occupation_id", sa.String(length=16), nullable=True),
        sa.Column("trade", sa.String(length=100), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("wage_median", sa.Integer(), nullable=True),
        sa.Column("wage_min", sa.Integer(), nullable=True),
        sa.Column("wage_max", sa.Integer(), nullable=True),
        sa.Column("age_bands", sa.JSON(), nullable=False),
        sa.Column("sexes", sa.JSON(), nullable=False),
        sa.Column("housing_needed", sa.Integer(), nullable=False),
        sa.Column("available_from", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["exchange_id"], ["exchanges.id"], name=op.f("fk_exchange_lines_exchange_id_exchanges")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_lines")),
        sa.UniqueConstraint(
            "exchange_id", "line_no", name=op.f("uq_exchange_lines_exchange_id_line_no")
        ),
    )
    op.create_index(op.f("ix_exchange_lines_exchange_id"), "exchange_lines", ["exchange_id"])
    op.create_table(
        "exchange_members",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("exchange_id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("labourer_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["exchange_id"],
            ["exchanges.id"],
            name=op.f("fk_exchange_members_exchange_id_exchanges"),
        ),
        sa.ForeignKeyConstraint(
            ["labourer_id"],
            ["labourers.id"],
            name=op.f("fk_exchange_members_labourer_id_labourers"),
        ),
        sa.ForeignKeyConstraint(
            ["line_id"],
            ["exchange_lines.id"],
            name=op.f("fk_exchange_members_line_id_exchange_lines"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exchange_members")),
        sa.UniqueConstraint(
            "exchange_id", "labourer_id", name=op.f("uq_exchange_members_exchange_id_labourer_id")
        ),
    )
    op.create_index(op.f("ix_exchange_members_exchange_id"), "exchange_members", ["exchange_id"])
    op.create_index(op.f("ix_exchange_members_labourer_id"), "exchange_members", ["labourer_id"])
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("exchange_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("exchange_line_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_posts_exchange_id"), ["exchange_id"])
    with op.batch_alter_table("pushes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("exchange_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_pushes_exchange_id"), ["exchange_id"])
    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.add_column(sa.Column("exchange_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("plans", schema=None) as batch_op:
        batch_op.drop_column("exchange_id")
    with op.batch_alter_table("pushes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pushes_exchange_id"))
        batch_op.drop_column("exchange_id")
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_posts_exchange_id"))
        batch_op.drop_column("exchange_line_id")
        batch_op.drop_column("exchange_id")
    op.drop_table("exchange_members")
    op.drop_table("exchange_lines")
    op.drop_table("exchanges")
