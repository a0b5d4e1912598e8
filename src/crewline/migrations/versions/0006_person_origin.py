"""person origin: records made here, or imported Label Studio annotators

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 10:00:00

Existing rows take ``crewline`` from the server default, except the placeholders earlier
Label Studio imports made (email ``ls-<project>-<user>@import.example``, no login, not in the
pool): they become ``label_studio_import``, so lists hide them from now on and a later import
of the same project finds them again instead of failing on their taken email.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ORIGIN = sa.Enum(
    "crewline", "label_studio_import", name="personorigin", native_enum=False, length=30
)
PLACEHOLDERS = sa.text(
    "UPDATE persons SET origin = 'label_studio_import' "
    "WHERE email LIKE 'ls-%@import.example' AND user_id IS NULL "
    "AND NOT EXISTS (SELECT 1 FROM workers WHERE workers.person_id = persons.id)"
)


# Plain ALTER TABLE on both databases (SQLite has both since 3.35), not a batch rebuild: a
# rebuild drops ``persons``, and with foreign keys on that would cascade into the rows that
# point at it.


def upgrade() -> None:
    op.add_column("persons", sa.Column("origin", ORIGIN, server_default="crewline", nullable=False))
    op.execute(PLACEHOLDERS)


def downgrade() -> None:
    op.drop_column("persons", "origin")
