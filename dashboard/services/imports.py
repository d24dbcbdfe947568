"""Statement import: a CSV of transactions or holdings into one of a household's accounts.

Every row is validated first; if any row is wrong, nothing is imported and
each problem is reported with its row and column. A good file is imported in
one database transaction and the household's cached analyses are dropped.
The formats are documented in docs/import-format.md.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from dataclasses import dataclass, field

from sqlalchemy import select

from dashboard.data.models import (
    STATEMENT_KINDS,
    TRANSACTION_TYPES,
    Account,
    Holding,
    Security,
    TaxLot,
    Transaction,
)
from dashboard.errors import InvalidInput
from dashboard.extensions import db
from dashboard.services import audit, catalogue
from dashboard.services.access import HouseholdRef
from dashboard.services.households import household_changed

MAX_ROWS = 50_000
MAX_REPORTED_ERRORS = 200

COLUMNS = {
    "transactions": {
        "required": ("date", "description", "amount"),
        "optional": ("category", "type", "ticker", "quantity", "price", "transaction_id"),
    },
    "holdings": {"required": ("ticker", "quantity", "cost_per_share", "acquired_on"), "optional": ()},
}


@dataclass(frozen=True)
class RowError:
    row: int  # 1-based data row (the header is row 0)
    column: str
    message: str


@dataclass
class ImportResult:
    kind: str
    account: str = ""  # the account it was read for (and, when ok, written to)
    imported: int = 0
    errors: list[RowError] = field(default_factory=list)
    total_errors: int = 0

    @property
    def ok(self) -> bool:
        return self.total_errors == 0


def _number(raw: str, column: str, row: int, errors: list, low=-1e12, high=1e12, required=True):
    text = (raw or "").strip().replace(",", "")
    if not text:
        if required:
            errors.append(RowError(row, column, "is required"))
        return None
    try:
        value = float(text)
    except ValueError:
        errors.append(RowError(row, column, f"{text[:30]!r} is not a number"))
        return None
    if not math.isfinite(value) or not low <= value <= high:
        errors.append(RowError(row, column, f"must be between {low:g} and {high:g}"))
        return None
    return value


def _date(raw: str, column: str, row: int, errors: list, latest: dt.date | None = None):
    text = (raw or "").strip()
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        errors.append(RowError(row, column, f"{text[:30]!r} is not a date (YYYY-MM-DD)"))
        return None
    if day.year < 1900 or (latest is not None and day > latest):
        errors.append(RowError(row, column, f"must be between 1900-01-01 and {latest or 'today'}"))
        return None
    return day


def _text(raw: str, column: str, row: int, errors: list, limit: int, required: bool = False) -> str | None:
    text = (raw or "").strip()
    if not text:
        if required:
            errors.append(RowError(row, column, "is required"))
        return None
    if len(text) > limit:
        errors.append(RowError(row, column, f"is longer than {limit} characters"))
        return None
    if any(ord(ch) < 32 for ch in text):
        errors.append(RowError(row, column, "contains control characters"))
        return None
    return text


def parse(kind: str, text: str, existing_ids: set[str], latest: dt.date) -> tuple[list[dict], list[RowError]]:
    """Rows ready to insert and every problem found (all rows are checked)."""
    if kind not in STATEMENT_KINDS:
        raise InvalidInput("Choose what the file holds: transactions or holdings.")
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise InvalidInput("The file is empty.") from None
    except csv.Error as error:
        raise InvalidInput(f"The file is not valid CSV: {error}") from None
    spec = COLUMNS[kind]
    missing = [c for c in spec["required"] if c not in header]
    unknown = [c for c in header if c not in spec["required"] + spec["optional"]]
    if missing or unknown or len(set(header)) != len(header):
        problems = []
        if missing:
            problems.append(f"missing {', '.join(missing)}")
        if unknown:
            problems.append(f"unknown {', '.join(c[:30] for c in unknown[:5])}")
        if len(set(header)) != len(header):
            problems.append("repeated columns")
        raise InvalidInput(
            f"The columns are wrong ({'; '.join(problems)}). A {kind} file has "
            f"{', '.join(spec['required'] + spec['optional'])}."
        )
    rows, errors = [], []
    seen_ids: set[str] = set()
    try:
        for number, values in enumerate(reader, start=1):
            if number > MAX_ROWS:
                raise InvalidInput(f"The file has more than {MAX_ROWS:,} rows; split it.")
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(header):
                errors.append(RowError(number, "", f"has {len(values)} values for {len(header)} columns"))
                continue
            cells = dict(zip(header, values, strict=True))
            row = (
                _transaction(cells, number, errors, latest, seen_ids, existing_ids)
                if kind == "transactions"
                else _lot(cells, number, errors, latest)
            )
            if row is not None:
                rows.append(row)
    except csv.Error as error:
        raise InvalidInput(f"The file is not valid CSV: {error}") from None
    if not rows and not errors:
        raise InvalidInput("The file has a header but no rows.")
    return rows, errors


def _ticker(raw, row, errors, required):
    text = (raw or "").strip().upper()
    if not text:
        if required:
            errors.append(RowError(row, "ticker", "is required"))
        return None
    if not catalogue.known(text):
        errors.append(RowError(row, "ticker", f"{text[:12]!r} is not a known security"))
        return None
    return text


def _transaction(cells, row, errors, latest, seen_ids, existing_ids):
    before = len(errors)
    day = _date(cells.get("date"), "date", row, errors, latest)
    description = _text(cells.get("description"), "description", row, errors, 200, required=True)
    amount = _number(cells.get("amount"), "amount", row, errors, -1e10, 1e10)
    category = _text(cells.get("category"), "category", row, errors, 64)
    kind = (cells.get("type") or "").strip().lower() or None
    if kind is not None and kind not in TRANSACTION_TYPES:
        errors.append(RowError(row, "type", f"must be one of {', '.join(TRANSACTION_TYPES)}"))
    ticker = _ticker(cells.get("ticker"), row, errors, required=False)
    quantity = _number(cells.get("quantity"), "quantity", row, errors, 0, 1e10, required=False)
    price = _number(cells.get("price"), "price", row, errors, 0, 1e8, required=False)
    external = _text(cells.get("transaction_id"), "transaction_id", row, errors, 64)
    if external is not None:
        if external in seen_ids:
            errors.append(RowError(row, "transaction_id", "appears twice in the file"))
        elif external in existing_ids:
            errors.append(RowError(row, "transaction_id", "was imported before"))
        seen_ids.add(external)
    if kind in ("buy", "sell") and (ticker is None or quantity is None):
        errors.append(RowError(row, "ticker", "a buy or sell needs a ticker and a quantity"))
    if len(errors) > before:
        return None
    if kind is None:
        kind = "payment" if amount < 0 else "deposit"
    return {
        "date": day,
        "description": description,
        "amount": round(amount, 2),
        "category": category,
        "type": kind,
        "ticker": ticker,
        "quantity": quantity,
        "price": price,
        "external_id": external,
    }


def _lot(cells, row, errors, latest):
    before = len(errors)
    ticker = _ticker(cells.get("ticker"), row, errors, required=True)
    quantity = _number(cells.get("quantity"), "quantity", row, errors, 1e-9, 1e10)
    cost = _number(cells.get("cost_per_share"), "cost_per_share", row, errors, 0, 1e8)
    day = _date(cells.get("acquired_on"), "acquired_on", row, errors, latest)
    if len(errors) > before:
        return None
    return {"ticker": ticker, "quantity": quantity, "cost_per_share": cost, "acquired_on": day}


def import_statement(
    household: HouseholdRef, account_id, kind: str, text: str, filename: str | None
) -> ImportResult:
    """Validate every row of ``text`` (the file's text: the caller decodes the upload with
    ``dashboard.forms.statement.decode_upload``), then import it in one transaction (or report every bad
    row and import nothing); recorded in the audit trail with the import, or as failed."""
    what = f"{kind} from {str(filename or 'an upload')[:80]}"
    with audit.failures("statement-import", household_id=household.id, target=what):
        if isinstance(account_id, bool) or not isinstance(account_id, int):
            raise InvalidInput("Choose the account the statement belongs to.")
        with db.session() as session:
            account = session.scalar(
                select(Account).where(Account.id == account_id, Account.household_id == household.id)
            )
            if account is None:
                raise InvalidInput("That account is not one of this household's accounts.")
            existing = set(
                session.scalars(
                    select(Transaction.external_id).where(
                        Transaction.account_id == account.id, Transaction.external_id.is_not(None)
                    )
                )
            )
            rows, errors = parse(kind, text, existing, dt.date.today())
            result = ImportResult(
                kind, account.name, errors=errors[:MAX_REPORTED_ERRORS], total_errors=len(errors)
            )
            if errors:
                audit.record(
                    session,
                    "statement-import",
                    household_id=household.id,
                    target=what,
                    detail=f"{len(errors):,} rows refused; nothing imported",
                    outcome="failed",
                )
                return result  # nothing imported (the record of the refusal alone is written)
            securities = dict(session.execute(select(Security.ticker, Security.id)).all())
            if kind == "transactions":
                session.add_all(
                    Transaction(account_id=account.id, security_id=securities.get(r.pop("ticker")), **r)
                    for r in rows
                )
            else:
                for r in rows:
                    sid = securities[r["ticker"]]
                    holding = session.scalar(
                        select(Holding).where(Holding.account_id == account.id, Holding.security_id == sid)
                    )
                    if holding is None:
                        holding = Holding(account_id=account.id, security_id=sid, quantity=0.0)
                        session.add(holding)
                        session.flush()
                    holding.quantity += r["quantity"]
                    session.add(
                        TaxLot(
                            holding_id=holding.id,
                            acquired_on=r["acquired_on"],
                            quantity=r["quantity"],
                            cost_per_share=r["cost_per_share"],
                        )
                    )
            result.imported = len(rows)
            detail = f"{len(rows):,} rows into {account.name}"
            audit.record(session, "statement-import", household_id=household.id, target=what, detail=detail)
    household_changed(household.id)
    return result
