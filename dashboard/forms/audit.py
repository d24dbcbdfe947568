"""The audit trail's actions, by key, as people read them (the Audit page's filter offers these; the
vocabulary is the audit table's, ``dashboard.data.models.AUDIT_ACTIONS``)."""

from dashboard.data.models import AUDIT_ACTIONS as ACTIONS

__all__ = ["ACTIONS"]
