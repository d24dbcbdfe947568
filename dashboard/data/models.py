"""SQLAlchemy 2.0 typed models: the tables of docs/product.md §3.

Indexes are declared here as well as in migration 0002 so the models and the
migrated schema agree exactly (a test compares them). Natural keys of the
high-volume tables (holdings per account and security, prices per security and
date) are unique *indexes* created in 0002, because they double as the indexes
of the real query shapes.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

ROLES = ("analyst", "admin")
ACCOUNT_TYPES = ("taxable", "ira", "roth_ira", "401k", "checking", "savings")
TRANSACTION_TYPES = (
    "buy",
    "sell",
    "dividend",
    "interest",
    "deposit",
    "withdrawal",
    "fee",
    "transfer",
    "payment",
)
GOAL_PRIORITIES = ("essential", "important", "aspirational")
BUDGET_KINDS = ("income", "expense")


class Base(DeclarativeBase):
    pass


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('analyst', 'admin')", name="ck_users_role"),
        Index("ix_users_role", "role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(16), default="analyst")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(default=True)
    # bumped on sign-out, password change and deactivation: every older session cookie is refused
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)

    households: Mapped[list[Household]] = relationship(back_populates="analyst")


class Household(Base):
    __tablename__ = "households"
    __table_args__ = (
        Index("ix_households_analyst_id_name", "analyst_id", "name"),
        Index("ix_households_name", "name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    analyst_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    risk_profile: Mapped[str] = mapped_column(String(32), default="balanced")
    # Bumped whenever the household's data changes; part of every cache key that
    # depends on it, so stale entries are never read even before invalidation.
    data_version: Mapped[int] = mapped_column(Integer, default=1)
    # Bumped whenever one of its goals changes: part of the keys of what reads goals only.
    goals_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)

    analyst: Mapped[User] = relationship(back_populates="households")
    accounts: Mapped[list[Account]] = relationship(back_populates="household")
    goals: Mapped[list[Goal]] = relationship(back_populates="household")


class Security(Base):
    __tablename__ = "securities"
    __table_args__ = (Index("ix_securities_sector", "sector"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticker: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    sector: Mapped[str | None] = mapped_column(String(64))
    asset_class: Mapped[str] = mapped_column(String(32), default="equity")
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    dataset: Mapped[str | None] = mapped_column(String(64))


class Price(Base):
    __tablename__ = "prices"
    __table_args__ = (
        CheckConstraint("close > 0", name="ck_prices_close_positive"),
        Index("ux_prices_security_id_date", "security_id", "date", unique=True),
        Index("ix_prices_security_id_date_close", "security_id", "date", "close"),
        Index("ix_prices_date", "date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    security_id: Mapped[int] = mapped_column(ForeignKey("securities.id", ondelete="CASCADE"))
    date: Mapped[dt.date] = mapped_column(Date)
    close: Mapped[float] = mapped_column(Float)


class PlaidItem(Base):
    """A link to an aggregator (Plaid-style) institution login."""

    __tablename__ = "plaid_items"
    __table_args__ = (Index("ix_plaid_items_household_id", "household_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"))
    item_id: Mapped[str] = mapped_column(String(64), unique=True)
    institution_name: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(32), default="active")
    last_synced_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)


class PlaidAccount(Base):
    __tablename__ = "plaid_accounts"
    __table_args__ = (Index("ix_plaid_accounts_plaid_item_id", "plaid_item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plaid_item_id: Mapped[int] = mapped_column(ForeignKey("plaid_items.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    mask: Mapped[str | None] = mapped_column(String(8))
    type: Mapped[str] = mapped_column(String(32))
    subtype: Mapped[str | None] = mapped_column(String(32))
    current_balance: Mapped[float] = mapped_column(Float, default=0.0)
    available_balance: Mapped[float | None] = mapped_column(Float)


class Account(Base):
    __tablename__ = "accounts"
    __table_args__ = (
        Index("ix_accounts_plaid_account_id", "plaid_account_id"),
        Index("ix_accounts_household_id_account_type", "household_id", "account_type"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"))
    plaid_account_id: Mapped[int | None] = mapped_column(ForeignKey("plaid_accounts.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(120))
    account_type: Mapped[str] = mapped_column(String(16))
    institution: Mapped[str] = mapped_column(String(120))
    cash_balance: Mapped[float] = mapped_column(Float, default=0.0)
    opened_on: Mapped[dt.date | None] = mapped_column(Date)

    household: Mapped[Household] = relationship(back_populates="accounts")
    holdings: Mapped[list[Holding]] = relationship(back_populates="account")
    plaid_account: Mapped[PlaidAccount | None] = relationship()


class Holding(Base):
    __tablename__ = "holdings"
    __table_args__ = (
        CheckConstraint("quantity >= 0", name="ck_holdings_quantity_non_negative"),
        Index("ux_holdings_account_id_security_id", "account_id", "security_id", unique=True),
        Index("ix_holdings_security_id", "security_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    security_id: Mapped[int] = mapped_column(ForeignKey("securities.id", ondelete="RESTRICT"))
    quantity: Mapped[float] = mapped_column(Float)

    account: Mapped[Account] = relationship(back_populates="holdings")
    security: Mapped[Security] = relationship()
    lots: Mapped[list[TaxLot]] = relationship(back_populates="holding")


class TaxLot(Base):
    __tablename__ = "tax_lots"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="ck_tax_lots_quantity_positive"),
        Index("ix_tax_lots_holding_id_acquired_on", "holding_id", "acquired_on"),
        Index("ix_tax_lots_acquired_on", "acquired_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    holding_id: Mapped[int] = mapped_column(ForeignKey("holdings.id", ondelete="CASCADE"))
    acquired_on: Mapped[dt.date] = mapped_column(Date)
    quantity: Mapped[float] = mapped_column(Float)
    cost_per_share: Mapped[float] = mapped_column(Float)

    holding: Mapped[Holding] = relationship(back_populates="lots")


class Transaction(Base):
    __tablename__ = "transactions"
    __table_args__ = (
        # Paging an account's transactions by date (newest first), id breaking ties.
        Index("ix_transactions_account_id_date_id", "account_id", "date", "id"),
        Index("ix_transactions_security_id_date", "security_id", "date"),
        Index("ix_transactions_account_id_type_date", "account_id", "type", "date"),
        Index("ix_transactions_account_id_category", "account_id", "category"),
        # Aggregator imports deduplicate on the provider's id within an account.
        Index("ux_transactions_account_id_external_id", "account_id", "external_id", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    security_id: Mapped[int | None] = mapped_column(ForeignKey("securities.id", ondelete="RESTRICT"))
    date: Mapped[dt.date] = mapped_column(Date)
    type: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(String(200))
    category: Mapped[str | None] = mapped_column(String(64))
    quantity: Mapped[float | None] = mapped_column(Float)
    price: Mapped[float | None] = mapped_column(Float)
    amount: Mapped[float] = mapped_column(Float)
    external_id: Mapped[str | None] = mapped_column(String(64))


class BudgetEntry(Base):
    __tablename__ = "budget_entries"
    __table_args__ = (
        CheckConstraint("kind IN ('income', 'expense')", name="ck_budget_entries_kind"),
        Index("ix_budget_entries_household_id_month", "household_id", "month"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"))
    month: Mapped[dt.date] = mapped_column(Date)
    category: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(8))
    amount: Mapped[float] = mapped_column(Float)


class Goal(Base):
    __tablename__ = "goals"
    __table_args__ = (
        CheckConstraint("target_amount > 0", name="ck_goals_target_positive"),
        Index("ix_goals_household_id_target_date", "household_id", "target_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    target_amount: Mapped[float] = mapped_column(Float)
    target_date: Mapped[dt.date] = mapped_column(Date)
    priority: Mapped[str] = mapped_column(String(16), default="important")
    current_amount: Mapped[float] = mapped_column(Float, default=0.0)
    monthly_contribution: Mapped[float] = mapped_column(Float, default=0.0)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now, onupdate=_now)

    household: Mapped[Household] = relationship(back_populates="goals")


class Thread(Base):
    __tablename__ = "threads"
    __table_args__ = (
        Index("ix_threads_household_id_updated_at", "household_id", "updated_at"),
        Index("ix_threads_created_by", "created_by"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"))
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    title: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now, onupdate=_now)

    items: Mapped[list[ThreadItem]] = relationship(
        back_populates="thread", cascade="all, delete-orphan", passive_deletes=True
    )


class ThreadItem(Base):
    """A saved run: the page, its parameters (the URL query), seed and summary."""

    __tablename__ = "thread_items"
    __table_args__ = (
        Index("ix_thread_items_thread_id_created_at", "thread_id", "created_at"),
        Index("ix_thread_items_created_by", "created_by"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"))
    created_by: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    page: Mapped[str] = mapped_column(String(64))
    params: Mapped[str] = mapped_column(Text)  # JSON
    seed: Mapped[int | None] = mapped_column(Integer)
    summary: Mapped[str] = mapped_column(Text)  # JSON
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)

    thread: Mapped[Thread] = relationship(back_populates="items")


class Simulation(Base):
    """A recorded simulation run (background jobs keep their status here)."""

    __tablename__ = "simulations"
    __table_args__ = (
        Index("ix_simulations_household_id_created_at", "household_id", "created_at"),
        Index("ix_simulations_user_id", "user_id"),
        Index("ix_simulations_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(String(32))
    params: Mapped[str] = mapped_column(Text)  # JSON
    seed: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="done")
    summary: Mapped[str | None] = mapped_column(Text)  # JSON
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class PriceImport(Base):
    """One price file imported by an operator: its id is the market version in every cache key."""

    __tablename__ = "price_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime)
    source: Mapped[str] = mapped_column(String(255))
    imported_by: Mapped[str] = mapped_column(String(255))
    added: Mapped[int] = mapped_column(Integer)
    replaced: Mapped[int] = mapped_column(Integer)
    new_securities: Mapped[str] = mapped_column(Text, default="")
    first_date: Mapped[dt.date] = mapped_column(Date)
    last_date: Mapped[dt.date] = mapped_column(Date)


class AssumptionSet(Base):
    """A version of the firm's capital market assumptions, in force from ``effective_on``.

    Never changed once written: an edit or an import is a new version (``based_on`` names the one it
    was edited from), so a run that names a set reproduces after newer sets arrive. ``body`` holds the
    classes, correlations and securities as JSON (``engine.assumptions``).
    """

    __tablename__ = "assumption_sets"
    __table_args__ = (
        Index("ix_assumption_sets_effective", "effective_on", "id"),  # the set in force on a date
        Index("ix_assumption_sets_based_on", "based_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    effective_on: Mapped[dt.date] = mapped_column(Date)
    inflation: Mapped[float] = mapped_column(Float)
    cash_rate: Mapped[float] = mapped_column(Float)
    default_class: Mapped[str] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text)  # JSON
    method: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(255))
    created_by: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)
    based_on: Mapped[int | None] = mapped_column(ForeignKey("assumption_sets.id", ondelete="RESTRICT"))


# Tables in dependency order (parents first), for loaders and tests.
TABLES = [
    m.__table__
    for m in (
        User,
        Household,
        Security,
        Price,
        PriceImport,
        AssumptionSet,
        PlaidItem,
        PlaidAccount,
        Account,
        Holding,
        TaxLot,
        Transaction,
        BudgetEntry,
        Goal,
        Thread,
        ThreadItem,
        Simulation,
    )
]

__all__ = [
    "Base",
    "User",
    "Household",
    "Security",
    "Price",
    "PriceImport",
    "AssumptionSet",
    "PlaidItem",
    "PlaidAccount",
    "Account",
    "Holding",
    "TaxLot",
    "Transaction",
    "BudgetEntry",
    "Goal",
    "Thread",
    "ThreadItem",
    "Simulation",
    "TABLES",
]


# The audit trail's actions (the ``action`` column), by key, as people read them.
AUDIT_ACTIONS = {
    "sign-in": "Signed in",
    "sign-in-failed": "Sign-in refused",
    "sign-out": "Signed out",
    "user-role": "Role changed",
    "user-password": "Password changed",
    "user-active": "Account activated or deactivated",
    "household-open": "Household opened",
    "statement-import": "Statement imported",
    "price-import": "Prices imported",
    "goal-create": "Goal created",
    "goal-edit": "Goal edited",
    "goal-delete": "Goal deleted",
    "thread-save": "Run saved to a thread",
    "thread-delete": "Thread or run deleted",
    "assumptions-change": "Assumptions set added",
    "csv-download": "CSV downloaded",
    "report-download": "Report downloaded",
    "audit-export": "Audit trail exported",
    "metrics-reset": "Metrics reset",
    "audit-prune": "Audit records pruned",
}
# What a statement import writes: rows of these tables (docs/import-format.md).
STATEMENT_KINDS = ("transactions", "holdings")


class AuditEvent(Base):
    """Who did what to which household, and when: appended by ``dashboard.services.audit`` in the
    transaction of the change it records, never updated (a trigger refuses it), deleted only by the
    retention's pruning, which is itself recorded."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_at", "at"),
        Index("ix_audit_events_user_email_at", "user_email", "at"),
        Index("ix_audit_events_household_id_at", "household_id", "at"),
        Index("ix_audit_events_action_at", "action", "at"),
        {"sqlite_autoincrement": True},  # ids never reused (pruning deletes the oldest, paging reads ids)
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime)  # UTC
    user_id: Mapped[int | None] = mapped_column(Integer)  # no foreign key: the record outlives the user
    user_email: Mapped[str] = mapped_column(String(255))  # as it was then ("cli:<name>" for the command line)
    action: Mapped[str] = mapped_column(String(40))
    household_id: Mapped[int | None] = mapped_column(Integer)
    target: Mapped[str] = mapped_column(String(160), default="")
    detail: Mapped[str] = mapped_column(String(500), default="")
    address: Mapped[str] = mapped_column(String(64), default="")
    outcome: Mapped[str] = mapped_column(String(16), default="ok")  # ok | failed
