"""Capital market assumptions: versioned sets of the firm's expected returns, risks and correlations.

A set is never changed once written (an edit is a new version that names the one it was edited from),
so a saved run that names its set reproduces after newer sets arrive.

Revision ID: 0006_assumption_sets
Revises: 0005_price_imports
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_assumption_sets"
down_revision = "0005_price_imports"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "assumption_sets",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("inflation", sa.Float(), nullable=False),
        sa.Column("cash_rate", sa.Float(), nullable=False),
        sa.Column("default_class", sa.String(32), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("method", sa.Text(), nullable=False),
        sa.Column("source", sa.String(255), nullable=False),
        sa.Column("created_by", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column(
            "based_on",
            sa.Integer(),
            sa.ForeignKey("assumption_sets.id", ondelete="RESTRICT"),
            nullable=True,
        ),
    )
    op.create_index("ix_assumption_sets_effective", "assumption_sets", ["effective_on", "id"])
    op.create_index("ix_assumption_sets_based_on", "assumption_sets", ["based_on"])


def downgrade() -> None:
    op.drop_index("ix_assumption_sets_based_on", table_name="assumption_sets")
    op.drop_index("ix_assumption_sets_effective", table_name="assumption_sets")
    op.drop_table("assumption_sets")
