"""Every component id we own, in one place per page: layouts, callbacks, clientside code and tests use these.

Plain ids are kebab-case ``"<page>-<thing>"``; repeated rows use dict ids
``{"type": "<page>-<thing>", "index": ...}`` from the factories here. An
analysis page's frame (form card, actions, alert, results) takes its ids from
:class:`Frame`, built from the page's prefix.
"""

from __future__ import annotations


class Frame:
    """The ids of one analysis page's frame (``components.page.analysis_layout``), from its prefix."""

    def __init__(self, prefix: str):
        self.prefix = prefix
        self.url = f"{prefix}-url"  # the scenario in the address bar
        self.download = f"{prefix}-download"
        self.download_button = f"{prefix}-download-button"
        self.excel_button = f"{prefix}-excel-button"  # the same results as an Excel workbook
        self.run = f"{prefix}-run"
        self.recompute = f"{prefix}-recompute"
        self.alert = f"{prefix}-alert"
        self.results = f"{prefix}-results"
        self.basis = f"{prefix}-basis"  # what the forecast rests on: the firm's assumptions, or history


def dom_id(component_id) -> str:
    """The id a component has in the page: a dict id is written as Dash writes it (compact JSON, keys
    sorted), so a label's ``for`` or an ``aria-describedby`` can name it."""
    if isinstance(component_id, dict):
        import json

        return json.dumps(component_id, sort_keys=True, separators=(",", ":"))
    return component_id


def field(form: str, name: str) -> dict:
    """A form field's control (``form``: the form's key)."""
    return {"type": f"{form}-field", "index": name}


def field_box(form: str, name, shown_with) -> dict:
    """The box around a form field (label, control, message); ``shown_with``: the switch values with
    which it is shown, space-separated ("" always), read by the clientside callback that hides it."""
    return {"type": f"{form}-box", "index": name, "shown": shown_with}


def feedback(form: str, name: str) -> dict:
    """A form field's validation message."""
    return {"type": f"{form}-feedback", "index": name}


def chart_figure(chart) -> dict:
    """The store holding a chart's figure (``chart``: the graph's id, or ``MATCH``)."""
    return {"type": "chart-figure", "index": chart}


def chart_box(chart) -> dict:
    """The box a chart's graph is mounted in."""
    return {"type": "chart-box", "index": chart}


# The notice that replaces a page's results when a run fails (callbacks.analysis.failed).
RUN_FAILED = "run-failed"


def thread_save(kind: str, page) -> dict:
    """A part of the "save to thread" panel of ``page`` (its prefix, or ``MATCH`` in callbacks)."""
    return {"type": f"thread-{kind}", "page": page}


# -- the app shell (navigation, household choice, page-wide alerts) ---------------------------
SHELL_URL = "shell-url"
SHELL_NAV = "shell-nav"
SHELL_MENU = "shell-menu"  # the navbar's "Data" menu: market data, assumptions, operations
SHELL_NAV_TOGGLER = "shell-nav-toggler"
SHELL_HOUSEHOLD_SELECT = "shell-household-select"
SHELL_HOUSEHOLD_STORE = "shell-household-store"
OVERVIEW_REPORT = "overview-report"  # the household's client report (the composer)
SHELL_ALERT = "shell-alert"
SHELL_USER = "shell-user"
SHELL_PRICES = "shell-prices"  # "Prices as of <date>" on every page
SHELL_SIGN_OUT = "shell-sign-out"
SHELL_SIGN_OUT_FORM = "shell-sign-out-form"


def nav_link(page: str) -> dict:
    """Id of the navigation link to ``page`` (its registry module name)."""
    return {"type": "shell-nav-link", "index": page}


# -- Overview -----------------------------------------------------------------------------------
OVERVIEW_HOUSEHOLDS = "overview-households"
OVERVIEW_HOUSEHOLDS_TABLE = "overview-households-table"
OVERVIEW_HOUSEHOLD_NAME = "overview-household-name"
OVERVIEW_CONTENT = "overview-content"
OVERVIEW_ALERT = "overview-alert"
OVERVIEW_NET_WORTH = "overview-net-worth"
OVERVIEW_INVESTED = "overview-stat-invested"
OVERVIEW_CASH = "overview-stat-cash"
OVERVIEW_VALUED_AS_OF = "overview-stat-valued-as-of"
OVERVIEW_ALLOCATION = "overview-allocation"
OVERVIEW_SECTORS = "overview-sectors"
OVERVIEW_ACCOUNTS = "overview-accounts"
OVERVIEW_GOALS = "overview-goals"
OVERVIEW_THREADS = "overview-threads"
OVERVIEW_CASH_FLOW = "overview-cash-flow"
OVERVIEW_TRANSACTIONS = "overview-transactions"
OVERVIEW_TRANSACTIONS_AREA = "overview-transactions-area"
OVERVIEW_TRANSACTIONS_ACCOUNT = "overview-transactions-account"
OVERVIEW_GRID_LIBRARY = "overview-grid-library"  # the grid's component library, loaded on demand
OVERVIEW_GRID_READY = "overview-grid-ready"
OVERVIEW_GOALS_STATUS = "overview-goals-status"
OVERVIEW_VERSION = "overview-version"
OVERVIEW_IMPORT_UPLOAD = "overview-import-upload"
OVERVIEW_IMPORT_ACCOUNT = "overview-import-account"
OVERVIEW_IMPORT_KIND = "overview-import-kind"
OVERVIEW_IMPORT_RESULT = "overview-import-result"
OVERVIEW_IMPORT_OK = "overview-import-ok"
OVERVIEW_IMPORT_ERRORS = "overview-import-errors"


# -- Optimisation -------------------------------------------------------------------------------
class OPT:
    frame = Frame("opt")
    OUTPUT = "opt-output"
    NOTES = "opt-notes"
    DESCRIBED = "opt-described"
    RETURNS_SHOWN = "opt-returns-shown"
    SIDE = "opt-side"
    TABLES = "opt-tables"
    FRONTIER = "opt-frontier"
    POINT = "opt-point"
    POINT_SUMMARY = "opt-point-summary"
    POINT_SELECT = "opt-point-select"
    POINT_WEIGHTS = "opt-point-weights"
    WEIGHTS = "opt-weights"
    COMPARISON = "opt-comparison"
    ALLOCATION = "opt-allocation"


# -- Monte Carlo --------------------------------------------------------------------------------
class MC:
    frame = Frame("mc")
    JOB = "mc-job"
    JOB_STATE = "mc-job-state"
    WAITING = "mc-waiting"
    PROGRESS = "mc-progress"
    PROGRESS_AREA = "mc-progress-area"
    PROGRESS_TEXT = "mc-progress-text"
    CANCEL = "mc-cancel"
    PROBABILITY = "mc-probability"
    DEPLETION = "mc-depletion"
    MEDIAN = "mc-median"
    MEAN = "mc-mean"
    SEED = "mc-seed"
    FAN_CHART = "mc-fan-chart"
    HISTOGRAM = "mc-histogram"
    PERCENTILES = "mc-percentiles"
    DRAWDOWNS = "mc-drawdowns"
    HISTORY = "mc-history"


# -- Goals --------------------------------------------------------------------------------------
class GOALS:
    frame = Frame("goals")
    CONTENT = "goals-content"
    SELECTED = "goals-selected"
    HISTORY = "goals-history"
    VERSION = "goals-version"
    FORM_TITLE = "goals-form-title"
    SAVE = "goals-save"
    NEW = "goals-new"
    DELETE = "goals-delete"
    DELETE_CONFIRM = "goals-delete-confirm"
    TABLE = "goals-table"
    CHART = "goals-chart"
    SOLVE_GOAL = "goals-solve-goal"
    SOLVE = "goals-solve"
    SOLUTION = "goals-solution"
    SOLVED_SAVING = "goals-solved-saving"

    @staticmethod
    def edit(goal_id) -> dict:
        return {"type": "goals-edit", "index": goal_id}

    @staticmethod
    def probability(goal_id) -> dict:
        return {"type": "goals-probability", "index": goal_id}


# -- Risk ---------------------------------------------------------------------------------------
class RISK:
    frame = Frame("risk")
    RETURN = "risk-return"
    VOLATILITY = "risk-volatility"
    SHARPE = "risk-sharpe"
    SORTINO = "risk-sortino"
    BETA = "risk-beta"
    MAX_DRAWDOWN = "risk-max-drawdown"
    DRAWDOWN = "risk-drawdown"
    VAR = "risk-var"
    STRESS = "risk-stress"


# -- Diversification ----------------------------------------------------------------------------
class BT:
    frame = Frame("bt")
    WINDOW = "bt-window"
    STATISTICS = "bt-statistics"
    GROWTH = "bt-growth"
    LOG_SCALE = "bt-log-scale"
    ANNUAL = "bt-annual"
    UNDERWATER = "bt-underwater"
    ROLLING = "bt-rolling"
    ANNUAL_TABLE = "bt-annual-table"
    DRAWDOWNS = "bt-drawdowns"


class DIV:
    frame = Frame("div")
    HHI = "div-hhi"
    EFFECTIVE_HOLDINGS = "div-effective-holdings"
    EFFECTIVE_BETS = "div-effective-bets"
    RATIO = "div-ratio"
    HEATMAP = "div-heatmap"
    SECTORS = "div-sectors"
    CONTRIBUTIONS = "div-contributions"
    WINDOW = "div-window"


# -- Retirement ---------------------------------------------------------------------------------
class RET:
    frame = Frame("ret")
    SUCCESS = "ret-success"
    DEPLETION = "ret-depletion"
    DEPLETION_AGE = "ret-depletion-age"
    ENDING = "ret-ending"
    SOLVED_SPENDING = "ret-solved-spending"
    WEALTH = "ret-wealth"
    SPENDING = "ret-spending"
    HISTORY = "ret-history"


# -- Tax ----------------------------------------------------------------------------------------
class TAX:
    frame = Frame("tax")
    SHORT = "tax-short"
    LONG = "tax-long"
    ESTIMATE = "tax-estimate"
    SAVINGS = "tax-savings"
    CARRYFORWARD = "tax-carryforward"
    POSITION = "tax-position"
    LOTS = "tax-lots"
    CANDIDATES = "tax-candidates"


# -- Threads ------------------------------------------------------------------------------------
class THREADS:
    LIST = "threads-list"
    ALERT = "threads-alert"
    VERSION = "threads-version"
    NEW_TITLE = "threads-new-title"
    CREATE = "threads-create"
    COMPARE = "threads-compare"
    COMPARISON_AREA = "threads-comparison-area"
    COMPARISON = "threads-comparison"
    PICK = "threads-pick"
    DELETE_RUN = "threads-delete-run"
    DELETE_THREAD = "threads-delete-thread"

    @staticmethod
    def pick(run_id) -> dict:
        return {"type": THREADS.PICK, "index": run_id}

    @staticmethod
    def delete_run(run_id) -> dict:
        return {"type": THREADS.DELETE_RUN, "index": run_id}

    @staticmethod
    def delete_thread(thread_id) -> dict:
        return {"type": THREADS.DELETE_THREAD, "index": thread_id}

    @staticmethod
    def open(run_id) -> dict:
        return {"type": "threads-open", "index": run_id}

    @staticmethod
    def card(thread_id) -> dict:
        return {"type": "threads-card", "index": thread_id}

    @staticmethod
    def report(thread_id) -> dict:
        """The link composing a client report from the thread's runs."""
        return {"type": "threads-report", "index": thread_id}


# -- Performance ----------------------------------------------------------------------------------
class PERF:
    WINDOW = "perf-window"
    ROWS = "perf-rows"  # how many rows the timing tables show
    OPERATION = "perf-operation"
    INTERVAL = "perf-interval"
    TICK = "perf-tick"
    ALERT = "perf-alert"
    SUMMARY = "perf-summary"
    CSP = "perf-csp"  # Content-Security-Policy violations reported
    CALLBACKS = "perf-callbacks"
    OPERATIONS = "perf-operations"
    SLOW = "perf-slow"
    CACHE = "perf-cache"
    VITALS = "perf-vitals"
    COMPONENTS = "perf-components"
    LATENCY = "perf-latency"
    LATENCY_CHART = "perf-latency-chart"
    RESET = "perf-reset"
    RESET_DONE = "perf-reset-done"  # how many resets this page made (the report redraws after one)

    @staticmethod
    def reset_button(index: int = 0) -> dict:
        # a pattern id: the button exists only for admins, so the callback must not require it
        return {"type": "perf-reset-button", "index": index}

    UPDATED = "perf-updated"


class REPORT:
    """The client report: the composer (its form, preview, PDF job and save) and the document."""

    URL = "report-url"
    ALERT = "report-alert"
    PREVIEW = "report-preview"
    PRINT = "report-print"
    DOCUMENT = "report-document"
    SHOWN = "report-shown"  # the composition on screen, its runs pinned (what PDF and save act on)
    PDF = "report-pdf"
    PDF_NOTE = "report-pdf-note"
    PDF_RESULT = "report-pdf-result"
    PDF_LINK = "report-pdf-link"
    JOB = "report-job"
    JOB_STATE = "report-job-state"
    WAITING = "report-waiting"
    PROGRESS_AREA = "report-progress-area"
    PROGRESS_TEXT = "report-progress-text"
    CANCEL = "report-cancel"
    SAVE = "report-save"
    SAVE_RESULT = "report-save-result"
    THREAD = "report-thread"
    THREAD_TITLE = "report-thread-title"
    # the document's parts
    ARTICLE = "report-article"
    COVER_FACTS = "report-cover-facts"
    NET_WORTH = "report-net-worth"
    HOLDINGS = "report-holdings"
    ACCOUNTS = "report-accounts"
    RISK_FACTS = "report-risk-facts"
    WEIGHTS = "report-weights"
    GOALS = "report-goal-table"
    MC_FACTS = "report-mc-facts"
    RETIREMENT_FACTS = "report-retirement-facts"
    TAX_FACTS = "report-tax-facts"

    @staticmethod
    def chart(name: str) -> str:
        return f"report-chart-{name}"


class CMA:
    """The Assumptions page: the firm's capital market assumptions, their versions, the admins' changes."""

    CHOICE = "cma-choice"
    CONTENT = "cma-content"
    VERSION = "cma-version"  # bumped when a set is added (the page's lists redraw)
    DOWNLOAD = "cma-download"
    DOWNLOAD_BUTTON = "cma-download-button"
    UPLOAD = "cma-upload"
    UPLOAD_BUTTON = "cma-upload-button"
    WHO = "cma-who"  # who may change the assumptions (filled for the signed-in user)
    NOTE = "cma-note"
    RESULT = "cma-result"
    EDITOR = "cma-editor"
    TOOLS = "cma-tools"  # the import and the editor, shown once the set's figures are drawn
    SAVE = "cma-save"
    SETS = "cma-sets"
    CLASSES = "cma-classes"
    SECURITIES = "cma-securities"

    @staticmethod
    def edit(record: str, key: str, column: str) -> dict:
        """An editor input: ``record`` (set, class, correlation, security), its key, the CSV column."""
        return CMA.edits(f"{record}|{key}|{column}")

    @staticmethod
    def edits(index) -> dict:
        """Editor inputs by their whole index (``ALL`` in callbacks)."""
        return {"type": "cma-edit", "index": index}


class MARKET:
    """The Market data page: how current the prices are, the imports so far, the admins' upload."""

    AS_OF = "market-as-of"
    HISTORY = "market-history"
    UPLOAD = "market-upload"
    REPLACE = "market-replace"
    RESULT = "market-result"
    ANALYST_NOTE = "market-analyst-note"


class AUDIT:
    """The Audit page (administrators): the trail, filtered, a page at a time, and its CSV."""

    USER = "audit-user"
    HOUSEHOLD = "audit-household"
    ACTION = "audit-action"
    SINCE = "audit-since"
    UNTIL = "audit-until"
    SHOW = "audit-show"
    OLDER = "audit-older"
    NEWEST = "audit-newest"
    CURSOR = "audit-cursor"  # the id the page on screen starts below (None: the newest)
    TABLE = "audit-table"
    RESULTS = "audit-results"
    SUMMARY = "audit-summary"
    EXPORT = "audit-export"
    ALERT = "audit-alert"
