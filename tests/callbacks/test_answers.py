"""A run asked for again is answered with the response sent the first time (dashboard/answers.py), over
HTTP as the browser asks: only for the same run on the same data, only to a user allowed to see it."""

from __future__ import annotations

import copy
import datetime as dt
import gzip
import json

import brotli
import dash
import pytest

from dashboard.extensions import cache
from dashboard.forms.fields import parse_search
from dashboard.services import assumptions as firm
from dashboard.services.households import household_changed
from harness.dash_client import DashSite, Layout, field
from tests.callbacks.test_pages import cache_counts, households
from tests.conftest import signed_client
from tests.dashboard.test_assumptions import TWO_CLASSES
from tests.reliability.test_cache import store_trips

UPDATE = "/_dash-update-component"
ADMIN = "admin@meridian.example"
# page -> (path, the run callback's results output)
RUNS = {
    "risk": ("/risk", "risk-results.children"),
    "mc": ("/monte-carlo", "mc-results.children"),
    "opt": ("/optimisation", "opt-frontier.figure"),
    "goalsim": ("/goals", "goals-content.children"),  # the goals page's simulation form (its frame: goals)
}
FRAME_OF = {"goalsim": "goals"}


class Runner:
    """Run requests of one page as its run button sends them, with the signed-in ``client``."""

    def __init__(self, app, client, page: str):
        self.app, self.client, self.page = app, client, page
        path, self.output = RUNS[page]
        self.site = DashSite(client.get("/_dash-dependencies").get_json())
        routed = client.post(UPDATE, json=self.site.page_body(path)).get_json()
        self.layout = Layout.of(
            client.get("/_dash-layout").get_json(), routed["response"]["_pages_content"]["children"]
        )
        self.clicks = 0

    def body(self, household: int, trigger: str = "run", **fields) -> dict:
        self.clicks += 1
        frame = FRAME_OF.get(self.page, self.page)
        changed = {"shell-household-select.value": household, f"{frame}-{trigger}.n_clicks": self.clicks}
        changed.update({field(self.page, name): value for name, value in fields.items()})
        return self.site.body(
            self.site.callback(self.output), self.layout, changed, [f"{frame}-{trigger}.n_clicks"]
        )

    def post(self, body: dict, encodings: str = "br, gzip", client=None):
        headers = {"Content-Type": "application/json", "Accept-Encoding": encodings}
        return (client or self.client).post(UPDATE, data=json.dumps(body), headers=headers)

    def counts(self, operation: str) -> dict:
        with self.app.server.app_context():
            return cache_counts(operation)


def _json(response) -> dict:
    data = response.data
    encoding = response.headers.get("Content-Encoding")
    if encoding == "br":
        data = brotli.decompress(data)
    elif encoding == "gzip":
        data = gzip.decompress(data)
    return json.loads(data)


def _moved(before: dict, after: dict, name: str) -> int:
    return after.get(name, 0) - before.get(name, 0)


@pytest.fixture
def risk(app):
    return Runner(app, signed_client(app), "risk")


def test_ans001_a_run_asked_again_is_answered_with_the_bytes_sent_before(risk):
    household = households()[0][0].id
    first = risk.post(risk.body(household))
    assert first.status_code == 200 and first.headers["Content-Encoding"] == "br"
    answers, rendered = risk.counts("answer"), risk.counts("rendered")
    again = risk.post(risk.body(household))  # Run clicked again: another n_clicks, the same run
    assert again.status_code == 200 and again.data == first.data
    assert again.headers["Content-Encoding"] == "br" and "Accept-Encoding" in again.headers["Vary"]
    assert _moved(answers, risk.counts("answer"), "hits") == 1
    assert risk.counts("rendered") == rendered  # the panel was not even looked up
    # what the browser reads is the run's results (decoded from the kept bytes)
    shown = _json(again)["response"]
    assert "risk-results" in shown and parse_search(shown["risk-url"]["search"])["household"] == str(
        household
    )
    # the household chosen in the navbar (not the Run button) asks for the same run: the same answer
    chosen = risk.body(household)
    chosen["changedPropIds"] = ["shell-household-select.value"]
    assert risk.post(chosen).data == first.data


def test_ans002_another_form_another_household_or_encoding_is_not_that_answer(risk):
    mine = households()[0]
    first = risk.post(risk.body(mine[0].id))
    other_form = risk.post(risk.body(mine[0].id, seed=7))
    other_household = risk.post(risk.body(mine[1].id))
    assert len({first.data, other_form.data, other_household.data}) == 3
    assert parse_search(_json(other_form)["response"]["risk-url"]["search"])["seed"] == "7"
    plain = risk.post(risk.body(mine[0].id), encodings="gzip")
    assert plain.headers["Content-Encoding"] == "gzip" and _json(plain) == _json(first)
    identity = risk.post(risk.body(mine[0].id), encodings="")
    assert "Content-Encoding" not in identity.headers and json.loads(identity.data) == _json(first)


def test_ans003_only_a_user_allowed_to_see_the_household_is_answered(app, risk):
    theirs = households()[1]  # another analyst's household: the admin may see it, the analyst not
    admin = Runner(app, signed_client(app, ADMIN), "risk")
    computed = admin.post(admin.body(theirs.id))
    body = admin.body(theirs.id)
    assert admin.post(body).data == computed.data  # kept, and answered again to the admin
    refused = risk.post(copy.deepcopy(body))  # the very same request from the analyst
    assert refused.status_code == 200 and refused.data != computed.data
    answer = json.dumps(_json(refused))
    assert "is not one of your households" in answer and theirs.name not in answer


def test_ans004_a_change_to_the_households_data_computes_the_run_again(app, risk):
    household = households()[0][0].id
    risk.post(risk.body(household))
    with app.server.app_context():
        household_changed(household)
    rendered, answers = risk.counts("rendered"), risk.counts("answer")
    again = risk.post(risk.body(household))
    assert again.status_code == 200
    assert _moved(rendered, risk.counts("rendered"), "computes") == 1  # rendered anew from the new data
    assert _moved(answers, risk.counts("answer"), "hits") == 0


def test_ans005_recompute_is_never_answered_from_what_was_kept(risk):
    household = households()[0][0].id
    risk.post(risk.body(household))
    rendered = risk.counts("rendered")
    risk.post(risk.body(household, trigger="recompute"))
    assert _moved(rendered, risk.counts("rendered"), "refreshes") == 1


def test_ans006_a_newer_set_of_assumptions_is_not_answered_with_the_older_ones_run(app):
    mc = Runner(app, signed_client(app), "mc")
    household = households()[0][0].id
    first = _json(mc.post(mc.body(household)))["response"]
    before = parse_search(first["mc-url"]["search"])["assumptions"]
    with app.server.app_context():
        from dashboard.forms import assumptions as csv_format

        new = firm.create(csv_format.parse(TWO_CLASSES), "cautious.csv", "test")
    again = _json(mc.post(mc.body(household)))["response"]
    assert parse_search(again["mc-url"]["search"])["assumptions"] == str(new.id) != before


def test_ans007_a_broken_request_is_refused_even_when_it_names_a_kept_run(risk):
    household = households()[0][0].id
    body = risk.body(household)
    risk.post(body)
    broken = copy.deepcopy(body)
    broken["state"] = broken["state"][:1]  # the field ids left out
    refused = risk.post(broken)
    assert refused.status_code == 400 and "do not match" in refused.get_json()["error"]
    stranger = risk.post(body, client=risk.app.server.test_client())  # signed out
    assert stranger.status_code == 401


def test_ans008_a_run_that_fails_after_showing_its_panel_is_not_kept(risk, monkeypatch):
    from dashboard.forms.fields import Form

    household = households()[0][0].id
    body = risk.body(household)

    def broken(self, raw, household_id):
        raise RuntimeError("the address could not be written")

    with monkeypatch.context() as patch:
        patch.setattr(Form, "to_query", broken)  # after the panel was shown: the run fails all the same
        failed = risk.post(body)
    assert failed.status_code == 200 and "risk-var" not in json.dumps(_json(failed)["response"])
    answers = risk.counts("answer")
    again = risk.post(risk.body(household))
    assert _moved(answers, risk.counts("answer"), "hits") == 0  # not answered with the failure
    assert "risk-var" in json.dumps(_json(again)["response"])  # the results this time
    assert risk.post(risk.body(household)).data == again.data  # the run that worked is kept


@pytest.mark.parametrize("page", ["risk", "mc"])
def test_ans009_a_run_answered_again_reads_the_shared_cache_once(app, page, monkeypatch):
    """What the sign-in check (the user) and the keyer (the household's authorisation, the sets of
    assumptions of a page that pins them) read is read ahead in one round trip (dashboard/answers.py,
    ``read_ahead``); the kept answer itself is in the worker's memory."""
    runner = Runner(app, signed_client(app), page)
    household = households()[0][0].id
    first = runner.post(runner.body(household))
    store = app.server.extensions[cache.key]._store
    trips = store_trips(store, ("get", "get_many", "set"), monkeypatch)
    answers = runner.counts("answer")
    again = runner.post(runner.body(household))
    assert again.data == first.data and _moved(answers, runner.counts("answer"), "hits") == 1
    assert trips == ["get_many"], trips
    # read ahead or not, a user signed out since is refused (one not allowed the household: ans003)
    cookie = runner.client.get_cookie("meridian_session").value
    runner.client.post("/logout", data={"csrf": runner.client.get_cookie("_csrf_token").value})
    copied = app.server.test_client()
    copied.set_cookie("meridian_session", cookie)
    assert runner.post(runner.body(household), client=copied).status_code == 401


def test_ans010_a_goal_saved_keeps_the_answers_of_pages_that_do_not_read_goals(app):
    """A page's answer is keyed by the versions of the household's data it reads (what its panel is kept
    under): a goal saved (the goals' version) leaves the Risk page's answer, not the goals page's."""
    client = signed_client(app)
    risk, goals = Runner(app, client, "risk"), Runner(app, client, "goalsim")
    household = households()[0][0].id
    kept_risk, kept_goals = risk.post(risk.body(household)), goals.post(goals.body(household))
    assert kept_risk.status_code == kept_goals.status_code == 200
    with app.server.app_context():
        household_changed(household, goals_only=True)  # what saving, editing or deleting a goal does
    answers, rendered = risk.counts("answer"), goals.counts("rendered")
    assert risk.post(risk.body(household)).data == kept_risk.data
    assert _moved(answers, risk.counts("answer"), "hits") == 1  # the Risk page's answer, still right
    goals.post(goals.body(household))
    assert _moved(answers, goals.counts("answer"), "hits") == 1  # no more: the goals page ran again
    assert _moved(rendered, goals.counts("rendered"), "computes") == 1  # on the goals as they are now


# -- page layouts (dashboard/answers.py, KeptLayouts) ----------------------------------------------------


def _page(path: str) -> dict:
    return next(page for page in dash.page_registry.values() if page["path"] == path)


def _drawn(monkeypatch, page: dict) -> list:
    """Each time Dash's router draws ``page``'s layout, from now on (its query)."""
    calls, layout = [], page["layout"]

    def counted(**query):
        calls.append(query)
        return layout(**query)

    monkeypatch.setitem(page, "layout", counted)
    return calls


def _route(client, site: DashSite, path: str, search: str = "", encodings: str = "br, gzip"):
    headers = {"Content-Type": "application/json", "Accept-Encoding": encodings}
    return client.post(UPDATE, data=json.dumps(site.page_body(path, search)), headers=headers)


def test_ans011_a_page_asked_again_is_answered_with_the_layout_sent_before(app, monkeypatch):
    client = signed_client(app)
    site = DashSite(client.get("/_dash-dependencies").get_json())
    drawn = _drawn(monkeypatch, _page("/risk"))
    first = _route(client, site, "/risk")
    assert first.status_code == 200 and first.headers["Content-Encoding"] == "br" and len(drawn) == 1
    again = _route(client, site, "/risk")
    assert again.status_code == 200 and again.data == first.data and len(drawn) == 1  # not drawn again
    assert "Accept-Encoding" in again.headers["Vary"]
    shown = _json(again)["response"]
    assert shown["_pages_store"]["data"]["title"] == "Risk · Meridian"
    assert '"risk-run"' in json.dumps(shown["_pages_content"])
    # another address, another encoding: drawn for it
    seeded = _route(client, site, "/risk", "?seed=7")
    assert len(drawn) == 2 and drawn[-1]["seed"] == "7" and seeded.data != first.data
    plain = _route(client, site, "/risk", encodings="gzip")
    assert len(drawn) == 3 and plain.headers["Content-Encoding"] == "gzip" and _json(plain) == _json(first)
    assert _route(client, site, "/risk", "?seed=7").data == seeded.data and len(drawn) == 3
    # signed out, the same request is refused, kept or not
    cookie = client.get_cookie("meridian_session").value
    client.post("/logout", data={"csrf": client.get_cookie("_csrf_token").value})
    copied = app.server.test_client()
    copied.set_cookie("meridian_session", cookie)
    assert _route(copied, site, "/risk").status_code == 401


def test_ans012_a_page_drawn_with_live_data_is_never_answered_again(app, monkeypatch):
    """The Operations page opens with the metrics of the moment, for administrators only: drawn for each
    request (``MeridianDash.view``), never sent to another user."""
    admin, analyst = signed_client(app, ADMIN), signed_client(app)
    site = DashSite(admin.get("/_dash-dependencies").get_json())
    drawn = _drawn(monkeypatch, _page("/operations"))
    views = []
    first_view = app.views["/operations"]
    monkeypatch.setitem(app.views, "/operations", lambda: views.append(1) or first_view())
    seen = [_route(admin, site, "/operations") for _ in range(2)]
    assert len(drawn) == 2 and len(views) == 2
    assert all("perf-summary" in json.dumps(_json(r)["response"]) for r in seen)
    refused = json.dumps(_json(_route(analyst, site, "/operations"))["response"])
    assert len(drawn) == 3 and "is for administrators" in refused and "perf-summary" not in refused


def test_ans013_a_security_imported_is_offered_by_the_next_layout(app, monkeypatch):
    """The forms offer the catalogue's securities: a price import that adds one (a new market version)
    draws the page again."""
    from dashboard.services import prices

    client = signed_client(app)
    site = DashSite(client.get("/_dash-dependencies").get_json())
    drawn = _drawn(monkeypatch, _page("/optimisation"))
    before = _route(client, site, "/optimisation")
    assert _route(client, site, "/optimisation").data == before.data and len(drawn) == 1
    assert "NEWCO" not in json.dumps(_json(before))
    prices.import_prices(
        prices.parse_price_file("date,ticker,close\n2018-04-12,NEWCO,10\n"), "new.csv", "test"
    )
    after = _route(client, site, "/optimisation")
    assert len(drawn) == 2 and "NEWCO" in json.dumps(_json(after)["response"]["_pages_content"])


# -- blocks of the Overview's transactions grid (callbacks/overview.py, GRID_ANSWERS) --------------------


class Grid:
    """Block requests of the Overview's transactions grid, as AG Grid's row model sends them."""

    OUTPUT = "overview-transactions.getRowsResponse"

    def __init__(self, app, client):
        self.app, self.client = app, client
        self.site = DashSite(client.get("/_dash-dependencies").get_json())
        routed = client.post(UPDATE, json=self.site.page_body("/")).get_json()
        self.layout = Layout.of(
            client.get("/_dash-layout").get_json(), routed["response"]["_pages_content"]["children"]
        )

    def body(self, household: int, account="all", **request) -> dict:
        changed = {
            "overview-transactions.getRowsRequest": {"startRow": 0, "endRow": 50, **request},
            "overview-transactions-account.value": account,
            "shell-household-select.value": household,
        }
        site = self.site
        return site.body(
            site.callback(self.OUTPUT), self.layout, changed, ["overview-transactions.getRowsRequest"]
        )

    def post(self, body: dict, client=None):
        headers = {"Content-Type": "application/json", "Accept-Encoding": "br, gzip"}
        return (client or self.client).post(UPDATE, data=json.dumps(body), headers=headers)

    def counts(self, operation: str) -> dict:
        with self.app.server.app_context():
            return cache_counts(operation)


def _block(response) -> dict:
    return _json(response)["response"]["overview-transactions"]["getRowsResponse"]


def test_ans014_a_block_of_transactions_asked_again_is_answered_with_the_bytes_sent_before(app):
    from sqlalchemy import func, select

    from dashboard.data.models import Transaction
    from dashboard.extensions import db

    grid = Grid(app, signed_client(app))
    household = households()[0][0].id
    accounts = _accounts_of(app, household)
    with app.server.app_context(), db.session() as session:
        mine = select(Transaction).where(Transaction.account_id.in_(accounts)).subquery()
        total, latest = session.execute(select(func.count(), func.max(mine.c.date))).one()
    first = grid.post(grid.body(household))
    block = _block(first)
    assert first.status_code == 200 and block["rowCount"] == total and len(block["rowData"]) == min(50, total)
    answers, counted = grid.counts("answer"), grid.counts("grid")
    again = grid.post(grid.body(household))
    assert again.status_code == 200 and again.data == first.data
    assert _moved(answers, grid.counts("answer"), "hits") == 1
    assert grid.counts("grid") == counted  # the callback did not run: not even the count was looked up
    # another block, order, account or household: answered for itself
    others = [
        grid.body(household, startRow=10, endRow=60),
        grid.body(household, sortModel=[{"colId": "amount", "sort": "asc"}]),
        grid.body(household, account=str(accounts[0])),
        grid.body(households()[0][1].id),
    ]
    shown = [_block(grid.post(body)) for body in others]
    assert shown[0]["rowData"][0] == block["rowData"][10]
    amounts = [row["amount"] for row in shown[1]["rowData"]]
    assert amounts == sorted(amounts) and shown[1]["rowData"] != block["rowData"]
    assert shown[2]["rowCount"] < total and shown[3]["rowData"] != block["rowData"]
    # an import (a new version of the household's data) is in the next block asked for
    text = (
        f"date,description,amount,transaction_id\n{latest + dt.timedelta(days=1)},A late refund,12.5,ans014\n"
    )
    with app.server.app_context():
        from dashboard.services.imports import import_statement

        result = import_statement(households()[0][0], accounts[0], "transactions", text, "late.csv")
    assert result.ok, result.errors
    answers = grid.counts("answer")
    after = _block(grid.post(grid.body(household, sortModel=[{"colId": "date", "sort": "desc"}])))
    newest = _block(grid.post(grid.body(household)))
    assert newest["rowCount"] == total + 1 and after["rowData"][0]["description"] == "A late refund"
    assert _moved(answers, grid.counts("answer"), "hits") == 0


def test_ans015_a_block_is_answered_only_to_a_user_allowed_the_household_and_never_a_refusal(app):
    theirs = households()[1]  # another analyst's household: the admin may see it, the analyst not
    admin, analyst = Grid(app, signed_client(app, ADMIN)), Grid(app, signed_client(app))
    body = admin.body(theirs.id)
    computed = admin.post(body)
    assert admin.post(copy.deepcopy(body)).data == computed.data  # kept, and answered again to the admin
    refused = analyst.post(copy.deepcopy(body))  # the very same request from the analyst
    answer = json.dumps(_json(refused))
    assert refused.status_code == 200 and "is not one of your households" in answer
    assert "rowData" not in answer
    # an account of another household, named in a request for the analyst's own: refused, every time
    mine = households()[0][0].id
    foreign = analyst.body(mine, account=str(_accounts_of(app, theirs.id)[0]))
    answers = analyst.counts("answer")
    for _ in range(2):
        shown = json.dumps(_json(analyst.post(copy.deepcopy(foreign))))
        assert "not one of this household's accounts" in shown and "rowData" not in shown
    assert _moved(answers, analyst.counts("answer"), "hits") == 0


def _accounts_of(app, household: int) -> list[int]:
    from sqlalchemy import select

    from dashboard.data.models import Account
    from dashboard.extensions import db

    with app.server.app_context(), db.session() as session:
        return list(session.scalars(select(Account.id).where(Account.household_id == household)))
