"""Schema: every table with primary keys, foreign keys and natural-key constraints.

Secondary indexes live in 0002 ("performance indexes").

Revision ID: 0001_schema
Revises:
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_schema"
down_revision = None
branch_labels = None
depends_on = None


def _id() -> sa.Column:
    return sa.Column("id", sa.Integer(), primary_key=True)


def _fk(name: str, target: str, ondelete: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.Integer(), sa.ForeignKey(target, ondelete=ondelete), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "users",
        _id(),
        sa.Column("email", sa.String(254), nullable=False, unique=True),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.String(255)),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("role IN ('analyst', 'admin')", name="ck_users_role"),
    )
    op.create_table(
        "households",
        _id(),
        sa.Column("name", sa.String(120), nullable=False),
        _fk("analyst_id", "users.id", "RESTRICT"),
        sa.Column("risk_profile", sa.String(32), nullable=False),
        sa.Column("data_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "securities",
        _id(),
        sa.Column("ticker", sa.String(16), nullable=False, unique=True),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("sector", sa.String(64)),
        sa.Column("asset_class", sa.String(32), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("dataset", sa.String(64)),
    )
    op.create_table(
        "prices",
        _id(),
        _fk("security_id", "securities.id", "CASCADE"),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("close", sa.Float(), nullable=False),
        sa.CheckConstraint("close > 0", name="ck_prices_close_positive"),
    )
    op.create_table(
        "plaid_items",
        _id(),
        _fk("household_id", "households.id", "CASCADE"),
        sa.Column("item_id", sa.String(64), nullable=False, unique=True),
        sa.Column("institution_name", sa.String(120), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("last_synced_at", sa.DateTime()),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "plaid_accounts",
        _id(),
        _fk("plaid_item_id", "plaid_items.id", "CASCADE"),
        sa.Column("external_id", sa.String(64), nullable=False, unique=True),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("mask", sa.String(8)),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("subtype", sa.String(32)),
        sa.Column("current_balance", sa.Float(), nullable=False),
        sa.Column("available_balance", sa.Float()),
    )
    op.create_table(
        "accounts",
        _id(),
        _fk("household_id", "households.id", "CASCADE"),
        _fk("plaid_account_id", "plaid_accounts.id", "SET NULL", nullable=True),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("account_type", sa.String(16), nullable=False),
        sa.Column("institution", sa.String(120), nullable=False),
        sa.Column("cash_balance", sa.Float(), nullable=False),
        sa.Column("opened_on", sa.Date()),
    )
    op.create_table(
        "holdings",
        _id(),
        _fk("account_id", "accounts.id", "CASCADE"),
        _fk("security_id", "securities.id", "RESTRICT"),
        sa.Column("quantity", sa.Float(), nullable=False),
        sa.CheckConstraint("quantity >= 0", name="ck_holdings_quantity_non_negative"),
    )
    op.create_table(
        "tax_lots",
        _id(),
        _fk("holding_id", "holdings.id", "CASCADE"),
        sa.Column("acquired_on", sa.Date(), nullable=False),
        sa.Column("quantity", sa.Float(), nullable=False),
        sa.Column("cost_per_share", sa.Float(), nullable=False),
        sa.CheckConstraint("quantity > 0", name="ck_tax_lots_quantity_positive"),
    )
    op.create_table(
        "transactions",
        _id(),
        _fk("account_id", "accounts.id", "CASCADE"),
        _fk("security_id", "securities.id", "RESTRICT", nullable=True),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("description", sa.String(200), nullable=False),
        sa.Column("category", sa.String(64)),
        sa.Column("quantity", sa.Float()),
        sa.Column("price", sa.Float()),
        sa.Column("amount", sa.Float(), nullable=False),
        sa.Column("external_id", sa.String(64)),
    )
    op.create_table(
        "budget_entries",
        _id(),
        _fk("household_id", "households.id", "CASCADE"),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("amount", sa.Float(), nullable=False),
        sa.CheckConstraint("kind IN ('income', 'expense')", name="ck_budget_entries_kind"),
    )
    op.create_table(
        "goals",
        _id(),
        _fk("household_id", "households.id", "CASCADE"),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("target_amount", sa.Float(), nullable=False),
        sa.Column("target_date", sa.Date(), nullable=False),
        sa.Column("priority", sa.String(16), nullable=False),
        sa.Column("current_amount", sa.Float(), nullable=False),
        sa.Column("monthly_contribution", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("target_amount > 0", name="ck_goals_target_positive"),
    )
    op.create_table(
        "threads",
        _id(),
        _fk("household_id", "households.id", "CASCADE"),
        _fk("created_by", "users.id", "RESTRICT"),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "thread_items",
        _id(),
        _fk("thread_id", "threads.id", "CASCADE"),
        _fk("created_by", "users.id", "RESTRICT"),
        sa.Column("page", sa.String(64), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("seed", sa.Integer()),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "simulations",
        _id(),
        _fk("household_id", "households.id", "CASCADE"),
        _fk("user_id", "users.id", "RESTRICT"),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("seed", sa.Integer()),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("summary", sa.Text()),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime()),
    )


def downgrade() -> None:
    for table in (
        "simulations",
        "thread_items",
        "threads",
        "goals",
        "budget_entries",
        "transactions",
        "tax_lots",
        "holdings",
        "accounts",
        "plaid_accounts",
        "plaid_items",
        "prices",
        "securities",
        "households",
        "users",
    ):
        op.drop_table(table)
