"""guideline experiment arms on projects (the claim reads them)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24 04:19:42.507802
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ALTER TABLE, not a batch rebuild (see 0006): rebuilding ``projects`` would cascade.


def upgrade() -> None:
    op.add_column("projects", sa.Column("trial_version_a", sa.Integer(), nullable=True))
    op.add_column("projects", sa.Column("trial_version", sa.Integer(), nullable=True))
    op.add_column("projects", sa.Column("trial_unit", sa.String(length=10), nullable=True))
    op.add_column(
        "projects", sa.Column("trial_seed", sa.Integer(), server_default="0", nullable=False)
    )


def downgrade() -> None:
    op.drop_column("projects", "trial_seed")
    op.drop_column("projects", "trial_unit")
    op.drop_column("projects", "trial_version")
    op.drop_column("projects", "trial_version_a")
