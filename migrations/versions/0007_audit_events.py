"""The audit trail: who did what to which household and when, append-only.

A trigger refuses every UPDATE of a record (SQLite and PostgreSQL alike); records are deleted only by
the retention's pruning (``python -m meridian audit prune``), which records itself.

Revision ID: 0007_audit_events
Revises: 0006_assumption_sets
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_audit_events"
down_revision = "0006_assumption_sets"
branch_labels = None
depends_on = None

REFUSAL = "audit records are never changed"


def upgrade() -> None:
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("user_email", sa.String(255), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=True),
        sa.Column("target", sa.String(160), nullable=False),
        sa.Column("detail", sa.String(500), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sqlite_autoincrement=True,  # ids are never reused (SQLite would, after a deletion)
    )
    op.create_index("ix_audit_events_at", "audit_events", ["at"])
    op.create_index("ix_audit_events_user_email_at", "audit_events", ["user_email", "at"])
    op.create_index("ix_audit_events_household_id_at", "audit_events", ["household_id", "at"])
    op.create_index("ix_audit_events_action_at", "audit_events", ["action", "at"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION audit_events_append_only() RETURNS trigger AS $$ "
            f"BEGIN RAISE EXCEPTION '{REFUSAL}'; END; $$ LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
            "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()"
        )
    else:
        op.execute(
            "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
            f"BEGIN SELECT RAISE(ABORT, '{REFUSAL}'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_events_no_update ON audit_events")
        op.execute("DROP FUNCTION audit_events_append_only()")
    else:
        op.execute("DROP TRIGGER audit_events_no_update")
    op.drop_table("audit_events")
