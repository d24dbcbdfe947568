"""Isolation, walked (issue 14, point 3, case "another analyst"): every server callback the app has (read
from ``/_dash-dependencies``, fired by each of its inputs) and every route of the Flask URL map, called
by the signed-in analyst with the ids of another analyst's household, goals, threads, runs and accounts.
Nothing of that household comes back, nothing in the database changes, and nothing answers 500.

The other analyst's household is given unique names first (household, account, transaction, goal,
thread, note), so any of its data in any answer is found by name."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid

from sqlalchemy import select, text

from dashboard.data.models import Account, Base, Goal, Household, Thread, ThreadItem, Transaction, User
from dashboard.extensions import db
from harness.dash_client import DashSite, Layout, key_of, nav_paths, parse_id
from tests.conftest import signed_client

UPDATE = "/_dash-update-component"
ME = "analyst@meridian.example"


def mark_foreign_household() -> dict:
    """Give another analyst's household unique names; its ids and those names."""
    tag = uuid.uuid4().hex[:10]
    names = {
        "household": f"LEAKHH{tag}",
        "account": f"LEAKACCT{tag}",
        "transaction": f"LEAKTXN{tag}",
        "goal": f"LEAKGOAL{tag}",
        "thread": f"LEAKTHREAD{tag}",
        "note": f"LEAKNOTE{tag}",
    }
    with db.session() as session:
        me = session.scalar(select(User).where(User.email == ME))
        household = session.scalars(
            select(Household).where(Household.analyst_id != me.id).order_by(Household.id)
        ).first()
        household.name = names["household"]
        account = session.scalars(select(Account).where(Account.household_id == household.id)).first()
        account.name = names["account"]
        txn = session.scalars(select(Transaction).where(Transaction.account_id == account.id)).first()
        txn.description = names["transaction"]
        goal = session.scalars(select(Goal).where(Goal.household_id == household.id)).first()
        goal.name = names["goal"]
        thread = session.scalars(select(Thread).where(Thread.household_id == household.id)).first()
        thread.title = names["thread"]
        item = ThreadItem(
            thread_id=thread.id,
            created_by=household.analyst_id,
            page="mc",
            params=f"?household={household.id}&seed=1",
            seed=1,
            summary=json.dumps({"probability_of_success": 0.5}),
            note=names["note"],
        )
        session.add(item)
        session.flush()
        ids = {
            "household": household.id,
            "account": account.id,
            "goal": goal.id,
            "thread": thread.id,
            "run": item.id,
        }
    from dashboard.services.households import household_changed

    household_changed(ids["household"])
    return {"ids": ids, "names": names}


def database_digest() -> str:
    """Every row of every table, hashed: equal digests mean nothing was written (but the audit trail,
    which records every refused attempt and every household opened: it is meant to grow)."""
    digest = hashlib.sha256()
    with db.engine.connect() as conn:
        for table in sorted(set(Base.metadata.tables) - {"audit_events"}):
            digest.update(table.encode())
            for row in conn.execute(text(f'SELECT * FROM "{table}" ORDER BY 1')):
                digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


def page_layouts(client, site: DashSite, shell) -> list:
    router = site.router()
    trees = []
    for path in nav_paths(shell):
        body = site.body(
            router,
            Layout(),
            {"_pages_location.pathname": path, "_pages_location.search": ""},
            ["_pages_location.pathname"],
        )
        answer = client.post(UPDATE, json=body).get_json()["response"]
        trees.append(answer["_pages_content"]["children"])
    return trees


def foreign_values(ids: dict, page_keys: list[str]) -> dict:
    """Every input a caller controls, set to the other analyst's ids."""
    household, csv = ids["household"], "date,description,amount\n2018-04-02,Coffee,-4.5\n"
    values = {
        "shell-household-select.value": household,
        "shell-url.search": f"?household={household}",
        "overview-import-account.value": ids["account"],
        "overview-transactions-account.value": ids["account"],
        "overview-import-upload.contents": "data:text/csv;base64," + base64.b64encode(csv.encode()).decode(),
        "overview-import-upload.filename": "s.csv",
        "overview-transactions.getRowsRequest": {"startRow": 0, "endRow": 100},
        "goals-selected.data": ids["goal"],
        "goals-solve-goal.value": ids["goal"],
        "mc-job.data": {"household": household, "form": {}, "run": "walk"},
        "opt-frontier.clickData": {"points": [{"customdata": 1}]},
    }
    for key in page_keys:
        values[key_of({"page": key, "type": "thread-scenario"}) + ".data"] = f"?household={household}"
        values[key_of({"page": key, "type": "thread-select"}) + ".value"] = ids["thread"]
        values[key_of({"page": key, "type": "thread-title"}) + ".value"] = "walk"
    return values


def foreign_components(ids: dict) -> list[dict]:
    """Pattern-matching components as if they held the other analyst's goal, thread and run."""

    def button(component_id):
        return {"type": "Button", "namespace": "walk", "props": {"id": component_id, "n_clicks": 1}}

    return [
        button({"type": "goals-edit", "index": ids["goal"]}),
        button({"type": "threads-delete-run", "index": ids["run"]}),
        button({"type": "threads-delete-thread", "index": ids["thread"]}),
        {
            "type": "Checkbox",
            "namespace": "walk",
            "props": {"id": {"type": "threads-pick", "index": ids["run"]}, "value": True},
        },
    ]


def test_sec001_no_callback_or_route_gives_away_another_analysts_data(app):
    foreign = mark_foreign_household()
    names = list(foreign["names"].values())
    client = signed_client(app)
    deps = client.get("/_dash-dependencies").get_json()
    background = {d["output"] for d in deps if d.get("background")}
    site = DashSite(deps)
    shell = client.get("/_dash-layout").get_json()
    layout = Layout.of(shell, *page_layouts(client, site, shell), *foreign_components(foreign["ids"]))
    page_keys = sorted(
        {cid["page"] for cid in layout.ids.values() if isinstance(cid, dict) and "page" in cid}
    )
    values = foreign_values(foreign["ids"], page_keys)
    before = database_digest()
    leaks, faults, calls = [], [], 0
    statuses: dict[int, int] = {}
    refusals = 0
    for callback in site.callbacks:
        if callback.output in background:
            continue  # started as a job; its function is called directly below
        matches = [{"page": key} for key in page_keys] if "MATCH" in json.dumps(callback.inputs) else [None]
        for match in matches:
            for spec in callback.inputs:
                fired = f"{spec['id']}.{spec['property']}"
                if spec["id"].startswith("{"):
                    concrete = parse_id(spec["id"])
                    concrete = {
                        k: (match or {}).get(k, v) if v == "MATCH" else v for k, v in concrete.items()
                    }
                    fired = f"{key_of(concrete)}.{spec['property']}"
                body = site.body(callback, layout, values, [fired], match)
                response = client.post(UPDATE, json=body)
                calls += 1
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                answer = response.get_data()
                refusals += b"not one of your households" in answer
                if response.status_code >= 500:
                    faults.append((callback.output, fired, response.status_code, answer[:200]))
                leaks += [(callback.output, fired, name) for name in names if name.encode() in answer]
    # routes: every GET rule without arguments, with the other household in the query
    for rule in app.server.url_map.iter_rules():
        if "GET" not in rule.methods or rule.arguments or rule.rule.startswith("/static"):
            continue
        if rule.rule == "/logout":
            continue  # signing out writes (a new session epoch), and is the caller's own business
        response = client.get(f"{rule.rule}?household={foreign['ids']['household']}")
        calls += 1
        answer = response.get_data()
        if response.status_code >= 500:
            faults.append((rule.rule, "GET", response.status_code, answer[:200]))
        leaks += [(rule.rule, "GET", name) for name in names if name.encode() in answer]
    # the background job, called as its worker would, with a tampered household
    from callbacks import monte_carlo as mc_cb

    with app.server.test_request_context():
        _, refused, *_ = mc_cb.run_simulation_background(lambda _p: None, values["mc-job.data"])
    assert "not started by you for this household" in json.dumps(refused, default=str)
    assert not faults, faults
    assert not leaks, leaks
    assert database_digest() == before, "a call with another analyst's ids changed the database"
    # the walk reached the callbacks (requests well formed: not refused by the request check), and the
    # callbacks refused the other household in their own words
    served = statuses.get(200, 0) + statuses.get(204, 0)
    print(f"isolation walk: {calls} calls, statuses {statuses}, {refusals} refusals")
    assert served >= 0.9 * sum(statuses.values()), statuses
    assert refusals >= 20, (refusals, statuses)
    assert calls > 80
