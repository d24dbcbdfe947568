"""Number formatting shared by tables and figures."""


def money(value: float | None, decimals: int = 0) -> str:
    if value is None:
        return "—"
    sign = "-" if value < 0 else ""
    return f"{sign}${abs(value):,.{decimals}f}"


def shares(quantity: float) -> str:
    """A share count as people write it: 12,010 or 12.5 or 0.0125 (at most four decimals), never 1.201e+04."""
    text = f"{quantity:,.4f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def percent(value: float | None, decimals: int = 1) -> str:
    return "—" if value is None else f"{value * 100:.{decimals}f}%"


def history_note(model: dict) -> str:
    """Which history a simulation drew on (``ReturnModel.describe()``), in words; "" for GBM."""
    window = model.get("history")
    if not window:
        return ""
    late = window.get("limited_by")
    if window.get("basis") == "common":
        text = (
            f"Resampled from {window['months']} whole months of history, {window['first_month']} to "
            f"{window['last_month']}: the months in which every holding traded."
        )
        if late:
            text += (
                f" The statistics start on {window['from']}, but {late}'s prices start on "
                f"{window['first_prices'][late]}. For the longer history, the parametric model estimates "
                "each holding over its own history."
            )
        return text
    text = (
        f"Estimated from month-end prices, {window['first_month']} to {window['last_month']}, each holding "
        "over its own history (whole months)."
    )
    if late:
        text += f" {late} only from {window['first_prices'][late]}; covariances use the months both holdings traded."
    return text
