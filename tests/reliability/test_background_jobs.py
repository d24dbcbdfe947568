"""Background simulations: a job whose process is killed, or that is cancelled, ends with a clear message."""

from __future__ import annotations

import os
import time

import psutil
import pytest

from tests.integration.test_pages import click, my_household, open_page

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.usefixtures("browser_ready")]

LONG_RUN = "paths=1000000&years=10&model=gbm"  # 12 million path-months: a background job of ~10 s


def _job_processes(before: set[int]) -> list[psutil.Process]:
    me = psutil.Process(os.getpid())
    return [p for p in me.children(recursive=True) if p.pid not in before and p.name() == me.name()]


def test_bg001_killed_job_gives_an_explicit_error(dash_duo, app):
    household = my_household()
    before = {p.pid for p in psutil.Process(os.getpid()).children(recursive=True)}
    open_page(dash_duo, app, f"/monte-carlo?household={household.id}&{LONG_RUN}&seed=3")
    dash_duo.wait_for_element("#mc-progress-area[style*='block']", timeout=30)
    deadline = time.monotonic() + 20
    jobs = []
    while time.monotonic() < deadline and not jobs:
        jobs = _job_processes(before)
        time.sleep(0.1)
    assert jobs, "the background job process was not found"
    for job in jobs:
        job.kill()
    dash_duo.wait_for_contains_text("#mc-alert", "stopped before finishing", timeout=30)
    assert "No result" in dash_duo.find_element("#mc-results").text
    assert dash_duo.get_logs() == []


def test_bg002_cancelled_job_says_so(dash_duo, app):
    household = my_household()
    open_page(dash_duo, app, f"/monte-carlo?household={household.id}&{LONG_RUN}&seed=4")
    dash_duo.wait_for_element("#mc-progress-area[style*='block']", timeout=30)
    click(dash_duo, "#mc-cancel")
    dash_duo.wait_for_contains_text("#mc-results", "cancelled", timeout=30)
    assert dash_duo.get_logs() == []
