"""Deterministic demo data: analysts, households and their finances, priced from real market data.

Everything derives from one seed and the bundled prices, and every date is
anchored at the last market date (``as_of``), so the same seed gives the same
rows on any machine, on any day. Holdings are valued, and lots and trades
priced, at real closes of their dates.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sqlalchemy import Engine, func, select, text
from werkzeug.security import generate_password_hash

from dashboard.data.assumptions import SEEDED_SOURCE, insert_set, seeded_set
from dashboard.data.db import bulk_insert
from dashboard.data.market import load_securities_and_prices, read_bundled_prices
from dashboard.data.models import TABLES, AssumptionSet, User
from dashboard.data.securities import BENCHMARK_TICKER, SECURITIES

DEFAULT_HOUSEHOLDS = 24
DEFAULT_TRANSACTIONS_PER_ACCOUNT = 150
DEFAULT_SEED = 20180411
# The benchmark scale: about two million transactions.
# The benchmark scale: about two million transactions, plus one very active household
# (a business checking account with 300,000 more) for the server-side grid.
LARGE = {"households": 1000, "transactions_per_account": 400, "heavy_transactions": 300_000}

# The demo users' password (DEMO_PASSWORD overrides it; README lists the users).
DEMO_PASSWORD = "meridian-demo"
ADMIN = ("admin@meridian.example", "Alex Morgan", "admin")
ANALYSTS = [
    ("analyst@meridian.example", "Dana Whitfield"),
    ("priya.raman@meridian.example", "Priya Raman"),
    ("marcus.bell@meridian.example", "Marcus Bell"),
    ("sofia.novak@meridian.example", "Sofia Novak"),
]
SURNAMES = [
    "Alvarez",
    "Chen",
    "Okafor",
    "Lindqvist",
    "Patel",
    "Moreau",
    "Kowalski",
    "Nakamura",
    "O'Brien",
    "Haddad",
    "Schmidt",
    "Rossi",
    "Mensah",
    "Johansson",
    "Silva",
    "Ivanova",
    "Dubois",
    "Kim",
    "Nguyen",
    "Fischer",
    "Garcia",
    "Walsh",
    "Yilmaz",
    "Adeyemi",
    "Costa",
    "Bergstrom",
    "Hughes",
    "Tanaka",
    "Novak",
    "Reyes",
    "Murphy",
    "Weber",
]
RISK_PROFILES = ("conservative", "balanced", "growth", "aggressive")
BANKS = ("Chase", "Bank of America", "Wells Fargo", "Citi", "Capital One", "US Bank")
CUSTODIANS = ("Schwab", "Fidelity", "Vanguard", "Pershing")
STOCKS = [t for t in SECURITIES if t != BENCHMARK_TICKER]
# Monthly budget lines: (category, kind, share of monthly income, relative noise).
BUDGET = [
    ("Salary", "income", 0.92, 0.0),
    ("Other income", "income", 0.08, 0.5),
    ("Housing", "expense", 0.28, 0.02),
    ("Groceries", "expense", 0.09, 0.15),
    ("Transport", "expense", 0.07, 0.25),
    ("Utilities", "expense", 0.04, 0.2),
    ("Insurance", "expense", 0.05, 0.0),
    ("Healthcare", "expense", 0.04, 0.4),
    ("Dining", "expense", 0.05, 0.3),
    ("Travel", "expense", 0.05, 0.9),
    ("Entertainment", "expense", 0.03, 0.4),
    ("Education", "expense", 0.04, 0.1),
]
MERCHANTS = {
    "Groceries": ("Whole Foods Market", "Trader Joe's", "Safeway", "Costco"),
    "Dining": ("Blue Bottle Coffee", "Chipotle", "Local bistro", "Sushi bar"),
    "Transport": ("Shell", "Uber", "Metro transit", "Chevron"),
    "Utilities": ("City Power & Light", "Comcast", "Water utility", "Verizon"),
    "Travel": ("Delta Air Lines", "Marriott", "Airbnb", "Hertz"),
    "Entertainment": ("Netflix", "Spotify", "Ticketmaster", "AMC Theatres"),
    "Healthcare": ("CVS Pharmacy", "Kaiser Permanente", "Dental care", "Walgreens"),
    "Shopping": ("Amazon.com", "Target", "Best Buy", "Home Depot"),
    "Housing": ("Mortgage payment", "HOA dues", "Rent payment", "Property tax"),
}
GOALS = [
    ("Retirement", "essential", (1.5e6, 4.0e6), (2032, 2055)),
    ("College fund", "important", (1.2e5, 3.5e5), (2028, 2040)),
    ("Home purchase", "important", (1.5e5, 6.0e5), (2027, 2034)),
    ("Emergency fund", "essential", (3.0e4, 9.0e4), (2026, 2029)),
    ("Vacation home", "aspirational", (3.0e5, 9.0e5), (2030, 2045)),
    ("Sabbatical year", "aspirational", (6.0e4, 1.5e5), (2027, 2036)),
]


@dataclass
class SeedReport:
    seeded: bool
    message: str
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def is_seeded(engine: Engine) -> bool:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(User)).scalar_one() > 0


def clear(engine: Engine) -> None:
    """Delete every row of every table (children first)."""
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(t.name for t in TABLES)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(TABLES):
                conn.execute(table.delete())


def seed(
    engine: Engine,
    market_data_path,
    households: int = DEFAULT_HOUSEHOLDS,
    transactions_per_account: int = DEFAULT_TRANSACTIONS_PER_ACCOUNT,
    seed: int = DEFAULT_SEED,
    reset: bool = False,
    heavy_transactions: int = 0,
    password: str = DEMO_PASSWORD,
) -> SeedReport:
    """Seed the demo data; on a seeded database do nothing unless ``reset`` (but give demo users
    without a password the demo ``password``, so a database seeded before sign-in existed lets them in).

    ``heavy_transactions`` adds a business checking account with that many
    transactions to the first household (for the grid's worst case).
    """
    if households < 1 or transactions_per_account < 0:
        raise ValueError("households must be >= 1 and transactions per account >= 0")
    if is_seeded(engine):
        if not reset:
            given = demo_passwords(engine, password)
            note = f"; demo password set for {given} users" if given else ""
            if seed_assumptions(engine, market_data_path):
                note += "; the derived capital market assumptions added"
            return SeedReport(
                False, f"database already seeded; nothing changed{note} (use --reset to reseed)"
            )
        clear(engine)
    started = time.perf_counter()
    generator = _Generator(read_bundled_prices(market_data_path), seed, password)
    with engine.begin() as conn:
        price_rows = load_securities_and_prices(conn, market_data_path, bulk_insert)
        counts = generator.write(conn, households, transactions_per_account, heavy_transactions)
        derived = seeded_set(read_bundled_prices(market_data_path), generator.as_of)
        insert_set(conn, derived, SEEDED_SOURCE, "seed", generator.as_of_moment)  # dates anchored at as_of
    counts["assumption_sets"] = 1
    counts["securities"] = len(SECURITIES)
    counts["prices"] = price_rows
    elapsed = time.perf_counter() - started
    summary = ", ".join(f"{v:,} {k}" for k, v in counts.items())
    return SeedReport(True, f"seeded in {elapsed:.1f} s: {summary}", counts, elapsed)


def seed_assumptions(engine: Engine, market_data_path) -> bool:
    """Add the derived set of capital market assumptions to demo data seeded before there were any (a
    database with no set at all); True when it was added."""
    with engine.begin() as conn:
        if conn.execute(select(func.count()).select_from(AssumptionSet)).scalar_one():
            return False
        prices = read_bundled_prices(market_data_path)
        as_of = min(prices[t].last_valid_index() for t in STOCKS).date()
        moment = dt.datetime.combine(as_of, dt.time(17, 0))
        insert_set(conn, seeded_set(prices, as_of), SEEDED_SOURCE, "seed", moment)
    return True


def demo_passwords(engine: Engine, password: str) -> int:
    """Give the demo users who have no password ``password`` (hashed); how many were given one."""
    if not password:
        return 0
    emails = [ADMIN[0]] + [email for email, _ in ANALYSTS]
    given = 0
    with engine.begin() as conn:
        for email in emails:
            given += conn.execute(
                text("UPDATE users SET password_hash = :hash WHERE email = :email AND password_hash IS NULL"),
                {"hash": generate_password_hash(password, method="scrypt"), "email": email},
            ).rowcount
    return given


def _iso(day: np.datetime64 | dt.date) -> str:
    return str(day)[:10]


def _stamp(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


class _Generator:
    """Builds the rows with one numpy Generator; ids are assigned in order."""

    def __init__(self, prices: pd.DataFrame, seed: int, password: str = "") -> None:
        self.password = password
        self.rng = np.random.default_rng(seed)
        # "As of" is the last day every stock has a close (SPY's file runs longer).
        last_common = min(prices[t].last_valid_index() for t in STOCKS)
        # Forward-filled so a price exists on every trading day after listing.
        self.prices = prices.loc[:last_common].ffill()
        self.dates = self.prices.index.values.astype("datetime64[D]")
        self.closes = {t: self.prices[t].to_numpy() for t in self.prices.columns}
        self.first_index = {t: int(np.argmax(~np.isnan(c))) for t, c in self.closes.items()}
        self.as_of = pd.Timestamp(self.dates[-1]).date()
        self.as_of_moment = dt.datetime.combine(self.as_of, dt.time(17, 0))
        self.security_ids = {t: i + 1 for i, t in enumerate(SECURITIES)}
        self.next_id: dict[str, int] = {}

    def ids(self, table: str, n: int) -> range:
        start = self.next_id.get(table, 1)
        self.next_id[table] = start + n
        return range(start, start + n)

    def write(self, conn, n_households: int, per_account: int, heavy: int = 0) -> dict[str, int]:
        rows: dict[str, list[tuple]] = {t.name: [] for t in TABLES}
        users = self._users(rows)
        analysts = [u for u in users if u[1] != ADMIN[0]]
        for index in range(n_households):
            analyst_id = analysts[index % len(analysts)][0]
            self._household(rows, index, analyst_id, per_account)
        if heavy:
            aid = self.ids("accounts", 1)[0]
            opened = (self.as_of - dt.timedelta(days=3000)).isoformat()
            rows["accounts"].append(
                (aid, 1, None, "Business checking", "checking", BANKS[0], 250_000.0, opened)
            )
            self._cash_transactions(rows, aid, heavy, 400_000.0, "checking")
        columns = {
            "users": (
                "id",
                "email",
                "name",
                "role",
                "password_hash",
                "is_active",
                "session_epoch",
                "created_at",
            ),
            "households": ("id", "name", "analyst_id", "risk_profile", "data_version", "created_at"),
            "plaid_items": (
                "id",
                "household_id",
                "item_id",
                "institution_name",
                "status",
                "last_synced_at",
                "created_at",
            ),
            "plaid_accounts": (
                "id",
                "plaid_item_id",
                "external_id",
                "name",
                "mask",
                "type",
                "subtype",
                "current_balance",
                "available_balance",
            ),
            "accounts": (
                "id",
                "household_id",
                "plaid_account_id",
                "name",
                "account_type",
                "institution",
                "cash_balance",
                "opened_on",
            ),
            "holdings": ("id", "account_id", "security_id", "quantity"),
            "tax_lots": ("id", "holding_id", "acquired_on", "quantity", "cost_per_share"),
            "transactions": (
                "id",
                "account_id",
                "security_id",
                "date",
                "type",
                "description",
                "category",
                "quantity",
                "price",
                "amount",
                "external_id",
            ),
            "budget_entries": ("id", "household_id", "month", "category", "kind", "amount"),
            "goals": (
                "id",
                "household_id",
                "name",
                "target_amount",
                "target_date",
                "priority",
                "current_amount",
                "monthly_contribution",
                "created_at",
                "updated_at",
            ),
            "threads": ("id", "household_id", "created_by", "title", "created_at", "updated_at"),
        }
        tables = {t.name: t for t in TABLES}
        counts = {}
        for name, cols in columns.items():
            bulk_insert(conn, tables[name], cols, rows[name])
            counts[name] = len(rows[name])
        return counts

    # -- people ---------------------------------------------------------------

    def _users(self, rows) -> list[tuple]:
        created = _stamp(self.as_of_moment - dt.timedelta(days=900))
        people = [ADMIN] + [(email, name, "analyst") for email, name in ANALYSTS]
        for uid, (email, name, role) in zip(self.ids("users", len(people)), people, strict=True):
            hashed = generate_password_hash(self.password, method="scrypt") if self.password else None
            rows["users"].append((uid, email, name, role, hashed, True, 0, created))
        return rows["users"]

    def _household(self, rows, index: int, analyst_id: int, per_account: int) -> None:
        rng = self.rng
        hid = self.ids("households", 1)[0]
        surname = SURNAMES[index % len(SURNAMES)]
        suffix = "" if index < len(SURNAMES) else f" {index // len(SURNAMES) + 1}"
        name = f"{surname} household{suffix}"
        created = self.as_of_moment - dt.timedelta(days=int(rng.integers(60, 2000)))
        rows["households"].append(
            (hid, name, analyst_id, RISK_PROFILES[int(rng.integers(4))], 1, _stamp(created))
        )
        wealth = float(np.exp(rng.normal(np.log(900_000), 0.8)))
        monthly_income = float(np.clip(wealth / 60 * rng.uniform(0.6, 1.4), 6_000, 90_000))
        cash_accounts = self._aggregator(rows, hid, created, monthly_income)
        investment = [("Joint brokerage", "taxable", 0.55), ("Traditional IRA", "ira", 0.30)]
        if rng.random() < 0.5:
            investment.append(("Roth IRA", "roth_ira", 0.15))
        else:
            investment.append(("401(k) plan", "401k", 0.15))
        custodian = CUSTODIANS[int(rng.integers(len(CUSTODIANS)))]
        for account_name, account_type, share in investment:
            aid = self.ids("accounts", 1)[0]
            cash = round(wealth * share * rng.uniform(0.01, 0.05), 2)
            opened = self.as_of - dt.timedelta(days=int(rng.integers(800, 6000)))
            rows["accounts"].append(
                (aid, hid, None, account_name, account_type, custodian, cash, opened.isoformat())
            )
            held = self._holdings(rows, aid, wealth * share)
            self._investment_transactions(rows, aid, held, per_account)
        for aid, subtype in cash_accounts:
            self._cash_transactions(rows, aid, per_account, monthly_income, subtype)
        self._budget(rows, hid, monthly_income)
        self._goals(rows, hid, wealth, monthly_income)
        stamp = _stamp(self.as_of_moment - dt.timedelta(days=int(rng.integers(1, 30))))
        rows["threads"].append(
            (self.ids("threads", 1)[0], hid, analyst_id, f"{self.as_of.year} annual review", stamp, stamp)
        )

    def _aggregator(self, rows, hid: int, created: dt.datetime, income: float) -> list[tuple]:
        """A linked bank login with checking and savings accounts mirrored as accounts."""
        rng = self.rng
        item_id = self.ids("plaid_items", 1)[0]
        bank = BANKS[int(rng.integers(len(BANKS)))]
        synced = self.as_of_moment - dt.timedelta(minutes=int(rng.integers(5, 72 * 60)))
        status = "active" if rng.random() > 0.08 else "login_required"
        rows["plaid_items"].append(
            (item_id, hid, f"item-{hid:07d}", bank, status, _stamp(synced), _stamp(created))
        )
        accounts = []
        for label, subtype, balance_months in (
            ("Everyday checking", "checking", 1.5),
            ("High-yield savings", "savings", 8.0),
        ):
            pid = self.ids("plaid_accounts", 1)[0]
            balance = round(income * balance_months * rng.uniform(0.5, 1.5), 2)
            mask = f"{int(rng.integers(0, 10_000)):04d}"
            rows["plaid_accounts"].append(
                (
                    pid,
                    item_id,
                    f"pa-{hid:07d}-{subtype}",
                    f"{bank} {label}",
                    mask,
                    "depository",
                    subtype,
                    balance,
                    round(balance * 0.98, 2),
                )
            )
            aid = self.ids("accounts", 1)[0]
            rows["accounts"].append(
                (aid, hid, pid, label, subtype, bank, balance, created.date().isoformat())
            )
            accounts.append((aid, subtype))
        return accounts

    # -- investments ----------------------------------------------------------

    def _holdings(self, rows, aid: int, value: float) -> list[tuple[int, str]]:
        rng = self.rng
        k = int(rng.integers(4, 10))
        tickers = list(rng.choice(STOCKS, size=k - 1, replace=False)) + [BENCHMARK_TICKER]
        weights = rng.dirichlet(np.full(k, 2.0))
        held = []
        last = len(self.dates) - 1
        for ticker, weight in zip(tickers, weights, strict=True):
            close = self.closes[ticker]
            quantity = max(1.0, float(np.floor(value * weight / close[last])))
            hold_id = self.ids("holdings", 1)[0]
            rows["holdings"].append((hold_id, aid, self.security_ids[ticker], quantity))
            held.append((hold_id, ticker))
            # Lots: bought on real trading days since listing (up to 12 years back), at that close.
            n_lots = int(min(rng.integers(1, 5), quantity))
            earliest = max(self.first_index[ticker], last - 252 * 12)
            days = np.sort(rng.integers(earliest, last, size=n_lots))
            split = np.maximum(1.0, np.floor(rng.dirichlet(np.ones(n_lots)) * quantity))
            split[-1] = quantity - split[:-1].sum()
            if split[-1] <= 0:
                split = np.array([quantity])
                days = days[-1:]
            for day, qty in zip(days, split, strict=True):
                rows["tax_lots"].append(
                    (
                        self.ids("tax_lots", 1)[0],
                        hold_id,
                        _iso(self.dates[day]),
                        float(qty),
                        round(float(close[day]), 4),
                    )
                )
        return held

    def _investment_transactions(self, rows, aid: int, held, n: int) -> None:
        """Buys, sells, dividends and fees over the last three years, at real prices (vectorised)."""
        if n == 0:
            return
        rng = self.rng
        last = len(self.dates) - 1
        days = np.sort(rng.integers(last - 756, last + 1, size=n))[::-1]
        kinds = rng.choice(np.array(["buy", "sell", "dividend", "fee"]), size=n, p=[0.45, 0.2, 0.3, 0.05])
        picks = rng.integers(0, len(held), size=n)
        quantities = rng.integers(1, 60, size=n).astype(float)
        fee_amounts = -np.round(rng.uniform(5, 120, size=n), 2)
        yields = rng.uniform(0.002, 0.01, size=n)
        tickers = np.array([ticker for _, ticker in held])[picks]
        prices = np.array([self.closes[t][d] for t, d in zip(tickers.tolist(), days.tolist(), strict=True)])
        kinds[np.isnan(prices)] = "fee"
        sign = np.where(kinds == "buy", -1.0, 1.0)
        amounts = np.where(
            kinds == "fee",
            fee_amounts,
            np.where(
                kinds == "dividend",
                np.round(prices * quantities * yields, 2),
                np.round(sign * quantities * prices, 2),
            ),
        )
        dates = self.dates[days].astype(str).tolist()
        ids = self.ids("transactions", n)
        out = rows["transactions"]
        for tid, date, kind, ticker, qty, price, amount in zip(
            ids,
            dates,
            kinds.tolist(),
            tickers.tolist(),
            quantities.tolist(),
            np.round(prices, 4).tolist(),
            amounts.tolist(),
            strict=True,
        ):
            if kind == "fee":
                out.append(
                    (tid, aid, None, date, "fee", "Advisory fee", "Fees", None, None, amount, f"tx-{tid}")
                )
            elif kind == "dividend":
                sid = self.security_ids[ticker]
                out.append(
                    (
                        tid,
                        aid,
                        sid,
                        date,
                        "dividend",
                        f"{ticker} dividend",
                        "Dividends",
                        None,
                        None,
                        amount,
                        f"tx-{tid}",
                    )
                )
            else:
                sid = self.security_ids[ticker]
                label = "Bought" if kind == "buy" else "Sold"
                out.append(
                    (
                        tid,
                        aid,
                        sid,
                        date,
                        kind,
                        f"{label} {qty:g} {ticker}",
                        "Investments",
                        qty,
                        price,
                        amount,
                        f"tx-{tid}",
                    )
                )

    # -- cash flow ------------------------------------------------------------

    def _cash_transactions(self, rows, aid: int, n: int, income: float, subtype: str) -> None:
        if n == 0:
            return
        rng = self.rng
        start = np.datetime64(self.as_of) - np.timedelta64(3 * 365, "D")
        offsets = np.sort(rng.integers(0, 3 * 365 + 1, size=n))[::-1]
        dates = (start + offsets.astype("timedelta64[D]")).astype(str).tolist()
        draws = rng.random(n).tolist()
        ids = self.ids("transactions", n)
        out = rows["transactions"]
        if subtype == "savings":
            transfers = np.round(rng.uniform(0.05, 0.2, size=n) * income, 2).tolist()
            interest = np.round(rng.uniform(2, 40, size=n), 2).tolist()
            for tid, date, draw, transfer, paid in zip(ids, dates, draws, transfers, interest, strict=True):
                if draw < 0.7:
                    out.append(
                        (
                            tid,
                            aid,
                            None,
                            date,
                            "transfer",
                            "Transfer from checking",
                            "Savings",
                            None,
                            None,
                            transfer,
                            f"tx-{tid}",
                        )
                    )
                else:
                    out.append(
                        (
                            tid,
                            aid,
                            None,
                            date,
                            "interest",
                            "Interest paid",
                            "Interest",
                            None,
                            None,
                            paid,
                            f"tx-{tid}",
                        )
                    )
            return
        categories = list(MERCHANTS)
        category_picks = rng.integers(len(categories), size=n).tolist()
        merchant_picks = rng.integers(4, size=n).tolist()
        payroll = np.round(income / 2 * rng.uniform(0.95, 1.05, size=n), 2).tolist()
        spend = (income * rng.lognormal(0, 0.6, size=n)).tolist()
        for tid, date, draw, c, m, pay, base in zip(
            ids, dates, draws, category_picks, merchant_picks, payroll, spend, strict=True
        ):
            if draw < 0.08:
                out.append(
                    (
                        tid,
                        aid,
                        None,
                        date,
                        "deposit",
                        "Payroll deposit",
                        "Salary",
                        None,
                        None,
                        pay,
                        f"tx-{tid}",
                    )
                )
                continue
            category = categories[c]
            amount = -round(base * (0.25 if category == "Housing" else 0.01), 2)
            out.append(
                (
                    tid,
                    aid,
                    None,
                    date,
                    "payment",
                    MERCHANTS[category][m],
                    category,
                    None,
                    None,
                    amount,
                    f"tx-{tid}",
                )
            )

    def _budget(self, rows, hid: int, income: float) -> None:
        rng = self.rng
        month = self.as_of.replace(day=1)
        months = []
        for _ in range(12):
            months.append(month)
            month = (month - dt.timedelta(days=1)).replace(day=1)
        for month in reversed(months):
            for category, kind, share, noise in BUDGET:
                amount = income * share * max(0.0, 1 + noise * float(rng.normal()))
                rows["budget_entries"].append(
                    (
                        self.ids("budget_entries", 1)[0],
                        hid,
                        month.isoformat(),
                        category,
                        kind,
                        round(amount, 2),
                    )
                )

    def _goals(self, rows, hid: int, wealth: float, income: float) -> None:
        rng = self.rng
        count = int(rng.integers(2, 5))
        chosen = [GOALS[0]] + [
            GOALS[i] for i in rng.choice(np.arange(1, len(GOALS)), size=count - 1, replace=False)
        ]
        for name, priority, (low, high), (year_low, year_high) in chosen:
            target = round(float(rng.uniform(low, high)), -3)
            year = int(rng.integers(year_low, year_high + 1))
            current = round(min(target * 0.9, wealth * float(rng.uniform(0.02, 0.3))), 2)
            contribution = round(income * float(rng.uniform(0.02, 0.12)), 2)
            stamp = _stamp(self.as_of_moment - dt.timedelta(days=int(rng.integers(10, 400))))
            rows["goals"].append(
                (
                    self.ids("goals", 1)[0],
                    hid,
                    name,
                    target,
                    f"{year}-{int(rng.integers(1, 13)):02d}-01",
                    priority,
                    current,
                    contribution,
                    stamp,
                    stamp,
                )
            )
