"""find a labourer by name, pinyin and phone

`labourers.name_spellings` holds what a clerk may type to find a name (kit.spelling:
``|zhangjianguo|zjg|``); `labourers.phone_hash` is the keyed hash of the phone, as
`id_number_hash` is of the ID number, so staff can find a labourer by phone without decrypting
every row; `labourers.name` gets an index for exact and prefix search. Existing rows are filled
in here: the spellings from the name, the phone hash by decrypting the phone with the service's
data key (the hash key must be the one the service runs with).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 1000


def upgrade() -> None:
    with op.batch_alter_table("labourers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("name_spellings", sa.Text(), nullable=False, server_default="|")
        )
        batch_op.add_column(sa.Column("phone_hash", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_labourers_name"), ["name"], unique=False)
        batch_op.create_index(batch_op.f("ix_labourers_phone_hash"), ["phone_hash"], unique=False)
    _fill_existing_rows()


def _fill_existing_rows() -> None:
    from matching.kit.personal import PersonalData
    from matching.kit.spelling import spellings
    from matching.settings import get_settings

    bind = op.get_bind()
    labourers = sa.table(
        "labourers",
        sa.column("id", sa.Integer),
        sa.column("name", sa.String),
        sa.column("phone_cipher", sa.String),
        sa.column("name_spellings", sa.Text),
        sa.column("phone_hash", sa.String),
    )
    update = (
        labourers.update()
        .where(labourers.c.id == sa.bindparam("row_id"))
        .values(name_spellings=sa.bindparam("spelled"), phone_hash=sa.bindparam("hashed"))
    )
    personal: PersonalData | None = None
    last = 0
    while True:
        rows = bind.execute(
            sa.select(labourers.c.id, labourers.c.name, labourers.c.phone_cipher)
            .where(labourers.c.id > last)
            .order_by(labourers.c.id)
            .limit(_BATCH)
        ).all()
        if not rows:
            return
        values = []
        for id_, name, phone_cipher in rows:
            phone_hash = None
            if phone_cipher is not None:
                personal = personal or PersonalData(get_settings())
                phone = personal.reveal(phone_cipher)
                phone_hash = personal.phone_digest(phone) if phone else None
            values.append({"row_id": id_, "spelled": spellings(name), "hashed": phone_hash})
        bind.execute(update, values)  # one statement per batch, not per row
        last = rows[-1].id


def downgrade() -> None:
    with op.batch_alter_table("labourers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_labourers_phone_hash"))
        batch_op.drop_index(batch_op.f("ix_labourers_name"))
        batch_op.drop_column("phone_hash")
        batch_op.drop_column("name_spellings")
