"""Component ids we own, shared by layouts, callbacks, clientside code and tests."""

# The app shell (navigation, household choice, page-wide alerts).
SHELL_URL = "shell-url"
SHELL_NAV = "shell-nav"
SHELL_HOUSEHOLD_SELECT = "shell-household-select"
SHELL_HOUSEHOLD_STORE = "shell-household-store"
SHELL_ALERT = "shell-alert"
SHELL_USER = "shell-user"


def nav_link(page: str) -> dict:
    """Id of the navigation link to ``page`` (its registry module name)."""
    return {"type": "shell-nav-link", "index": page}


# Overview page.
OVERVIEW_HOUSEHOLDS = "overview-households"
OVERVIEW_CONTENT = "overview-content"
OVERVIEW_ALERT = "overview-alert"
OVERVIEW_NET_WORTH = "overview-net-worth"
OVERVIEW_ALLOCATION = "overview-allocation"
OVERVIEW_SECTORS = "overview-sectors"
OVERVIEW_ACCOUNTS = "overview-accounts"
OVERVIEW_GOALS = "overview-goals"
OVERVIEW_CASH_FLOW = "overview-cash-flow"
OVERVIEW_TRANSACTIONS = "overview-transactions"
OVERVIEW_TRANSACTIONS_AREA = "overview-transactions-area"
OVERVIEW_TRANSACTIONS_ACCOUNT = "overview-transactions-account"
OVERVIEW_GOALS_STATUS = "overview-goals-status"
OVERVIEW_VERSION = "overview-version"
OVERVIEW_IMPORT_UPLOAD = "overview-import-upload"
OVERVIEW_IMPORT_ACCOUNT = "overview-import-account"
OVERVIEW_IMPORT_KIND = "overview-import-kind"
OVERVIEW_IMPORT_RESULT = "overview-import-result"
