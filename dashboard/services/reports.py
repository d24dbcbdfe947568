"""Client reports: finished PDFs kept for a while (in the shared cache, served again for the same
composition), the bounded number of renderers, and what a report's cover names."""

from __future__ import annotations

import base64
import contextlib
import time
from pathlib import Path

from sqlalchemy import select

from dashboard.data.models import User
from dashboard.errors import InvalidInput
from dashboard.extensions import cache, db, settings_of
from dashboard.settings import PROJECT_ROOT

OPERATION = "report"
WAIT_STEP = 0.5


def kept_pdf(name: str, household_id: int) -> dict | None:
    """A finished PDF kept under ``name`` for the household (``{"filename", "pdf"}``), or None."""
    return cache.lookup(OPERATION, {"kind": "pdf", "name": name}, household=household_id)


def keep_pdf(name: str, household_id: int, filename: str, pdf: bytes) -> None:
    """Keep a finished PDF for the report TTL (``CACHE_TTL_REPORT``); dropped with the household's
    other entries when its data change."""
    entry = {"filename": filename, "pdf": pdf}
    cache.get_or_compute(
        OPERATION, {"kind": "pdf", "name": name}, lambda: entry, household=household_id, refresh=True
    )


@contextlib.contextmanager
def renderer(limit: int | None = None, timeout: float | None = None, progress=None):
    """Hold one of ``limit`` renderers (``REPORT_RENDERERS``; across every worker and job) for the block;
    wait for one while all are busy (saying so), at most ``timeout`` seconds (``REPORT_TIMEOUT_SECONDS``)."""
    settings = settings_of()
    limit = settings.report_renderers if limit is None else limit
    timeout = settings.report_timeout_seconds if timeout is None else timeout
    deadline = time.monotonic() + timeout
    slot = cache.take_slot("report-renderer", limit, timeout + 30)
    while slot is None:
        if time.monotonic() > deadline:
            raise InvalidInput(
                f"All {limit} report renderers stayed busy for {timeout:.0f} s; try again in a moment."
            )
        if progress is not None:
            progress(f"Waiting for a renderer ({limit} in use)")
        time.sleep(WAIT_STEP)
        slot = cache.take_slot("report-renderer", limit, timeout + 30)
    try:
        yield
    finally:
        cache.give_back(slot)


def firm() -> tuple[str, str | None]:
    """The firm on a report's cover: its name and its logo as a data: URL (``FIRM_NAME``, ``FIRM_LOGO``)."""
    settings = settings_of()
    return settings.firm_name, logo_data_url(settings.firm_logo)


def layout() -> tuple[float, str]:
    """How a PDF is made: the renderer's timeout in seconds and the paper (``letter`` or ``a4``)."""
    settings = settings_of()
    return settings.report_timeout_seconds, settings.report_paper


def user_name(user_id: int) -> str:
    """A user's name as a report names its analyst."""
    with db.session() as session:
        name = session.scalar(select(User.name).where(User.id == user_id))
    return name or "—"


def logo_data_url(path: Path | None) -> str | None:
    """The firm's logo (SVG or PNG, from the settings) as a data: URL the report embeds, or None."""
    if path is None:
        return None
    file = Path(path) if Path(path).is_absolute() else PROJECT_ROOT / path
    kind = {".svg": "image/svg+xml", ".png": "image/png"}.get(file.suffix.lower())
    if kind is None or not file.is_file():
        return None
    return f"data:{kind};base64,{base64.b64encode(file.read_bytes()).decode()}"
