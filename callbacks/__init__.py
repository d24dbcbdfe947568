"""Every callback, wired explicitly so none is silently unregistered.

Page-specific callbacks are registered when their module is imported
(``dash.callback`` at module level). The analysis pages' shared callbacks
(run, CSV download, save to thread) are made here from their page specs.
"""

from callbacks import (
    alerts,
    analysis,
    assumptions,
    audit,
    backtest,
    diversification,
    goals,
    market_data,
    monte_carlo,
    optimisation,
    overview,
    performance,
    report,
    retirement,
    risk,
    shell,
    tax,
    telemetry,
    threads,
)
from components import ids
from components.shell import create_appshell
from dashboard.answers import answers
from dashboard.factory import Ui

# Every page that can download its results and save a run to a thread.
ANALYSIS_PAGES = (
    optimisation.PAGE,
    monte_carlo.PAGE,
    goals.PAGE,
    risk.PAGE,
    backtest.PAGE,
    diversification.PAGE,
    retirement.PAGE,
    tax.PAGE,
)

# The shared callbacks made from the specs, by page key (tests call them directly).
DOWNLOADS = {page.key: analysis.register_download(page) for page in ANALYSIS_PAGES}
RUNS = {page.key: analysis.register_run(page) for page in ANALYSIS_PAGES if page.render is not None}
# A run asked for again is answered with the response sent the first time (dashboard/answers.py).
for _page in ANALYSIS_PAGES:
    answers.replayable(_page.frame.run, analysis.replay_basis(_page))
answers.replayable(ids.OVERVIEW_TRANSACTIONS, overview.GRID_ANSWERS)  # a block of transactions, the same way
THREADS = threads.register(ANALYSIS_PAGES)
# Forms whose fields depend on a choice (a simulation's return model): only those that apply are shown.
SIMULATION_FORMS = (monte_carlo.form.FORM, goals.SIM_FORM, retirement.form.FORM)
for _form in SIMULATION_FORMS:
    analysis.register_switch(_form)
ASSUMPTION_CHOICES = {
    f.key: analysis.register_assumption_choices(f) for f in (*SIMULATION_FORMS, optimisation.form.FORM)
}

# What the app's entries (app.py, the CLI, the Celery worker) hand create_app: the dashboard layer
# below never imports the UI it serves.
UI = Ui(
    layout=create_appshell,
    on_error=alerts.on_callback_error,
    measured=telemetry.MEASURED,
    views={"/market-data": market_data.page_view, "/operations": performance.first_view},
)

__all__ = [
    "UI",
    "ANALYSIS_PAGES",
    "DOWNLOADS",
    "RUNS",
    "THREADS",
    "assumptions",
    "audit",
    "market_data",
    "overview",
    "performance",
    "report",
    "shell",
    "telemetry",
]
