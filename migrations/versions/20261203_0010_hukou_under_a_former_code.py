"""A hukou region may be recorded under a code no longer in use

`hukou_region_recorded` keeps a former code as given (432302 沅江市, until 1993) while
`hukou_region` holds its current successor (430981), which scopes and reports go by. NULL for
every row written before: they were all recorded under current codes.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 17:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("labourers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("hukou_region_recorded", sa.String(12), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("labourers", schema=None) as batch_op:
        batch_op.drop_column("hukou_region_recorded")
