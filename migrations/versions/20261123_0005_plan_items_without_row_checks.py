"""plan items without per-row foreign-key checks on labourers and posts

A province plan writes ~3 million items; PostgreSQL checked each against labourers and posts
one row at a time (59 of 68 s of the COPY). Items are proposals made from the current indexes,
and commit checks every labourer and post again before it writes a push (which keeps its
foreign keys); labourers and posts are never deleted.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 21:40:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("plan_items", schema=None) as batch_op:
        batch_op.drop_constraint("fk_plan_items_labourer_id_labourers", type_="foreignkey")
        batch_op.drop_constraint("fk_plan_items_post_id_posts", type_="foreignkey")


def downgrade() -> None:
    with op.batch_alter_table("plan_items", schema=None) as batch_op:
        batch_op.create_foreign_key(
            "fk_plan_items_labourer_id_labourers", "labourers", ["labourer_id"], ["id"]
        )
        batch_op.create_foreign_key("fk_plan_items_post_id_posts", "posts", ["post_id"], ["id"])
