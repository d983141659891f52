"""communes: accent-insensitive search key

Revision ID: f22a71621f79
Revises: c1dcc8780ddc
Create Date: 2026-11-22 09:32:32.203050
"""

from __future__ import annotations

import unicodedata

import sqlalchemy as sa
from alembic import op

revision = "f22a71621f79"
down_revision = "c1dcc8780ddc"
branch_labels = None
depends_on = None


def _search_key(text: str) -> str:
    # Frozen copy of passerelle.models.reference.search_key as of this revision.
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    for separator in "-'’":
        bare = bare.replace(separator, " ")
    return " ".join(bare.split())


def upgrade() -> None:
    with op.batch_alter_table("communes") as batch_op:
        batch_op.add_column(sa.Column("search_name", sa.String(length=200), server_default="", nullable=False))
        batch_op.create_index("ix_communes_search_name", ["search_name"], unique=False)
    communes = sa.table(
        "communes",
        sa.column("insee", sa.String),
        sa.column("name", sa.String),
        sa.column("search_name", sa.String),
    )
    connection = op.get_bind()
    rows = connection.execute(sa.select(communes.c.insee, communes.c.name)).all()
    if rows:
        connection.execute(
            communes.update().where(communes.c.insee == sa.bindparam("key")),
            [{"key": insee, "search_name": _search_key(name)} for insee, name in rows],
        )


def downgrade() -> None:
    with op.batch_alter_table("communes") as batch_op:
        batch_op.drop_index("ix_communes_search_name")
        batch_op.drop_column("search_name")
