"""Files the app hands out beside its pages: a finished client report's PDF, to whoever may see its
household (the household's analyst, or an administrator), while it is kept; the audit trail as CSV,
to administrators."""

from __future__ import annotations

import datetime as dt
import re

import flask

from dashboard.errors import AccessDenied, InvalidInput
from dashboard.services import audit
from dashboard.services.access import authorize_household, current_user
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
        audit.log("report-download", household_id=ref.id, target=kept["filename"])
        response = flask.Response(kept["pdf"], mimetype="application/pdf")
        response.headers["Content-Disposition"] = f'attachment; filename="{kept["filename"]}"'
        return response

    @bp.get(f"{prefix}/audit.csv")
    def audit_csv():
        """The audit trail as the Audit page filters it, streamed (administrators only; recorded)."""
        try:
            if not current_user().is_admin:
                raise AccessDenied("The audit trail is for administrators.")
            raw = {k: flask.request.args.get(k) for k in ("user", "household", "action", "since", "until")}
            chosen = audit.parse_filter(**raw)
            if audit.more_than(chosen, audit.MAX_EXPORT):  # never a file cut short without a word
                raise InvalidInput(
                    f"More than {audit.MAX_EXPORT:,} records match, more than one download holds: narrow "
                    "the dates (or the user, household or action), or ask the operator for the whole "
                    "trail (python -m meridian audit show)."
                )
        except AccessDenied as error:
            return _refused(str(error), 403)
        except InvalidInput as error:
            return _refused(str(error), 400)
        described = ", ".join(f"{k} {v}" for k, v in raw.items() if v) or "every record"
        audit.log("audit-export", detail=described)
        response = flask.Response(
            flask.stream_with_context(audit.export(chosen)), mimetype="text/csv; charset=utf-8"
        )
        day = dt.date.today().isoformat()
        response.headers["Content-Disposition"] = f'attachment; filename="meridian-audit-{day}.csv"'
        return response

    return bp


def _refused(message: str, status: int):
    return flask.Response(message, status=status, mimetype="text/plain")
