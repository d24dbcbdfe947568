"""The app shell: navigation to every page, the household picker, page-wide alerts.

Built by ``create_*`` functions called when a page is served, so the page
registry is read after every page has registered.
"""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from components import ids

# Pages only administrators open: their links are drawn hidden, and shown to administrators by the
# shell's callback (an analyst's navigation is about investments, not about the app's own speed).
ADMIN_PAGES = frozenset({"pages.performance", "pages.audit"})


def nav_link_class(module: str, admin: bool) -> str:
    return "d-none" if module in ADMIN_PAGES and not admin else ""


# The data the analyses stand on, and the app's own operation: one menu after the analysis pages
# (module, its name in the menu).
MENU_PAGES = (
    ("pages.market_data", "Market data"),
    ("pages.assumptions", "Firm assumptions"),
    ("pages.performance", "Operations"),
    ("pages.audit", "Audit trail"),
)


def create_navbar() -> dbc.Navbar:
    in_menu = dict(MENU_PAGES)
    pages = [
        p for p in dash.page_registry.values() if p.get("order") is not None and p["module"] not in in_menu
    ]
    links = [
        dbc.NavItem(
            dbc.NavLink(
                page["name"],
                href=page["relative_path"],
                active="exact",
                id=ids.nav_link(page["module"]),
                className=nav_link_class(page["module"], admin=False),
            )
        )
        for page in sorted(pages, key=lambda p: p["order"])
    ]
    registered = {p["module"]: p for p in dash.page_registry.values()}
    links.append(
        dbc.DropdownMenu(
            [
                dbc.DropdownMenuItem(
                    name,
                    href=registered[module]["relative_path"],
                    id=ids.nav_link(module),
                    className=nav_link_class(module, admin=False),
                )
                for module, name in MENU_PAGES
                if module in registered
            ],
            label="Data",
            nav=True,
            in_navbar=True,
            id=ids.SHELL_MENU,
        )
    )
    # a native select: named by its label, typed into to jump, keyboard-operable as browsers make it
    picker = html.Div(
        [
            dbc.Label("Household", html_for=ids.SHELL_HOUSEHOLD_SELECT, className="visually-hidden"),
            dbc.Select(id=ids.SHELL_HOUSEHOLD_SELECT, options=[], className=ids.SHELL_HOUSEHOLD_SELECT),
        ],
        className="shell-household ms-lg-3",
    )
    return dbc.Navbar(
        dbc.Container(
            [
                dbc.NavbarBrand("Meridian", href=dash.get_relative_path("/"), className="fw-bold"),
                html.Button(
                    html.Span(className="navbar-toggler-icon"),
                    id=ids.SHELL_NAV_TOGGLER,
                    className="navbar-toggler",
                    type="button",
                    **{"aria-label": "Menu", "aria-controls": ids.SHELL_NAV},
                ),
                dbc.Collapse(
                    [
                        dbc.Nav(links, navbar=True, className="me-auto"),
                        picker,
                        html.Span(id=ids.SHELL_USER, className="navbar-text ms-3 small shell-user"),
                        # Sign-out is a POST carrying the session's token (assets/meridian.js adds it from
                        # the token cookie as the form is sent): no link of another site signs anyone out.
                        html.Form(
                            html.Button(
                                "Sign out",
                                type="submit",
                                id=ids.SHELL_SIGN_OUT,
                                className="btn btn-link nav-link small text-nowrap shell-sign-out",
                            ),
                            action=dash.get_relative_path("/logout"),
                            method="POST",
                            id=ids.SHELL_SIGN_OUT_FORM,
                            className="ms-2 mb-0",
                        ),
                    ],
                    id=ids.SHELL_NAV,
                    navbar=True,
                    is_open=False,
                ),
            ],
            fluid=True,
        ),
        color="primary",
        dark=True,
        expand="xxl",  # ten links, the menu, the picker and the name fit on one line from 1400 px; below, the menu
        className="mb-3 shell-navbar",
    )


def create_appshell() -> html.Div:
    """The whole page: shell around ``dash.page_container``."""
    return html.Div(
        [
            # refresh=False: writing the household into the query string updates the
            # address bar (so links reproduce the view) without re-rendering the page.
            dcc.Location(id=ids.SHELL_URL, refresh=False),
            dcc.Store(id=ids.SHELL_HOUSEHOLD_STORE, storage_type="session"),
            html.A(
                "Skip to the page's content", href="#main", className="visually-hidden-focusable skip-link"
            ),
            html.Header(create_navbar()),
            html.Main(
                dbc.Container(
                    [
                        # assets/meridian-faults.js shows server faults here; it finds the alert by this attribute
                        # how current the market data are, on every page (filled with the household choice;
                        # its line is reserved in meridian.css so nothing moves when it arrives)
                        html.Div(
                            [
                                html.A(
                                    id=ids.SHELL_PRICES,
                                    href=dash.get_relative_path("/market-data"),
                                    className="text-muted",
                                ),
                                html.Span(" · ", className="text-muted", **{"aria-hidden": "true"}),
                                html.A(
                                    "Firm assumptions",
                                    href=dash.get_relative_path("/assumptions"),
                                    className="text-muted",
                                ),
                            ],
                            className="shell-prices small text-end",
                        ),
                        html.Div(
                            dbc.Alert(id=ids.SHELL_ALERT, is_open=False, dismissable=True, color="danger"),
                            **{"data-meridian-alert": ids.SHELL_ALERT},
                        ),
                        dash.page_container,
                    ],
                    fluid=True,
                    className="shell-main",
                ),
                id="main",
                tabIndex="-1",
            ),
        ]
    )
