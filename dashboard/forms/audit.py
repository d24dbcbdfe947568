"""The audit trail's actions, by key, as people read them (the Audit page's filter offers these)."""

ACTIONS = {
    "sign-in": "Signed in",
    "sign-in-failed": "Sign-in refused",
    "sign-out": "Signed out",
    "user-role": "Role changed",
    "user-password": "Password changed",
    "user-active": "Account activated or deactivated",
    "household-open": "Household opened",
    "statement-import": "Statement imported",
    "price-import": "Prices imported",
    "goal-create": "Goal created",
    "goal-edit": "Goal edited",
    "goal-delete": "Goal deleted",
    "thread-save": "Run saved to a thread",
    "thread-delete": "Thread or run deleted",
    "assumptions-change": "Assumptions set added",
    "csv-download": "CSV downloaded",
    "report-download": "Report downloaded",
    "audit-export": "Audit trail exported",
    "metrics-reset": "Metrics reset",
    "audit-prune": "Audit records pruned",
}
