"""Capital market assumptions as a CSV file: read (validated whole, a message per bad row) and written.

One table, one row per record; each record fills the columns it needs (docs/assumptions.md)::

    record,key,label,class,expected_return,volatility,idiosyncratic_volatility,beta,with,correlation,value
    set,name,,,,,,,,,House view 2026
    set,effective,,,,,,,,,2026-01-01
    set,inflation,,,,,,,,,2.5
    set,cash_rate,,,,,,,,,2.0
    set,default_class,,,,,,,,,us_equity
    class,us_equity,US equity,,7.2,14.2,30.3,,,,
    class,us_bonds,US bonds,,3.5,5.0,2.0,,,,
    correlation,us_equity,,,,,,,us_bonds,0.1,
    security,AAPL,,us_equity,,,40.8,1.20,,,

Percentages are written in percent (7.2 is 7.2 % a year); beta and correlation as plain numbers. Every
pair of classes needs its correlation once (either order); a class's correlation with itself is 1.
The file is the same whether downloaded from the Assumptions page or written by hand, so a set is
edited by downloading it, changing it and importing it again (a new version).
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass

from dashboard.errors import InvalidInput
from engine.assumptions import AssetClass, AssumptionsError, CapitalMarketAssumptions, Exposure

COLUMNS = (
    "record",
    "key",
    "label",
    "class",
    "expected_return",
    "volatility",
    "idiosyncratic_volatility",
    "beta",
    "with",
    "correlation",
    "value",
)
RECORDS = ("set", "class", "correlation", "security")
SET_KEYS = ("name", "effective", "inflation", "cash_rate", "default_class", "method")
MAX_ROWS = 10_000
MAX_SHOWN = 50


class AssumptionsFileError(InvalidInput):
    """The file cannot be imported; ``problems`` lists each (row-numbered where a row is at fault)."""

    def __init__(self, problems: list[str], source: str = "the file"):
        self.problems = problems
        shown = problems[:MAX_SHOWN]
        more = f" (and {len(problems) - MAX_SHOWN} more)" if len(problems) > MAX_SHOWN else ""
        verb = "imported" if source == "the file" else "saved"
        super().__init__(
            f"Nothing was {verb}: {len(problems)} problem{'s' if len(problems) != 1 else ''} in "
            f"{source}{more}. " + " ".join(shown)
        )


@dataclass
class _Reader:
    problems: list

    def number(self, row: dict, column: str, where: str, percent: bool = True) -> float | None:
        text = (row.get(column) or "").strip().replace(",", "").rstrip("%").strip()
        if not text:
            self.problems.append(f"{where}: {column.replace('_', ' ')} is missing.")
            return None
        try:
            value = float(text)
        except ValueError:
            self.problems.append(f"{where}: {column.replace('_', ' ')} {text[:30]!r} is not a number.")
            return None
        if not math.isfinite(value):
            self.problems.append(f"{where}: {column.replace('_', ' ')} must be a finite number.")
            return None
        return round(value / 100, 12) if percent else value


def parse(text: str) -> CapitalMarketAssumptions:
    """The set a CSV file describes, validated whole; AssumptionsFileError listing every problem."""
    if not isinstance(text, str) or not text.strip():
        raise AssumptionsFileError(["The file is empty."])
    if "\x00" in text:
        raise AssumptionsFileError(["The file is not a text CSV file."])
    reader = csv.DictReader(io.StringIO(text))
    header = [(h or "").strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in ("record", "key") if c not in header]
    if missing:
        raise AssumptionsFileError(
            [f"The header must name the columns {', '.join(COLUMNS)}; missing: {', '.join(missing)}."]
        )
    reader.fieldnames = header
    records = []
    for number, row in enumerate(reader, start=2):
        if number > MAX_ROWS + 1:
            raise AssumptionsFileError([f"The file has more than {MAX_ROWS:,} rows."])
        if not any(isinstance(v, str) and v.strip() for v in row.values()):
            continue  # a blank line
        record, key = (row.get("record") or "").strip().lower(), (row.get("key") or "").strip()
        records.append((f"Row {number} ({record or 'no record'} {key[:30]})".replace(" )", ")"), row))
    return from_records(records)


def from_records(records, source: str = "the file") -> CapitalMarketAssumptions:
    """The set described by ``(where, row)`` records (a row: the CSV's columns by name; ``where``: how a
    message names it), validated whole; AssumptionsFileError listing every problem (in ``source``)."""
    problems: list[str] = []
    read = _Reader(problems)
    values: dict[str, str] = {}
    classes: list[AssetClass] = []
    pairs: dict[tuple[str, str], tuple[float, str]] = {}
    securities: list[Exposure] = []
    for where, row in records:
        record = (row.get("record") or "").strip().lower()
        key = (row.get("key") or "").strip()
        if record not in RECORDS:
            problems.append(f"{where}: the record must be one of {', '.join(RECORDS)}.")
            continue
        if not key:
            problems.append(f"{where}: the key is missing.")
            continue
        if record == "set":
            if key not in SET_KEYS:
                problems.append(f"{where}: a set row's key must be one of {', '.join(SET_KEYS)}.")
            elif key in values:
                problems.append(f"{where}: {key} is given twice.")
            else:
                values[key] = (row.get("value") or "").strip()
        elif record == "class":
            figures = [
                read.number(row, column, where)
                for column in ("expected_return", "volatility", "idiosyncratic_volatility")
            ]
            if None not in figures:
                classes.append(AssetClass(key, (row.get("label") or "").strip(), *figures))
        elif record == "correlation":
            other = (row.get("with") or "").strip()
            value = read.number(row, "correlation", where, percent=False)
            if not other:
                problems.append(f"{where}: name the other class in the 'with' column.")
            elif other == key:
                problems.append(f"{where}: a class's correlation with itself is always 1; leave it out.")
            elif value is not None:
                pair = tuple(sorted((key, other)))
                if pair in pairs:
                    problems.append(
                        f"{where}: the correlation of {pair[0]} and {pair[1]} is already given ({pairs[pair][1]})."
                    )
                else:
                    pairs[pair] = (value, where)
        else:
            beta = read.number(row, "beta", where, percent=False)
            idio = read.number(row, "idiosyncratic_volatility", where)
            asset_class = (row.get("class") or "").strip()
            if not asset_class:
                problems.append(f"{where}: the security's class is missing.")
            elif beta is not None and idio is not None:
                securities.append(Exposure(key.upper(), asset_class, beta, idio))
    for key in ("name", "effective", "inflation", "cash_rate", "default_class"):
        if key not in values:
            problems.append(f"The set's {key.replace('_', ' ')} is missing (a 'set,{key},...' row).")
    scalars = {}
    for key in ("inflation", "cash_rate"):
        if key in values:
            scalars[key] = read.number({key: values[key]}, key, f"The set's {key.replace('_', ' ')}")
    keys = [c.key for c in classes]
    for pair, (_, where) in pairs.items():
        unknown = [k for k in pair if k not in keys]
        if unknown:
            problems.append(f"{where}: {', '.join(unknown)} is not one of the classes.")
    matrix = [[1.0 if a == b else None for b in keys] for a in keys]
    for i, a in enumerate(keys):
        for j, b in enumerate(keys):
            if i < j:
                found = pairs.get(tuple(sorted((a, b))))
                if found is None:
                    problems.append(f"The correlation of {a} and {b} is not given (a 'correlation' row).")
                else:
                    matrix[i][j] = matrix[j][i] = found[0]
    if problems:
        raise AssumptionsFileError(problems, source)
    assumptions = CapitalMarketAssumptions(
        name=values["name"],
        effective=values["effective"],
        inflation=scalars["inflation"],
        cash_rate=scalars["cash_rate"],
        default_class=values["default_class"],
        classes=tuple(classes),
        correlations=tuple(tuple(r) for r in matrix),
        securities=tuple(securities),
        method=values.get("method", ""),
    )
    try:
        return assumptions.validated()
    except AssumptionsError as error:
        raise AssumptionsFileError([p[0].upper() + p[1:] + "." for p in error.problems], source) from None


def rows(a: CapitalMarketAssumptions) -> list[list]:
    """The set as the CSV's rows (header first): what :func:`parse` reads back to the same set."""

    def pct(value: float) -> str:
        return f"{value * 100:.6g}"

    out: list[list] = [list(COLUMNS)]
    blank = [""] * (len(COLUMNS) - 2)

    def setting(key: str, value: str) -> list:
        return ["set", key, *blank[:-1], value]

    out += [
        setting("name", a.name),
        setting("effective", a.effective),
        setting("inflation", pct(a.inflation)),
        setting("cash_rate", pct(a.cash_rate)),
        setting("default_class", a.default_class),
    ]
    if a.method:
        out.append(setting("method", a.method))
    for c in a.classes:
        out.append(
            [
                "class",
                c.key,
                c.label,
                "",
                pct(c.expected_return),
                pct(c.volatility),
                pct(c.idiosyncratic_volatility),
            ]
            + [""] * 4
        )
    for i, first in enumerate(a.classes):
        for j, second in enumerate(a.classes):
            if i < j:
                out.append(
                    [
                        "correlation",
                        first.key,
                        "",
                        "",
                        "",
                        "",
                        "",
                        "",
                        second.key,
                        f"{a.correlations[i][j]:.6g}",
                        "",
                    ]
                )
    for s in a.securities:
        out.append(
            [
                "security",
                s.ticker,
                "",
                s.asset_class,
                "",
                "",
                pct(s.idiosyncratic_volatility),
                f"{s.beta:.6g}",
                "",
                "",
                "",
            ]
        )
    return out


def to_csv(a: CapitalMarketAssumptions) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows(a))
    return buffer.getvalue()
