"""Audit trail: who did what to which object, with the state before and after (one table for every feature).

Features record with `audit.record(actor, action, kind, id, before=, after=, summary=)` in the transaction of
the change; the Board reads the whole trail at /audit and /api/v1/audit.
"""
from portal.audit.models import AuditEvent
from portal.audit.services import (
    ACTION_LABELS,
    EXPORT_LIMIT,
    KIND_LABELS,
    PAGE_SIZE,
    AuditEntry,
    AuditFilters,
    AuditPage,
    action_label,
    event_dict,
    events_for,
    export_entries,
    kind_label,
    parse_filters,
    people,
    query,
    recent,
    record,
)

__all__ = [
    "ACTION_LABELS",
    "EXPORT_LIMIT",
    "KIND_LABELS",
    "PAGE_SIZE",
    "AuditEntry",
    "AuditEvent",
    "AuditFilters",
    "AuditPage",
    "action_label",
    "event_dict",
    "events_for",
    "export_entries",
    "kind_label",
    "parse_filters",
    "people",
    "query",
    "recent",
    "record",
]
