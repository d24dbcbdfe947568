"""Price imports: each operator import of a price file is recorded; its id is the market version.

The market version is part of every cache key, so results computed from older prices are never asked
for again once new prices are imported.

Revision ID: 0005_price_imports
Revises: 0004_session_epoch
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_price_imports"
down_revision = "0004_session_epoch"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "price_imports",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("imported_at", sa.DateTime(), nullable=False),
        sa.Column("source", sa.String(255), nullable=False),
        sa.Column("imported_by", sa.String(255), nullable=False),
        sa.Column("added", sa.Integer(), nullable=False),
        sa.Column("replaced", sa.Integer(), nullable=False),
        sa.Column("new_securities", sa.Text(), nullable=False),
        sa.Column("first_date", sa.Date(), nullable=False),
        sa.Column("last_date", sa.Date(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("price_imports")
