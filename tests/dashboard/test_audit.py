"""The audit trail (issue 27.1-2): every action writes exactly one record with the right user, household
and time, in the change's transaction (also under concurrency, and one record when the action fails);
records are never updated; pruning records itself; administrators read and export it, analysts cannot."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import subprocess
import sys
import threading

import pytest
from sqlalchemy import func, select, text

from dashboard.data.models import AuditEvent, Goal
from dashboard.extensions import db
from dashboard.settings import PROJECT_ROOT
from tests.callbacks.test_pages import households, shown, text_of, triggered
from tests.conftest import ADMIN, ANALYST, PASSWORD, sign_in, signed_client


def _last_id() -> int:
    with db.session() as session:
        return session.scalar(select(func.max(AuditEvent.id))) or 0


def _since(first: int) -> list[AuditEvent]:
    with db.session() as session:
        rows = list(session.scalars(select(AuditEvent).where(AuditEvent.id > first).order_by(AuditEvent.id)))
        session.expunge_all()
        return rows


def _one(first: int, action: str, user: str, household: int | None, started: dt.datetime, outcome="ok"):
    """Exactly one new record since ``first``, of ``action`` by ``user`` for ``household``, made now."""
    found = _since(first)
    assert [(e.action, e.user_email, e.household_id, e.outcome) for e in found] == [
        (action, user, household, outcome)
    ], [(e.action, e.user_email, e.household_id, e.outcome, e.detail) for e in found]
    event = found[0]
    assert started - dt.timedelta(seconds=1) <= event.at <= _utcnow() + dt.timedelta(seconds=1)
    return event


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def test_aud001_signing_in_and_out(app):
    client = app.server.test_client()
    first, started = _last_id(), _utcnow()
    refused = sign_in(client, ANALYST, "not the password", "/")
    assert refused.status_code == 401
    failed = _one(first, "sign-in-failed", ANALYST, None, started, outcome="failed")
    assert failed.address == "127.0.0.1" and "not the password" not in failed.detail + failed.target

    first = _last_id()
    assert sign_in(client, ANALYST, PASSWORD, "/").status_code == 302
    _one(first, "sign-in", ANALYST, None, started)

    first = _last_id()
    page = client.get("/logout").get_data(as_text=True)  # the page asking first carries the token
    import re

    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    assert client.post("/logout", data={"csrf": token}).status_code == 302
    _one(first, "sign-out", ANALYST, None, started)


def test_aud002_each_change_view_and_download_writes_one_record(app, signed_in):
    from callbacks import DOWNLOADS
    from callbacks import shell as shell_cb
    from callbacks.performance import reset_metrics
    from callbacks.risk import PAGE as RISK_PAGE
    from dashboard.errors import AccessDenied
    from dashboard.services import goals, prices, threads, users
    from dashboard.services.imports import import_statement
    from tests.callbacks.test_overview import _account, _nav_ids

    mine, theirs = households()
    household = mine[0]
    started = _utcnow()
    with signed_in(app):  # the demo analyst
        # a household opened (another than the tab's last one); the same one again is not a new opening
        first = _last_id()
        triggered(
            "shell-url.search", shell_cb.sync_household, f"?household={household.id}", None, None, _nav_ids()
        )
        _one(first, "household-open", ANALYST, household.id, started)
        first = _last_id()
        triggered(
            "shell-url.search",
            shell_cb.sync_household,
            f"?household={household.id}",
            None,
            household.id,
            _nav_ids(),
        )
        assert _since(first) == []

        # goals: create, edit, delete, each in its change's transaction; a refused edit, one failed record
        values = {
            "name": "Boat",
            "priority": "aspirational",
            "target_amount": 50_000.0,
            "target_date": dt.date(2030, 1, 1),
            "current_amount": 0.0,
            "monthly_contribution": 100.0,
        }
        first = _last_id()
        goal_id = goals.save_goal(household, None, values)
        event = _one(first, "goal-create", ANALYST, household.id, started)
        assert event.target == f"goal {goal_id}" and event.detail == "Boat"
        first = _last_id()
        goals.save_goal(household, goal_id, {**values, "name": "Yacht"})
        _one(first, "goal-edit", ANALYST, household.id, started)
        with db.session() as session:
            foreign = session.scalar(select(Goal.id).where(Goal.household_id == theirs.id))
        first = _last_id()
        with pytest.raises(AccessDenied):
            goals.save_goal(household, foreign, values)
        _one(first, "goal-edit", ANALYST, household.id, started, outcome="failed")
        with db.session() as session:  # nothing of the refused edit was written
            assert session.get(Goal, foreign).name != "Boat"
        first = _last_id()
        goals.delete_goal(household, goal_id)
        _one(first, "goal-delete", ANALYST, household.id, started)

        # a statement: imported (one record, with the rows), refused rows (one failed record, nothing in)
        account = _account(household)
        statement = "date,description,amount,transaction_id\n2018-04-02,Coffee,-4.50,aud-1\n"
        first = _last_id()
        assert import_statement(household, account.id, "transactions", statement, "april.csv").ok
        event = _one(first, "statement-import", ANALYST, household.id, started)
        assert "april.csv" in event.target and "1 rows" in event.detail
        bad = "date,description,amount\nnot-a-date,x,1\n"
        first = _last_id()
        assert not import_statement(household, account.id, "transactions", bad, "bad.csv").ok
        _one(first, "statement-import", ANALYST, household.id, started, outcome="failed")

        # a run saved to a thread; a CSV downloaded
        thread = threads.create_thread(household.id, 2, "Audit")
        first = _last_id()
        threads.save_run(household.id, 2, thread, "risk", "?household=1", 1, {}, None)
        _one(first, "thread-save", ANALYST, household.id, started)
        first = _last_id()
        sent, _ = DOWNLOADS[RISK_PAGE.key](1, shown(RISK_PAGE.form, household.id))
        assert sent["content"]
        _one(first, "csv-download", ANALYST, household.id, started)

    with signed_in(app, ADMIN):
        first = _last_id()
        users.set_role(ANALYST, "analyst")
        assert _one(first, "user-role", ADMIN, None, started).target == ANALYST
        first = _last_id()
        users.set_password(ANALYST, "another long password 123")
        _one(first, "user-password", ADMIN, None, started)
        first = _last_id()
        with pytest.raises(Exception, match="at least"):
            users.set_password(ANALYST, "short")
        _one(first, "user-password", ADMIN, None, started, outcome="failed")
        first = _last_id()
        users.set_active(ANALYST, True)
        _one(first, "user-active", ADMIN, None, started)
        first = _last_id()
        done, _alert = triggered("perf-reset.submit_n_clicks", reset_metrics, [1], 0)
        assert done == 1
        _one(first, "metrics-reset", ADMIN, None, started)
        first = _last_id()
        prices.import_prices(
            prices.parse_price_file("date,ticker,close\n2018-04-12,AAPL,170\n"), "a.csv", "t"
        )
        _one(first, "price-import", ADMIN, None, started)


def test_aud003_concurrent_changes_each_have_their_record(app, signed_in):
    """Eight goals saved at once: eight goals, eight records, each naming its own goal."""
    from dashboard.services import goals

    mine, _ = households()
    household = mine[0]
    first, made, problems = _last_id(), [], []

    def save(i):
        try:
            with app.server.app_context(), signed_in(app):
                values = {
                    "name": f"Goal {i}",
                    "priority": "important",
                    "target_amount": 1_000.0 * (i + 1),
                    "target_date": dt.date(2031, 1, 1),
                    "current_amount": 0.0,
                    "monthly_contribution": 10.0,
                }
                made.append(goals.save_goal(household, None, values))
        except Exception as error:  # noqa: BLE001 - reported below
            problems.append(error)

    workers = [threading.Thread(target=save, args=(i,)) for i in range(8)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert problems == [] and len(made) == 8
    found = _since(first)
    assert sorted(e.target for e in found) == sorted(f"goal {g}" for g in made)
    assert {(e.action, e.user_email, e.household_id) for e in found} == {
        ("goal-create", ANALYST, household.id)
    }


def test_aud004_records_are_never_changed_and_pruning_records_itself(app):
    from dashboard.services import audit

    settings = app.server.extensions["meridian.settings"]
    with db.session() as session:  # a record from long ago (written as such: records are only added)
        session.execute(
            AuditEvent.__table__.insert(),
            [
                {
                    "at": dt.datetime(2001, 1, 1),
                    "user_id": None,
                    "user_email": "cli:old",
                    "action": "metrics-reset",
                    "household_id": None,
                    "target": "",
                    "detail": "old",
                    "address": "",
                    "outcome": "ok",
                }
            ],
        )
    with pytest.raises(Exception, match="audit records are never changed"), db.session() as session:
        session.execute(text("UPDATE audit_events SET detail = 'forged' WHERE detail = 'old'"))
    with db.session() as session:
        assert session.scalar(select(func.count()).where(AuditEvent.detail == "forged")) == 0
    first, started = _last_id(), _utcnow()
    assert audit.prune(settings.audit_retention_days) == 1
    event = _one(first, "audit-prune", "cli:" + __import__("getpass").getuser(), None, started)
    assert "1 records before" in event.detail
    with db.session() as session:
        assert session.scalar(select(func.count()).where(AuditEvent.detail == "old")) == 0

    # the command line prints the trail as CSV, filtered
    env = {**os.environ, "DATABASE_URL": settings.database_url, "INSTANCE_PATH": str(settings.instance_path)}
    env.pop("REDIS_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "meridian", "audit", "--since", "2000-01-01", "--action", "audit-prune"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    rows = list(csv.reader(io.StringIO(done.stdout)))
    assert rows[0][:4] == ["id", "at_utc", "user", "action"] and [r[3] for r in rows[1:]] == ["audit-prune"]
    bad = subprocess.run(
        [sys.executable, "-m", "meridian", "audit", "--since", "yesterday"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 2 and "From must be a date (YYYY-MM-DD)" in bad.stderr


def test_aud005_administrators_read_and_export_it_analysts_cannot(app, signed_in):
    from dash import no_update

    from callbacks import shell as shell_cb
    from callbacks.audit import show_trail
    from tests.callbacks.test_overview import _nav_ids

    mine, _ = households()
    with signed_in(app):
        opened = [mine[0], mine[1], mine[0]]  # three openings by the analyst (back to the first one)
        stored = None
        for h in opened:
            triggered(
                "shell-url.search", shell_cb.sync_household, f"?household={h.id}", None, stored, _nav_ids()
            )
            stored = h.id
        refused = triggered("audit-show.n_clicks", show_trail, 1, None, None, "", "", "", "", "", None)
        assert refused[0] is no_update and "for administrators" in text_of(refused[-1])
    assert signed_client(app).get("/audit.csv").status_code == 403

    with signed_in(app, ADMIN):
        # filtered to the analyst's openings: the newest first, two a page, "Older" pages on through
        # the filter on screen (not the fields edited since)
        from callbacks import audit as audit_cb

        table, said, cursor, no_older, href, alert = triggered(
            "audit-show.n_clicks", show_trail, 1, None, None, ANALYST, "", "household-open", "", "", None
        )
        assert alert is None and "3 records match" in said
        assert text_of(table).count("Household opened") == 3
        assert href == "/audit.csv?user=analyst%40meridian.example&action=household-open"
        assert no_older is True and cursor["older"] is None
        original = audit_cb.audit.PAGE_SIZE
        audit_cb.audit.PAGE_SIZE = 2
        try:
            table, said, cursor, no_older, *_ = triggered(
                "audit-show.n_clicks", show_trail, 1, None, None, ANALYST, "", "household-open", "", "", None
            )
        finally:
            audit_cb.audit.PAGE_SIZE = original
        assert no_older is False and text_of(table).count("Household opened") == 2
        assert text_of(table).index(mine[0].name) < text_of(table).index(mine[1].name)  # newest first
        older = triggered(
            "audit-older.n_clicks", show_trail, 1, 1, None, "someone@else", "", "", "", "", cursor
        )
        # the filter on screen, not the fields edited since: the analyst's first opening, and the end
        assert text_of(older[0]).count("Household opened") == 1 and mine[0].name in text_of(older[0])
        assert older[3] is True and "3 records match" in older[1]
        bad = triggered("audit-show.n_clicks", show_trail, 2, None, None, "", "x", "", "", "", None)
        assert bad[0] is no_update and "household number" in text_of(bad[-1])

    admin = signed_client(app, ADMIN)
    first = _last_id()
    sent = admin.get(href)
    assert sent.status_code == 200 and sent.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(sent.get_data(as_text=True))))
    assert [r[3] for r in rows[1:]] == ["household-open"] * 3 and {r[2] for r in rows[1:]} == {ANALYST}
    assert [e.action for e in _since(first)] == ["audit-export"]
    assert admin.get("/audit.csv?since=2020-13-01").status_code == 400
    # more records than one download holds: refused with why, never a file cut short; exactly that many: sent
    original = audit_cb.audit.MAX_EXPORT
    try:
        audit_cb.audit.MAX_EXPORT = 2
        first = _last_id()
        refused = admin.get(href)
        assert refused.status_code == 400 and "More than 2 records match" in refused.get_data(as_text=True)
        assert _since(first) == []  # nothing exported, nothing recorded
        audit_cb.audit.MAX_EXPORT = 3
        whole = list(csv.reader(io.StringIO(admin.get(href).get_data(as_text=True))))
        assert len(whole) == 1 + 3
    finally:
        audit_cb.audit.MAX_EXPORT = original


def test_aud006_a_report_downloaded_an_assumptions_set_added_a_thread_deleted(app, signed_in):
    import dataclasses

    from dashboard.services import assumptions as firm
    from dashboard.services import threads
    from dashboard.services.reports import keep_pdf

    mine, _ = households()
    household = mine[0]
    started = _utcnow()
    name = "0123456789abcdef0123456789abcdef"
    keep_pdf(name, household.id, "review-alvarez-2026-12-06.pdf", b"%PDF-1.4 kept")
    client = signed_client(app)  # (its sign-in is a record of its own)
    first = _last_id()
    assert client.get(f"/report/pdf/{household.id}/{name}").status_code == 200
    event = _one(first, "report-download", ANALYST, household.id, started)
    assert event.target == "review-alvarez-2026-12-06.pdf"

    with signed_in(app, ADMIN):
        current = firm.load(firm.list_sets()[0].id)
        first = _last_id()
        added = firm.create(dataclasses.replace(current, name="Reviewed view"), "a test", ADMIN)
        assert (
            _one(first, "assumptions-change", ADMIN, None, started).target == f"set {added.id} Reviewed view"
        )
        first = _last_id()
        with pytest.raises(Exception):  # noqa: B017 - whatever the set's validation raises, it is recorded
            firm.create(dataclasses.replace(current, name="x" * 500), "a test", ADMIN)
        _one(first, "assumptions-change", ADMIN, None, started, outcome="failed")

    with signed_in(app):
        thread = threads.create_thread(household.id, 2, "To delete")
        first = _last_id()
        threads.delete_thread(household.id, thread)
        assert _one(first, "thread-delete", ANALYST, household.id, started).target == f"thread {thread}"
