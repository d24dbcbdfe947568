"""Load on the callback endpoints, as analysts make it (``make load``; a short run is part of ``make test``).

Every request body is built from the app itself (``dash_client``: ``/_dash-dependencies`` and each
page's layout from Dash's router), never hand-copied. Two profiles:

- ``AnalystUser``: think time of 2-8 s between actions, households and scenarios drawn from a
  Zipf-like mix (most analysts look at the defaults and a few favourite variants; some explore), so
  the cache sees a realistic share of repeats;
- ``StressTestUser``: the same mix without think time.

Every response is checked (``catch_response``): a 200 that carries an error alert, or lacks the
outputs the action is for, is a failure. Requests slower than ``SLOW_MS`` are logged with a summary of
their payload. Thresholds (``--p95-ms``, ``--max-failure-ratio``) decide the exit code.
"""

from __future__ import annotations

import json
import logging
import os
import random
import re
import threading
import time
from urllib.parse import urlencode

import orjson
from locust import FastHttpUser, between, constant, events, task

from harness.dash_client import (
    TRY_AGAIN,
    Callback,
    DashSite,
    Layout,
    alerts_in,
    answer_alerts,
    field,
    nav_paths,
    sign_in_through_form,
)

log = logging.getLogger("meridian.load")

UPDATE = "/_dash-update-component"
SLOW_MS = 1000.0
# Told that many people are signing in, the sign-in page tries again by itself for about a minute
# (assets/sign-in/sign-in.js: every 2 s, 30 times); these users do the same (pauses of 1, 2, 3, then 4 s):
# in a rush beyond what the machine's password checks take at once, sign-ins wait their turn so.
SIGN_IN_TRIES = 16
SIGN_INS: list[tuple[float, int, bool]] = []  # each sign-in conversation: seconds, tries, signed in
ZIPF_S = 1.2
# Scenario variants per analysis page, most asked first (index 0: the page's defaults).
VARIANTS = {
    "risk": [{}] + [{"seed": s} for s in range(1, 12)] + [{"start": "2015-01-02"}, {"risk_free_rate": 3.0}],
    "div": [{}, {"start": "2015-01-02"}, {"start": "2016-01-04"}, {"start": "2010-01-04"}],
    "opt": [{}, {"objective": "min_volatility"}, {"risk_model": "sample"}, {"objective": "hrp"}]
    + [{"max_weight": w} for w in (20, 25, 30, 40)]
    + [{"objective": "efficient_risk", "target_volatility": v} for v in (18, 20, 22)],
    "mc": [{"paths": 5000}]
    + [{"paths": 5000, "seed": s} for s in range(1, 10)]
    + [{"paths": 5000, "years": 20}],
    "ret": [{"paths": 2000}]
    + [{"paths": 2000, "seed": s} for s in range(1, 8)]
    + [{"paths": 2000, "retirement_age": 67}],
    "tax": [{}, {"short_term_rate": 32.0}, {"long_term_rate": 15.0}, {"min_loss": 500.0}],
    "goalsim": [{"paths": 2000}] + [{"paths": 2000, "seed": s} for s in range(1, 6)],
}
RUN_OUTPUT = {
    "risk": "risk-results.children",
    "div": "div-results.children",
    "ret": "ret-results.children",
    "tax": "tax-results.children",
    "mc": "mc-results.children",
    "opt": "opt-frontier.figure",
    "goalsim": "goals-content.children",
}
PAGE_OF = {
    "risk": "/risk",
    "div": "/diversification",
    "ret": "/retirement",
    "tax": "/tax",
    "mc": "/monte-carlo",
    "opt": "/optimisation",
    "goalsim": "/goals",
}
FRAME_OF = {"goalsim": "goals"}


def on_screen(form: str) -> str:
    """The override key of a page's store of the scenario on screen (``ids.thread_save("scenario")``)."""
    return (
        json.dumps({"page": form, "type": "thread-scenario"}, separators=(",", ":"), sort_keys=True) + ".data"
    )


# the form key differs from the frame's prefix on the Goals page


def zipf(n: int, s: float = ZIPF_S) -> int:
    """An index in [0, n): 0 most often, then ever rarer."""
    weights = [1.0 / (i + 1) ** s for i in range(n)]
    return random.choices(range(n), weights)[0]


class Site:
    """What every simulated browser shares (per locust process): the callbacks, page layouts, households."""

    lock = threading.Lock()
    site: DashSite | None = None
    shell: dict | None = None
    layouts: dict[str, dict] = {}
    pages: list[str] = []  # the navigation bar's links
    households: list[int] = []
    end_id: str | None = None
    views: dict[str | None, Layout] = {}  # each page's layout with the shell's, read once (never changed)


# The simulated browsers share the machine with the server: what they do per request is kept light
# (JSON through orjson, each page's layout and each callback looked up once), so that what is measured
# is the server's work.


def _json(response) -> dict:
    try:
        return orjson.loads(response.content or b"")
    except orjson.JSONDecodeError:
        return {}


class MeridianUser(FastHttpUser):
    abstract = True
    hot = False  # HotUser: only results already computed

    # -- set-up, once per process -----------------------------------------------------------------

    def on_start(self):
        self.household = None
        self.sign_in()
        with Site.lock:
            if Site.site is None:
                html = self.client.get("/", name="page: index").text
                found = re.search(r'<script id="_dash-config" type="application/json">(.*?)</script>', html)
                Site.end_id = json.loads(found.group(1)).get("end_id") if found else None
                Site.site = DashSite(self.client.get("/_dash-dependencies", name="page: dependencies").json())
                Site.shell = self.client.get("/_dash-layout", name="page: layout").json()
                Site.pages = nav_paths(Site.shell)
                for path in Site.pages:
                    Site.layouts[path] = self._route(path)
                options = self._call(
                    "shell: household",
                    ["shell-household-select.value"],
                    self.layout(None),
                    {"shell-url.search": ""},
                    ["shell-url.search"],
                )["shell-household-select"]["options"]
                Site.households = [o["value"] for o in options]
        self.household = Site.households[zipf(len(Site.households), 1.0)]

    def sign_in(self):
        """Through the sign-in form, as an analyst does (LOAD_EMAIL / LOAD_PASSWORD; the demo analyst)."""
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        started, answers = time.perf_counter(), []

        def post(form: dict):
            with self.client.post(
                "/login",
                data=urlencode(form),
                headers=headers,
                name="sign-in",
                catch_response=True,
                allow_redirects=False,
            ) as response:
                text = response.text or ""
                if TRY_AGAIN in text:
                    response.success()  # the page says to try again in a moment: a person would
                elif response.status_code != 302:
                    response.failure(f"sign-in refused: HTTP {response.status_code}")
                answers.append(response.status_code)
                return text, response

        sign_in_through_form(
            lambda: self.client.get("/login", name="sign-in: page").text,
            post,
            os.environ.get("LOAD_EMAIL", "analyst@meridian.example"),
            os.environ.get("LOAD_PASSWORD", "meridian-demo"),
            tries=SIGN_IN_TRIES,
        )
        SIGN_INS.append((time.perf_counter() - started, len(answers), answers[-1:] == [302]))
        # what Dash's renderer sends with every callback: the session's token, handed out as a cookie
        self.client.get("/login", name="sign-in: token")
        token = next((c.value for c in self.client.cookiejar if c.name == "_csrf_token"), "")
        self.csrf = {"X-CSRFToken": token}
        self.posting = {**self.csrf, "Content-Type": "application/json"}

    def _route(self, path: str) -> dict:
        body = Site.site.page_body(path)
        with self.client.post(
            UPDATE, data=orjson.dumps(body), name=f"page: {path}", catch_response=True, headers=self.posting
        ) as response:
            content = _json(response).get("response", {}).get("_pages_content", {}).get("children")
            if content is None:
                response.failure(f"no layout for {path}")
                return {}
            return content

    def layout(self, path: str | None) -> Layout:
        """The page at ``path`` with the shell around it (``None``: the shell alone)."""
        if path not in Site.views:
            Site.views[path] = Layout.of(Site.shell, *([Site.layouts[path]] if path else []))
        return Site.views[path]

    # -- one callback, checked --------------------------------------------------------------------

    def _call(
        self, name, outputs, layout, changed, fired, expect=None, params=None, allow_empty=False, match=None
    ):
        """Post the callback that outputs ``outputs`` (or ``outputs`` itself, a Callback); its response
        (component id -> props), or {} on failure."""
        callback = outputs if isinstance(outputs, Callback) else Site.site.callback(*outputs)
        body = Site.site.body(
            callback, layout, {"shell-household-select.value": self.household, **changed}, fired, match
        )
        query = {"endId": Site.end_id} if Site.end_id else {}
        query.update(params or {})
        started = time.perf_counter()
        with self.client.post(
            UPDATE,
            data=orjson.dumps(body),
            params=query,
            name=name,
            catch_response=True,
            headers=self.posting,
        ) as response:
            elapsed = (time.perf_counter() - started) * 1000
            if elapsed > SLOW_MS:
                log.warning("slow %s: %.0f ms; changed %s", name, elapsed, json.dumps(changed)[:300])
            if response.status_code == 204 and allow_empty:
                response.success()
                return {}
            if response.status_code != 200:
                # status 0: no answer at all (the connection failed): the error says how
                said = (response.text or "")[:200] or repr(getattr(response, "error", None))
                response.failure(f"HTTP {response.status_code}: {said}")
                return {}
            payload = _json(response)
            if "response" not in payload:
                if "cacheKey" in payload or "progress" in payload:  # a background job's handle or progress
                    response.success()
                    return payload
                response.failure("no response in the answer")
                return {}
            answer = payload["response"]
            problems = answer_alerts(response.content, payload)
            if problems:
                response.failure(f"alert on the page: {problems[0][:200]}")
                return {}
            for component in expect or []:
                if component not in answer:
                    response.failure(f"{component} missing from the answer")
                    return {}
            response.success()
            return answer

    @staticmethod
    def shown(answer: dict, form: str):
        """The scenario a run answered with: what its page now shows."""
        return (answer or {}).get(on_screen(form)[: -len(".data")], {}).get("data")

    def run_page(self, form: str, name: str):
        variant = VARIANTS[form][0 if self.hot else zipf(len(VARIANTS[form]))]
        frame = FRAME_OF.get(form, form)
        changed = {field(form, k): v for k, v in variant.items()}
        changed[f"{frame}-run.n_clicks"] = 1
        output = RUN_OUTPUT[form]
        return self._call(
            name,
            [output],
            self.layout(PAGE_OF[form]),
            changed,
            [f"{frame}-run.n_clicks"],
            expect=[output.split(".")[0]],
        )

    # -- the tasks ----------------------------------------------------------------------------------

    @task(6)
    def page_load(self):
        path = random.choice(Site.pages)
        self.client.get(path, name="page: index")
        self._route(path)

    @task(3)
    def switch_household(self):
        self.household = Site.households[zipf(len(Site.households), 1.0)]
        self._call(
            "shell: switch household",
            ["shell-household-select.value"],
            self.layout(None),
            {"shell-url.search": f"?household={self.household}"},
            ["shell-household-select.value"],
            expect=["shell-household-select"],
        )

    @task(3)
    def overview(self):
        self._call(
            "overview: household",
            ["overview-content.children"],
            self.layout("/"),
            {"overview-version.data": 0},
            ["shell-household-select.value"],
            expect=["overview-content"],
        )

    @task(4)
    def risk(self):
        self.run_page("risk", "risk: run")

    @task(4)
    def optimisation(self):
        self.run_page("opt", "optimisation: run")

    @task(3)
    def frontier_click(self):
        """Optimise, then click a point of the frontier drawn (the click explains the run on screen)."""
        changed = {on_screen("opt"): self.shown(self.run_page("opt", "optimisation: run"), "opt")}
        changed["opt-frontier.clickData"] = {"points": [{"customdata": random.randrange(0, 40)}]}
        self._call(
            "optimisation: frontier click",
            Site.site.triggered_by("opt-frontier.clickData"),
            self.layout("/optimisation"),
            changed,
            ["opt-frontier.clickData"],
            expect=["opt-point"],
        )

    @task(4)
    def monte_carlo(self):
        self.run_page("mc", "monte carlo: run")

    @task(1)
    def monte_carlo_background(self):
        """A run large enough for a background job: started, then polled until its result arrives (unless
        the same run was made before, in which case the answer carries the result itself)."""
        changed = {
            field("mc", "paths"): 150_000,
            field("mc", "years"): 10,
            field("mc", "model"): "gbm",
            field("mc", "seed"): zipf(5),
            "mc-run.n_clicks": 1,
        }
        answer = self._call(
            "monte carlo: start background run",
            ["mc-results.children"],
            self.layout("/monte-carlo"),
            changed,
            ["mc-run.n_clicks"],
            # a job started leaves the last finished run on screen (results unchanged) and says so in
            # the alert slot; a run already made is shown at once (results, and the alert cleared)
            expect=["mc-alert"],
        )
        job = answer.get("mc-job", {}).get("data")
        if not job:
            return  # shown from the cache at once (or a failure, already counted)
        background = Site.site.triggered_by("mc-job.data")
        layout = self.layout("/monte-carlo")
        body = Site.site.body(background, layout, {"mc-job.data": job}, ["mc-job.data"])
        query = {"endId": Site.end_id} if Site.end_id else {}
        handle = self.client.post(
            UPDATE, json=body, params=query, name="monte carlo: background job", headers=self.csrf
        ).json()
        deadline = time.monotonic() + 120
        with self.client.post(
            UPDATE,
            json=body,
            params={**query, "cacheKey": handle.get("cacheKey"), "job": handle.get("job")},
            name="monte carlo: background poll",
            catch_response=True,
            headers=self.csrf,
        ) as response:
            payload, status = _json(response), response.status_code
            while "response" not in payload and status != 204 and time.monotonic() < deadline:
                time.sleep(0.5)
                polled = self.client.post(
                    UPDATE,
                    json=body,
                    params={**query, "cacheKey": handle.get("cacheKey"), "job": handle.get("job")},
                    name="monte carlo: background poll (progress)",
                    headers=self.csrf,
                )
                payload, status = _json(polled), polled.status_code
            if status == 204:
                response.failure("the background job ended without a result")
            elif "response" not in payload:
                response.failure("the background run did not finish within 120 s")
            elif alerts_in(payload["response"]):
                response.failure(alerts_in(payload["response"])[0][:200])
            else:
                response.success()

    @task(3)
    def diversification(self):
        self.run_page("div", "diversification: run")

    @task(3)
    def retirement(self):
        self.run_page("ret", "retirement: run")

    @task(3)
    def tax(self):
        self.run_page("tax", "tax: run")

    @task(2)
    def goals(self):
        self.run_page("goalsim", "goals: evaluate")

    @task(1)
    def goal_create_edit_delete(self):
        layout = self.layout("/goals")
        values = {
            "name": f"Load test goal {random.randrange(10**6)}",
            "target_amount": 50_000,
            "target_date": "2030-06-01",
            "priority": "important",
            "current_amount": 1_000,
            "monthly_contribution": 300,
        }
        changed = {field("goals", k): v for k, v in values.items()}
        created = self._call(
            "goals: create",
            ["goals-version.data"],
            layout,
            {**changed, "goals-save.n_clicks": 1},
            ["goals-save.n_clicks"],
            expect=["goals-selected"],
        )
        goal_id = created.get("goals-selected", {}).get("data")
        if not isinstance(goal_id, int):
            return
        self._call(
            "goals: edit",
            ["goals-version.data"],
            layout,
            {
                **changed,
                field("goals", "target_amount"): 60_000,
                "goals-selected.data": goal_id,
                "goals-save.n_clicks": 2,
            },
            ["goals-save.n_clicks"],
            expect=["goals-selected"],
        )
        self._call(
            "goals: delete",
            ["goals-version.data"],
            layout,
            {**changed, "goals-selected.data": goal_id, "goals-delete-confirm.submit_n_clicks": 1},
            ["goals-delete-confirm.submit_n_clicks"],
            expect=["goals-version"],
        )

    @task(1)
    def thread_save_and_open(self):
        ran = self.run_page("risk", "risk: run")
        scenario = (ran.get('{"page":"risk","type":"thread-scenario"}') or {}).get("data")
        if not scenario:
            return
        layout = self.layout("/risk")
        select = '{"page":"risk","type":"thread-select"}'
        options = self._call(
            "threads: options",
            Site.site.triggered_by('{"page":["MATCH"],"type":"thread-select"}.id'),
            layout,
            {},
            [f"{select}.id"],
            match={"page": "risk"},
            expect=[select],
        )
        choices = (options.get(select) or {}).get("options") or []
        if not choices:
            return
        save = '{"page":"risk","type":"thread-save"}'
        # an existing thread when there is one (the first choice, "", is a new thread: it needs a title)
        thread = next((c["value"] for c in choices if c["value"]), "")
        self._call(
            "threads: save run",
            Site.site.triggered_by('{"page":["MATCH"],"type":"thread-save"}.n_clicks'),
            layout,
            {
                '{"page":"risk","type":"thread-scenario"}.data': scenario,
                f"{select}.value": thread,
                '{"page":"risk","type":"thread-title"}.value': "Load test",
                '{"page":"risk","type":"thread-note"}.value': "load test",
                f"{save}.n_clicks": 1,
            },
            [f"{save}.n_clicks"],
            match={"page": "risk"},
            expect=['{"page":"risk","type":"thread-feedback"}'],
        )
        self._call(
            "threads: open",
            ["threads-list.children"],
            self.layout("/threads"),
            {"threads-version.data": 0},
            ["shell-household-select.value"],
            expect=["threads-list"],
        )

    @task(4)
    def transactions_grid(self):
        layout = self.layout("/")
        request = {"startRow": 50 * zipf(6), "endRow": 0}
        request["endRow"] = request["startRow"] + 50
        mode = random.random()
        if mode < 0.3:
            request["sortModel"] = [
                {
                    "colId": random.choice(["amount", "date", "category"]),
                    "sort": random.choice(["asc", "desc"]),
                }
            ]
        elif mode < 0.5:
            request["filterModel"] = {
                "category": {
                    "filterType": "text",
                    "type": "equals",
                    "filter": random.choice(["Groceries", "Dining", "Utilities"]),
                }
            }
        self._call(
            "overview: transactions block",
            ["overview-transactions.getRowsResponse"],
            layout,
            {"overview-transactions.getRowsRequest": request, "overview-transactions-account.value": "all"},
            ["overview-transactions.getRowsRequest"],
            expect=["overview-transactions"],
        )

    @task(2)
    def csv_download(self):
        """Run a page, then download what it shows (a download exports the results on screen)."""
        form = random.choice(["risk", "tax", "div"])
        frame = form
        scenario = self.shown(self.run_page(form, f"{form}: run"), form)
        answer = self._call(
            f"{form}: download CSV",
            [f"{frame}-download.data"],
            self.layout(PAGE_OF[form]),
            {f"{frame}-download-button.n_clicks": 1, on_screen(form): scenario},
            [f"{frame}-download-button.n_clicks"],
            expect=[f"{frame}-download"],
        )
        if answer and not (answer[f"{frame}-download"]["data"] or {}).get("content"):
            log.warning("empty CSV from %s", form)

    @task(1)
    def metrics_api(self):
        with self.client.get(
            "/api/v1/performance-metrics/stats?window=5m", name="api: stats", catch_response=True
        ) as response:
            if response.status_code != 200 or "operations" not in _json(response):
                response.failure(f"HTTP {response.status_code}")


class AnalystUser(MeridianUser):
    wait_time = between(2, 8)


class StressTestUser(MeridianUser):
    wait_time = constant(0)


class HotUser(MeridianUser):
    """Analysts re-reading results already computed: each page's default scenario for three households,
    the Overview and page loads, with a short pause. The cached path a Redis outage must not stall
    (tests/reliability/test_redis_outage.py)."""

    wait_time = constant(0.05)
    hot = True

    def on_start(self):
        super().on_start()
        self.household = Site.households[random.randrange(min(3, len(Site.households)))]


# its own mix (a class's tasks are fixed when it is created; these replace the inherited ones)
HotUser.tasks = [MeridianUser.risk, MeridianUser.optimisation, MeridianUser.monte_carlo]
HotUser.tasks += [MeridianUser.overview, MeridianUser.page_load]


# -- thresholds decide the exit code ----------------------------------------------------------------


@events.init_command_line_parser.add_listener
def _options(parser):
    parser.add_argument(
        "--p95-ms", type=float, default=0.0, help="fail when the overall p95 is above (0: off)"
    )
    parser.add_argument("--max-failure-ratio", type=float, default=0.0, help="fail above this failure ratio")


@events.quitting.add_listener
def _sign_ins(environment, **_kwargs):
    """Each sign-in conversation, tries included (the requests' own times are in the stats), next to
    the CSV reports: ``<csv prefix>_sign_ins.json``, which ``loadtest.run`` summarises."""
    prefix = getattr(environment.parsed_options, "csv_prefix", None)
    if prefix:
        rows = [{"seconds": round(t, 3), "tries": n, "signed_in": ok} for t, n, ok in SIGN_INS]
        with open(f"{prefix}_sign_ins.json", "w") as handle:
            json.dump(rows, handle)


@events.quitting.add_listener
def _thresholds(environment, **_kwargs):
    total = environment.stats.total
    options = environment.parsed_options
    p95 = total.get_response_time_percentile(0.95) or 0.0
    reasons = []
    if total.num_requests and total.fail_ratio > options.max_failure_ratio:
        reasons.append(f"failure ratio {total.fail_ratio:.2%} > {options.max_failure_ratio:.2%}")
    if options.p95_ms and p95 > options.p95_ms:
        reasons.append(f"p95 {p95:.0f} ms > {options.p95_ms:.0f} ms")
    if reasons:
        log.error("thresholds missed: %s", "; ".join(reasons))
        environment.process_exit_code = 1
