"""Performance indexes: every foreign key and the composite indexes of the real query shapes.

On PostgreSQL each index is built CONCURRENTLY (outside a transaction), so the
migration can run against a live database without locking writers. The three
unique indexes are the natural keys of high-volume tables; they double as the
indexes of their query shapes.

Revision ID: 0002_performance_indexes
Revises: 0001_schema
Create Date: 2026-11-27
"""

from alembic import op

revision = "0002_performance_indexes"
down_revision = "0001_schema"
branch_labels = None
depends_on = None

# (name, table, columns, unique) — the query each one serves is noted beside it.
INDEXES: list[tuple[str, str, list[str], bool]] = [
    ("ix_users_role", "users", ["role"], False),  # admin listings
    ("ix_households_analyst_id_name", "households", ["analyst_id", "name"], False),  # my households
    ("ix_households_name", "households", ["name"], False),  # search by name
    ("ix_securities_sector", "securities", ["sector"], False),  # sector exposure / limits
    ("ux_prices_security_id_date", "prices", ["security_id", "date"], True),  # price history
    # Covering: price histories are read by index alone, without visiting the table.
    ("ix_prices_security_id_date_close", "prices", ["security_id", "date", "close"], False),
    ("ix_prices_date", "prices", ["date"], False),  # prices on a day (valuation)
    ("ix_plaid_items_household_id", "plaid_items", ["household_id"], False),
    ("ix_plaid_accounts_plaid_item_id", "plaid_accounts", ["plaid_item_id"], False),
    ("ix_accounts_household_id_account_type", "accounts", ["household_id", "account_type"], False),
    ("ix_accounts_plaid_account_id", "accounts", ["plaid_account_id"], False),
    ("ux_holdings_account_id_security_id", "holdings", ["account_id", "security_id"], True),
    ("ix_holdings_security_id", "holdings", ["security_id"], False),
    ("ix_tax_lots_holding_id_acquired_on", "tax_lots", ["holding_id", "acquired_on"], False),
    ("ix_tax_lots_acquired_on", "tax_lots", ["acquired_on"], False),  # short/long-term split
    # An account's transactions in a date range, newest first, paged (id breaks ties).
    ("ix_transactions_account_id_date_id", "transactions", ["account_id", "date", "id"], False),
    ("ix_transactions_security_id_date", "transactions", ["security_id", "date"], False),  # wash sales
    ("ix_transactions_account_id_type_date", "transactions", ["account_id", "type", "date"], False),
    ("ix_transactions_account_id_category", "transactions", ["account_id", "category"], False),
    ("ux_transactions_account_id_external_id", "transactions", ["account_id", "external_id"], True),
    ("ix_budget_entries_household_id_month", "budget_entries", ["household_id", "month"], False),
    ("ix_goals_household_id_target_date", "goals", ["household_id", "target_date"], False),
    ("ix_threads_household_id_updated_at", "threads", ["household_id", "updated_at"], False),
    ("ix_threads_created_by", "threads", ["created_by"], False),
    ("ix_thread_items_thread_id_created_at", "thread_items", ["thread_id", "created_at"], False),
    ("ix_thread_items_created_by", "thread_items", ["created_by"], False),
    ("ix_simulations_household_id_created_at", "simulations", ["household_id", "created_at"], False),
    ("ix_simulations_user_id", "simulations", ["user_id"], False),
    ("ix_simulations_status", "simulations", ["status"], False),
]


def upgrade() -> None:
    # CONCURRENTLY cannot run inside a transaction block; autocommit_block ends
    # the migration's transaction on PostgreSQL and is a no-op elsewhere.
    with op.get_context().autocommit_block():
        for name, table, columns, unique in INDEXES:
            op.create_index(
                name,
                table,
                columns,
                unique=unique,
                postgresql_concurrently=True,
            )


def downgrade() -> None:
    with op.get_context().autocommit_block():
        for name, table, _columns, _unique in reversed(INDEXES):
            op.drop_index(name, table_name=table, postgresql_concurrently=True)
