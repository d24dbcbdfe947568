"""A household's goals get their own version: a goal edited no longer re-keys its portfolio analyses.

``data_version`` stays the version of what the portfolio analyses read (accounts, holdings,
transactions, lots); ``goals_version`` is bumped when a goal is created, edited or deleted and is part
of the keys of what reads goals (the household snapshot, the Goals page's evaluation).

Revision ID: 0003_goals_version
Revises: 0002_performance_indexes
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_goals_version"
down_revision = "0002_performance_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("households") as batch:
        batch.add_column(sa.Column("goals_version", sa.Integer(), nullable=False, server_default="1"))


def downgrade() -> None:
    with op.batch_alter_table("households") as batch:
        batch.drop_column("goals_version")
