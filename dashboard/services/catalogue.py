"""The catalogue: every security the database holds (the bundled ones and those a price import added),
with its name and sector, for the pages that pick securities and the analytics that group them.

Read from the ``securities`` table once per market version (a price import that adds a ticker bumps
it), so a ticker imported by ``python -m meridian prices import`` or the Market data page is a choice
everywhere within the version's few seconds, in every process.
"""

from __future__ import annotations

from dataclasses import dataclass

import flask
from sqlalchemy import select

from dashboard.data.models import Security
from dashboard.data.securities import BROAD_MARKET, SECURITIES
from dashboard.extensions import cache, db

# What an imported security without a sector is grouped under (the import knows no classification).
UNCLASSIFIED = "Unclassified (imported)"


@dataclass(frozen=True)
class Listing:
    ticker: str
    name: str
    sector: str  # GICS sector, BROAD_MARKET for a fund, UNCLASSIFIED for an import
    imported: bool


def sector_label(ticker: str, sector: str | None) -> str:
    """What a security is grouped under: its sector, else a fund's or an import's group."""
    if sector:
        return sector
    return BROAD_MARKET if ticker in SECURITIES else UNCLASSIFIED


BUNDLED = {t: Listing(t, name, sector_label(t, sector), False) for t, (name, sector) in SECURITIES.items()}
# ((database, market version), table): replaced whole, one assignment, so threads need no lock
_read: tuple[tuple[str, int], dict[str, Listing]] | None = None


def listings() -> dict[str, Listing]:
    """Every security by ticker, bundled ones first in the catalogue's order, then imports by ticker
    (outside an app, where there is no database: the bundled securities)."""
    global _read
    if not flask.has_app_context():
        return BUNDLED
    version = (str(db.engine.url), cache.market_version())
    found = _read
    if found is not None and found[0] == version:
        return found[1]
    with db.session() as session:
        rows = session.execute(select(Security.ticker, Security.name, Security.sector)).all()
    order = {t: i for i, t in enumerate(SECURITIES)}
    rows = sorted(rows, key=lambda r: (order.get(r.ticker, len(order)), r.ticker))
    table = {
        r.ticker: Listing(r.ticker, r.name, sector_label(r.ticker, r.sector), r.ticker not in SECURITIES)
        for r in rows
    }
    _read = (version, table)
    return table


def choices() -> tuple[tuple[str, str], ...]:
    """(ticker, "TICKER · Name") for every security, as a form offers them."""
    return tuple(
        (t, f"{t} · {s.name}" if s.name != t else f"{t} · imported prices") for t, s in listings().items()
    )


def known(ticker: str) -> bool:
    return ticker in listings()


def sector_of(ticker: str) -> str:
    """The security's sector (BROAD_MARKET for a fund, UNCLASSIFIED for an import without one)."""
    listing = listings().get(ticker) or BUNDLED.get(ticker)
    return UNCLASSIFIED if listing is None else listing.sector
