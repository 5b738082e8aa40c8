"""the labourer's taste factor at push time, on pushes and plan items

The planner multiplies a push's calibrated probability by the labourer's taste factor (their
own answers: declines, applications, silences). Calibration must then fit P(apply | score) with
that factor as a known offset — otherwise a month whose pushes went mostly to labourers who
answer teaches a rate the next month multiplies by their factor again. So the factor is stored
with the push, as the score is; NULL (pushes from before) counts as 1.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 00:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("pushes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("taste_factor", sa.Double(), nullable=True))
    with op.batch_alter_table("plan_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("taste_factor", sa.Double(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("plan_items", schema=None) as batch_op:
        batch_op.drop_column("taste_factor")
    with op.batch_alter_table("pushes", schema=None) as batch_op:
        batch_op.drop_column("taste_factor")
