"""What the audit trail costs a request: a change with its record in the same transaction against the
same change without it, and an event recorded alone (a household opened, a download), on SQLite and, when
``DATABASE_URL`` names a PostgreSQL server, on PostgreSQL too; and reading a page of a large trail.

``python -m benchmarks audit``
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from sqlalchemy import func, insert, select

from benchmarks.common import median_ms, p95_ms, timings
from callbacks import UI
from dashboard.data.models import AuditEvent, Goal
from dashboard.extensions import db
from dashboard.factory import create_app, shutdown
from harness.serve import seeded_instance
from harness.tables import table

REPEATS = 300
TRAIL = 200_000  # records in the trail for the paging figures


def _goal_change(household: int, audited: bool):
    from dashboard.services import audit

    def change():
        with db.session() as session:
            goal = session.scalar(select(Goal).where(Goal.household_id == household).limit(1))
            goal.monthly_contribution = (goal.monthly_contribution or 0) + 1
            if audited:
                audit.record(session, "goal-edit", household_id=household, target=f"goal {goal.id}")

    return change


def run() -> None:
    from dashboard.services import audit

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        settings = seeded_instance(Path(tmp), households=4, transactions_per_account=20)
        app = create_app(settings, ui=UI)
        try:
            with app.server.app_context(), app.server.test_request_context():
                bare = timings(_goal_change(1, audited=False), REPEATS, warmup=10)
                with_record = timings(_goal_change(1, audited=True), REPEATS, warmup=10)
                alone = timings(lambda: audit.log("household-open", household_id=1, target="x"), REPEATS, 10)
                extra = median_ms(with_record) - median_ms(bare)
                engine = db.engine.dialect.name
                rows += [
                    [f"{engine}: a goal edit, no record", median_ms(bare), p95_ms(bare), ""],
                    [
                        f"{engine}: the same edit with its record",
                        median_ms(with_record),
                        p95_ms(with_record),
                        f"+{extra:.3f} ms ({median_ms(with_record) / median_ms(bare):.2f}x)",
                    ],
                    [
                        f"{engine}: an event recorded alone (own transaction)",
                        median_ms(alone),
                        p95_ms(alone),
                        "",
                    ],
                ]
                # paging a large trail: the first page and one far down, filtered by household
                now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
                with db.session() as session:
                    session.execute(
                        insert(AuditEvent),
                        [
                            {
                                "at": now - dt.timedelta(seconds=i),
                                "user_id": 2,
                                "user_email": "analyst@meridian.example",
                                "action": "household-open",
                                "household_id": 1 + i % 4,
                                "target": "",
                                "detail": "",
                                "address": "127.0.0.1",
                                "outcome": "ok",
                            }
                            for i in range(TRAIL)
                        ],
                    )
                    middle = session.scalar(select(func.max(AuditEvent.id))) - TRAIL // 2
                chosen = audit.parse_filter(household="3")
                first = timings(lambda: audit.page(chosen), 50, 3)
                deep = timings(lambda: audit.page(chosen, before_id=middle), 50, 3)
                rows += [
                    [
                        f"{engine}: newest page of {TRAIL:,} records, one household",
                        median_ms(first),
                        p95_ms(first),
                        "",
                    ],
                    [f"{engine}: a page halfway down (keyset)", median_ms(deep), p95_ms(deep), ""],
                ]
        finally:
            shutdown(app)
    table(
        f"Audit trail: write cost per request and paging ({REPEATS} changes, median / p95)",
        ["what", "median ms", "p95 ms", "record's cost"],
        rows,
    )
