"""Files the app hands out beside its pages: a finished client report's PDF, to whoever may see its
household (the household's analyst, or an administrator), while it is kept."""

from __future__ import annotations

import re

import flask

from dashboard.errors import AccessDenied, InvalidInput
from dashboard.services.access import authorize_household
from dashboard.services.reports import kept_pdf

NAME = re.compile(r"^[0-9a-f]{32}$")


def create_blueprint(settings) -> flask.Blueprint:
    bp = flask.Blueprint("meridian_downloads", __name__)
    prefix = settings.url_prefix.rstrip("/")

    @bp.get(f"{prefix}/report/pdf/<household>/<name>")
    def report_pdf(household: str, name: str):
        if not NAME.match(name):
            return _refused("No such report.", 404)
        try:
            ref = authorize_household(household)
        except (AccessDenied, InvalidInput) as error:
            return _refused(str(error), 403)
        kept = kept_pdf(name, ref.id)
        if kept is None:
            return _refused("This report is no longer kept (or never was): make the PDF again.", 404)
        response = flask.Response(kept["pdf"], mimetype="application/pdf")
        response.headers["Content-Disposition"] = f'attachment; filename="{kept["filename"]}"'
        return response

    return bp


def _refused(message: str, status: int):
    return flask.Response(message, status=status, mimetype="text/plain")
