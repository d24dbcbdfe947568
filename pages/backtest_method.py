"""How the Backtest computes each figure: docs/backtest.md, the one text of the conventions and formulas."""

from functools import cache

import dash
from dash import dcc, html

from dashboard.settings import PROJECT_ROOT

dash.register_page(
    __name__, path="/backtest/method", title="Backtest method · Meridian", name="Backtest method"
)


@cache
def _text() -> str:
    return (PROJECT_ROOT / "docs" / "backtest.md").read_text(encoding="utf-8")


def layout(**_query):
    return html.Div(
        [dcc.Link("Back to the Backtest", href="/backtest"), dcc.Markdown(_text(), className="mt-2")]
    )
