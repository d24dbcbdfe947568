"""The Operations page called directly: it reads the metrics store, and only administrators reset it."""

from __future__ import annotations

import pytest
from dash import no_update

from tests.callbacks.test_pages import find, text_of, triggered


@pytest.fixture
def ctx(app, signed_in):
    with signed_in(app):  # the demo analyst, as the callbacks see her
        yield app


def test_cb117_performance_page_reads_the_store_and_only_admins_reset(ctx, signed_in):
    from callbacks import performance as perf_cb
    from dashboard.extensions import metrics

    metrics.record("callback.risk-results.children", 42.0)
    metrics.record("engine.risk", 310.0)
    # Issue 25.5: the Operations page is the admin's; the demo analyst reads nothing of it
    refused = perf_cb.render_report("1h", "15", None, 0)
    assert "for administrators" in text_of(refused[-1]) and "engine.risk" not in text_of(refused[:-1])
    assert perf_cb.first_view() is None
    assert "for administrators" in text_of(perf_cb.render_latency("engine.risk", "1h", None))
    done, alert = triggered(
        '{"index":0,"type":"perf-reset-button"}.submit_n_clicks', perf_cb.reset_metrics, [1], 0
    )
    assert "Only an admin" in text_of(alert) and done is no_update_value()
    assert metrics.stats("all")  # nothing was reset
    with signed_in(ctx, "admin@meridian.example"):
        out = perf_cb.render_report("1h", "15", None, 0)
        summary, callbacks_table, others, *_rest, options, updated, reset, alert = out
        assert alert is None and reset is not None  # the admin sees the reset button
        # callbacks named in words, operations as measured
        assert "Risk: run" in text_of(callbacks_table) and "engine.risk" in text_of(others)
        assert {"callback.risk-results.children", "engine.risk"} <= {o["value"] for o in options}
        assert "refreshes every 10 s" in updated
        refused = perf_cb.render_report("1y", "15", None, 0)
        assert "Choose a window" in text_of(refused[-1])
        assert "how many rows" in text_of(perf_cb.render_report("1h", "9999", None, 0)[-1])
        # the long tables show the slowest rows first, as many as asked for, and say what they leave out
        for i in range(40):
            metrics.record(f"engine.op{i:02d}", float(i + 1))
        cut = perf_cb.render_report("1h", "15", None, 0)[2]
        shown = text_of(cut)
        assert "engine.risk" in shown and "engine.op39" in shown and "engine.op00" not in shown
        others_measured = [n for n in metrics.stats("1h") if not n.startswith("callback.")]
        assert f"The first 15 of {len(others_measured)} operations" in shown and len(others_measured) >= 41
        every = text_of(perf_cb.render_report("1h", "all", None, 0)[2])
        assert "engine.op00" in every and "The first" not in every
        # the page opens with the same view already drawn
        first = perf_cb.first_view()
        assert text_of(first["operations"]) == shown and first["alert"] is None
        latency = perf_cb.render_latency("engine.risk", "1h", None)
        spec = find(latency, {"type": "chart-figure", "index": "perf-latency-chart"}).data
        # the p95 of the minute it was recorded in: the latest measured point (a minute that began since,
        # while the test ran, is drawn empty after it)
        measured = [y for y in spec["figure"]["data"][0]["y"] if y is not None]
        assert measured[-1] == pytest.approx(310.0, rel=0.011)
        assert "has not been measured" in text_of(perf_cb.render_latency("no.such.op", "1h", None))
        metrics.record("engine.risk", 5.0)
        done, alert = perf_cb.reset_metrics([1], 0)
        assert done == 1 and "reset" in text_of(alert) and metrics.stats("all") == {}


def no_update_value():

    return no_update
