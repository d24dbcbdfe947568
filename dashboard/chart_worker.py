"""The chart renderer's own process (``python -m dashboard.chart_worker PLOTLY_JS TIMEOUT``): figures in
as JSON on stdin (``{id: figure}``), one line per figure drawn on stdout (``{"progress": [i, n]}``), then
``{"svgs": {id: svg}}`` or ``{"error": "..."}``. ``dashboard.printing`` starts it in a session of its own
and kills the whole session afterwards, so a Chromium that hangs or crashes leaves nothing running."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys

WIDTH = 720  # px: the printed text block's width at 96 px per inch


async def draw(figures: dict, plotly_js: str, timeout: float) -> dict:
    import kaleido

    drawn = {}
    async with kaleido.Kaleido(n=1, timeout=timeout, plotlyjs=plotly_js, mathjax=False) as renderer:
        for index, (figure_id, figure) in enumerate(figures.items()):
            layout = figure.get("layout") or {}
            options = {"format": "svg", "width": WIDTH, "height": int(layout.get("height") or 360)}
            svg = await renderer.calc_fig(figure, opts=options)
            drawn[figure_id] = svg.decode("utf-8") if isinstance(svg, bytes) else svg
            print(json.dumps({"progress": [index + 1, len(figures)]}), flush=True)
    return drawn


def stop_descendants(pid: int) -> None:
    """SIGKILL every process below ``pid`` (Chromium starts in a session of its own, so a process group
    does not hold it; its parentage does, while its parent lives)."""
    import psutil

    try:
        below = psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return
    for process in below:
        with contextlib.suppress(psutil.Error):
            process.kill()


def main(argv: list[str]) -> int:
    plotly_js, timeout = argv[0], float(argv[1])
    figures = json.loads(sys.stdin.read())
    try:
        svgs = asyncio.run(asyncio.wait_for(draw(figures, plotly_js, timeout), timeout))
    except Exception as error:  # noqa: BLE001 - reported to the app, which says it to the analyst
        print(json.dumps({"error": f"{type(error).__name__}: {str(error)[:300]}"}), flush=True)
        return 1
    finally:
        stop_descendants(os.getpid())  # a browser that failed to start or to close: nothing left running
    print(json.dumps({"svgs": svgs}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
