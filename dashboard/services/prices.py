"""Prices: read for the analytics facade (which caches them as market data), imported by operators,
and the market version that makes every cached result of older prices unreachable.

A price file is CSV with a ``date`` column first, either long (``date,ticker,close``) or wide like the
bundled files (``date,AAPL,MSFT,...``; an empty cell is no price that day). An import is validated
whole before anything is written (dates, tickers, positive prices, no duplicates, no silent change of
a price already held), written in one transaction, and idempotent: the same file again changes
nothing. Each import that changes something is recorded (``price_imports``); the latest record's id is
the *market version*, part of every cache key (``AppCache.market_version``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import func, insert, select, update

from dashboard.data.market import prices_from_db
from dashboard.data.models import Price, PriceImport, Security
from dashboard.errors import InvalidInput
from dashboard.extensions import cache, db
from dashboard.services import audit

TICKER = re.compile(r"^[A-Z][A-Z0-9.\-]{0,15}$")
EARLIEST = dt.date(1900, 1, 1)
MAX_ROWS = 2_000_000
MAX_ERRORS_SHOWN = 10
VERSION_TTL = 2.0  # seconds a worker may use the market version it read last (an import is seen within it)


def read_prices(tickers: Sequence[str], start: str | None, end: str | None) -> pd.DataFrame:
    """Wide frame of closes (dates x tickers) between ISO dates ``start`` and ``end`` (either open)."""
    with db.engine.connect() as conn:
        return prices_from_db(
            conn,
            tickers,
            dt.date.fromisoformat(start) if start else None,
            dt.date.fromisoformat(end) if end else None,
        )


def tickers_held() -> list[str]:
    """Every security the database holds prices for, by ticker."""
    with db.session() as session:
        return list(session.scalars(select(Security.ticker).order_by(Security.ticker)).all())


# -- the market version and the prices' date ------------------------------------------------------


class MarketVersion:
    """The id of the latest price import (0: the bundled prices only), read at most every ``ttl`` seconds.

    Called for every cache key, so it reads the database only when its copy is older than ``ttl``; if
    the database cannot be read, the last known version is kept (the request fails on its own reads).
    """

    def __init__(self, engine, ttl: float = VERSION_TTL):
        self.engine = engine
        self.ttl = ttl
        self._value = 0
        self._read_at = -math.inf
        self._lock = threading.Lock()

    def after_fork(self) -> None:
        """In a forked job process: a lock another thread of the parent held (reading the database) at
        the fork would never be released here."""
        self._lock = threading.Lock()

    def __call__(self) -> int:
        if time.monotonic() - self._read_at < self.ttl:
            return self._value
        with self._lock:
            if time.monotonic() - self._read_at >= self.ttl:
                try:
                    with self.engine.connect() as conn:
                        self._value = int(conn.execute(select(func.max(PriceImport.id))).scalar() or 0)
                except Exception:  # noqa: BLE001 - keep the last version; the request's own reads report the fault
                    return self._value
                self._read_at = time.monotonic()
        return self._value

    def forget(self) -> None:
        """Read the version again at the next call (this process just imported prices)."""
        self._read_at = -math.inf


@dataclass(frozen=True)
class PricesAsOf:
    """How current the prices are: the latest day every security has a price, and which lag behind."""

    date: dt.date | None  # every security has a price on or before this day and none after it is missing
    newest: dt.date | None  # the newest price of any security
    behind: tuple[str, ...]  # securities whose last price is before ``newest``

    @property
    def label(self) -> str:
        return f"Prices as of {self.date:%d %b %Y}" if self.date else "No prices"

    @property
    def detail(self) -> str:
        if self.date is None:
            return "No prices have been loaded."
        if not self.behind:
            return f"Every security has prices up to {self.date:%d %b %Y}."
        named = ", ".join(self.behind[:8]) + (
            f" and {len(self.behind) - 8} more" if len(self.behind) > 8 else ""
        )
        return (
            f"The latest day on which every security has a price. Newest price: {self.newest:%d %b %Y}; "
            f"older last prices: {named}."
        )


def prices_as_of() -> PricesAsOf:
    """The market's as-of date (cached per market version)."""

    def read():
        with db.session() as session:
            rows = session.execute(
                select(Security.ticker, func.max(Price.date))
                .join(Price, Price.security_id == Security.id)
                .group_by(Security.ticker)
            ).all()
        return _as_of([(ticker, day) for ticker, day in rows if day is not None])

    return cache.get_or_compute("market_data", {"as_of": True}, read)


def _as_of(last_days: list[tuple[str, dt.date]]) -> PricesAsOf:
    if not last_days:
        return PricesAsOf(None, None, ())
    newest = max(day for _, day in last_days)
    return PricesAsOf(
        min(day for _, day in last_days),
        newest,
        tuple(sorted(ticker for ticker, day in last_days if day < newest)),
    )


# -- importing a price file -------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportReport:
    rows: int  # prices in the file
    added: int
    replaced: int
    unchanged: int
    new_securities: tuple[str, ...]
    first_date: dt.date
    last_date: dt.date
    version: int  # the market version after the import (unchanged when nothing changed)

    @property
    def message(self) -> str:
        if not self.added and not self.replaced:
            return (
                f"Nothing new: all {self.rows:,} prices ({self.first_date} to {self.last_date}) "
                "were already held."
            )
        parts = [f"{self.added:,} prices added"]
        if self.replaced:
            parts.append(f"{self.replaced:,} replaced")
        if self.unchanged:
            parts.append(f"{self.unchanged:,} already held")
        if self.new_securities:
            parts.append(f"new securities: {', '.join(self.new_securities)}")
        return (
            f"Imported {self.first_date} to {self.last_date}: "
            + "; ".join(parts)
            + f" (market version {self.version})."
        )


def parse_price_file(text: str) -> list[tuple[str, dt.date, float]]:
    """(ticker, date, close) rows of a price file; InvalidInput naming every problem (by line) otherwise."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = next(reader, None)
    if not header or header[0].strip().lower() != "date":
        raise InvalidInput("A price file starts with a header whose first column is date.")
    names = [h.strip() for h in header]
    long = [n.lower() for n in names] == ["date", "ticker", "close"]
    if not long:
        bad = [n for n in names[1:] if not TICKER.match(n)]
        if bad or len(names) < 2:
            raise InvalidInput(
                "The header is neither date,ticker,close nor date followed by tickers"
                + (f" (not a ticker: {', '.join(repr(b) for b in bad[:5])})." if bad else ".")
            )
        if len(set(names[1:])) != len(names) - 1:
            raise InvalidInput("A ticker appears twice in the header.")
    rows: list[tuple[str, dt.date, float]] = []
    errors: list[str] = []
    seen: dict[tuple[str, dt.date], int] = {}
    today = dt.date.today()

    def problem(line: int, message: str) -> None:
        errors.append(f"line {line}: {message}")

    for line, record in enumerate(reader, start=2):
        if not record or all(not cell.strip() for cell in record):
            continue
        if len(record) != len(names):
            problem(line, f"{len(record)} values, the header has {len(names)}")
            continue
        day = _date(record[0].strip())
        if day is None:
            problem(line, f"{record[0].strip()!r} is not a date (YYYY-MM-DD)")
            continue
        if not EARLIEST <= day <= today:
            problem(line, f"{day} is {'in the future' if day > today else 'before 1900'}")
            continue
        cells = (
            [(record[1].strip(), record[2].strip())]
            if long
            else list(zip(names[1:], (c.strip() for c in record[1:]), strict=True))
        )
        for ticker, raw in cells:
            if long and not TICKER.match(ticker):
                problem(line, f"{ticker!r} is not a ticker (upper-case letters, digits, . or -)")
                continue
            if not raw and not long:
                continue  # wide files: no price that day
            close = _positive(raw)
            if close is None:
                problem(line, f"{ticker} close {raw!r} is not a positive number")
                continue
            if (ticker, day) in seen:
                problem(line, f"{ticker} on {day} again (first on line {seen[(ticker, day)]})")
                continue
            seen[(ticker, day)] = line
            rows.append((ticker, day, close))
        if len(rows) > MAX_ROWS:
            raise InvalidInput(f"A price file holds at most {MAX_ROWS:,} prices; import it in parts.")
    if errors:
        more = f" (and {len(errors) - MAX_ERRORS_SHOWN} more)" if len(errors) > MAX_ERRORS_SHOWN else ""
        raise InvalidInput(
            "The price file was not imported: " + "; ".join(errors[:MAX_ERRORS_SHOWN]) + more + "."
        )
    if not rows:
        raise InvalidInput("The price file holds no prices.")
    return rows


def _date(raw: str) -> dt.date | None:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        return None


def _positive(raw: str) -> float | None:
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if math.isfinite(value) and value > 0 else None


def import_prices(
    rows: Iterable[tuple[str, dt.date, float]], source: str, imported_by: str, replace: bool = False
) -> ImportReport:
    """Write parsed prices in one transaction; a different price for a day already held is refused
    (nothing is written) unless ``replace``. New tickers become securities. Idempotent. Recorded in the
    audit trail with the import (or as failed)."""
    with audit.failures("price-import", target=source[:160]):
        rows = list(rows)
        tickers = sorted({t for t, _, _ in rows})
        first, last = min(d for _, d, _ in rows), max(d for _, d, _ in rows)
        with db.session() as session:
            ids = dict(
                session.execute(
                    select(Security.ticker, Security.id).where(Security.ticker.in_(tickers))
                ).all()
            )
            new = [t for t in tickers if t not in ids]
            for ticker in new:
                security = Security(
                    ticker=ticker,
                    name=ticker,
                    sector=None,
                    asset_class="equity",
                    currency="USD",
                    dataset="import",
                )
                session.add(security)
                session.flush()
                ids[ticker] = security.id
            held = {
                (sid, day): (pid, close)
                for pid, sid, day, close in session.execute(
                    select(Price.id, Price.security_id, Price.date, Price.close).where(
                        Price.security_id.in_(list(ids.values())), Price.date >= first, Price.date <= last
                    )
                )
            }
            added, changed, conflicts = [], [], []
            for ticker, day, close in rows:
                found = held.get((ids[ticker], day))
                if found is None:
                    added.append({"security_id": ids[ticker], "date": day, "close": close})
                elif not math.isclose(found[1], close, rel_tol=1e-9, abs_tol=1e-12):
                    changed.append({"id": found[0], "close": close})
                    conflicts.append(f"{ticker} on {day}: held {found[1]:g}, file {close:g}")
            if conflicts and not replace:
                shown = "; ".join(conflicts[:MAX_ERRORS_SHOWN])
                more = (
                    f" (and {len(conflicts) - MAX_ERRORS_SHOWN} more)"
                    if len(conflicts) > MAX_ERRORS_SHOWN
                    else ""
                )
                raise InvalidInput(
                    f"The price file was not imported: {len(conflicts):,} prices differ from those held: "
                    f"{shown}{more}. Import with --replace to correct them."
                )
            if added:
                session.execute(insert(Price), added)
            if changed:
                session.execute(update(Price), changed)
            version = session.scalar(select(func.max(PriceImport.id))) or 0
            if added or changed or new:
                record = PriceImport(
                    imported_at=dt.datetime.now(dt.UTC).replace(tzinfo=None),
                    source=source[:255],
                    imported_by=imported_by[:255],
                    added=len(added),
                    replaced=len(changed),
                    new_securities=",".join(new),
                    first_date=first,
                    last_date=last,
                )
                session.add(record)
                session.flush()
                version = record.id
            detail = f"{len(added):,} added, {len(changed):,} replaced, new: {', '.join(new) or 'none'}"
            audit.record(session, "price-import", target=source[:160], detail=detail)
    _forget_version()
    return ImportReport(
        len(rows),
        len(added),
        len(changed),
        len(rows) - len(added) - len(changed),
        tuple(new),
        first,
        last,
        version,
    )


def _forget_version() -> None:
    """This process imported: its next cache key reads the new market version at once."""
    if isinstance(cache.market_version, MarketVersion):
        cache.market_version.forget()


@dataclass(frozen=True)
class ImportRecord:
    when: dt.datetime
    source: str
    imported_by: str
    added: int
    replaced: int
    new_securities: str
    first_date: dt.date
    last_date: dt.date


def import_history(limit: int = 50) -> list[ImportRecord]:
    """The latest price imports, newest first."""
    with db.session() as session:
        return [
            ImportRecord(
                r.imported_at,
                r.source,
                r.imported_by,
                r.added,
                r.replaced,
                r.new_securities,
                r.first_date,
                r.last_date,
            )
            for r in session.scalars(select(PriceImport).order_by(PriceImport.id.desc()).limit(limit))
        ]
