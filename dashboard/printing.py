"""PDF documents from the app's own components: charts drawn by kaleido (headless Chromium) as SVG, the
page laid out by WeasyPrint from the same component tree the printable page shows.

Why this way (docs/architecture.md, "Client report"): WeasyPrint lays out paged media itself (page
numbers and running headers in ``@page`` margin boxes, a table of contents with ``target-counter``,
rows and figures kept whole, a tagged PDF with its metadata), and it is handed the document directly,
so no browser ever loads a page of the app with somebody's session. Chromium is used only to draw
each chart, with the app's own partial plotly.js, from a local file; it fetches nothing.

A document is a Dash component tree (``components/report.py``): :func:`to_html` writes it as HTML,
replacing each ``dcc.Graph`` with its SVG; :func:`render_svgs` draws the figures; :func:`to_pdf`
lays the HTML out. Every step refuses what it does not know instead of dropping it silently.
"""

from __future__ import annotations

import base64
import contextlib
import html as markup
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from dash.development.base_component import Component

from dashboard.errors import InvalidInput
from dashboard.settings import PROJECT_ROOT

PLOTLY_JS = PROJECT_ROOT / "vendor" / "plotly" / "plotly-meridian.min.js"
VOID = {"br", "hr", "img", "meta", "col", "input"}
# attributes a component prop becomes (others are refused, so nothing is silently lost)
ATTRIBUTES = {
    "id": "id",
    "className": "class",
    "title": "title",
    "href": "href",
    "src": "src",
    "alt": "alt",
    "colSpan": "colspan",
    "rowSpan": "rowspan",
    "scope": "scope",
    "role": "role",
    "lang": "lang",
    "dateTime": "datetime",
    "headers": "headers",
}
# dash_bootstrap_components drawn as the HTML (and Bootstrap classes) they render
BOOTSTRAP = {"Table": "table", "Badge": "span", "Alert": "div"}


class PrintingUnavailable(InvalidInput):
    """A PDF cannot be made on this machine (no Chromium for the charts)."""


class RenderFailed(InvalidInput):
    """The chart renderer hung, crashed or refused a figure; nothing is left running."""


def chromium_path() -> str | None:
    """The Chromium the charts are drawn with (``BROWSER_PATH``, else the usual names on PATH), or None."""
    from choreographer.browsers.chromium import Chromium

    path = Chromium.find_browser(skip_local=True)
    return path if path and os.path.isfile(path) and os.access(path, os.X_OK) else None


def require_chromium() -> None:
    if chromium_path() is None:
        raise PrintingUnavailable(
            "PDF reports need Chromium to draw the charts, and it is not installed on the server: "
            "install it (Debian: apt-get install chromium). The printable page works without it: "
            "print it from the browser."
        )


# -- charts ----------------------------------------------------------------------------------------


def render_svgs(
    figures: Mapping[str, dict],
    timeout: float = 120.0,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, str]:
    """Each figure as SVG (by its id), drawn by a headless Chromium of this call's own, in a process
    session of its own (``dashboard/chart_worker.py``) that is killed whole afterwards, whatever
    happens. RenderFailed when the browser cannot start, crashes, hangs past ``timeout`` seconds in
    all, or a figure cannot be drawn."""
    require_chromium()
    if not PLOTLY_JS.is_file():
        raise PrintingUnavailable(f"The charts' plotly.js ({PLOTLY_JS.name}) is not built: run `make setup`.")
    from plotly.utils import PlotlyJSONEncoder

    payload = json.dumps(dict(figures), cls=PlotlyJSONEncoder)
    worker = subprocess.Popen(
        [sys.executable, "-m", "dashboard.chart_worker", str(PLOTLY_JS), str(timeout)],
        cwd=PROJECT_ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its Chromium joins its session: killed with it
        text=True,
    )
    lines: queue.Queue = queue.Queue()

    def read():
        try:
            worker.stdin.write(payload)
            worker.stdin.close()
            for line in worker.stdout:
                lines.put(line)
        except (OSError, ValueError):  # the worker died, or was killed: the caller is told below
            pass
        lines.put(None)

    threading.Thread(target=read, name="report-charts", daemon=True).start()
    deadline = time.monotonic() + timeout + 10  # the worker's own timeout first; then it is killed
    try:
        while True:
            try:
                line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                raise RenderFailed(
                    f"The chart renderer did not finish in {timeout:.0f} s and was stopped; try again."
                ) from None
            if line is None:
                raise RenderFailed("The chart renderer stopped without drawing the charts; try again.")
            message = json.loads(line)
            if "progress" in message and progress is not None:
                progress(*message["progress"])
            elif "error" in message:
                raise RenderFailed(f"The chart renderer failed: {message['error']}")
            elif "svgs" in message:
                return {k: _scalable(v) for k, v in message["svgs"].items()}
    finally:
        from dashboard.chart_worker import stop_descendants

        stop_descendants(worker.pid)  # a hung worker's browser, before the worker itself
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(10)


def _scalable(svg: str) -> str:
    """An SVG that fills the width it is given (kaleido writes fixed pixel sizes)."""
    width = re.search(r'<svg[^>]*\bwidth="(\d+(?:\.\d+)?)"', svg)
    height = re.search(r'<svg[^>]*\bheight="(\d+(?:\.\d+)?)"', svg)
    if width and height and "viewBox" not in svg[: svg.find(">")]:
        svg = svg.replace("<svg ", f'<svg viewBox="0 0 {width.group(1)} {height.group(1)}" ', 1)
    return re.sub(r'(<svg[^>]*?)\swidth="[^"]*"\s+height="[^"]*"', r'\1 width="100%"', svg, count=1)


# -- the document as HTML ----------------------------------------------------------------------------


def to_html(
    tree,
    svgs: Mapping[str, str],
    *,
    title: str,
    lang: str = "en",
    head: str = "",
    alts: Mapping[str, str] | None = None,
) -> str:
    """A whole HTML document of the component ``tree``; each graph replaced by its SVG from ``svgs``,
    with its text alternative from ``alts`` (by the graph's id)."""
    body = _html(tree, svgs, alts or {})
    return (
        f'<!DOCTYPE html>\n<html lang="{markup.escape(lang)}"><head><meta charset="utf-8">'
        f"<title>{markup.escape(title)}</title>{head}</head><body>{body}</body></html>"
    )


def _html(node, svgs: Mapping[str, str], alts: Mapping[str, str]) -> str:
    if node is None or node is False:
        return ""
    if isinstance(node, str | int | float):
        return markup.escape(str(node))
    if isinstance(node, list | tuple):
        return "".join(_html(child, svgs, alts) for child in node)
    if not isinstance(node, Component):
        raise TypeError(f"cannot print {type(node).__name__}")
    kind, namespace = node._type, node._namespace
    props = node.to_plotly_json()["props"]
    if namespace == "dash_core_components" and kind == "Graph":
        figure_id = props.get("id")
        if figure_id not in svgs:
            raise KeyError(f"no drawing of the chart {figure_id!r}")
        # an image of the SVG (WeasyPrint draws it as vectors), with its text alternative
        data = base64.b64encode(svgs[figure_id].encode("utf-8")).decode("ascii")
        alt = markup.escape(alts.get(figure_id, ""), quote=True)
        return f'<div class="report-chart"><img src="data:image/svg+xml;base64,{data}" alt="{alt}"></div>'
    if namespace == "dash_core_components" and kind == "Link":
        tag, props = "a", {k: v for k, v in props.items() if k in ("href", "children", "className", "id")}
    elif namespace == "dash_bootstrap_components" and kind in BOOTSTRAP:
        tag, props = BOOTSTRAP[kind], _bootstrap(kind, props)
    elif namespace == "dash_html_components":
        tag = kind.lower()
    else:
        raise TypeError(f"cannot print {namespace}.{kind}")
    children = props.pop("children", None)
    attributes = []
    for name, value in props.items():
        if value is None:
            continue
        if name == "style":
            css = "; ".join(f"{_kebab(k)}: {v}" for k, v in value.items())
            attributes.append(f'style="{markup.escape(css)}"')
        elif name in ATTRIBUTES and not isinstance(value, dict):
            attributes.append(f'{ATTRIBUTES[name]}="{markup.escape(str(value))}"')
        elif name.startswith(("aria-", "data-")):
            attributes.append(f'{name}="{markup.escape(str(value))}"')
        elif name in ("id", "key", "n_clicks", "n_clicks_timestamp", "disable_n_clicks", "tabIndex"):
            continue  # the browser's: a printed page has no clicks and no keyboard focus
        else:
            raise TypeError(f"cannot print the {name!r} of {kind}")
    opening = f"<{tag}{' ' if attributes else ''}{' '.join(attributes)}>"
    if tag in VOID:
        return opening
    return f"{opening}{_html(children, svgs, alts)}</{tag}>"


def _bootstrap(kind: str, props: dict) -> dict:
    classes = [props.pop("className", None) or props.pop("class_name", None) or ""]
    if kind == "Table":
        classes.append("table")
        for flag in ("striped", "bordered", "hover"):
            if props.pop(flag, False):
                classes.append(f"table-{flag}")
        if props.pop("size", None) == "sm":
            classes.append("table-sm")
        props.pop("responsive", None)
    elif kind == "Badge":
        classes.append(f"badge bg-{props.pop('color', 'secondary')}")
    else:
        classes.append(f"alert alert-{props.pop('color', 'info')}")
        props.pop("is_open", None)
        props.pop("dismissable", None)
    return {**props, "className": " ".join(c for c in classes if c).strip()}


def _kebab(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"-\1", name).lower()


# -- paged layout ------------------------------------------------------------------------------------


def _fetcher():
    """WeasyPrint's URL fetcher: the document is complete, so it fetches nothing (no fonts, images or
    stylesheets from anywhere) but inline ``data:`` URLs; anything else fails the render."""
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols={"data"}, fail_on_errors=True, allow_redirects=False)


def to_pdf(document: str, stylesheets: list[str]) -> bytes:
    """The HTML ``document`` laid out as a tagged PDF (PDF/UA-1) with the given CSS; its title, author,
    description and creation date come from the document's ``<title>`` and ``<meta>`` elements."""
    import weasyprint
    from weasyprint.urls import FatalURLFetchingError

    fetcher = _fetcher()
    try:
        html = weasyprint.HTML(string=document, url_fetcher=fetcher, base_url=str(PROJECT_ROOT))
        css = [weasyprint.CSS(string=sheet, url_fetcher=fetcher) for sheet in stylesheets]
        return html.write_pdf(stylesheets=css, pdf_variant="pdf/ua-1")
    except FatalURLFetchingError as error:  # a reference outside the document: refused, never fetched
        raise RenderFailed(
            f"The report refers to something outside it, which is never fetched: {error}"
        ) from None


def stylesheet(name: str) -> str:
    """A stylesheet of the app's ``assets/`` (the printable page's own, used for the PDF too)."""
    return (Path(PROJECT_ROOT) / "assets" / name).read_text(encoding="utf-8")
