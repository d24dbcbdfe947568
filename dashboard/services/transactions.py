"""A household's transactions for a server-side grid: paging, sorting and filtering in SQL.

The grid sends AG Grid's request (rows wanted, sort model, filter model); every
part is validated against a whitelist before it becomes SQL, so a tampered
request can only ask for what the grid could. Sorted by date (the default),
each account's rows are read along the (account_id, date, id) index and merged,
which keeps the first pages fast even for hundreds of thousands of rows.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from dataclasses import dataclass

from sqlalchemy import Select, and_, func, not_, or_, select, union_all

from dashboard.data.models import Account, Security, Transaction
from dashboard.errors import InvalidInput
from dashboard.extensions import cache, db
from dashboard.services.access import HouseholdRef
from dashboard.services.households import account_ids

MAX_BLOCK = 500
MAX_OFFSET = 1_000_000
COLUMNS = {
    "date": Transaction.date,
    "account": Account.name,
    "type": Transaction.type,
    "description": Transaction.description,
    "category": Transaction.category,
    "ticker": Security.ticker,
    "quantity": Transaction.quantity,
    "price": Transaction.price,
    "amount": Transaction.amount,
}
TEXT_COLUMNS = {"account", "type", "description", "category", "ticker"}
NUMBER_COLUMNS = {"quantity", "price", "amount"}
DATE_COLUMNS = {"date"}
TEXT_OPS = {"contains", "notContains", "equals", "notEqual", "startsWith", "endsWith", "blank", "notBlank"}
NUMBER_OPS = {
    "equals",
    "notEqual",
    "lessThan",
    "lessThanOrEqual",
    "greaterThan",
    "greaterThanOrEqual",
    "inRange",
    "blank",
    "notBlank",
}
DATE_OPS = {"equals", "notEqual", "lessThan", "greaterThan", "inRange", "blank", "notBlank"}


@dataclass(frozen=True)
class Page:
    rows: list[dict]
    total: int


def _int(value, what: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidInput(f"The grid asked for an invalid {what}.")
    return value


def _text(value) -> str:
    if not isinstance(value, str) or len(value) > 100:
        raise InvalidInput("A text filter must be at most 100 characters.")
    return value


def _number(value) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value or abs(value) > 1e15:
        raise InvalidInput("A number filter must be a number.")
    return float(value)


def _day(value) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        raise InvalidInput("A date filter must be a date.") from None


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _condition(column: str, model: dict):
    if not isinstance(model, dict):
        raise InvalidInput("Invalid filter.")
    if "conditions" in model:  # two conditions joined by AND / OR
        conditions = model.get("conditions")
        if not isinstance(conditions, list) or not 1 <= len(conditions) <= 2:
            raise InvalidInput("Invalid combined filter.")
        parts = [_condition(column, c) for c in conditions]
        return or_(*parts) if model.get("operator") == "OR" else and_(*parts)
    expr = COLUMNS[column]
    op = model.get("type")
    if op == "blank":
        return expr.is_(None)
    if op == "notBlank":
        return expr.is_not(None)
    if column in TEXT_COLUMNS:
        if op not in TEXT_OPS:
            raise InvalidInput("Invalid text filter.")
        text = _text(model.get("filter", ""))
        lowered = func.lower(expr)
        like = _escape(text.lower())
        return {
            "contains": lowered.like(f"%{like}%", escape="\\"),
            "notContains": not_(lowered.like(f"%{like}%", escape="\\")),
            "equals": lowered == text.lower(),
            "notEqual": lowered != text.lower(),
            "startsWith": lowered.like(f"{like}%", escape="\\"),
            "endsWith": lowered.like(f"%{like}", escape="\\"),
        }[op]
    if column in NUMBER_COLUMNS:
        if op not in NUMBER_OPS:
            raise InvalidInput("Invalid number filter.")
        value = _number(model.get("filter"))
        if op == "inRange":
            return expr.between(value, _number(model.get("filterTo")))
        return {
            "equals": expr == value,
            "notEqual": expr != value,
            "lessThan": expr < value,
            "lessThanOrEqual": expr <= value,
            "greaterThan": expr > value,
            "greaterThanOrEqual": expr >= value,
        }[op]
    if op not in DATE_OPS:
        raise InvalidInput("Invalid date filter.")
    day = _day(model.get("dateFrom"))
    if op == "inRange":
        return expr.between(day, _day(model.get("dateTo")))
    return {
        "equals": expr == day,
        "notEqual": expr != day,
        "lessThan": expr < day,
        "greaterThan": expr > day,
    }[op]


def _filters(filter_model) -> list:
    if filter_model in (None, {}):
        return []
    if not isinstance(filter_model, dict) or len(filter_model) > len(COLUMNS):
        raise InvalidInput("Invalid filters.")
    out = []
    for column, model in filter_model.items():
        if column not in COLUMNS:
            raise InvalidInput("A filter names an unknown column.")
        out.append(_condition(column, model))
    return out


def _sort(sort_model) -> list[tuple[str, str]]:
    if sort_model in (None, []):
        return [("date", "desc")]
    if not isinstance(sort_model, list) or len(sort_model) > 3:
        raise InvalidInput("Invalid sort.")
    out = []
    for item in sort_model:
        if (
            not isinstance(item, dict)
            or item.get("colId") not in COLUMNS
            or item.get("sort") not in ("asc", "desc")
        ):
            raise InvalidInput("Invalid sort.")
        out.append((item["colId"], item["sort"]))
    return out


def _selection(filters):
    return (
        select(
            Transaction.id.label("id"),
            Transaction.date.label("date"),
            Account.name.label("account"),
            Transaction.type.label("type"),
            Transaction.description.label("description"),
            Transaction.category.label("category"),
            Security.ticker.label("ticker"),
            Transaction.quantity.label("quantity"),
            Transaction.price.label("price"),
            Transaction.amount.label("amount"),
        )
        .join(Account, Account.id == Transaction.account_id)
        .outerjoin(Security, Security.id == Transaction.security_id)
        .where(*filters)
    )


def household_page(household: HouseholdRef, account, request: dict) -> Page:
    """One block of the household's transactions, of one of its accounts or all (``account`` "all").

    The total count is kept in the cache (``grid``) between blocks: it only
    changes with the filters or the household's data (its data version).
    """

    def remember(key, count):
        return cache.get_or_compute(
            "grid", {**key, "data_version": household.data_version}, count, household=household.id
        )

    accounts = account_ids(household, account)  # refuses accounts of other households
    with db.session() as session:
        return page(session, accounts, request, remember)


def page(session, account_ids: list[int], request: dict, remember=None) -> Page:
    """One block of the transactions of ``account_ids`` (already authorised).

    ``remember(key, compute)`` may keep the total count between blocks (it only
    changes with the filters or the household's data); counting hundreds of
    thousands of rows is most of a first block's time.
    """
    if not isinstance(request, dict):
        raise InvalidInput("Invalid grid request.")
    start = _int(request.get("startRow", 0), "start row", 0, MAX_OFFSET)
    end = _int(request.get("endRow", start + 50), "end row", start + 1, start + MAX_BLOCK)
    sort = _sort(request.get("sortModel"))
    filters = _filters(request.get("filterModel"))
    if not account_ids:
        return Page([], 0)
    limit = end - start
    base_filters = [Transaction.account_id.in_(account_ids), *filters]

    def count() -> int:
        return int(
            session.scalar(
                select(func.count())
                .select_from(Transaction)
                .join(Account, Account.id == Transaction.account_id)
                .outerjoin(Security, Security.id == Transaction.security_id)
                .where(*base_filters)
            )
            or 0
        )

    key = {"accounts": list(account_ids), "filters": request.get("filterModel") or {}}
    total = remember(key, count) if remember is not None else count()
    if sort[0][0] == "date" and len(sort) == 1:
        filter_model = json.dumps(request.get("filterModel") or {}, sort_keys=True)
        merged = _by_date(tuple(account_ids), filter_model, end, sort[0][1] == "desc")
        rows = session.execute(merged.offset(start).limit(limit)).mappings().all()
    else:
        order = [COLUMNS[c].desc() if d == "desc" else COLUMNS[c].asc() for c, d in sort]
        order.append(Transaction.id.desc())
        query = _selection(base_filters).order_by(*order).offset(start).limit(limit)
        rows = session.execute(query).mappings().all()
    return Page([_row(r) for r in rows], int(total or 0))


@functools.lru_cache(maxsize=256)
def _by_date(account_ids: tuple[int, ...], filter_model: str, end: int, descending: bool) -> Select:
    """Each account along its (account_id, date, id) index, limited to ``end`` rows, then merged in order
    (``filter_model``: the grid's filters as canonical JSON, already validated).

    Kept by shape, the last 256: building the union of one limited subquery per account is most of a
    cached block's time (an analyst scrolling asks for the same shapes again and again). A statement is
    immutable, so threads share it; its rows are read anew at every execution."""
    filters = _filters(json.loads(filter_model))
    ordered = (
        [Transaction.date.desc(), Transaction.id.desc()] if descending else [Transaction.date, Transaction.id]
    )
    parts = [
        select(
            _selection([Transaction.account_id == account_id, *filters])
            .order_by(*ordered)
            .limit(end)
            .subquery()
        )
        for account_id in account_ids
    ]
    merged = union_all(*parts).subquery()
    order = [merged.c.date.desc(), merged.c.id.desc()] if descending else [merged.c.date, merged.c.id]
    return select(merged).order_by(*order)


def _row(row) -> dict:
    out = dict(row)
    out["date"] = out["date"].isoformat() if hasattr(out["date"], "isoformat") else str(out["date"])
    return out
