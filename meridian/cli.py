"""Operator commands: ``python -m meridian migrate|downgrade|seed|setup|check-settings``."""

from __future__ import annotations

import argparse
import dataclasses
import logging
import sys

from dashboard.data import demo, migrate
from dashboard.data.db import make_engine
from dashboard.settings import Settings, SettingsError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m meridian", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("migrate", help="upgrade the database schema (default: to head)")
    up.add_argument("--revision", default="head")
    down = sub.add_parser("downgrade", help="downgrade the database schema to a revision")
    down.add_argument("revision", help="e.g. 0001_schema, base, -1")
    seed = sub.add_parser("seed", help="seed deterministic demo data")
    _seed_options(seed)
    setup = sub.add_parser("setup", help="migrate to head, then seed if the database is empty")
    _seed_options(setup)
    sub.add_parser("check-settings", help="validate the settings from the environment")
    user = sub.add_parser("user", help="set a user's password or role, or (de)activate them")
    user.add_argument("action", choices=("set-password", "set-role", "deactivate", "activate"))
    user.add_argument("email")
    user.add_argument("role", nargs="?", help="set-role: analyst or admin (a password is read from stdin)")
    prices = sub.add_parser("prices", help="import a price file (CSV: date,ticker,close or date,TICKER,...)")
    prices.add_argument("action", choices=("import",))
    prices.add_argument("file", help="the CSV file (docs/operations.md, 'Market data')")
    prices.add_argument("--replace", action="store_true", help="correct prices already held that differ")
    cma = sub.add_parser(
        "assumptions", help="the firm's capital market assumptions: import, export, list, derive"
    )
    cma.add_argument("action", choices=("import", "export", "list", "derive"))
    cma.add_argument("file", nargs="?", help="import: the CSV file (docs/assumptions.md)")
    cma.add_argument("--id", type=_positive, help="export: this set (default: the one in force today)")
    cma.add_argument("--out", help="export, derive: write the CSV here (default: stdout)")
    cma.add_argument("--note", default="", help="import: why this set (kept with it)")
    report = sub.add_parser(
        "report",
        help="client reports as PDF: one household's (--household) or every household of an analyst's (--analyst)",
    )
    who = report.add_mutually_exclusive_group(required=True)
    who.add_argument("--household", type=_positive, help="the household's id")
    who.add_argument("--analyst", help="every household of the analyst with this email")
    report.add_argument("--out", required=True, help="--household: the PDF file; --analyst: a folder")
    report.add_argument(
        "--sections", help="comma-separated: summary,performance,risk,proposal,goals,retirement,tax"
    )
    report.add_argument("--title", default=None, help="the report's title (default: Portfolio review)")
    report.add_argument("--date", default=None, help="the report date, YYYY-MM-DD (default: today)")
    trail = sub.add_parser(
        "audit",
        help="the audit trail: print it as CSV, filtered (show), or delete what is past AUDIT_RETENTION_DAYS (prune)",
    )
    trail.add_argument("action", nargs="?", choices=("show", "prune"), default="show")
    trail.add_argument("--since", help="from this day, YYYY-MM-DD (UTC)")
    trail.add_argument("--until", help="to this day, YYYY-MM-DD, inclusive")
    trail.add_argument("--user", help="this user's records (email)")
    trail.add_argument("--household", help="this household's records (its id)")
    trail.add_argument("--action", dest="kind", help="one kind of record, e.g. household-open")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    try:
        settings = Settings.from_env()
    except SettingsError as error:
        print(f"meridian: {error}", file=sys.stderr)
        return 2

    if args.command == "check-settings":
        print("settings ok")
        return 0
    if args.command == "migrate":
        migrate.upgrade(settings, args.revision)
        print(f"database at {args.revision}")
        return 0
    if args.command == "downgrade":
        migrate.downgrade(settings, args.revision)
        print(f"database at {args.revision}")
        return 0
    if args.command == "setup":
        migrate.upgrade(settings)
    if args.command == "user":
        return _user(settings, args)
    if args.command == "prices":
        return _prices(settings, args)
    if args.command == "assumptions":
        return _assumptions(settings, args)
    if args.command == "report":
        return _report(settings, args)
    if args.command == "audit":
        return _audit(settings, args)
    return _seed(settings, args)


def _audit(settings: Settings, args) -> int:
    """The trail as CSV on stdout (oldest first, every matching record), or pruned to the retention."""
    from dashboard.errors import InvalidInput
    from dashboard.factory import create_server, shutdown
    from dashboard.services import audit

    server = create_server(settings)
    try:
        with server.app_context():
            if args.action == "prune":
                deleted = audit.prune(settings.audit_retention_days)
                print(
                    f"{deleted:,} records older than {settings.audit_retention_days:,} days deleted (recorded)."
                )
                return 0
            chosen = audit.parse_filter(args.user, args.household, args.kind, args.since, args.until)
            for chunk in audit.export(chosen, limit=None):
                sys.stdout.write(chunk)
    except InvalidInput as error:
        print(f"meridian: {error}", file=sys.stderr)
        return 2
    finally:
        shutdown(server)
    return 0


def _prices(settings: Settings, args) -> int:
    """Validate the whole file, then write it in one transaction (through the app: the cache's market
    version moves with it)."""
    import getpass
    from pathlib import Path

    from dashboard.errors import InvalidInput
    from dashboard.factory import create_server, shutdown
    from dashboard.services import prices

    path = Path(args.file)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        print(f"meridian: cannot read {path}: {error}", file=sys.stderr)
        return 2
    server = create_server(settings)
    try:
        with server.app_context():
            rows = prices.parse_price_file(text)
            report = prices.import_prices(rows, path.name, f"cli:{getpass.getuser()}", replace=args.replace)
    except InvalidInput as error:
        print(f"meridian: {error}", file=sys.stderr)
        return 2
    finally:
        shutdown(server)
    print(report.message)
    return 0


def _assumptions(settings: Settings, args) -> int:
    """Import (validated whole, a new version), export or list the sets, or derive one from the prices
    held (the method of the seeded set); through the app, so the cached sets are dropped on import."""
    import getpass
    from pathlib import Path

    from dashboard.data.assumptions import SEEDED_NAME, seeded_set
    from dashboard.errors import InvalidInput
    from dashboard.extensions import cache
    from dashboard.factory import create_server, shutdown
    from dashboard.forms import assumptions as csv_format
    from dashboard.services import assumptions, prices

    if args.action == "import" and not args.file:
        print("meridian: name the CSV file to import", file=sys.stderr)
        return 2
    server = create_server(settings)
    try:
        with server.app_context():
            if args.action == "list":
                current = assumptions.in_force()
                for s in assumptions.list_sets():
                    mark = "*" if current is not None and s.id == current.id else " "
                    print(f"{mark} {s.id:>4}  {s.effective:%Y-%m-%d}  {s.name}  ({s.source}; {s.created_by})")
                if current is None:
                    print("no set is in force today", file=sys.stderr)
                return 0
            if args.action == "import":
                path = Path(args.file)
                try:
                    text = path.read_text(encoding="utf-8-sig")
                except (OSError, UnicodeDecodeError) as error:
                    print(f"meridian: cannot read {path}: {error}", file=sys.stderr)
                    return 2
                parsed = csv_format.parse(text)
                if args.note:
                    parsed = dataclasses.replace(parsed, method=f"{parsed.method} {args.note}".strip())
                ref = assumptions.create(parsed, path.name, f"cli:{getpass.getuser()}")
                cache.settle(timeout=5)
                print(f"imported set {ref.id}: {ref.label}")
                return 0
            if args.action == "export":
                ref = assumptions.get_ref(args.id) if args.id else assumptions.current_or_refuse()
                text = csv_format.to_csv(assumptions.load(ref.id))
            else:
                as_of = prices.prices_as_of().date
                if as_of is None:
                    raise InvalidInput("No prices are loaded to derive assumptions from.")
                held = prices.read_prices(prices.tickers_held(), None, as_of.isoformat())
                derived = seeded_set(held, as_of)
                text = csv_format.to_csv(dataclasses.replace(derived, name=SEEDED_NAME))
    except InvalidInput as error:
        print(f"meridian: {error}", file=sys.stderr)
        return 2
    finally:
        shutdown(server)
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"wrote {args.out}")
    else:
        sys.stdout.write(text)
    return 0


def _report(settings: Settings, args) -> int:
    """The same PDFs as the Client report page's button (the same composition: the latest saved run of
    each section's page, else a fresh run of its defaults), rendered in this process, each household as
    its analyst; a progress line per household on stderr, then what was written and what failed."""
    import time
    from pathlib import Path

    from callbacks import UI
    from dashboard.errors import AccessDenied, InvalidInput
    from dashboard.factory import create_app, shutdown

    app = create_app(settings, ui=UI)
    written, failed = [], []
    try:
        with app.server.app_context():
            from callbacks import report
            from dashboard.forms import report as report_form
            from dashboard.services.access import (
                acting_as,
                analyst_of,
                authorize_household,
                visible_households,
            )

            raw = {k: v for k, v in (("title", args.title), ("date", args.date)) if v}
            if args.sections:
                raw["sections"] = [s.strip() for s in args.sections.split(",") if s.strip()]
            try:
                clean = report_form.FORM.clean(raw)
                email = args.analyst or analyst_of(args.household)
                with acting_as(email):
                    targets = (
                        [authorize_household(args.household)] if args.household else visible_households()
                    )
            except (InvalidInput, AccessDenied) as error:
                print(f"meridian: {error}", file=sys.stderr)
                return 2
            out = Path(args.out)
            if args.analyst:
                out.mkdir(parents=True, exist_ok=True)
            for number, household in enumerate(targets, start=1):
                started = time.perf_counter()
                label = f"[{number}/{len(targets)}] {household.name}"

                def progress(text, label=label):
                    print(f"\r{label}: {text[:60]:<60}", end="", file=sys.stderr, flush=True)

                try:
                    with acting_as(email):
                        composition = report.prepare(clean, household)
                        built = report.assemble(composition, household, compute_large=True)
                        with report.renderer_slot(progress):
                            pdf = report.render_pdf(built, progress)
                    target = out / report.filename(built) if args.analyst else out
                    target.write_bytes(pdf)
                    seconds = time.perf_counter() - started
                    written.append((household.name, target, len(pdf), seconds))
                    print(
                        f"\r{label}: wrote {target} ({len(pdf) / 1024:.0f} KB, {seconds:.1f} s)".ljust(80),
                        file=sys.stderr,
                    )
                except Exception as error:  # noqa: BLE001 - one household's failure is reported, the rest go on
                    failed.append((household.name, str(error)))
                    print(f"\r{label}: failed: {error}".ljust(80), file=sys.stderr)
    finally:
        shutdown(app)
    print(f"{len(written)} report(s) written, {len(failed)} failed")
    for name, target, size, seconds in written:
        print(f"  {name}: {target} ({size / 1024:.0f} KB, {seconds:.1f} s)")
    for name, reason in failed:
        print(f"  {name}: FAILED: {reason}")
    return 1 if failed else 0


def _user(settings: Settings, args) -> int:
    """Through the app (so the session cache is invalidated as the pages would); passwords from stdin."""
    import getpass

    from dashboard.errors import InvalidInput
    from dashboard.extensions import cache
    from dashboard.factory import create_server, shutdown
    from dashboard.services import users

    server = create_server(settings)
    try:
        with server.app_context():
            if args.action == "set-password":
                prompt = sys.stdin.isatty()
                password = getpass.getpass("New password: ") if prompt else sys.stdin.readline().rstrip("\n")
                users.set_password(args.email, password)
            elif args.action == "set-role":
                users.set_role(args.email, args.role or "")
            else:
                users.set_active(args.email, args.action == "activate")
            if not cache.settle(timeout=5):
                print(
                    "meridian: warning: Redis did not answer, so cached sign-ins could not be dropped; "
                    "the change reaches every session within the session cache's TTL (10 minutes)",
                    file=sys.stderr,
                )
    except InvalidInput as error:
        print(f"meridian: {error}", file=sys.stderr)
        return 2
    finally:
        shutdown(server)
    print(f"{args.email}: {args.action} done")
    return 0


def _seed_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--households", type=_positive, default=None)
    parser.add_argument("--transactions-per-account", type=_non_negative, default=None)
    parser.add_argument("--seed", type=int, default=demo.DEFAULT_SEED)
    parser.add_argument("--large", action="store_true", help="benchmark scale (~2M transactions)")
    parser.add_argument("--reset", action="store_true", help="delete all rows and seed again")


def _seed(settings: Settings, args) -> int:
    scale = (
        demo.LARGE
        if args.large
        else {
            "households": demo.DEFAULT_HOUSEHOLDS,
            "transactions_per_account": demo.DEFAULT_TRANSACTIONS_PER_ACCOUNT,
        }
    )
    engine = make_engine(settings.database_url)
    try:
        if migrate.current_revision(engine) is None:
            print(
                "meridian: the database has no schema; run `python -m meridian migrate` first",
                file=sys.stderr,
            )
            return 2
        report = demo.seed(
            engine,
            settings.market_data_path,
            households=args.households or scale["households"],
            transactions_per_account=(
                scale["transactions_per_account"]
                if args.transactions_per_account is None
                else args.transactions_per_account
            ),
            seed=args.seed,
            reset=args.reset,
            heavy_transactions=demo.LARGE["heavy_transactions"] if args.large else 0,
            password=settings.demo_password,
        )
    finally:
        engine.dispose()
    print(report.message)
    return 0


def _positive(raw: str) -> int:
    value = int(raw)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _non_negative(raw: str) -> int:
    value = int(raw)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value
