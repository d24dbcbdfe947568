"""The app's pages, in the order of its navigation (its "Data" menu too): what the browser benchmark
measures, and what the shell and accessibility tests hold the app to."""

PAGES = [
    "/",
    "/goals",
    "/optimisation",
    "/monte-carlo",
    "/risk",
    "/backtest",
    "/diversification",
    "/retirement",
    "/tax",
    "/threads",
    "/market-data",
    "/assumptions",
    "/operations",
    "/audit",
    "/report",
    "/backtest/method",
]
