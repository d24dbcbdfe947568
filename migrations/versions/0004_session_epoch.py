"""Users get a session epoch: signing out (or a password change, or deactivation) ends every session.

The session cookie carries ``<user id>:<epoch>``; a cookie whose epoch is not the user's current one
is refused, so a copy of a signed-out session cookie is worthless.

Revision ID: 0004_session_epoch
Revises: 0003_goals_version
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_session_epoch"
down_revision = "0003_goals_version"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("session_epoch", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("session_epoch")
