"""Township seat points set by staff, and a post's own workplace point

`township_seats` holds the seat point of a township where staff set one (the shipped data stops
at county seats); `posts.workplace_lat` / `workplace_lon` a post's own point, NULL for every post
before (it is then placed at its township's or county's seat).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 20:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import matching.database

revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "township_seats",
        sa.Column("code", sa.String(length=9), nullable=False),
        sa.Column("lat", sa.Double(), nullable=False),
        sa.Column("lon", sa.Double(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("set_at", matching.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("set_by_key_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_township_seats")),
    )
    with op.batch_alter_table("posts") as batch:
        batch.add_column(sa.Column("workplace_lat", sa.Double(), nullable=True))
        batch.add_column(sa.Column("workplace_lon", sa.Double(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("posts") as batch:
        batch.drop_column("workplace_lon")
        batch.drop_column("workplace_lat")
    op.drop_table("township_seats")
