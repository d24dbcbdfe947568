"""The shell: which household is chosen, kept in the URL, the session and the nav links."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode

import dash
from dash import ALL, MATCH, ClientsideFunction, Input, Output, State, ctx, no_update

from callbacks.alerts import show_alert
from components import ids
from components.shell import nav_link_class
from dashboard.services import audit
from dashboard.services.access import current_user, parse_household_id, visible_households
from dashboard.services.prices import prices_as_of


def household_from_search(search: str | None) -> str | None:
    values = parse_qs((search or "").lstrip("?")).get("household")
    return values[0] if values else None


def with_household(search: str | None, household_id: int) -> str:
    """``search`` with its household parameter set, other parameters kept in order."""
    params = parse_qs((search or "").lstrip("?"), keep_blank_values=True)
    params["household"] = [str(household_id)]
    return "?" + urlencode(params, doseq=True)


@dash.callback(
    Output(ids.SHELL_HOUSEHOLD_SELECT, "options"),
    Output(ids.SHELL_HOUSEHOLD_SELECT, "value"),
    Output(ids.SHELL_HOUSEHOLD_STORE, "data"),
    Output(ids.SHELL_URL, "search"),
    Output(ids.nav_link(ALL), "href"),
    Output(ids.nav_link(ALL), "className"),
    Output(ids.SHELL_USER, "children"),
    Output(ids.SHELL_USER, "title"),
    Output(ids.SHELL_PRICES, "children"),
    Output(ids.SHELL_PRICES, "title"),
    Input(ids.SHELL_URL, "search"),
    Input(ids.SHELL_HOUSEHOLD_SELECT, "value"),
    State(ids.SHELL_HOUSEHOLD_STORE, "data"),
    State(ids.nav_link(ALL), "id"),
)
def sync_household(search, selected, stored, link_ids):
    """One source of truth for the chosen household: URL first, then the picker, then the session."""
    user = current_user()
    households = visible_households()
    allowed = {h.id for h in households}
    # a native select's values are text
    options = [{"label": h.name, "value": str(h.id)} for h in households]

    from_url = household_from_search(search)
    picked = _allowed_or_none(selected, allowed) if selected not in (None, "") else None
    if ctx.triggered_id == ids.SHELL_HOUSEHOLD_SELECT and picked is not None:
        chosen = picked
    elif from_url is not None:
        chosen = _allowed_or_none(from_url, allowed)
        if chosen is None:
            show_alert(f"Household {from_url} is not one of your households.", color="warning")
    else:
        chosen = None
    if chosen is None:
        chosen = stored if stored in allowed else (households[0].id if households else None)
    if chosen is not None and chosen != stored:
        # a household opened (another than this tab's last one): who saw which client, and when
        name = next((h.name for h in households if h.id == chosen), "")
        audit.log("household-open", household_id=chosen, target=name)

    # Only the analyst's own choice writes the address bar (one history entry per
    # choice); a bare URL is left alone so the back button never loops.
    new_search = no_update
    if ctx.triggered_id == ids.SHELL_HOUSEHOLD_SELECT and chosen is not None and from_url != str(chosen):
        new_search = with_household(search, chosen)
    pages = {p["module"]: p["relative_path"] for p in dash.page_registry.values()}
    suffix = f"?household={chosen}" if chosen is not None else ""
    hrefs = [pages.get(link["index"], "/") + suffix for link in link_ids]
    classes = [nav_link_class(link["index"], user.is_admin) for link in link_ids]
    signed_in = f"{user.name} · {user.role}"
    market = prices_as_of()
    value = None if chosen is None else str(chosen)
    return (
        options,
        value,
        chosen,
        new_search,
        hrefs,
        classes,
        signed_in,
        signed_in,
        market.label,
        market.detail,
    )


def _allowed_or_none(raw, allowed: set[int]) -> int | None:
    try:
        value = parse_household_id(raw)
    except ValueError:
        return None
    return value if value in allowed else None


# The navbar's toggler opens and closes it on narrow screens (below Bootstrap's xl breakpoint).
dash.clientside_callback(
    ClientsideFunction("meridian", "toggle"),
    Output(ids.SHELL_NAV, "is_open"),
    Input(ids.SHELL_NAV_TOGGLER, "n_clicks"),
    State(ids.SHELL_NAV, "is_open"),
)

# Every chart's graph is mounted in its box once the panel around it is painted (components/graphs.py).
dash.clientside_callback(
    ClientsideFunction("meridian", "mountChart"),
    Output(ids.chart_box(MATCH), "children"),
    Input(ids.chart_figure(MATCH), "data"),
)
